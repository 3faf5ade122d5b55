"""A dry run of an import: the report :func:`partners.import_partners` would give, nothing written.

The import runs on an in-memory copy of the database (SQLite's online backup),
so the report is exactly the real one (created, updated, unchanged, rejected
with reasons, warnings) and the directory is left untouched. A user sees it,
then commits with :func:`partners.import_partners` on the real database.
"""
from __future__ import annotations

import sqlite3

from partners.importer import ImportReport, import_partners


def preview_import(conn: sqlite3.Connection, source, format: str, **options) -> ImportReport:
    """Import ``source`` into a throw-away copy of the database and return the report.

    Parameters
    ----------
    conn
        Open database (only read).
    source, format
        As for :func:`partners.import_partners` (a path, or bytes with ``filename=``).
    **options
        Other :func:`partners.import_partners` options (``filename``, ``author``,
        ``categories``, ``outside``, ``places``, ``network``...); ``report`` is not allowed.

    Returns
    -------
    ImportReport

    Raises
    ------
    SecteursError
        As :func:`partners.import_partners`.
    TypeError
        A ``report`` option (a preview writes nothing; import for real to write the report).
    """
    if options.get("report"):
        raise TypeError("preview_import() takes no 'report': a preview writes nothing; import for real to write it")
    options.pop("report", None)
    scratch = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.backup(scratch)
        scratch.row_factory = sqlite3.Row
        scratch.execute("PRAGMA foreign_keys=ON")
        return import_partners(scratch, source, format, **options)
    finally:
        scratch.close()
