"""The register of what was published for the ARS, so that each new export is audited with the earlier ones.

Two reports made from the same patient counts (a report, then a revised one
after re-sectoring, or another variant of the plan) can be combined by a
reader: the tables of both are equations on the same unknown counts. Every
export is therefore recorded here, and the next export of the SAME counts
(same fingerprint) is masked and audited jointly with all of them
(:func:`services.coverage.protect_counts` with ``earlier=``).

Tables (registered with :func:`geo.database.register_schema`)
--------------------------------------------------------------
``masking_releases``
    One row per export: ``id``, ``created_at`` (UTC, ISO), ``counts_fingerprint``
    (SHA-256 of the per-commune counts), ``label`` (plan, file...),
    ``cells_fingerprint`` (SHA-256 of what was shown: the same report
    downloaded twice is one release), ``tables``
    (JSON list of the tables written), and how many cells were ``published``,
    ``masked`` (``< 11``), in commune ``classes`` and ``suppressed`` (``s``).
``masking_release_cells``
    What each export showed: ``release_id``, ``level``, ``key`` (JSON),
    ``display`` (the published text, never a true count) and ``units`` (the
    commune codes the cell adds up, comma-separated).

Nothing here is a true count: only what was published, and a fingerprint.

Public names
------------
counts_fingerprint, record_release, earlier_releases, list_releases, RELEASE_TABLES
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3

import numpy as np
import pandas as pd

from geo.database import register_schema, transaction
from services.coverage.masking import MaskingError, Protection, display_interval

__all__ = ["counts_fingerprint", "record_release", "earlier_releases", "list_releases", "release_cells",
           "release_count", "RELEASE_TABLES"]

#: The tables this module owns.
RELEASE_TABLES = ("masking_releases", "masking_release_cells")

SCHEMA = """
CREATE TABLE IF NOT EXISTS masking_releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    counts_fingerprint TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    cells_fingerprint TEXT NOT NULL DEFAULT '',
    tables TEXT NOT NULL DEFAULT '[]',
    published INTEGER NOT NULL DEFAULT 0,
    masked INTEGER NOT NULL DEFAULT 0,
    classes INTEGER NOT NULL DEFAULT 0,
    suppressed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS masking_releases_counts ON masking_releases(counts_fingerprint);
