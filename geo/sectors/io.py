"""Files of the sector engine: the one reader and the one writer of plans, counts and workers.

Every reader takes a path, bytes (with a file name) or an uploaded file
(``getvalue()`` and ``name``), so pages hand uploads over without temporary
files.

Plans
-----
:func:`read_plan_record` reads what :mod:`geo.sectors.export` writes and what
people keep: CSV (``,`` ``;`` or tab; UTF-8 with or without BOM, or
Windows-1252; ``#`` comment lines), XLSX (first sheet), GeoPackage (layer
``communes``) or GeoJSON. Headers are recognised in French or English, any
case and accents: ``code INSEE``/``code_insee``, ``secteur``/``sector``,
``référent``/``referent``, ``groupe``/``group``, ``patients``. Other columns
(commune, département...) are ignored. :func:`write_plan` writes a plan by
the file's suffix (CSV ``code_insee,sector`` read back by ``secteurs plan``,
or the people's XLSX/GeoPackage/GeoJSON of :mod:`geo.sectors.export`).
"""
from __future__ import annotations

import io
import math
import unicodedata
import warnings
from pathlib import Path

import pandas as pd

from geo.errors import SecteursError
from geo.reading import (FileReadError, check_workbook, csv_rows, display_name, text_lines, workbook_errors,
                         write_bytes)
from geo.sectors.problem import SectorError
from geo.sectors.record import PlanRecord, plan_frame
from geo.sectors.team import Team, team_from_frame

#: Accepted headers (lower case, accents removed, ``_`` as space) of each plan column.
PLAN_HEADERS = {
    "code_insee": ("code insee", "insee", "code commune", "codgeo", "code_insee", "com"),
    "sector": ("sector", "secteur"),
    "referent": ("referent", "referente", "referent(e)", "referent e", "referent·e", "assistante sociale",
                 "assistant social", "as", "nom"),
    "groupe": ("groupe", "group", "equipe", "team"),
    "patients": ("patients", "effectif", "effectifs", "nombre de patients"),
}
#: Largest FTE of one worker (a full-time post is 1; a few posts merged stay far below).
MAX_FTE = 10
#: Suffixes read as a workbook / as geographic layers.
XLSX_SUFFIXES = (".xlsx", ".xlsm")
GEO_SUFFIXES = (".gpkg", ".geojson", ".json")
#: Layer of a GeoPackage holding one feature per unit (see :mod:`geo.sectors.export`).
UNITS_LAYER = "communes"


def _bytes(source, filename: str | None) -> tuple[bytes, str]:
    from geo.patients import source_bytes

    return source_bytes(source, filename)


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(text.strip().lower().replace("_", " ").split())


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _csv_frame(data: bytes, name: str = "") -> pd.DataFrame:
    if b"\0" in data[:4096]:
        raise FileReadError("files.not_text", file=display_name(name))
    lines = [line for line in text_lines(_text(data)) if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return pd.DataFrame()
    sep = max((";", ",", "\t"), key=lines[0].count)
    rows = [cells for _, cells in csv_rows(lines, name, delimiter=sep)]
    header = [str(h).strip() for h in rows[0]]
    width = len(header)
    body = [(cells + [""] * width)[:width] for cells in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=str)


def _workbook(data: bytes, name: str, **options) -> pd.DataFrame:
    check_workbook(data, name)
    with workbook_errors(name):
        return pd.read_excel(io.BytesIO(data), dtype=str, **options)


def _table(data: bytes, name: str) -> pd.DataFrame:
    suffix = Path(name).suffix.lower()
    if suffix in XLSX_SUFFIXES or data.startswith(b"PK\x03\x04"):
        return _workbook(data, name, keep_default_na=False)
    if suffix in GEO_SUFFIXES or data.startswith(b"SQLite format 3"):
        import geopandas as gpd

        layer = UNITS_LAYER if suffix == ".gpkg" or data.startswith(b"SQLite format 3") else None
        with warnings.catch_warnings():  # GDAL notes that its in-memory copy has no .gpkg extension
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(io.BytesIO(data), layer=layer) if layer else gpd.read_file(io.BytesIO(data))
        return pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object).fillna("").astype(str)
    return _csv_frame(data, name)


def _plan_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Plan role -> the file's column (first match; ``nom`` is a referent only beside a sector column)."""
    found: dict[str, str] = {}
    for column in frame.columns:
        key = _key(column)
        for role, aliases in PLAN_HEADERS.items():
            if role not in found and (key in aliases or key.replace(" ", "_") in aliases):
                found[role] = column
                break
    # "nom" names the referent in hand-kept plans, but the commune in a territory export
    keys = {_key(c) for c in frame.columns}
    if "referent" in found and _key(found["referent"]) == "nom" and keys & {"departement", "epci nom", "commune"}:
        del found["referent"]
    return found


