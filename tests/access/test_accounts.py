"""Local accounts: argon2 hashes, lock-out after repeated failures, sessions that expire."""
from __future__ import annotations

import pytest

from geo.database import connect
from services import accounts
from geo.access import AccessError

PASSWORD = "correct horse battery"


@pytest.fixture
def conn(tmp_path):
    c = connect(tmp_path / "accounts.sqlite")
    yield c
    c.close()


def _code(call, *args, **kwargs) -> str:
    with pytest.raises(AccessError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_password_is_stored_as_argon2id_only(conn, tmp_path):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD, name="Odile Martin")
    digest = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert digest.startswith("$argon2id$")
    conn.close()
    assert PASSWORD.encode() not in (tmp_path / "accounts.sqlite").read_bytes()


def test_sign_in_gives_the_account_role_and_name(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD, name="Odile Martin")
    user = accounts.authenticate(conn, "ODILE", PASSWORD)  # logins ignore case
    assert (user.login, user.role, user.label) == ("odile", "cadre", "Odile Martin")


def test_wrong_password_and_unknown_login_get_the_same_answer(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    assert _code(accounts.authenticate, conn, "odile", "wrong password!") == "access.bad_credentials"
    assert _code(accounts.authenticate, conn, "nobody", PASSWORD) == "access.bad_credentials"


def test_lock_out_after_repeated_failures_then_unlock_after_the_delay(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    now = 1_000_000.0
    for _ in range(accounts.MAX_FAILURES - 1):
        assert _code(accounts.authenticate, conn, "odile", "nope nope nope", now=now) == "access.bad_credentials"
    assert _code(accounts.authenticate, conn, "odile", "nope nope nope", now=now) == "access.locked"
    # locked: even the right password is refused, without counting
    assert _code(accounts.authenticate, conn, "odile", PASSWORD, now=now + 60) == "access.locked"
    assert accounts.list_users(conn, now=now + 60)[0]["locked"]
    later = now + accounts.LOCK_SECONDS + 1
    assert accounts.authenticate(conn, "odile", PASSWORD, now=later).login == "odile"


def test_success_resets_the_failure_count(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    for _ in range(accounts.MAX_FAILURES - 1):
        _code(accounts.authenticate, conn, "odile", "nope nope nope")
    accounts.authenticate(conn, "odile", PASSWORD)
    assert _code(accounts.authenticate, conn, "odile", "nope nope nope") == "access.bad_credentials"


def test_passwd_lifts_a_lock_and_ends_sessions(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    token = accounts.open_session(conn, "odile")
    for _ in range(accounts.MAX_FAILURES):
        _code(accounts.authenticate, conn, "odile", "nope nope nope")
    accounts.set_password(conn, "odile", "another long secret")
    assert accounts.session_user(conn, token) is None
    assert accounts.authenticate(conn, "odile", "another long secret").login == "odile"
    assert _code(accounts.authenticate, conn, "odile", PASSWORD) == "access.bad_credentials"


def test_disabled_account_cannot_sign_in_and_loses_its_sessions(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    token = accounts.open_session(conn, "odile")
    accounts.set_active(conn, "odile", False)
    assert accounts.session_user(conn, token) is None
    assert _code(accounts.authenticate, conn, "odile", PASSWORD) == "access.account_disabled"
    assert not accounts.has_password_accounts(conn)
    accounts.set_active(conn, "odile", True)
    assert accounts.authenticate(conn, "odile", PASSWORD).login == "odile"


def test_sessions_expire_when_idle_and_after_a_working_day(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    t0 = 2_000_000.0
    token = accounts.open_session(conn, "odile", now=t0)
    assert accounts.session_user(conn, token, now=t0 + 60).login == "odile"
    assert accounts.session_user(conn, token, now=t0 + 60 + accounts.IDLE_SECONDS + 1) is None
    # kept active every 20 minutes, it still ends after MAX_SESSION_SECONDS
    token = accounts.open_session(conn, "odile", now=t0)
    t = t0
    while t + 1200 < t0 + accounts.MAX_SESSION_SECONDS:
        t += 1200
        assert accounts.session_user(conn, token, now=t) is not None
    assert accounts.session_user(conn, token, now=t0 + accounts.MAX_SESSION_SECONDS + 1) is None


def test_token_is_stored_as_a_digest(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    token = accounts.open_session(conn, "odile")
    stored = conn.execute("SELECT token_sha256 FROM user_sessions").fetchone()[0]
    assert token not in stored and len(stored) == 64
    accounts.close_session(conn, token)
    assert accounts.session_user(conn, token) is None
    assert accounts.session_user(conn, "forged-token") is None


def test_bad_inputs_are_coded(conn):
    assert _code(accounts.add_user, conn, "x", "cadre", password="short") == "access.weak_password"
    assert _code(accounts.add_user, conn, "x", "chef", password=PASSWORD) == "access.unknown_role"
    assert _code(accounts.add_user, conn, "a\tb", "cadre", password=PASSWORD) == "access.bad_login"
    accounts.add_user(conn, "x", "cadre", password=PASSWORD)
    assert _code(accounts.add_user, conn, "X", "lecture", password=PASSWORD) == "access.user_exists"
    assert _code(accounts.set_password, conn, "nobody", PASSWORD) == "access.unknown_user"
    assert _code(accounts.set_role, conn, "x", "boss") == "access.unknown_role"


def test_provider_accounts_have_no_password(conn):
    accounts.add_user(conn, "Ines.Roche@chu.test", "équipe", name="Inès Roche")
    assert accounts.provider_user(conn, "ines.roche@chu.test").role == "équipe"
    assert accounts.provider_user(conn, "other@chu.test") is None
    assert _code(accounts.authenticate, conn, "Ines.Roche@chu.test", "") == "access.bad_credentials"
    assert not accounts.has_password_accounts(conn)
    accounts.set_active(conn, "Ines.Roche@chu.test", False)
    assert accounts.provider_user(conn, "ines.roche@chu.test") is None


def test_list_never_shows_hashes(conn):
    accounts.add_user(conn, "odile", "cadre", password=PASSWORD)
    (row,) = accounts.list_users(conn)
    assert not any("argon2" in str(v) for v in row.values())
    assert row["role"] == "cadre" and row["active"] and row["password"]
