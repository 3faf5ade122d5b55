"""Reading partner files: one private module per format, one entry point.

Formats
-------
finess    public FINESS establishment extract (etalab cs1100507 stock)
rpps      Annuaire Santé ``PS_LibreAcces_Personne_activite_*.txt`` (psychologists)
zones     table type | partner | code_insee giving CPTS territories and HAD zones
csv       the documented template for everything else (CSV or XLSX), see TEMPLATE.md
"""
from __future__ import annotations

from geo.errors import SecteursError
from partners.io._common import ReadResult, Source, ZoneRecord, as_source
from partners.io.finess import read_finess
from partners.io.rpps import read_rpps
from partners.io.template import read_template, template_bytes, write_template
from partners.io.zones import read_zones

#: Format name -> reader.
READERS = {"finess": read_finess, "rpps": read_rpps, "zones": read_zones, "csv": read_template}
#: Options each reader accepts.
_OPTIONS = {"finess": {"categories"}, "rpps": {"professions"}, "zones": set(), "csv": set()}


def read_partners(source, format: str, *, filename: str | None = None, **options) -> ReadResult:
    """Read a partner file, from a path or from bytes with the file's name (an upload).

    The arguments are checked before anything is read (format, options, then
    the file itself).

    Parameters
    ----------
    source : str, path, bytes, uploaded file or Source
        The file (a path is streamed for ``rpps``; bytes need ``filename``).
    format
        One of :data:`READERS`: ``finess``, ``rpps``, ``zones``, ``csv``.
    filename
        The file's name with bytes (its suffix tells XLSX from CSV; messages name it).
    **options
        ``categories`` (finess), ``professions`` (rpps).

    Returns
    -------
    ReadResult
        Partners (or zone rows) read, rows rejected with their reason, rows skipped.

    Raises
    ------
    SecteursError
        Unknown format or option (``partners.unknown_format``, ``partners.format_options``), a file
        that is not of that format, or that cannot be read (``files.*``).
    TypeError
        ``source`` is neither a path, bytes with ``filename``, nor an uploaded file.

    Examples
    --------
    >>> read_partners("etalab-cs1100507-stock.csv", "finess", categories="127,604")  # doctest: +SKIP
    >>> read_partners(upload.getvalue(), "csv", filename=upload.name)  # doctest: +SKIP
    """
    if format not in READERS:
        raise SecteursError("partners.unknown_format", format=format, formats=list(READERS))
    unknown = set(k for k, v in options.items() if v is not None) - _OPTIONS[format]
    if unknown:
        raise SecteursError("partners.format_options", format=format, options=sorted(unknown))
    source = as_source(source, filename)
    return READERS[format](source, **{k: v for k, v in options.items() if v is not None})


__all__ = ["READERS", "ReadResult", "Source", "ZoneRecord", "as_source", "read_partners", "template_bytes",
           "write_template"]
