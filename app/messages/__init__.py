"""The French message catalogue: one place that turns error codes into sentences.

Each domain keeps its messages in a module of this package (``sectors``,
``places``, ``partners``, ...), a dict ``MESSAGES`` from code to either a
``str.format`` template or a function of the parameters. :func:`render`
picks the entry of an error's code; lists are joined with ", " before
formatting. Tests assert on codes; ``tests/test_messages.py`` renders every
code raised in the source so that none is missing.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

from geo.errors import SecteursError

Entry = "str | Callable[[dict], str]"


def _load() -> dict:
    catalogue: dict = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for code, entry in getattr(module, "MESSAGES", {}).items():
            if code in catalogue:
                raise RuntimeError(f"message code {code} defined twice")
            catalogue[code] = entry
    return catalogue


CATALOGUE: dict = _load()


def _plain(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
        return text.rstrip("0").rstrip(",") if "," in text else text
    return value


def render_code(code: str, params: dict) -> str:
    """The French sentence of ``code`` with ``params``; raises KeyError for an unknown code."""
    entry = CATALOGUE[code]
    if callable(entry):
        return entry(params)
    return entry.format(**{k: _plain(v) for k, v in params.items()})


def render(error: BaseException) -> str:
    """What to show a person for ``error``: its catalogue sentence, else its own text."""
    if isinstance(error, SecteursError) and error.code is not None:
        try:
            return render_code(error.code, error.params)
        except KeyError:
            return str(error)
    from app.messages._legacy import french

    return french(str(error))


def user_error(exc: BaseException, db_path=None) -> BaseException | None:
    """The error to show a person for ``exc`` (a code where one fits), or None for a programming error.

    Reader, file-system and database errors all become messages (exit code 2 in the CLI, an
    error box on a page); only programming errors return None.
    """
    import csv
    import sqlite3
    import zipfile

    from geo.database import database_error
    from geo.reading import FileReadError, os_reason

    if isinstance(exc, ValueError):  # SecteursError is a ValueError
        return exc
    if isinstance(exc, sqlite3.Error):
        return database_error(exc, db_path)
    if isinstance(exc, IsADirectoryError):
        return FileReadError("files.is_directory", file=_name(exc))
    if isinstance(exc, FileNotFoundError):
        return FileReadError("files.missing", file=_name(exc))
    if isinstance(exc, OSError):
        return FileReadError("files.unreadable", file=_name(exc), reason=os_reason(exc))
    if isinstance(exc, (csv.Error, zipfile.BadZipFile, OverflowError, EOFError)):
        return FileReadError("files.unexpected", file="fichier", reason=type(exc).__name__)
    if isinstance(exc, MemoryError):
        return FileReadError("files.unexpected", file="fichier", reason="mémoire insuffisante")
    return None


def _name(exc: OSError) -> str:
    from pathlib import Path

    return Path(str(exc.filename)).name if exc.filename else "fichier"
