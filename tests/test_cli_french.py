"""The command line answers in French, argparse's own words included (issue 15), and its files do too.

The real ``secteurs`` console script (``python -m app.cli`` where it is not
installed) is run for ``--help``, a missing argument, a bad choice and an
unknown command; every subcommand's help is checked in-process; the partner
import's ``--report`` file gives each reason in French beside its code.
"""
from __future__ import annotations

import argparse
import csv
import inspect
import os
import re
import subprocess
from pathlib import Path

import pytest

from app.cli import build_parser
from app.cli._parser import FRENCH, FRENCH_PLURALS
from served_app import secteurs_command

ROOT = Path(__file__).resolve().parents[1]
PARTNER_FILE = ROOT / "tests" / "partners" / "data" / "partenaires_manuels.csv"
#: argparse's English that must never reach a person.
ARGPARSE_ENGLISH = re.compile(r"usage:|error:|the following arguments are required|invalid choice|"
                              r"show this help message|positional arguments|unrecognized arguments|"
                              r"expected one argument|invalid \w+ value|choose from")

#: Words of an English help text (descriptions and option help are French too).
HELP_ENGLISH = re.compile(r"\b(the|default|with|write|of|and|to|for|each|only|from|file)\b")


def secteurs(*argv: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SECTEURS_DB": str(db)}
    return subprocess.run(secteurs_command() + list(argv), env=env, capture_output=True, text=True, timeout=300)


def test_help_is_french(tmp_path):
    result = secteurs("--help", db=tmp_path / "s.sqlite")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("utilisation : secteurs [-h] COMMANDE ...")
    assert "arguments positionnels" in result.stdout
    assert "-h, --help  afficher cette aide et quitter" in result.stdout
    assert not ARGPARSE_ENGLISH.search(result.stdout), result.stdout


@pytest.mark.parametrize("argv,french", [
    ((), "secteurs : erreur : arguments obligatoires manquants : COMMANDE"),
    (("report", "fiche", "--out", "x.pdf"), "secteurs report fiche : erreur : arguments obligatoires manquants : "
                                            "--sector"),
    (("app", "--auth", "ldap"), "secteurs app : erreur : argument --auth : choix invalide : 'ldap' "
                                "(au choix : 'local', 'oidc')"),
    (("secteur",), "secteurs : erreur : argument COMMANDE : choix invalide : 'secteur'"),
    (("app", "--port", "huit"), "secteurs app : erreur : argument --port : valeur invalide"),
    (("app", "--verbeux"), "secteurs : erreur : arguments non reconnus : --verbeux"),
], ids=["no command", "missing argument", "bad choice", "unknown command", "bad number", "unknown option"])
def test_usage_errors_are_french_with_exit_code_2(tmp_path, argv, french):
    db = tmp_path / "s.sqlite"
    result = secteurs(*argv, db=db)
    assert result.returncode == 2
    assert french in result.stderr, result.stderr
    assert result.stderr.startswith("utilisation : secteurs"), result.stderr
    assert not ARGPARSE_ENGLISH.search(result.stderr), result.stderr
    assert not db.exists(), "a usage error must not touch the database"


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases share a parser
                yield from _parsers(sub)


def test_every_subcommand_help_and_usage_is_french():
    parsers = list(_parsers(build_parser()))
    assert len(parsers) > 30
    for parser in parsers:
        text = parser.format_help()
        assert text.startswith("utilisation : "), parser.prog
        assert "afficher cette aide et quitter" in text, parser.prog
        assert not ARGPARSE_ENGLISH.search(text), (parser.prog, ARGPARSE_ENGLISH.search(text))
        words = re.sub(r"--[\w-]+|\bfile\b", "", text)  # option and argument names are identifiers
        assert not HELP_ENGLISH.search(words), (parser.prog, HELP_ENGLISH.search(words))


def test_argparse_is_left_as_it_was():
    """Outside the secteurs parser (and after it), argparse speaks its own language."""
    build_parser().format_help()
    assert argparse.ArgumentParser(prog="x").format_usage() == "usage: x [-h]\n"


def test_the_catalogue_matches_this_pythons_argparse():
    """Each message id translated is one argparse makes (a Python upgrade that renames one fails here)."""
    source = inspect.getsource(argparse)
    missing = [msgid for msgid in FRENCH if repr(msgid) not in source and f'"{msgid}"' not in source]
    missing += [pair for pair in FRENCH_PLURALS if repr(pair[0]) not in source]
    assert missing == []
    for english, french in FRENCH.items():
        assert re.findall(r"%\(?\w*\)?[sr]", english) == re.findall(r"%\(?\w*\)?[sr]", french), english


def test_partner_import_report_gives_french_reasons_and_their_codes(tmp_path):
    from app.messages import render_code

    report = tmp_path / "rejets.csv"
    result = secteurs("partners", "import", str(PARTNER_FILE), "--format", "csv", "--report", str(report),
                      db=tmp_path / "s.sqlite")
    assert result.returncode == 0, result.stderr
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert list(rows[0]) == ["row", "level", "code", "reason", "name", "key"]
    assert [r["row"] for r in rows] == ["6", "7", "8"]
    assert {r["code"] for r in rows} == {"partners.position_outside_france", "partners.email",
                                         "partners.import.duplicate_row"}
    duplicate = next(r for r in rows if r["code"] == "partners.import.duplicate_row")
    assert duplicate["reason"] == render_code("partners.import.duplicate_row", {"row": 3})
    for row in rows:
        assert row["reason"] and not re.search(r"\b(expected|outside|duplicate|invalid|row)\b", row["reason"]), row