CREATE TABLE IF NOT EXISTS masking_release_cells (
    release_id INTEGER NOT NULL REFERENCES masking_releases(id) ON DELETE CASCADE,
    level TEXT NOT NULL,
    key TEXT NOT NULL,
    display TEXT NOT NULL,
    units TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS masking_release_cells_release ON masking_release_cells(release_id);
"""
register_schema("masking_releases", SCHEMA)


def _ensure(conn: sqlite3.Connection) -> None:
    """The tables exist even on a connection opened before this module was imported (idempotent DDL)."""
    conn.executescript(SCHEMA)


def counts_fingerprint(counts) -> str:
    """SHA-256 of the per-commune counts (zeros ignored, codes sorted): equal for equal counts.

    Parameters
    ----------
    counts : Series code_insee -> patients, or frame ``code_insee, patients``

    Examples
    --------
    >>> a = counts_fingerprint(pd.Series({"01001": 3, "01002": 0, "69383": 12}))
    >>> a == counts_fingerprint(pd.Series({"69383": 12, "01001": 3})), a[:7]
    (True, 'sha256:')
    """
    if isinstance(counts, pd.DataFrame):
        counts = counts.groupby(counts["code_insee"].astype(str))["patients"].sum()
    series = pd.Series(counts)
    series.index = series.index.astype(str)
    series = series[series.astype("int64") > 0].astype("int64").sort_index()
    text = "\n".join(f"{code}={value}" for code, value in series.items())
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json(value) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def _unjson(text):
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


def record_release(conn: sqlite3.Connection, protection: Protection, *, fingerprint: str, label: str = "",
                   tables=(), when: dt.datetime | None = None) -> int:
    """Keep what an export published; returns the release id.

    Parameters
    ----------
    conn : sqlite3.Connection
        From :func:`geo.database.connect`.
    protection : Protection
        The pattern every table of the export was masked with.
    fingerprint : str
        :func:`counts_fingerprint` of the counts it was built from.
    label : str
        What it was (plan name, file...), for the list of releases.
    tables : iterable of str
        The tables written.
    when : datetime, optional
        Default now (UTC).

    Returns
    -------
    int
        The new release's id, or that of an earlier release of the same
        counts that showed exactly the same cells (nothing new was published).
    """
    _ensure(conn)
    published = protection.published()
    counts = protection.cell_counts()
    created = (when or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    shown = "\n".join(f"{_json(level)}|{_json(key)}|{display}|{','.join(units)}" for level, key, display, units
                      in zip(published["level"], published["key"], published["display"], published["units"]))
    cells_fingerprint = "sha256:" + hashlib.sha256(shown.encode("utf-8")).hexdigest()

    def work(c):
        same = c.execute("SELECT id FROM masking_releases WHERE counts_fingerprint = ? AND cells_fingerprint = ? "
                         "ORDER BY id LIMIT 1", (fingerprint, cells_fingerprint)).fetchone()
        if same is not None:          # the same cells again (another file of the same report): one release
            return int(same["id"])
        cursor = c.execute(
            "INSERT INTO masking_releases (created_at, counts_fingerprint, label, cells_fingerprint, tables, "
            "published, masked, classes, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (created, fingerprint, str(label), cells_fingerprint, json.dumps(list(tables), ensure_ascii=False),
             counts["published"], counts["masked"], counts["classes"], counts["suppressed"]))
        release = int(cursor.lastrowid)
        c.executemany("INSERT INTO masking_release_cells (release_id, level, key, display, units) "
                      "VALUES (?, ?, ?, ?, ?)",
                      [(release, _json(level), _json(key), str(display), ",".join(units))
                       for level, key, display, units in zip(published["level"], published["key"],
                                                             published["display"], published["units"])])
        return release
    return transaction(conn, work)


def release_cells(conn: sqlite3.Connection, release: int) -> pd.DataFrame:
    """What release ``release`` published, as :meth:`Protection.published` gives it.

    Raises
    ------
    MaskingError
        ``masking.unknown_release``.
    """
    _ensure(conn)
    if conn.execute("SELECT 1 FROM masking_releases WHERE id = ?", (int(release),)).fetchone() is None:
        raise MaskingError("masking.unknown_release", release=release)
    rows = conn.execute("SELECT level, key, display, units FROM masking_release_cells WHERE release_id = ?",
                        (int(release),)).fetchall()
    bounds = [display_interval(r["display"]) for r in rows]
    return pd.DataFrame({"level": pd.Series([_unjson(r["level"]) for r in rows], dtype=object),
                         "key": pd.Series([_unjson(r["key"]) for r in rows], dtype=object),
                         "display": [r["display"] for r in rows],
                         "lower": np.array([b[0] for b in bounds], float),
                         "upper": np.array([b[1] for b in bounds], float),
                         "units": [tuple(r["units"].split(",")) if r["units"] else () for r in rows]})


def release_count(conn: sqlite3.Connection, fingerprint: str) -> int:
    """How many releases were made from the counts of ``fingerprint`` (cheap: for cache keys)."""
    _ensure(conn)
    return int(conn.execute("SELECT COUNT(*) FROM masking_releases WHERE counts_fingerprint = ?",
                            (fingerprint,)).fetchone()[0])


def earlier_releases(conn: sqlite3.Connection, fingerprint: str) -> list[pd.DataFrame]:
    """Every release made from the counts of ``fingerprint``, oldest first (for ``protect_counts(earlier=...)``)."""
    _ensure(conn)
    ids = [r["id"] for r in conn.execute("SELECT id FROM masking_releases WHERE counts_fingerprint = ? ORDER BY id",
                                         (fingerprint,))]
    return [release_cells(conn, i) for i in ids]


def list_releases(conn: sqlite3.Connection) -> pd.DataFrame:
    """The register: one row per release (no cells)."""
    _ensure(conn)
    frame = pd.read_sql_query("SELECT id, created_at, counts_fingerprint, label, tables, published, masked, classes, "
                              "suppressed FROM masking_releases ORDER BY id", conn)
    frame["tables"] = frame["tables"].map(json.loads)
    return frame
