"""Sector plans saved by name with versions in the SQLite file; comparing two versions.

Tables (created by :func:`ensure_schema`, which ``services.storage`` lists
among the schemas of the database): ``sector_plans`` (one row per name and
version: the metrics, the team as JSON, the tolerance and which counts it was
made on) and ``sector_plan_units`` (the assignment, with the patient counts it
was saved with). A version keeps its team: loading it back
(:func:`load_record`) gives the referents' groups, FTE and bases.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

import numpy as np
import pandas as pd

from geo.access import require_acting
from geo.database import columns, transaction
from geo.sectors.problem import SectorError
from geo.sectors.record import PlanRecord
from geo.sectors.team import Team

SCHEMA = """
CREATE TABLE IF NOT EXISTS sector_plans (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    metrics TEXT,
    team TEXT,
    tolerance REAL,
    counts_label TEXT NOT NULL DEFAULT '',
    demo INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, version)
);
CREATE TABLE IF NOT EXISTS sector_plan_units (
    plan_id INTEGER NOT NULL REFERENCES sector_plans(id) ON DELETE CASCADE,
    code_insee TEXT NOT NULL,
    sector TEXT NOT NULL,
    patients INTEGER,
    PRIMARY KEY (plan_id, code_insee)
);
"""
#: Columns added to ``sector_plans`` since its first version (older files get them on opening).
_ADDED_COLUMNS = (("team", "TEXT"), ("tolerance", "REAL"), ("counts_label", "TEXT NOT NULL DEFAULT ''"),
                  ("demo", "INTEGER NOT NULL DEFAULT 0"))


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the plan tables, and add the newer columns to an older file."""
    conn.executescript(SCHEMA)
    present = columns(conn, "sector_plans")
    for column, kind in _ADDED_COLUMNS:
        if column not in present:
            conn.execute(f"ALTER TABLE sector_plans ADD COLUMN {column} {kind}")


_ensure = ensure_schema


def team_to_json(team: Team | None) -> str | None:
    """A team as JSON (names, FTE, groups, bases)."""
    if team is None:
        return None
    return json.dumps({"names": list(team.names), "fte": [float(f) for f in team.fte],
                       "groups": list(team.groups) if team.groups is not None else None,
                       "bases": list(team.bases) if team.bases is not None else None}, ensure_ascii=False)


def team_from_json(text: str | None) -> Team | None:
    """The team saved by :func:`team_to_json` (``None`` for none)."""
    if not text:
        return None
    data = json.loads(text)
    return Team(tuple(data["names"]), tuple(float(f) for f in data["fte"]),
                tuple(data["groups"]) if data.get("groups") is not None else None,
                tuple(data["bases"]) if data.get("bases") is not None else None)


