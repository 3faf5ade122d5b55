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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (CommandError, FileNotFoundError, ValueError) as exc:
        from app.messages import render

        print(f"secteurs {args.command}: erreur : {render(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
