"""Reader of zone tables: which communes each CPTS or HAD covers.

One row per (partner, commune), CSV (``;``, ``|`` or ``,``, sniffed) or XLSX,
with a header row:

``type``
    Partner type (CPTS, HAD...).
``partner`` (or ``partenaire``, ``id``, ``finess``, ``nom``)
    The partner: its id in the directory, its FINESS number or its name.
``code_insee`` (or ``insee``, ``commune``)
    A commune it covers (old codes and Lyon's 69123 are mapped to today's units).

A partner's zone becomes exactly the communes listed for it in the file.
"""
from __future__ import annotations

from geo.errors import SecteursError
from partners.io._common import ReadResult, ZoneRecord, as_source, error, pick_column, read_table

TYPE_ALIASES = ("type",)
PARTNER_ALIASES = ("partner", "partenaire", "id", "finess", "nom", "name")
CODE_ALIASES = ("code_insee", "insee", "code_commune", "commune", "code insee")


def read_zones(source, *, filename: str | None = None) -> ReadResult:
    """Read a zone table.

    Returns
    -------
    ReadResult
        ``zones`` holds one :class:`~partners.io._common.ZoneRecord` per row.

    Raises
    ------
    SecteursError
        ``partners.zones_missing_column``: a column is missing (the message lists the accepted names).
    """
    source = as_source(source, filename)
    header, rows = read_table(source)
    columns = {}
    for name, aliases in (("type", TYPE_ALIASES), ("partner", PARTNER_ALIASES), ("code_insee", CODE_ALIASES)):
        column = pick_column(header, aliases)
        if column is None:
            raise SecteursError("partners.zones_missing_column", file=source.name, column=name,
                                aliases=list(aliases), header=[h[:40] for h in header[:20]])
        columns[name] = column
    result = ReadResult(format="zones", encoding="")
    for number, row in rows:
        partner = row.get(columns["partner"], "").strip()
        code = row.get(columns["code_insee"], "").strip()
        if not partner or not code:
            result.rejects.append(error(number, "zone row needs a partner and a code_insee", "partners.zone_row_incomplete"))
            continue
        result.zones.append(ZoneRecord(number, row.get(columns["type"], "").strip().upper(), partner, code))
    return result
