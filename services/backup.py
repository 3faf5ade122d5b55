"""Backup and restore of the one SQLite file, with SQLite's online backup API.

Both work while the app is running: the backup API copies a consistent
snapshot page by page (WAL included) without stopping writers, and a restore
writes into the live database under SQLite's own lock, so open connections
see the restored content at their next query. Nothing saved is lost: a backup
never overwrites a file, and a restore first checks the backup (integrity,
tables of secteurs) and keeps a copy of the current state beside it.
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from geo.access import AccessError, require_acting

#: A secteurs database has at least one of these tables.
KNOWN_TABLES = frozenset({"partners", "sector_plans", "users"})


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    """Copy ``source`` into a new file ``target_path`` (written beside it, then renamed)."""
    partial = target_path.with_name(f".{target_path.name}.partiel")
    partial.unlink(missing_ok=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        target.close()
    os.replace(partial, target_path)


def backup(db_path: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Copy the database at ``db_path`` into the new file ``target``; returns its path."""
    require_acting("data.backup")
    db_path, target = Path(db_path), Path(target)
    if not db_path.is_file():
        raise AccessError("access.backup_source_missing", path=str(db_path))
    if target.exists():
        raise AccessError("access.backup_target_exists", path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        _copy(source, target)
    finally:
        source.close()
    return target


def check_backup(path: str | os.PathLike) -> set[str]:
    """The tables of the backup at ``path`` after checking it is an intact secteurs database."""
    path = Path(path)
    if not path.is_file():
        raise AccessError("access.restore_source_missing", path=str(path))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:  # sqlite's English text says no more than this
        raise AccessError("access.restore_not_a_database", path=str(path),
                          reason="fichier abîmé ou d'un autre type") from None
    if verdict != "ok":
        raise AccessError("access.restore_not_a_database", path=str(path), reason="contrôle d'intégrité en échec")
    if not tables & KNOWN_TABLES:
        raise AccessError("access.restore_not_secteurs", path=str(path))
    return tables


def safety_copy_path(db_path: Path, now: datetime | None = None) -> Path:
    """Where :func:`restore` keeps the state it replaces."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return db_path.with_name(f"{db_path.stem}.avant-restauration-{stamp}{db_path.suffix}")


def restore(source: str | os.PathLike, db_path: str | os.PathLike, *, confirmed: bool) -> Path | None:
    """Replace the content of ``db_path`` by the backup ``source``.

    Returns the copy of the replaced state (``None`` when there was no
    database yet). Without ``confirmed`` it only checks and says what it would do.
    """
    require_acting("data.backup")
    source, db_path = Path(source), Path(db_path)
    check_backup(source)
    keep = safety_copy_path(db_path) if db_path.is_file() else None
    if not confirmed:
        raise AccessError("access.restore_needs_confirmation", path=str(db_path), keep=str(keep or "-"))
    if keep is not None:
        backup(db_path, keep)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    live = sqlite3.connect(db_path, timeout=30.0)
    backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        backup_conn.backup(live)
    finally:
        backup_conn.close()
        live.close()
    return keep
