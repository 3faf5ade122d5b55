"""No English error text reaches people: programming errors give a generic French sentence, details logged.

Pages render every caught error with :func:`app.messages.render`; the CLI prints ``user_error`` /
``render``. A ``ValueError``/``KeyError``/``TypeError`` that is not a SecteursError is a broken
contract between our modules: people read "erreur interne" with a reference, the log has the English
message and the traceback under the same reference.
"""
from __future__ import annotations

import logging
import re

import pytest

from app.messages import render, user_error

#: Programming errors as our modules raise them (English, with values people should not see).
CONTRACTS = [
    ValueError("units: missing column 'code_insee'; got ['x', 'y']"),
    KeyError("'99999' is not a sector unit code"),
    TypeError("zones: expected a mapping type -> codes or a DataFrame"),
    RuntimeError("no ScriptRunContext"),
]


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - give it a traceback, as in real life
        return caught


@pytest.mark.parametrize("exc", CONTRACTS, ids=lambda e: type(e).__name__)
def test_programming_errors_are_french_and_logged(exc, caplog):
    caught = _raised(exc)
    with caplog.at_level(logging.ERROR, logger="secteurs"):
        shown = render(caught)
    assert shown.startswith("erreur interne") and "journal" in shown
    assert str(exc).strip("'") not in shown and "expected" not in shown and "missing" not in shown
    reference = re.search(r"référence ([0-9a-f]{6})", shown).group(1)
    record = next(r for r in caplog.records if reference in r.getMessage())
    assert str(exc).strip("'") in record.getMessage() and record.exc_info[1] is caught  # the details, logged
    assert user_error(caught) is None  # the CLI says "erreur interne" too (exit code 1)


def test_an_audit_error_is_a_programming_error():
    from services.audit import AuditError

    assert render(_raised(AuditError("unknown audit event 'x'"))).startswith("erreur interne")


def test_a_file_that_does_not_decode_is_the_users():
    caught = _raised(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"))
    assert render(caught) == "fichier : ce n'est pas un fichier texte (CSV) lisible"


def test_codes_and_file_errors_keep_their_sentences(tmp_path):
    from geo.errors import SecteursError

    assert render(SecteursError("territory.unknown_departements", codes=["99"])).startswith(
        "code(s) de département inconnu(s) : 99")
    assert render(_raised(FileNotFoundError(2, "No such file", str(tmp_path / "plan.csv")))) == \
        "plan.csv : fichier introuvable"


def test_a_code_rendered_without_its_parameters_is_not_shown_raw():
    from geo.errors import SecteursError

    shown = render(SecteursError("territory.unknown_departements"))  # {codes} missing: a programming error
    assert shown.startswith("erreur interne") and "territory." not in shown


def _cli(argv, capsys):
    from app.cli import main

    code = main(argv)
    return code, capsys.readouterr().err


def _ars_report(tmp_path, plan_rows: str) -> list[str]:
    """``report ars`` arguments on a plan of ``plan_rows`` (code_insee,sector lines) and counts in Lyon 3e/4e."""
    plan = tmp_path / "plan.csv"
    plan.write_text("code_insee,sector\n" + plan_rows, encoding="utf-8")
    counts = tmp_path / "effectifs.csv"
    counts.write_text("code_insee,patients\n69383,12\n69384,30\n", encoding="utf-8")
    return ["report", "ars", "--plan", str(plan), "--patients", str(counts), "--out", str(tmp_path / "ars"),
            "--db", str(tmp_path / "db.sqlite")]


def test_cli_plan_with_a_code_outside_the_territory(tmp_path, capsys, monkeypatch):
    """A real user error that used to print English (``plan: 1 code(s) are not sector units``)."""
    monkeypatch.delenv("SECTEURS_DEBUG", raising=False)
    code, err = _cli(_ars_report(tmp_path, "69383,A\n69384,B\n99999,C\n"), capsys)
    assert code == 2, err
    assert "le plan contient 1 code(s) INSEE qui ne sont pas des communes du territoire : 99999" in err
    assert "sector units" not in err


def test_cli_max_km_of_an_unknown_type(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SECTEURS_DEBUG", raising=False)
    code, err = _cli(_ars_report(tmp_path, "69383,A\n69384,B\n") + ["--max-km", "XYZ=30"], capsys)
    assert code == 2 and "type de partenaire « XYZ » sans distances calculées" in err, err
    assert "nearest_distances" not in err


def test_cli_programming_error_is_a_french_sentence(capsys, monkeypatch):
    """Fault injection: the ``territory info`` command's body raises a contract error."""
    import app.cli.territory

    def broken(args):
        raise ValueError("points: expected shape (4033, 2), got (12, 2) in /srv/secteurs/geo")

    monkeypatch.delenv("SECTEURS_DEBUG", raising=False)
    monkeypatch.setattr(app.cli.territory, "_info", broken)
    code, err = _cli(["territory", "info"], capsys)
    assert code == 1
    assert "erreur interne (ValueError)" in err and "expected shape" not in err and "/srv" not in err
