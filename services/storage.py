"""Opening the database: every layer's tables, named explicitly and applied in a known order.

The ground (:func:`geo.database.connect`) knows no table; this opener lists
them: the ground's (none yet), the partner directory's, the sector plans'
the workspace's, the accounts', the ARS release register's and the audit trail's. Pages and commands open the database only through
:func:`open_database`.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from geo.database import connect


def schemas() -> list:
    """The schemas of the database, in the order they are applied (partners, sectors, workspace, accounts,
    the ARS release register, the audit trail)."""
    from geo.sectors.store import ensure_schema as sectors_schema
    from partners.store import SCHEMA as partners_schema
    from services.accounts import SCHEMA as accounts_schema
    from services.audit import SCHEMA as audit_schema
    from services.coverage.releases import SCHEMA as releases_schema
    from services.workspace import ensure_schema as workspace_schema

    return [partners_schema, sectors_schema, workspace_schema, accounts_schema, releases_schema, audit_schema]


def open_database(path: str | Path | None = None, *, check_same_thread: bool = False) -> sqlite3.Connection:
    """Open (and bring up to date) the database: ``--db`` value, ``$SECTEURS_DB`` or the per-user file."""
    return connect(path, check_same_thread=check_same_thread, schemas=schemas())