def save_plan(conn: sqlite3.Connection, name: str, plan, *, counts=None, metrics: dict | None = None,
              note: str = "", team: Team | None = None, tolerance: float | None = None,
              counts_label: str = "", demo: bool = False) -> int:
    """Save ``plan`` as the next version of ``name``, with its team, tolerance and counts.

    Parameters
    ----------
    plan : Plan, PlanRecord or DataFrame
        A Plan brings its own patient counts, tolerance and metrics; a
        record its team and counts; a table ``code_insee, sector`` takes
        ``counts``.
    counts : DataFrame, optional
        ``code_insee, patients`` snapshot (when ``plan`` has none).
    team : Team, optional
        Who holds the sectors (groups, FTE, bases); kept with the version.
    tolerance : float, optional
        Balance tolerance (a Plan's own by default).
    counts_label : str
        Which counts the plan was made on (file name, date).
    demo : bool
        Made on FICTITIOUS demo patients.

    Returns
    -------
    int
        The new version number (1, 2, ...).
    """
    require_acting("plans.save")

    from geo.sectors.plan import Plan

    name = str(name).strip()
    if not name:
        raise SectorError("plans.no_name")
    if isinstance(plan, Plan):
        frame = plan.to_frame()
        frame["patients"] = plan.context.patients.astype(int)
        metrics = plan.metrics() if metrics is None else metrics
        tolerance = plan.tolerance if tolerance is None else tolerance
    elif isinstance(plan, PlanRecord):
        frame = plan.frame[["code_insee", "sector"]].copy()
        snapshot = plan.counts() if counts is None else counts
        team = plan.team if team is None else team
        tolerance = plan.tolerance if tolerance is None else tolerance
        metrics = plan.metrics if metrics is None else metrics
        counts_label = counts_label or plan.counts_label
        demo = demo or plan.demo
        frame["patients"] = None
        if snapshot is not None:
            per = snapshot.groupby(snapshot["code_insee"].astype(str))["patients"].sum()
            frame["patients"] = frame["code_insee"].map(per).fillna(0).astype(int)
    else:
        frame = plan[["code_insee", "sector"]].copy()
        frame["code_insee"] = frame["code_insee"].astype(str)
        frame["patients"] = None
        if counts is not None:
            per = counts.groupby(counts["code_insee"].astype(str))["patients"].sum()
            frame["patients"] = frame["code_insee"].map(per).fillna(0).astype(int)
    dup = frame["code_insee"].duplicated()
    if dup.any():
        raise SectorError("plans.unit_in_two_sectors", count=int(dup.sum()),
                          codes=frame.loc[dup, "code_insee"].head(10).tolist())
    _ensure(conn)
    rows = [(str(c), str(s), None if p is None or pd.isna(p) else int(p))
            for c, s, p in frame[["code_insee", "sector", "patients"]].itertuples(index=False)]

    def work(c):
        version = c.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM sector_plans WHERE name = ?",
                            (name,)).fetchone()[0]
        cur = c.execute("INSERT INTO sector_plans (name, version, created_at, note, metrics, team, tolerance, "
                        "counts_label, demo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (name, version, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), note,
                         json.dumps(metrics, ensure_ascii=False) if metrics is not None else None,
                         team_to_json(team), None if tolerance is None else float(tolerance),
                         str(counts_label or ""), int(bool(demo))))
        c.executemany("INSERT INTO sector_plan_units (plan_id, code_insee, sector, patients) VALUES (?, ?, ?, ?)",
                      [(cur.lastrowid, *r) for r in rows])
        return int(version)

    return transaction(conn, work)


def list_plans(conn: sqlite3.Connection, name: str | None = None) -> list[dict]:
    """Saved versions (name, version, created_at, note, sectors, units, max_deviation, mean_km, groups, counts_label)."""
    _ensure(conn)
    sql = ("SELECT p.id, p.name, p.version, p.created_at, p.note, p.metrics, p.team, p.counts_label, p.demo, "
           "COUNT(u.code_insee) AS units, "
           "COUNT(DISTINCT u.sector) AS sectors FROM sector_plans p LEFT JOIN sector_plan_units u "
           "ON u.plan_id = p.id {where} GROUP BY p.id ORDER BY p.name, p.version")
    rows = conn.execute(sql.format(where="WHERE p.name = ?" if name else ""), (name,) if name else ()).fetchall()
    out = []
    for r in rows:
        metrics = json.loads(r["metrics"]) if r["metrics"] else {}
        plan = metrics.get("plan", {})
        out.append({"name": r["name"], "version": r["version"], "created_at": r["created_at"], "note": r["note"],
                    "sectors": r["sectors"], "units": r["units"], "max_deviation": plan.get("max_deviation"),
                    "mean_km": plan.get("mean_km"), "team": bool(r["team"]), "counts_label": r["counts_label"],
                    "demo": bool(r["demo"])})
    return out


def _plan_row(conn, name: str, version: int | None):
    _ensure(conn)
    if version is None:
        row = conn.execute("SELECT * FROM sector_plans WHERE name = ? ORDER BY version DESC LIMIT 1",
                           (name,)).fetchone()
    else:
        row = conn.execute("SELECT * FROM sector_plans WHERE name = ? AND version = ?", (name, version)).fetchone()
    if row is None:
        versions = [r[0] for r in conn.execute("SELECT version FROM sector_plans WHERE name = ? ORDER BY version",
                                               (name,))]
        if versions:
            raise SectorError("plans.no_such_version", name=name, version=version, versions=versions)
        raise SectorError("plans.no_such_plan", name=name)
    return row


