"""The team workspace: what the team set last, shared by every page and every command.

Kept in the SQLite database (one file for the team):

- the **current team**: names, FTE, groups, base communes (:func:`current_team`, :func:`set_team`);
- the **current patient counts**, imported once from the hospital export:
  counts per unit only, with the source file's name, the import date and the
  period the file covers (:func:`import_counts`, :func:`current_counts`,
  :func:`counts_info`). Nothing identifying is kept: no line, name, date of
  birth, address, not even the import report's examples;
- the **current plan version** (:func:`current_plan`, :func:`save_version`,
  :func:`set_current`); versions themselves live in :mod:`geo.sectors.store`
  and carry their team, tolerance and a snapshot of the counts.

Pages and commands start from the workspace; files stay possible inputs
(``--plan``, ``--patients``, an upload) and outputs.

Examples
--------
>>> conn = open_database(":memory:")                          # doctest: +SKIP
>>> import_counts(conn, "export_2025.xlsx")                   # doctest: +SKIP
>>> set_team(conn, read_team("workers.csv"))                  # doctest: +SKIP
>>> save_version(conn, "Plan 2026", plan)                     # doctest: +SKIP
>>> current_plan(conn).groups                                 # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pandas as pd

from geo.access import require_acting
from geo.database import transaction
from geo.errors import SecteursError
from geo.sectors import store
from geo.sectors.record import PlanRecord
from geo.sectors.team import Team
from services import audit

SCHEMA = """
CREATE TABLE IF NOT EXISTS workspace_team (
    position INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    fte REAL NOT NULL CHECK (fte > 0),
    groupe TEXT,
    base TEXT
);
CREATE TABLE IF NOT EXISTS workspace_counts (
    code_insee TEXT PRIMARY KEY,
    patients INTEGER NOT NULL CHECK (patients >= 0)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workspace_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the workspace tables and the audit trail's (idempotent)."""
    conn.executescript(SCHEMA + audit.SCHEMA)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _get(conn, key: str):
    ensure_schema(conn)
    row = conn.execute("SELECT value FROM workspace_state WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def _put(c, key: str, value) -> None:
    c.execute("INSERT INTO workspace_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
              "excluded.value", (key, json.dumps(value, ensure_ascii=False)))


# -- the team -----------------------------------------------------------------------------------------
def current_team(conn: sqlite3.Connection) -> Team | None:
    """The team set last (``None`` before any)."""
    ensure_schema(conn)
    rows = conn.execute("SELECT name, fte, groupe, base FROM workspace_team ORDER BY position").fetchall()
    if not rows:
        return None
    groups = tuple(r[2] or "" for r in rows)
    bases = tuple(r[3] or None for r in rows)
    return Team(tuple(r[0] for r in rows), tuple(float(r[1]) for r in rows),
                groups if all(groups) else None, bases if any(bases) else None)


def set_team(conn: sqlite3.Connection, team: Team) -> None:
    """Replace the current team."""
    require_acting("plans.save")
    ensure_schema(conn)
    groups = team.groups or (None,) * len(team)
    bases = team.bases or (None,) * len(team)
    before = current_team(conn)

    def work(c):
        audit.record(c, "team.set", before=_team_summary(before), after=_team_summary(team))
        c.execute("DELETE FROM workspace_team")
        c.executemany("INSERT INTO workspace_team (position, name, fte, groupe, base) VALUES (?, ?, ?, ?, ?)",
                      [(i, n, float(f), g, b) for i, (n, f, g, b) in
                       enumerate(zip(team.names, team.fte, groups, bases))])
        _put(c, "team", {"set_at": _now()})

    transaction(conn, work)


def _team_summary(team: Team | None) -> dict | None:
    """What the audit trail keeps of a team: names, FTE, groups, base communes."""
    if team is None:
        return None
    return {"noms": list(team.names), "etp": [float(f) for f in team.fte],
            "groupes": list(team.groups) if team.groups else None,
            "bases": list(team.bases) if team.bases else None}


def _counts_summary(info: CountsInfo | None) -> dict | None:
    """What the audit trail keeps of counts: their source and totals (no count per commune)."""
    if info is None:
        return None
    return {"fichier": info.filename, "periode": info.period, "patients": info.patients,
            "communes": info.units, "rejetees": info.rejected, "demo": info.demo}


# -- the counts ---------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class CountsInfo:
    """Where the current counts come from.

    Attributes
    ----------
    filename : str
        The imported file's name (the file itself is not kept).
    imported_at : str
        ISO date and time (UTC).
    period : str
        The years the file covers ("2024–2025"), "" when it has no year column.
    patients, units : int
        Patients placed, units with patients.
    rejected : int
        Lines that could not be placed.
    demo : bool
        The file said, in its leading ``#`` comments, that it is FICTITIOUS (the demo export does).
    """

    filename: str
    imported_at: str
    period: str = ""
    patients: int = 0
    units: int = 0
    rejected: int = 0
    demo: bool = False

    @property
    def label(self) -> str:
        """``"export.xlsx (1 350 patients, 2025, importé le 30/11/2026)"``."""
        number = f"{self.patients:,}".replace(",", "\u202f")
        date = self.imported_at[:10]
        day = f"{date[8:10]}/{date[5:7]}/{date[0:4]}" if len(date) == 10 else date
        parts = ([f"{number} patients"] + ([self.period] if self.period else []) + [f"importé le {day}"]
                 + (["démo fictive"] if self.demo else []))
        return f"{self.filename} ({', '.join(parts)})"


def current_counts(conn: sqlite3.Connection) -> pd.DataFrame | None:
    """The current counts ``code_insee, patients`` (units with patients), or ``None`` before any import."""
    if counts_info(conn) is None:
        return None
    frame = pd.read_sql_query("SELECT code_insee, patients FROM workspace_counts ORDER BY code_insee", conn)
    frame["code_insee"] = frame["code_insee"].astype(str)
    frame["patients"] = frame["patients"].astype("int64")
    return frame


def counts_info(conn: sqlite3.Connection) -> CountsInfo | None:
    """Where the current counts come from (``None`` before any import)."""
    data = _get(conn, "counts")
    return CountsInfo(**data) if data else None


def set_counts(conn: sqlite3.Connection, counts: pd.DataFrame, filename: str, *, period: str = "",
               rejected: int = 0, demo: bool = False) -> CountsInfo:
    """Replace the current counts by ``counts`` (``code_insee, patients``; only these two columns are kept)."""
    require_acting("patients.import")

    from geo.lookup import gazetteer

    ensure_schema(conn)
    per = counts.groupby(counts["code_insee"].astype(str))["patients"].sum()
    g = gazetteer()
    unknown = [c for c in per.index if c not in g]
    if unknown:
        raise SecteursError("workspace.bad_counts", reason=f"codes hors territoire {', '.join(unknown[:5])}")
    if (per < 0).any():
        raise SecteursError("workspace.bad_counts", reason="effectif négatif")
    per = per[per > 0].astype("int64")
    info = CountsInfo(filename=Path(str(filename)).name, imported_at=_now(), period=period,
                      patients=int(per.sum()), units=int(len(per)), rejected=int(rejected), demo=bool(demo))
    before = counts_info(conn)

    def work(c):
        audit.record(c, "counts.import", target=info.filename, before=_counts_summary(before),
                     after=_counts_summary(info))
        c.execute("DELETE FROM workspace_counts")
        c.executemany("INSERT INTO workspace_counts (code_insee, patients) VALUES (?, ?)",
                      [(code, int(n)) for code, n in per.items()])
        _put(c, "counts", dataclasses.asdict(info))

    transaction(conn, work)
    return info


def import_counts(conn: sqlite3.Connection, source, filename: str | None = None, *, progress=None):
    """Import a hospital export into the workspace: counts per unit replace the current ones.

    Parameters
    ----------
    source : str, path, bytes or uploaded file
        The export (CSV or XLSX), read by :func:`geo.patients.import_patients`.
    filename : str, optional
        The file's name when ``source`` is bytes or an upload.
    progress : callable, optional
        Called with the number of lines read.

    Returns
    -------
    (geo.patients.ImportResult, CountsInfo)
        The import (its report is shown, never stored) and what was stored.

    Raises
    ------
    geo.patients.PatientFileError
        Unreadable file, no location column.
    SecteursError
        ``workspace.nothing_placed``: no line could be placed (counts unchanged).
    """
    import io

    from geo.patients import import_patients, source_bytes

    data, name = source_bytes(source, filename)
    name = Path(name or "export").name
    result = import_patients(io.BytesIO(data), name, progress=progress)
    return result, store_import(conn, result, name, demo=says_fictitious(data))


def store_import(conn: sqlite3.Connection, result, filename: str, *, demo: bool = False) -> CountsInfo:
    """Store the counts of an import already run (:func:`geo.patients.import_patients`) as the current ones.

    Raises
    ------
    SecteursError
        ``workspace.nothing_placed``: no line could be placed (counts unchanged).
    """
    if not len(result.counts):
        raise SecteursError("workspace.nothing_placed", file=Path(filename).name)
    period = ""
    if "annee" in result.placements.columns:
        years = pd.to_numeric(result.placements["annee"], errors="coerce").dropna().astype(int)
        if len(years):
            low, high = int(years.min()), int(years.max())
            period = str(low) if low == high else f"{low}–{high}"
    return set_counts(conn, result.counts[["code_insee", "patients"]], filename, period=period,
                      rejected=int(result.summary.get("rejected", 0)), demo=demo)


def says_fictitious(data: bytes) -> bool:
    """Whether a file's leading ``#`` comment lines say it is fictitious (the demo files do)."""
    import re

    text = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in text.splitlines():
        if not line.startswith("#"):
            return False
        if re.search(r"fictiv|fictif", line, re.IGNORECASE):
            return True
    return False


def clear_counts(conn: sqlite3.Connection) -> None:
    """Forget the current counts (pages fall back to the fictitious demo counts)."""
    require_acting("patients.import")
    ensure_schema(conn)
    before = counts_info(conn)

    def work(c):
        audit.record(c, "counts.clear", before=_counts_summary(before))
        c.execute("DELETE FROM workspace_counts")
        c.execute("DELETE FROM workspace_state WHERE key = 'counts'")

    transaction(conn, work)


# -- the plan -----------------------------------------------------------------------------------------
def save_version(conn: sqlite3.Connection, name: str, plan, *, team: Team | None = None, note: str = "",
                 tolerance: float | None = None, counts_label: str | None = None, demo: bool = False,
                 make_current: bool = True) -> int:
    """Save ``plan`` as the next version of ``name`` with its team and counts, and make it current.

    Parameters
    ----------
    plan : Plan, PlanRecord or DataFrame
        A table needs the workspace counts for its snapshot (taken when present).
    team : Team, optional
        Default: the plan record's team, else the workspace team when its
        names are the plan's sectors (or referents).
    counts_label : str, optional
        Default: the workspace counts' label (else "démo fictive" with ``demo``: the demo sample).

    Returns
    -------
    int
        The new version number.
    """
    require_acting("plans.save")

    from geo.sectors.record import plan_frame

    frame = plan_frame(plan)
    if team is None and isinstance(plan, PlanRecord):
        team = plan.team
    if team is None:
        candidate = current_team(conn)
        if candidate is not None and set(frame["sector"]) <= set(candidate.names):
            team = candidate
    info = counts_info(conn)
    if counts_label is None:
        counts_label = info.label if info else ("démo fictive" if demo else "")
    counts = None
    if "patients" not in frame.columns or frame["patients"].isna().all():
        counts = current_counts(conn)
    version = store.save_plan(conn, name, plan, counts=counts, note=note, team=team, tolerance=tolerance,
                              counts_label=counts_label, demo=demo)
    audit.record(conn, "plan.save", target=str(name),
                 after={"version": int(version), "secteurs": sorted(set(map(str, frame["sector"]))),
                        "communes": int(len(frame)), "effectifs": counts_label, "note": note})
    if make_current:
        set_current(conn, name, version)
    return version


def set_current(conn: sqlite3.Connection, name: str, version: int | None = None) -> None:
    """Make a saved version the current plan (the latest version of ``name`` by default)."""
    require_acting("plans.publish")
    record = store.load_record(conn, name, version)  # raises plans.no_such_* when absent
    before = _get(conn, "plan")
    after = {"name": record.name, "version": record.version}

    def work(c):
        audit.record(c, "plan.current", target=record.name, before=before, after=after)
        _put(c, "plan", after)

    transaction(conn, work)


def current_plan(conn: sqlite3.Connection) -> PlanRecord | None:
    """The current plan version as a record (team, tolerance, counts snapshot); ``None`` when none is saved.

    The version made current last; when none was (or it was deleted), the
    most recently saved version. A version saved without a team gets the
    workspace team when its names are the plan's sectors.
    """
    ensure_schema(conn)
    store.ensure_schema(conn)
    chosen = _get(conn, "plan")
    record = None
    if chosen:
        try:
            record = store.load_record(conn, chosen["name"], chosen["version"])
        except SecteursError:
            record = None
    if record is None:
        row = conn.execute("SELECT name, version FROM sector_plans ORDER BY created_at DESC, id DESC LIMIT 1"
                           ).fetchone()
        if row is None:
            return None
        record = store.load_record(conn, row[0], row[1])
    if record.team is None:
        team = current_team(conn)
        if team is not None and set(record.sectors) <= set(team.names):
            record = record.replace(team=team)
    return record


def revision(conn: sqlite3.Connection) -> tuple:
    """A cheap token that changes whenever the counts, the team, the current plan or the saved versions do.

    Pages cache what they read from the workspace under this key.
    """
    ensure_schema(conn)
    store.ensure_schema(conn)
    state = tuple(conn.execute("SELECT key, value FROM workspace_state ORDER BY key").fetchall())
    plans = conn.execute("SELECT COALESCE(MAX(id), 0), COUNT(*) FROM sector_plans").fetchone()
    return tuple(tuple(r) for r in state) + (tuple(plans),)


def require_plan(conn: sqlite3.Connection) -> PlanRecord:
    """:func:`current_plan`, or ``workspace.no_plan``."""
    record = current_plan(conn)
    if record is None:
        raise SecteursError("workspace.no_plan")
    return record


def require_counts(conn: sqlite3.Connection) -> tuple[pd.DataFrame, CountsInfo]:
    """The current counts and their info, or ``workspace.no_counts``."""
    counts, info = current_counts(conn), counts_info(conn)
    if counts is None or info is None:
        raise SecteursError("workspace.no_counts")
    return counts, info
