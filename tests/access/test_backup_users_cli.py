"""``secteurs users ...``, ``secteurs backup`` and ``secteurs restore`` through the real command line."""
from __future__ import annotations

import io
import sqlite3
import sys

import pytest

from app.cli import main
from geo.database import connect
from services import accounts

PASSWORD = "a long enough password"


def _run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_users_add_list_disable_passwd_role(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "d.sqlite")
    code, out, _ = _run(["users", "add", "odile", "--role", "cadre", "--name", "Odile Martin",
                         "--password-stdin", "--db", db], capsys, PASSWORD + "\n", monkeypatch)
    assert code == 0 and "odile" in out
    assert _run(["users", "add", "ines@chu.test", "--role", "equipe", "--sso", "--db", db], capsys)[0] == 0
    code, out, _ = _run(["users", "list", "--format", "json", "--db", db], capsys)
    assert code == 0 and '"role": "équipe"' in out and "argon2" not in out
    conn = connect(db)
    assert accounts.authenticate(conn, "odile", PASSWORD).role == "cadre"
    assert _run(["users", "role", "odile", "admin", "--db", db], capsys)[0] == 0
    assert accounts.authenticate(conn, "odile", PASSWORD).role == "admin"
    assert _run(["users", "disable", "odile", "--db", db], capsys)[0] == 0
    with pytest.raises(accounts.AccessError):
        accounts.authenticate(conn, "odile", PASSWORD)
    assert _run(["users", "enable", "odile", "--db", db], capsys)[0] == 0
    code, _, _ = _run(["users", "passwd", "odile", "--password-stdin", "--db", db], capsys,
                      "another long password\n", monkeypatch)
    assert code == 0
    assert accounts.authenticate(conn, "odile", "another long password").login == "odile"
    conn.close()


@pytest.mark.parametrize("argv,stdin,word", [
    (["users", "add", "x", "--role", "chef", "--sso"], None, "Rôle inconnu"),
    (["users", "add", "x", "--role", "cadre", "--password-stdin"], "court\n", "trop court"),
    (["users", "passwd", "nobody", "--password-stdin"], PASSWORD + "\n", "Aucun compte"),
    (["users", "disable", "nobody"], None, "Aucun compte"),
])
def test_users_errors_are_french_with_exit_code_2(tmp_path, capsys, monkeypatch, argv, stdin, word):
    code, _, err = _run(argv + ["--db", str(tmp_path / "d.sqlite")], capsys, stdin, monkeypatch)
    assert code == 2 and word in err and "Traceback" not in err


def test_backup_then_restore_while_a_connection_stays_open(tmp_path, capsys):
    db = tmp_path / "live.sqlite"
    live = connect(db)  # the app's connection, open throughout
    accounts.add_user(live, "odile", "cadre", password=PASSWORD)
    saved = tmp_path / "saves" / "monday.sqlite"
    assert _run(["backup", str(saved), "--db", str(db)], capsys)[0] == 0
    check = sqlite3.connect(saved)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    # a second backup to the same file is refused and changes nothing
    before = saved.read_bytes()
    code, _, err = _run(["backup", str(saved), "--db", str(db)], capsys)
    assert code == 2 and "existe déjà" in err and saved.read_bytes() == before

    accounts.add_user(live, "later", "lecture", password=PASSWORD)  # a change after the backup
    code, _, err = _run(["restore", str(saved), "--db", str(db)], capsys)
    assert code == 2 and "--yes" in err
    assert {u["login"] for u in accounts.list_users(live)} == {"odile", "later"}  # untouched

    code, out, _ = _run(["restore", str(saved), "--yes", "--db", str(db)], capsys)
    assert code == 0
    assert {u["login"] for u in accounts.list_users(live)} == {"odile"}  # the open connection sees it
    kept = list(tmp_path.glob("live.avant-restauration-*.sqlite"))
    assert len(kept) == 1
    old = connect(kept[0])
    assert {u["login"] for u in accounts.list_users(old)} == {"odile", "later"}  # nothing saved is lost
    old.close()
    live.close()


@pytest.mark.parametrize("content,word", [(b"", "aucune table"), (b"not a database at all" * 100, "intacte"),
                                          (None, "introuvable")])
def test_restore_refuses_what_is_not_a_secteurs_backup(tmp_path, capsys, content, word):
    db = tmp_path / "live.sqlite"
    live = connect(db)
    accounts.add_user(live, "odile", "cadre", password=PASSWORD)
    bad = tmp_path / "bad.sqlite"
    if content is not None:
        bad.write_bytes(content)
    code, _, err = _run(["restore", str(bad), "--yes", "--db", str(db)], capsys)
    assert code == 2 and word in err and "Traceback" not in err
    assert [u["login"] for u in accounts.list_users(live)] == ["odile"]
    live.close()


def test_backup_of_a_missing_database(tmp_path, capsys):
    code, _, err = _run(["backup", str(tmp_path / "b.sqlite"), "--db", str(tmp_path / "none.sqlite")], capsys)
    # resolve_db_path does not create the file; the backup says there is nothing to save
    assert code == 2 and "Aucune base" in err