def load_plan(conn: sqlite3.Connection, name: str, version: int | None = None) -> pd.DataFrame:
    """The saved assignment ``code_insee, sector, patients`` (latest version by default)."""
    row = _plan_row(conn, name, version)
    frame = pd.read_sql_query("SELECT code_insee, sector, patients FROM sector_plan_units WHERE plan_id = ? "
                              "ORDER BY code_insee", conn, params=(row["id"],))
    frame.attrs.update(name=row["name"], version=row["version"],
                       metrics=json.loads(row["metrics"]) if row["metrics"] else None)
    return frame


def load_record(conn: sqlite3.Connection, name: str, version: int | None = None) -> PlanRecord:
    """A saved version as a :class:`PlanRecord`: assignment, counts snapshot, team, tolerance, label."""
    row = _plan_row(conn, name, version)
    frame = pd.read_sql_query("SELECT code_insee, sector, patients FROM sector_plan_units WHERE plan_id = ? "
                              "ORDER BY code_insee", conn, params=(row["id"],))
    return PlanRecord(frame, team=team_from_json(row["team"]), tolerance=row["tolerance"], name=row["name"],
                      version=int(row["version"]), label=f"{row['name']} — version {row['version']}",
                      counts_label=row["counts_label"] or "", demo=bool(row["demo"]),
                      created_at=row["created_at"], note=row["note"],
                      metrics=json.loads(row["metrics"]) if row["metrics"] else None)


def compare_plans(conn: sqlite3.Connection, name: str, old: int, new: int, *, other: str | None = None) -> dict:
    """Units moved, patients who would change referent and metric deltas from ``old`` to ``new``.

    Patients are counted with the counts saved with the new version (else the old one's).
    """
    a = load_plan(conn, name, old)
    b = load_plan(conn, other or name, new)
    merged = a.merge(b, on="code_insee", how="outer", suffixes=("_old", "_new"))
    patients = merged["patients_new"].where(merged["patients_new"].notna(), merged["patients_old"])
    patients = pd.to_numeric(patients, errors="coerce").fillna(0).astype(int)
    moved = merged["sector_old"].fillna("") != merged["sector_new"].fillna("")
    moves = pd.DataFrame({"code_insee": merged.loc[moved, "code_insee"], "from": merged.loc[moved, "sector_old"],
                          "to": merged.loc[moved, "sector_new"], "patients": patients[moved]})
    result = {
        "old": {"name": name, "version": old}, "new": {"name": other or name, "version": new},
        "units_moved": int(moved.sum()),
        "patients_changing_referent": int(patients[moved].sum()),
        "patients": int(patients.sum()),
        "moves": moves.fillna("").to_dict(orient="records"),
        "metric_deltas": {}, "sector_deltas": {},
    }
    ma, mb = a.attrs.get("metrics"), b.attrs.get("metrics")
    if ma and mb:
        pa, pb = ma["plan"], mb["plan"]
        result["metric_deltas"] = {k: {"old": pa[k], "new": pb[k], "delta": _delta(pa[k], pb[k])}
                                   for k in pa if k in pb and _numeric(pa[k]) and _numeric(pb[k])}
        sa = {s["sector"]: s for s in ma["sectors"]}
        sb = {s["sector"]: s for s in mb["sectors"]}
        for sector in sorted(set(sa) | set(sb)):
            x, y = sa.get(sector), sb.get(sector)
            if x is None or y is None:
                result["sector_deltas"][sector] = {"status": "new" if x is None else "removed"}
                continue
            result["sector_deltas"][sector] = {k: _delta(x[k], y[k]) for k in
                                               ("load", "deviation", "patients", "units", "mean_km", "max_km",
                                                "area_km2", "polsby_popper") if k in x and k in y}
    return result


def _numeric(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _delta(a, b):
    return round(float(b) - float(a), 6)
