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
import logging
import pkgutil
import secrets

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


def render_issue(issue) -> str:
    """A row finding in French: its catalogue sentence, else its English line as a last resort.

    ``issue`` is anything with ``code`` and ``params`` and an English ``message`` (a partner
    :class:`~partners.model.Issue`) or ``reason`` (an import report's reject or row outcome).
    A reject holding several ``issues`` (a row with several errors) gives each, joined by " ; ".
    """
    several = getattr(issue, "issues", ())
    if several:
        return " ; ".join(render_issue(item) for item in several)
    code = getattr(issue, "code", "") or ""
    if code:
        try:
            return render_code(code, getattr(issue, "params", None) or {})
        except (KeyError, IndexError, ValueError, TypeError):  # a code or a parameter the catalogue lacks
            pass
    text = getattr(issue, "message", None)
    if text is None:
        text = getattr(issue, "reason", "")
    return str(text or "")


def render(error: BaseException) -> str:
    """What to show a person for ``error``, always in French.

    A :class:`SecteursError` gives its catalogue sentence; a file-system, database or reader error
    its ``files.*``/``database.*`` sentence (:func:`user_error`); anything else is a programming
    error: a generic sentence with a reference, the details (English text, traceback) going to the
    log (:func:`internal_error`), never to the person.
    """
    if isinstance(error, SecteursError):
        if error.code is None:
            from app.messages._legacy import french

            return french(error.text or "")
        try:
            return render_code(error.code, error.params)
        except (KeyError, IndexError, ValueError, TypeError):  # a code or a parameter the catalogue lacks
            return internal_error(error)
    shown = user_error(error)
    if shown is not None and shown is not error:
        return render(shown)
    return internal_error(error)


#: Where the details of errors shown as :func:`internal_error` go (the server's or the command's log).
LOG = logging.getLogger("secteurs")


def internal_error(exc: BaseException) -> str:
    """The French sentence shown for a programming error; its details are logged with the same reference.

    The English message and the traceback may hold paths, SQL or values: they go to the log only.
    """
    reference = secrets.token_hex(3)
    LOG.error("internal error, reference %s (shown to the user as a generic message): %s: %s", reference,
              type(exc).__name__, exc, exc_info=(type(exc), exc, exc.__traceback__))
    return render_code("errors.internal", {"reference": reference})


def user_error(exc: BaseException, db_path=None) -> BaseException | None:
    """The error to show a person for ``exc`` (a code where one fits), or None for a programming error.

    Reader, file-system and database errors all become messages (exit code 2 in the CLI, an
    error box on a page). A ``ValueError``, ``TypeError`` or ``KeyError`` that is not a
    :class:`SecteursError` is a broken contract between our own modules (inputs people type or
    upload are checked and raise codes): None, and the page or CLI shows a generic sentence.
    """
    import csv
    import sqlite3
    import zipfile

    from geo.database import database_error
    from geo.reading import FileReadError, os_reason

    if isinstance(exc, SecteursError):
        return exc
    if isinstance(exc, UnicodeError):  # a text reader met bytes it cannot decode
        return FileReadError("files.not_text", file="fichier")
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
