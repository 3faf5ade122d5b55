"""Where secteurs finds its committed data and keeps its run-time state.

Nothing is written inside the source tree at run time: the SQLite database
and the caches live in per-user directories (or wherever the user points).
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "secteurs"

#: Environment variable naming the SQLite database file.
DB_ENV = "SECTEURS_DB"
#: Environment variable overriding the committed data directory (tests, other regions).
DATA_ENV = "SECTEURS_DATA"
#: Environment variable overriding the cache directory.
CACHE_ENV = "SECTEURS_CACHE"


def data_dir() -> Path:
    """Directory holding ``departements/`` and ``demo/`` (the repository's ``data/``)."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parent.parent / "data"


def departements_dir() -> Path:
    return data_dir() / "departements"


def demo_dir() -> Path:
    return data_dir() / "demo"


def cache_dir() -> Path:
    """Per-user cache for derived data (simplified geometry, adjacency)."""
    path = Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The database file: ``--db``, else ``$SECTEURS_DB``, else the per-user data dir."""
    if cli_value:
        path = Path(cli_value)
    elif os.environ.get(DB_ENV):
        path = Path(os.environ[DB_ENV])
    else:
        path = Path(platformdirs.user_data_dir(APP_NAME)) / "secteurs.sqlite"
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
