"""Patient distribution: importing a hospital export, reading and writing counts.

A hospital export (CSV or XLSX) lists referrals, one per line, with where the
patient lives. :func:`import_patients` places each line in a sector unit and
counts patients per unit; only the location columns (and the service and year,
when present) are ever read into the result: names, dates of birth, NIR,
addresses, phone numbers or e-mails are neither kept nor written, not even in
the rejects or in error messages.

Public names
------------
import_patients
    Read an export (path, or file-like object with its file name) into an
    :class:`ImportResult`: counts, rejects, ambiguous lines, summary.
read_table, place_rows, cell_text
    The reading and placement steps of :func:`import_patients`, for other
    row-by-row uses of an export (routing a list of referrals): the file as a
    :class:`Table` (header, recognised columns, rows), then each row with its
    :class:`~geo.resolver.Resolution`.
read_counts, write_counts
    The ``code_insee,patients`` file used by the rest of the application
    (``#`` lines are comments).
PatientFileError
    A file that cannot be read (encoding, no location column, empty).

Reading
-------
CSV in UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text")
or Windows-1252, separated by ``;``, ``,``, tab or ``|`` (sniffed); XLSX (the
first sheet with a recognisable header). Leading ``#`` lines and title lines
before the header are skipped. Columns are recognised from usual French
headers, whatever their case or accents: ``Code INSEE``/``code commune``/
``COG``; ``Code postal``/``CP``; ``Ville``/``Commune``/``Localité``/``Libellé
commune``; optional ``Service`` and ``Année`` (or a ``Date ...`` column, never
the date of birth, from which the year is taken). Row numbers are those of the
file (the header line included, first line = 1).

Placement (see :meth:`geo.lookup.Gazetteer.match`)
-------------------------------------------------
By INSEE code (old delegated/associated communes lead to today's commune;
Lyon 69123 is refined to an arrondissement by postal code or name), else
postal code + town name (case, accents, hyphens, "ST"/"STE", a leading
article, a lost leading zero and old commune names do not matter; a close
spelling among the postal code's communes is accepted), else the name alone,
else the postal code alone. Lyon's 69001-69009 go to their arrondissement.

**Ambiguity rule.** A line that still fits several units (a postal code shared
by several communes without a usable name, "Lyon" without an arrondissement, a
name borne by several communes) is counted in **the most populous candidate
unit** (ties: the smaller INSEE code); it is listed in
:attr:`ImportResult.ambiguous` and counted in the summary.

A line that cannot be placed (unknown or malformed code, commune outside the
territory, no location at all) goes to :attr:`ImportResult.rejects` with its
row number and the reason, nothing else (an unquoted ``;`` shifts a row and puts
names or phone numbers in its location columns). Blank lines are counted, not
rejected. Nothing is dropped silently.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import pandas as pd

from geo.errors import SecteursError
from geo.reading import (FileReadError, check_workbook, csv_rows, display_name, is_workbook, read_bytes,
                         text_lines, workbook_errors, write_text)
from geo.lookup import LookupResult, gazetteer, normalize_insee_code, normalize_name
from geo.resolver import resolver
from geo.safe_export import safe_frame

__all__ = [
    "import_patients", "ImportResult", "PatientFileError", "read_counts", "write_counts",
    "AMBIGUITY_RULE", "LOCATION_ROLES", "Table", "PlacedRow", "read_table", "place_rows", "cell_text",
]

#: The rule applied to ambiguous lines, as shown in import reports.
AMBIGUITY_RULE = ("ligne ambiguë (plusieurs communes possibles) : comptée dans la commune "
                  "la plus peuplée parmi les candidates")
#: Roles of the columns that locate a patient, the only ones copied to the rejects.
LOCATION_ROLES = ("code_insee", "code_postal", "commune")
#: Every column role the importer reads; all other columns are ignored.
ROLES = LOCATION_ROLES + ("service", "annee", "date")
#: How often the progress callback is called.
PROGRESS_EVERY = 10_000
#: How many lines may precede the header (titles, comments).
HEADER_SEARCH_ROWS = 30
DELIMITERS = (";", "\t", ",", "|")
#: Largest patient count of one line of a counts file (a larger one is a broken file, not a count).
MAX_COUNT = 1_000_000_000

ProgressCallback = Callable[[int], None]


class PatientFileError(SecteursError):
    """A patient file that cannot be read; the message says why (in French)."""


# -- column recognition -----------------------------------------------------------------------
#: Words of headers that never locate the patient's home nor give the referral date
#: (birth place, birth date, death, address, identifiers).
_NOT_LOCATION = {"NAISSANCE", "NAISS", "NAIS", "NE", "NEE", "DDN", "DECES", "ADRESSE", "ADR", "RUE",
                 "VOIE", "NIR", "NSS", "SECU", "SECURITE", "MATRICULE", "IPP", "TEL", "TELEPHONE",
                 "MAIL", "EMAIL", "COURRIEL", "NUMERO", "NUM", "NO", "N"}
_INSEE_EXACT = {"CODE INSEE", "INSEE", "CODE COMMUNE", "CODE INSEE COMMUNE", "COG", "CODE COG", "CODGEO",
                "CODE GEO", "CODE GEOGRAPHIQUE", "DEPCOM", "CODE COMMUNE INSEE", "CODE INSEE RESIDENCE",
                "CODE COMMUNE RESIDENCE", "COMMUNE INSEE", "INSEE COMMUNE"}
_POSTAL_EXACT = {"CODE POSTAL", "CP", "C P", "CODEPOSTAL", "CODE POSTAL RESIDENCE", "CP RESIDENCE",
                 "CP DOMICILE", "CODE POSTAL DOMICILE", "POSTAL"}
_TOWN_EXACT = {"VILLE", "COMMUNE", "LOCALITE", "LIBELLE COMMUNE", "NOM COMMUNE", "NOM DE LA COMMUNE",
               "LIB COMMUNE", "COMMUNE DE RESIDENCE", "VILLE DE RESIDENCE", "VILLE RESIDENCE",
               "COMMUNE RESIDENCE", "LIBELLE VILLE"}
_DATE_PREFERRED = {"DEMANDE", "ORIENTATION", "SIGNALEMENT", "ENTREE", "ADMISSION", "CONSULTATION",
                   "SEJOUR", "VENUE", "PRISE", "RDV", "INTERVENTION"}


def _header_key(text) -> str:
    return normalize_name(text)


def _role_of(header) -> tuple[str, int] | None:
    """The role a header plays and its priority (0 = exact alias), or None."""
    key = _header_key(header)
    if not key:
        return None
    words = set(key.split())
    if words & _NOT_LOCATION:
        return None
    if key in _INSEE_EXACT:
        return "code_insee", 0
    if key in _POSTAL_EXACT:
        return "code_postal", 0
    if key in _TOWN_EXACT:
        return "commune", 0
    if key in {"ANNEE", "ANNEE DEMANDE", "ANNEE D ORIENTATION", "ANNEE ORIENTATION"}:
        return "annee", 0
    if key in {"SERVICE", "UF", "UNITE FONCTIONNELLE", "SERVICE DEMANDEUR", "SPECIALITE"}:
        return "service", 0
    if words & {"INSEE", "COG", "CODGEO", "DEPCOM"}:
        return "code_insee", 1
    if "POSTAL" in words or "CODEPOSTAL" in words or key.split()[0] == "CP":
        return "code_postal", 1
    if words & {"VILLE", "COMMUNE", "LOCALITE"}:
        return ("code_insee", 2) if "CODE" in words else ("commune", 1)
    if words & {"SERVICE", "UF", "SPECIALITE"}:
        return "service", 1
    if "ANNEE" in words:
        return "annee", 1
    if "DATE" in words:
        return "date", 0 if words & _DATE_PREFERRED else 1
    return None


def _recognise(header: list) -> dict[str, int]:
    """Column index of each role found in a header row (best alias, then leftmost)."""
    best: dict[str, tuple[int, int]] = {}
    for index, cell in enumerate(header):
        found = _role_of(cell)
        if found:
            role, priority = found
            if role not in best or priority < best[role][0]:
                best[role] = (priority, index)
    return {role: index for role, (_, index) in best.items()}


# -- reading the file -------------------------------------------------------------------------
@dataclasses.dataclass
class Table:
    """A hospital export as read: where its header is, which columns were recognised, its rows.

    Attributes
    ----------
    header_row : int
        Line (CSV) or sheet row (XLSX) of the header, first = 1.
    columns : dict
        Column index of each recognised role (``code_insee``, ``code_postal``,
        ``commune``, ``service``, ``annee``, ``date``).
    header : list
        The header cells as read.
    records : iterator
        ``(row number, cells)`` after the header, read lazily (once).
    info : dict
        How the file was read (format, encoding, delimiter or sheet).
    """

    header_row: int
    columns: dict[str, int]
    header: list
    records: Iterator[tuple[int, list]]
    info: dict


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip()) or (
        isinstance(cell, float) and cell != cell)


def _is_comment(cells: list) -> bool:
    first = next((c for c in cells if not _blank(c)), None)
    return isinstance(first, str) and first.lstrip().startswith("#")


def _find_header(rows: Iterator[tuple[int, list]]):
    """Consume rows up to the header; return (row number, header, roles) or None."""
    for count, (number, cells) in enumerate(rows):
        if count >= HEADER_SEARCH_ROWS:
            return None
        if all(_blank(c) for c in cells) or _is_comment(cells):
            continue
        roles = _recognise(cells)
        if set(roles) & set(LOCATION_ROLES):
            return number, list(cells), roles
    return None


def _decode(data: bytes, name: str = "") -> tuple[str, str]:
    file = display_name(name)
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise PatientFileError("patients.bad_utf16", file=file, byte=exc.start) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise PatientFileError("patients.bad_utf8", file=file, byte=exc.start) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1252, line by line: a file pasted together from two sources may mix both.
    lines, encodings = [], set()
    for number, line in enumerate(data.split(b"\n"), 1):
        try:
            lines.append(line.decode("utf-8"))
            encodings.add("utf-8" if not line.isascii() else "ascii")
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("cp1252"))
                encodings.add("cp1252")
            except UnicodeDecodeError as exc:
                raise PatientFileError("patients.unknown_encoding", file=file, row=number,
                                       byte=f"0x{line[exc.start]:02X}") from None
    return "\n".join(lines), "utf-8+cp1252" if "utf-8" in encodings else "cp1252"


def _csv_rows(text: str, delimiter: str, name: str = "") -> Iterator[tuple[int, list]]:
    try:
        yield from csv_rows(text_lines(text), name, delimiter=delimiter)
    except FileReadError as exc:
        raise PatientFileError(exc.code, **exc.params) from None


def _read_csv(data: bytes, name: str = "") -> Table:
    if b"\0" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PatientFileError("files.not_text", file=display_name(name))
    text, encoding = _decode(data, name)
    if not text.strip():
        raise PatientFileError("files.empty", file=display_name(name))
    best = failure = None
    for delimiter in DELIMITERS:
        rows = _csv_rows(text, delimiter, name)
        try:
            found = _find_header(rows)
        except PatientFileError as exc:
            failure = exc
            continue
        if not found:
            continue
        number, header, roles = found
        score = (len(roles), len(header))
        if best is None or score > best[0]:
            best = (score, delimiter, number)
    if best is None:
        raise failure or _no_location_column(name)
    _, delimiter, _ = best
    rows = _csv_rows(text, delimiter, name)
    number, header, roles = _find_header(rows)
    return Table(number, roles, header, rows, {"format": "csv", "encoding": encoding, "delimiter": delimiter})


def _read_xlsx(data: bytes, name: str = "") -> Table:
    import openpyxl

    check_workbook(data, name)
    with workbook_errors(name):
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    empty = True
    for sheet in book.worksheets:
        rows = _sheet_rows(sheet, name)
        with workbook_errors(name):
            found = _find_header(rows)
        if found:
            number, header, roles = found
            return Table(number, roles, header, rows, {"format": "xlsx", "sheet": sheet.title})
        empty = empty and (sheet.max_row or 0) <= 1 and (sheet.max_column or 0) <= 1
    if empty:
        raise PatientFileError("patients.empty_workbook", file=display_name(name))
    raise _no_location_column(name)


def _sheet_rows(sheet, name: str) -> Iterator[tuple[int, list]]:
    # A workbook can still be broken inside a sheet (bad XML): say so instead of a traceback mid-import.
    rows = sheet.iter_rows(min_row=1, values_only=True)
    number = 0
    while True:
        with workbook_errors(name):
            cells = next(rows, None)
        if cells is None:
            return
        number += 1
        yield number, list(cells)


def _no_location_column(name: str = "") -> PatientFileError:
    # The header cells are not quoted: in a file without a header they would be patient data.
    return PatientFileError("patients.no_location_column", file=display_name(name), rows=HEADER_SEARCH_ROWS)


def _open(source, filename) -> tuple[bytes, str]:
    try:
        return read_bytes(source, filename)
    except FileReadError as exc:  # callers catch PatientFileError for every unreadable patient file
        raise PatientFileError(exc.code, **exc.params) from None


def read_table(source, filename: str | None = None) -> Table:
    """Read a hospital export's header and recognise its columns (rows are read lazily).

    Parameters
    ----------
    source : str, path or file-like
        CSV (any of the encodings and separators above) or XLSX.
    filename : str, optional
        The file's name when ``source`` is file-like.

    Returns
    -------
    Table

    Raises
    ------
    PatientFileError
        Empty file, unreadable encoding or workbook, no location column.
    """
    data, name = _open(source, filename)
    file = display_name(name)
    if not data.strip():
        raise PatientFileError("files.empty", file=file)
    suffix = Path(name).suffix.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise PatientFileError("patients.xls_format", file=file)
    try:
        if is_workbook(data, name):
            return _read_xlsx(data, name)
        if suffix == ".ods":
            raise PatientFileError("patients.ods_format", file=file)
        return _read_csv(data, name)
    except PatientFileError:
        raise
    except FileReadError as exc:
        raise PatientFileError(exc.code, **exc.params) from None


# -- cell values ------------------------------------------------------------------------------
def cell_text(cell) -> str:
    """A cell as text: blank -> ``""``, ``69003.0`` -> ``"69003"``, dates in ISO form, stripped."""
    if _blank(cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (dt.datetime, dt.date)):
        return cell.isoformat()
    return str(cell).strip()


_YEAR_PATTERNS = (re.compile(r"^(\d{4})(?:\.0+)?$"), re.compile(r"^(\d{4})-\d{1,2}-\d{1,2}"),
                  re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{4})"), re.compile(r"^\d{1,2}[/.-](\d{4})$"))


def _year(cell) -> int | None:
    if isinstance(cell, (dt.datetime, dt.date)):
        return cell.year
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell == cell:
        year = int(cell)
        return year if 1900 <= year <= 2100 and year == cell else None
    text = cell_text(cell)
    for pattern in _YEAR_PATTERNS:
        match = pattern.match(text)
        if match and 1900 <= int(match.group(1)) <= 2100:
            return int(match.group(1))
    short = re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{2})(?:\s|$)", text)  # 01/03/25
    if short:
        year = 2000 + int(short.group(1))
        return year if year <= dt.date.today().year + 1 else year - 100
    return None


# -- placement --------------------------------------------------------------------------------
class PlacedRow(NamedTuple):
    """One row of a :class:`Table` and where it goes.

    ``given`` (the location fields as text, by role) and ``result`` (a
    :class:`geo.resolver.Resolution`) are ``None`` for a blank row.
    """

    row: int
    cells: list
    given: dict | None
    result: object | None


def place_rows(table: Table, g=None) -> Iterator[PlacedRow]:
    """Resolve the place of every row of a table with :func:`geo.resolver.resolve_fields`.

    One resolution per distinct location (the same object for rows that give
    the same fields).

    Parameters
    ----------
    table : Table
        From :func:`read_table`; its rows are consumed.
    g : Gazetteer, optional
        Unused (kept for callers that pass the gazetteer); the committed
        territory's resolver is used.

    Yields
    ------
    PlacedRow
        In file order, blank rows included (``given`` None).
    """
    places = resolver()
    columns = table.columns
    location = [role for role in LOCATION_ROLES if role in columns]
    cache: dict[tuple, object] = {}
    for number, cells in table.records:
        if all(_blank(c) for c in cells):
            yield PlacedRow(number, cells, None, None)
            continue
        given = {role: cell_text(cells[columns[role]]) if columns[role] < len(cells) else ""
                 for role in location}
        key = tuple(given.get(role, "") for role in LOCATION_ROLES)
        result = cache.get(key)
        if result is None:
            result = cache[key] = places.resolve_fields(code_insee=key[0] or None, postal_code=key[1] or None,
                                                        name=key[2] or None)
        yield PlacedRow(number, cells, given, result)


#: How each placement method reads in the French report.
METHOD_LABELS = {"code_insee": "code INSEE", "postal_code+name": "code postal et commune",
                 "postal_code": "code postal seul", "name": "nom de commune seul"}
#: The import's placement method of each resolver reason (``by_method`` in the summary).
_METHODS = {
    "places.insee_code": "code_insee", "places.lyon_without_arrondissement": "code_insee",
    "places.code_and_name": "postal_code+name", "places.code_and_close_name": "postal_code+name",
    "places.postal_code": "postal_code", "places.postal_code_shared": "postal_code",
    "places.insee_or_postal": "postal_code",
}


def _placement(resolution, key: tuple, g, notes: dict) -> LookupResult:
    """The import's placement of a resolved row: its unit, or the most populous candidate when ambiguous.

    The French note of a row comes from :meth:`geo.lookup.Gazetteer.match`
    (the wording of the import's reports), computed once per location.
    """
    if key not in notes:
        match = g.match(code_insee=key[0] or None, postal_code=key[1] or None, name=key[2] or None)
        notes[key] = (match.placed, match.note)
    matched, note = notes[key]
    if resolution.status != "not_found" and not matched:
        note = ""  # the gazetteer's "not found" wording does not describe a place the resolver found
    method = _METHODS.get(resolution.reason, "name")
    if resolution.reason == "places.former_commune" and key[0]:
        method = "code_insee"
    if resolution.resolved:
        return LookupResult([resolution.code], method, False, note)
    if resolution.ambiguous:
        units = sorted(resolution.codes, key=lambda c: (-int(g.unit(c)["population"]), c))
        return LookupResult(units, method, True, note)
    return LookupResult([], None, False, note or "commune introuvable")


def _reason_only(note: str) -> str:
    """A placement note without its detail in parentheses (which quotes the row's cells)."""
    return (note or "").split(" (")[0]


# -- the import -------------------------------------------------------------------------------
@dataclasses.dataclass
class ImportResult:
    """What :func:`import_patients` found.

    Attributes
    ----------
    counts : DataFrame
        ``code_insee`` (str), ``patients`` (int): one row per unit with patients.
    rejects : DataFrame
        ``row`` and ``reason`` (without the cells it is about): nothing else, since a
        shifted row can carry identifiers in its location columns.
    ambiguous : DataFrame
        Placed lines that fitted several units: ``row``, ``code_insee_retenu``,
        ``candidats`` (space separated), ``note`` (without cell values).
    placements : DataFrame
        One row per placed line: ``row``, ``code_insee``, ``method``,
        ``ambiguous`` and ``annee``/``service`` when the file has them.
    summary : dict
        Counts of lines read, placed, ambiguous, rejected, blank, per method and
        per reject reason; the columns recognised; how the file was read.
    """

    counts: pd.DataFrame
    rejects: pd.DataFrame
    ambiguous: pd.DataFrame
    placements: pd.DataFrame
    summary: dict

    @property
    def by_options(self) -> list[str]:
        """Extra grouping columns the file allows (``annee``, ``service``)."""
        return [c for c in ("annee", "service") if c in self.placements.columns]

    def counts_by(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """Patients per unit, optionally also per ``annee`` and/or ``service``.

        Raises
        ------
        ValueError
            When a grouping column is not in the file.
        """
        by = [by] if isinstance(by, str) else list(by or [])
        missing = [c for c in by if c not in self.by_options]
        if missing:
            raise SecteursError("patients.no_such_grouping", by=missing, options=self.by_options or ["aucun"])
        keys = ["code_insee", *by]
        placed = self.placements.copy()
        if "annee" in by:
            placed["annee"] = placed["annee"].astype("Int64")
        counts = placed.groupby(keys, dropna=False).size().rename("patients").reset_index()
        counts["patients"] = counts["patients"].astype("int64")
        return counts.sort_values(keys, ignore_index=True, na_position="last")

    def report(self, examples: int = 10) -> str:
        """A French text report: totals, methods, reasons, the ambiguous and rejected lines.

        Lines are named by their row number and the location fields given, with
        the commune names of the unit kept and of the candidates: never
        anything else from the row (no patient identifier).
        """
        s = self.summary
        g = gazetteer()

        def named(code) -> str:
            try:
                return f"{g.unit(str(code))['nom']} ({code})"
            except (KeyError, IndexError, TypeError):
                return str(code)

        def rows(numbers) -> str:
            numbers = sorted(int(n) for n in numbers)
            shown = ", ".join(str(n) for n in numbers[:8])
            return f"ligne {shown}" if len(numbers) == 1 else (
                f"lignes {shown}" + (f"… ({len(numbers)} lignes)" if len(numbers) > 8 else ""))

        lines = [
            f"Lignes lues : {s['rows_read']} (en-tête ligne {s['header_row']}, "
            f"{s['blank_rows']} ligne(s) vide(s) ignorée(s))",
            f"Placées : {s['placed']} dont ambiguës : {s['ambiguous']} ; rejetées : {s['rejected']}",
            "Placement par : " + (", ".join(f"{METHOD_LABELS.get(k, k)} {v}" for k, v in s["by_method"].items())
                                  or "aucune ligne"),
        ]
        if s["reject_reasons"]:
            lines.append("Rejets : " + ", ".join(f"{k} {v}" for k, v in s["reject_reasons"].items()))
        if s["ambiguous"]:
            lines.append(f"Règle : {AMBIGUITY_RULE}.")
            # grouped by the choice made, never by the cells (which a shifted row fills with identifiers)
            groups = (self.ambiguous.groupby(["code_insee_retenu", "candidats"], dropna=False)
                      .size().rename("lignes").reset_index().sort_values("lignes", ascending=False))
            for row in groups.head(examples).itertuples(index=False):
                others = [c for c in row.candidats.split() if c != row.code_insee_retenu]
                lines.append(f"  → {named(row.code_insee_retenu)}, parmi aussi "
                             + ", ".join(named(c) for c in others[:5]) + ("…" if len(others) > 5 else "")
                             + f" : {row.lignes} ligne(s)")
            if len(groups) > examples:
                lines.append(f"  … et {len(groups) - examples} autre(s) cas")
        if len(self.rejects):
            fields_of = [c for c in LOCATION_ROLES if c in self.rejects.columns]
            lines.append("Lignes rejetées (non comptées) :")
            groups = (self.rejects.fillna("").groupby(fields_of + ["reason"], dropna=False)["row"]
                      .agg(list).reset_index())
            groups = groups.assign(n=groups["row"].map(len)).sort_values("n", ascending=False)
            for row in groups.head(examples).itertuples(index=False):
                fields = " ".join(str(getattr(row, c)) for c in fields_of if str(getattr(row, c)))
                lines.append(f"  « {fields or '(vide)'} » : {row.reason or 'commune introuvable'} ({rows(row.row)})")
            if len(groups) > examples:
                lines.append(f"  … et {len(groups) - examples} autre(s) cas")
        return "\n".join(lines)


def import_patients(source, filename: str | None = None, *,
                    progress: ProgressCallback | None = None) -> ImportResult:
    """Place every line of a hospital export in a sector unit and count patients.

    Parameters
    ----------
    source : str, path or file-like
        The export (CSV or XLSX); a file-like object (e.g. a Streamlit upload)
        is read in full.
    filename : str, optional
        The file's name when ``source`` is file-like (its suffix tells XLSX
        from CSV; the content is sniffed as well).
    progress : callable, optional
        Called with the number of lines processed every
        :data:`PROGRESS_EVERY` lines and once at the end.

    Returns
    -------
    ImportResult

    Raises
    ------
    PatientFileError
        Empty file, unreadable encoding or workbook, no location column.

    Examples
    --------
    >>> result = import_patients("data/demo/export_hopital_demo.csv")  # doctest: +SKIP
    >>> result.counts.head(2)  # doctest: +SKIP
    """
    table = read_table(source, filename)
    columns = table.columns
    g = gazetteer()
    location = [role for role in LOCATION_ROLES if role in columns]
    has_year = "annee" in columns or "date" in columns
    year_column = columns.get("annee", columns.get("date"))
    service_column = columns.get("service")

    placements: list[tuple] = []
    rejects: list[dict] = []
    ambiguous: list[dict] = []
    methods: Counter = Counter()
    reasons: Counter = Counter()
    read = blank = year_unknown = 0

    def cell(cells, role):
        index = columns.get(role)
        return cells[index] if index is not None and index < len(cells) else None

    notes: dict[tuple, str] = {}
    for number, cells, given, resolution in place_rows(table, g):
        if given is None:
            blank += 1
            continue
        read += 1
        result = _placement(resolution, tuple(given.get(role, "") for role in LOCATION_ROLES), g, notes)
        if result.placed:
            year = None
            if has_year:
                year = _year(cells[year_column]) if year_column < len(cells) else None
                year_unknown += year is None
            service = cell_text(cell(cells, "service")) if service_column is not None else None
            placements.append((number, result.unit, result.method, result.ambiguous, year, service))
            methods[result.method] += 1
            if result.ambiguous:
                ambiguous.append({"row": number, "code_insee_retenu": result.unit,
                                  "candidats": " ".join(result.units), "note": _reason_only(result.note)})
        else:
            # Row number and reason only: a shifted row (an unquoted ';') puts names or phone numbers
            # in the location columns, and the detail of a note quotes those columns.
            rejects.append({"row": number, "reason": _reason_only(result.note)})
            reasons[_reason_only(result.note)] += 1
        if progress and read % PROGRESS_EVERY == 0:
            progress(read)
    if progress:
        progress(read)

    placed = pd.DataFrame(placements, columns=["row", "code_insee", "method", "ambiguous", "annee", "service"])
    if has_year:
        placed["annee"] = placed["annee"].astype("Int64")
    else:
        placed = placed.drop(columns="annee")
    if service_column is None:
        placed = placed.drop(columns="service")
    rejects_frame = pd.DataFrame(rejects, columns=["row", "reason"])
    ambiguous_frame = pd.DataFrame(ambiguous, columns=["row", "code_insee_retenu", "candidats", "note"])
    summary = {
        "rows_read": read,
        "placed": len(placed),
        "ambiguous": len(ambiguous_frame),
        "rejected": len(rejects_frame),
        "blank_rows": blank,
        "by_method": {m: methods[m] for m in ("code_insee", "postal_code+name", "postal_code", "name") if methods[m]},
        "reject_reasons": dict(reasons.most_common()),
        "patients": len(placed),
        "units": int(placed["code_insee"].nunique()),
        "header_row": table.header_row,
        "columns": {role: cell_text(table.header[index]) for role, index in sorted(columns.items(), key=lambda x: x[1])},
        "year_unknown": year_unknown if has_year else None,
        "ambiguity_rule": AMBIGUITY_RULE,
        **table.info,
    }
    result = ImportResult(pd.DataFrame(), rejects_frame, ambiguous_frame, placed, summary)
    result.counts = result.counts_by()
    return result


# -- counts files -----------------------------------------------------------------------------
def write_counts(counts: pd.DataFrame, path, comments: list[str] | None = None) -> Path:
    """Write a counts file: optional ``# comment`` lines, then ``code_insee,patients[,...]``.

    Parameters
    ----------
    counts : DataFrame
        Must have ``code_insee`` and ``patients``; other columns (``annee``,
        ``service``) are written between them.
    path : str or path
    comments : list of str, optional
        Lines written first, each prefixed with ``# ``.
    """
    missing = {"code_insee", "patients"} - set(counts.columns)
    if missing:
        raise SecteursError("patients.counts_columns", missing=sorted(missing))
    frame = counts.copy()
    frame["code_insee"] = [normalize_insee_code(c) or str(c) for c in frame["code_insee"]]
    frame["patients"] = frame["patients"].astype("int64")
    if "annee" in frame.columns:
        frame["annee"] = frame["annee"].astype("Int64")
    order = ["code_insee", *[c for c in frame.columns if c not in ("code_insee", "patients")], "patients"]
    # a service name of the hospital export starting with "=" must not run as a formula in a spreadsheet
    text = "".join(f"# {line}\n" for line in comments or []) + safe_frame(frame[order]).to_csv(index=False,
                                                                                               lineterminator="\n")
    return write_text(path, text)


def source_bytes(source, filename: str | None = None) -> tuple[bytes, str]:
    """The bytes and the file name of a path, of bytes, or of an uploaded file (``getvalue()``, ``name``)."""
    return _open(source, filename)


def read_counts(source, filename: str | None = None) -> pd.DataFrame:
    """Read a counts file into ``code_insee`` (str), ``patients`` (int64), one row per unit.

    Lines starting with ``#`` are comments. Extra columns (``annee``,
    ``service``) are summed over. Codes that lost their leading zero are
    restored. ``source`` is a path, bytes or an uploaded file (then
    ``filename`` names it in messages).

    Raises
    ------
    ValueError
        Missing columns, or codes that are not sector units / counts that are
        not non-negative integers; the message names them with their lines.
    """
    data, name = source_bytes(source, filename)
    file = display_name(name or "effectifs.csv")
    text, _ = _decode(data, file)
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise PatientFileError("patients.counts_empty", file=file)
    header_line = lines[0][1]
    delimiter = max((";", ",", "\t"), key=header_line.count)
    try:
        rows = [cells for _, cells in csv_rows([line for _, line in lines], file, delimiter=delimiter)]
    except FileReadError as exc:
        raise PatientFileError(exc.code, **exc.params) from None
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("code_insee", "patients") if c not in header]
    if missing:
        raise PatientFileError("patients.counts_missing_columns", file=file, missing=missing, row=lines[0][0])
    i_code, i_patients = header.index("code_insee"), header.index("patients")
    g = gazetteer()
    codes, patients, bad = [], [], []
    for (number, _), cells in zip(lines[1:], rows[1:]):
        raw_code = cells[i_code].strip() if i_code < len(cells) else ""
        raw_count = cells[i_patients].strip() if i_patients < len(cells) else ""
        code = normalize_insee_code(raw_code)
        if code not in g:
            line = {"row": number, "what": "code", "value": raw_code[:40]}
            if code == "69123":
                line["hint"] = "lyon"
            elif code and g.by_code(code):
                line.update(hint="former", now=", ".join(g.by_code(code)))
            bad.append(line)
            continue
        try:
            count = float(raw_count)
            if not 0 <= count <= MAX_COUNT or not count.is_integer():
                raise ValueError
        except ValueError:
            bad.append({"row": number, "what": "patients", "value": raw_count[:40]})
            continue
        codes.append(code)
        patients.append(int(count))
    if bad:
        raise PatientFileError("patients.counts_bad_lines", file=file, count=len(bad), lines=bad[:10])
    frame = pd.DataFrame({"code_insee": pd.Series(codes, dtype=str),
                          "patients": pd.Series(patients, dtype="int64")})
    frame = frame.groupby("code_insee", as_index=False)["patients"].sum()
    frame["patients"] = frame["patients"].astype("int64")
    return frame.sort_values("code_insee", ignore_index=True)
