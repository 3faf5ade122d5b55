"""The one SQLite file that holds secteurs' embedded state.

:func:`connect` opens the file and knows no table: the caller passes the
schemas to apply, in order (``services.storage.open_database`` lists every
layer's: partners, sectors, workspace). Each schema is a callable or an
idempotent DDL script (``CREATE ... IF NOT EXISTS``), so a fresh file and an
old one end up with the same tables.

:func:`register_schema` is the older way (a package declared its tables when
imported; ``connect`` without ``schemas`` still applies them) kept while the
partner tests open their database through this module.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable, Iterable, Union

from geo.errors import SecteursError
from geo.paths import resolve_db_path

_SCHEMAS: dict[str, str] = {}

#: One schema: an idempotent DDL script, or a function that brings an open connection up to date.
Schema = Union[str, Callable[[sqlite3.Connection], None]]


def register_schema(name: str, ddl: str) -> None:
    """Declare the tables of one component (idempotent DDL)."""
    _SCHEMAS[name] = ddl


def connect(path: str | Path | None = None, *, check_same_thread: bool = False,
            schemas: Iterable[Schema] | None = None) -> sqlite3.Connection:
    """Open the database (``--db`` value, ``$SECTEURS_DB`` or the per-user file).

    WAL journaling and a generous busy timeout let two processes write at once:
    the second waits for the first instead of failing.

    Parameters
    ----------
    path
        The file; ``None`` for ``$SECTEURS_DB`` or the per-user file.
    check_same_thread
        As :func:`sqlite3.connect` (the app shares one connection between threads).
    schemas
        Applied in this order (DDL scripts or functions of the connection).
        ``None``: the schemas registered by imported packages (older callers).
    """
    db_path = resolve_db_path(path)
    try:
        conn = sqlite3.connect(db_path, timeout=30.0, check_same_thread=check_same_thread,
                               isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        for schema in (_SCHEMAS.values() if schemas is None else schemas):
            apply_schema(conn, schema)
    except sqlite3.Error as exc:
        raise database_error(exc, db_path) from None
    return conn


class DatabaseError(SecteursError):
    """The database file cannot be used as asked (code ``database.*``): corrupt, read-only, busy."""


def database_error(exc: sqlite3.Error, path=None) -> DatabaseError:
    """The :class:`DatabaseError` a person can act on for a :mod:`sqlite3` error (no SQL, no full path)."""
    text = str(exc).lower()
    name = Path(str(path)).name if path else "secteurs"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError("database.corrupt", file=name)
    if "readonly" in text or "read-only" in text or "read only" in text:
        return DatabaseError("database.read_only", file=name)
    if "unable to open" in text:
        return DatabaseError("database.cannot_open", file=name, reason="fichier ou dossier inaccessible")
    if "locked" in text or "busy" in text:
        return DatabaseError("database.busy", file=name)
    if "disk" in text and "full" in text:
        return DatabaseError("database.error", file=name, reason="disque plein")
    return DatabaseError("database.error", file=name, reason=type(exc).__name__)


def apply_schema(conn: sqlite3.Connection, schema: Schema) -> None:
    """Run one schema on ``conn``: a DDL script, or a function of the connection."""
    if callable(schema):
        schema(conn)
    else:
        conn.executescript(schema)


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The column names of ``table`` (empty when it does not exist)."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


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
