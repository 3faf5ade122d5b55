"""Reading partner files: one private module per format, one entry point.

Formats
-------
finess    public FINESS establishment extract (etalab cs1100507 stock)
rpps      Annuaire Santé ``PS_LibreAcces_Personne_activite_*.txt`` (psychologists)
zones     table type | partner | code_insee giving CPTS territories and HAD zones
csv       the documented template for everything else (CSV or XLSX), see TEMPLATE.md
"""
from __future__ import annotations

from pathlib import Path

from geo.errors import SecteursError
from geo.reading import check_path
from partners.io._common import ReadResult, ZoneRecord
from partners.io.finess import read_finess
from partners.io.rpps import read_rpps
from partners.io.template import read_template, write_template
from partners.io.zones import read_zones

#: Format name -> reader.
READERS = {"finess": read_finess, "rpps": read_rpps, "zones": read_zones, "csv": read_template}
#: Options each reader accepts.
_OPTIONS = {"finess": {"categories"}, "rpps": {"professions"}, "zones": set(), "csv": set()}


def read_partners(path: str | Path, format: str, **options) -> ReadResult:
    """Read a partner file.

    Parameters
    ----------
    path
        The file.
    format
        One of :data:`READERS`: ``finess``, ``rpps``, ``zones``, ``csv``.
    **options
        ``categories`` (finess), ``professions`` (rpps).

    Returns
    -------
    ReadResult
        Partners (or zone rows) read, rows rejected with their reason, rows skipped.

    Raises
    ------
    ValueError
        Unknown format or option, or a file that is not of that format.
    FileNotFoundError
        No such file.

    Examples
    --------
    >>> read_partners("etalab-cs1100507-stock.csv", "finess", categories="127,604")  # doctest: +SKIP
    """
    if format not in READERS:
        raise SecteursError("partners.unknown_format", format=format, formats=list(READERS))
    unknown = set(k for k, v in options.items() if v is not None) - _OPTIONS[format]
    if unknown:
        raise SecteursError("partners.format_options", format=format, options=sorted(unknown))
    path = check_path(path)
    return READERS[format](path, **{k: v for k, v in options.items() if v is not None})


__all__ = ["READERS", "ReadResult", "ZoneRecord", "read_partners", "write_template"]
