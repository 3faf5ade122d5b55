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
    """The ``secteurs`` parser; argparse's own words are French (:mod:`app.cli._parser`), subcommands' too."""
    from app.cli._parser import FrenchArgumentParser

    parser = FrenchArgumentParser(
        prog="secteurs",
        description="Secteurs des assistantes sociales d'un centre régional de lutte contre le cancer : "
                    "territoire, patients, partenaires, secteurs et rapports.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="fichier de base SQLite (par défaut : $SECTEURS_DB, sinon le dossier de données de l'utilisateur)")


def lines(count: int) -> str:
    """``1 ligne``, ``2 lignes``: a count of a file's rows in French."""
    return f"{count} ligne" + ("s" if count > 1 else "")


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
        from app.messages import render, user_error

        shown = exc if isinstance(exc, CommandError) else user_error(
            exc, getattr(args, "db", None) or os.environ.get("SECTEURS_DB"))
        if shown is None:
            if os.environ.get("SECTEURS_DEBUG"):
                raise
            print(f"secteurs {args.command}: erreur interne ({type(exc).__name__}) ; relancer avec "
                  "SECTEURS_DEBUG=1 pour le détail", file=sys.stderr)
            return 1
        text = str(shown) if isinstance(shown, CommandError) else render(shown)
        print(f"secteurs {args.command}: erreur : {text}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