def read_plan_record(source, filename: str | None = None, *, team: Team | None = None) -> PlanRecord:
    """Read a plan file (CSV, XLSX, GeoPackage or GeoJSON) into a :class:`PlanRecord`.

    Parameters
    ----------
    source : str, path, bytes or uploaded file
    filename : str, optional
        The file's name when ``source`` is bytes or an upload (its suffix picks the format).
    team : Team, optional
        The workers holding the sectors (gives groups when the file has none).

    Raises
    ------
    SectorError
        ``plans.empty_file``, ``plans.unreadable``, ``plans.missing_columns``,
        ``plans.unit_in_two_sectors``, ``plans.bad_patients``.
    """
    data, name = _bytes(source, filename)
    name = name or "plan.csv"
    if not data.strip():
        raise SectorError("plans.empty_file", file=Path(name).name)
    try:
        raw = _table(data, name)
    except SecteursError:
        raise
    except Exception as exc:  # GDAL, XML, parser errors: all mean "not a readable plan"
        raise SectorError("plans.unreadable", file=Path(name).name, reason=type(exc).__name__) from None
    if raw.empty:  # a header and no row: nothing to plan, and saving it would erase the sectors
        raise SectorError("plans.empty_file", file=Path(name).name)
    columns = _plan_columns(raw)
    missing = [c for c in ("code_insee", "sector") if c not in columns]
    if missing:
        raise SectorError("plans.missing_columns", file=Path(name).name, missing=missing,
                          found=[str(c) for c in raw.columns])
    frame = pd.DataFrame({role: raw[column].to_numpy() for role, column in columns.items()})
    try:
        frame = plan_frame(frame)
    except SecteursError as exc:  # the same error, naming the file
        if exc.code is None:
            raise
        raise SectorError(exc.code, file=Path(name).name, **exc.params) from None
    return PlanRecord(frame, team=team, label=f"fichier {Path(name).name}")


def read_plan(source, filename: str | None = None) -> pd.DataFrame:
    """A plan file's ``code_insee, sector`` (see :func:`read_plan_record`)."""
    return read_plan_record(source, filename).assignment.copy()


def write_plan(plan, path, units=None) -> Path:
    """Write a plan by the file's suffix.

    ``.csv``: ``code_insee,sector`` (every unit once, code order; read back
    by ``secteurs plan`` and every reader); ``.xlsx``, ``.gpkg``,
    ``.geojson``: the people's exports of :mod:`geo.sectors.export` (these
    need ``units``, the territory; default: the committed one).
    """
    from geo.sectors import export

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES + GEO_SUFFIXES:
        if units is None:
            from geo.territory import load_units

            units = load_units()
        writer = {".gpkg": export.people_geopackage, ".geojson": export.people_geojson,
                  ".json": export.people_geojson}.get(suffix, export.people_xlsx)
        write_bytes(path, writer(plan, units))
    else:
        write_bytes(path, export.plan_csv(plan))
    return path


# -- counts and workers -----------------------------------------------------------------------------
def read_counts(source, filename: str | None = None) -> pd.DataFrame:
    """Patient counts ``code_insee, patients`` (delegates to :func:`geo.patients.read_counts`)."""
    from geo.patients import read_counts as _read

    return _read(source, filename)


def read_team(source, filename: str | None = None) -> Team:
    """Read workers.csv (``,`` or ``;``; UTF-8 or Windows-1252; ``#`` comments) or an XLSX table of workers.

    Columns: ``nom``/``name``, ``etp``/``fte``, optional ``groupe`` and
    ``base`` (see :func:`geo.sectors.team.team_from_frame`).
    """
    data, name = _bytes(source, filename)
    if Path(name).suffix.lower() in XLSX_SUFFIXES or data.startswith(b"PK\x03\x04"):
        frame = _workbook(data, name)
    else:
        frame = _csv_frame(data, name)
    if frame.empty and not len(frame.columns):
        raise SectorError("plans.no_workers", file=Path(name or "workers.csv").name)
    team = team_from_frame(frame.replace("", None))
    # FTE is a share of a full-time post: "1e400" or 10**400 is a broken file, not a worker.
    bad = [name for name, fte in zip(team.names, team.fte) if not (math.isfinite(fte) and fte <= MAX_FTE)]
    if bad:
        raise SectorError("plans.bad_fte", file=Path(name or "workers.csv").name, workers=bad[:10], limit=MAX_FTE)
    return team
