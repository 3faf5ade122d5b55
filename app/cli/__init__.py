"""The ``secteurs`` command line.

Each module of this package registers one group of subcommands; they only
parse arguments, call :mod:`geo` or :mod:`partners` and print.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: Modules that register subcommands, in the order ``secteurs --help`` lists them.
COMMAND_MODULES = (
    "app.cli.territory",
    "app.cli.app_command",
    "app.cli.patients",
    "app.cli.team",
    "app.cli.partners",
    "app.cli.sectors",
    "app.cli.route",
    "app.cli.report",
    "app.cli.users",
    "app.cli.backup",
)


class CommandError(Exception):
    """An error the user can fix; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secteurs",
        description="Social-worker sectors for a regional cancer centre: territory, "
                    "patients, partners, sectors and reports.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="SQLite database file (default: $SECTEURS_DB, else the per-user data directory)")


def user_error(exc: BaseException, db_path=None) -> BaseException | None:
    """The error to show a person for ``exc`` (a code where one fits), or None for a programming error.

    Reader, file-system and database errors all become messages with exit code 2; only
    unexpected errors keep their traceback (and then only with ``SECTEURS_DEBUG=1``).
    """
    import csv
    import sqlite3
    import zipfile

    from geo.database import database_error
    from geo.reading import FileReadError, os_reason

    if isinstance(exc, (CommandError, ValueError)):  # SecteursError is a ValueError
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


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors a person can act on are printed in French with exit code 2, no traceback."""
    import os

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print(f"secteurs {args.command}: interrompu", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every error ends in a sentence, not a traceback
        from app.messages import render

        shown = user_error(exc, getattr(args, "db", None) or os.environ.get("SECTEURS_DB"))
        if shown is None:
            if os.environ.get("SECTEURS_DEBUG"):
                raise
            print(f"secteurs {args.command}: erreur interne ({type(exc).__name__}) ; relancer avec "
                  "SECTEURS_DEBUG=1 pour le détail", file=sys.stderr)
            return 1
        print(f"secteurs {args.command}: erreur : {render(shown)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
