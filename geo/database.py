"""The one SQLite file that holds secteurs' embedded state.

Each package declares its own tables through :func:`register_schema`; opening
a connection applies every registered schema (``CREATE ... IF NOT EXISTS``),
so a fresh file and an old one end up with the same tables.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from geo.paths import resolve_db_path

_SCHEMAS: dict[str, str] = {}


def register_schema(name: str, ddl: str) -> None:
    """Declare the tables of one component (idempotent DDL)."""
    _SCHEMAS[name] = ddl


def connect(path: str | Path | None = None, *, check_same_thread: bool = False) -> sqlite3.Connection:
    """Open the database (``--db`` value, ``$SECTEURS_DB`` or the per-user file).

    WAL journaling and a generous busy timeout let two processes write at once:
    the second waits for the first instead of failing.
    """
    db_path = resolve_db_path(path)
    conn = sqlite3.connect(db_path, timeout=30.0, check_same_thread=check_same_thread,
                           isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    for ddl in _SCHEMAS.values():
        conn.executescript(ddl)
    return conn


def transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], object]):
    """Run ``work(conn)`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error).

    ``IMMEDIATE`` takes the write lock up front, so concurrent writers queue
    rather than deadlock when they upgrade a read to a write.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
