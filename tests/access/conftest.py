"""Local accounts for the page tests of access (``--auth local``): the mode, a new account, signing in."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from app.serving import AUTH_ENV
from geo.access import act_as, local_user
from geo.database import connect
from services import accounts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from apptest_helpers import MAIN  # noqa: E402

#: The password of every account made here.
PASSWORD = "mot de passe assez long"


@pytest.fixture
def account_password() -> str:
    return PASSWORD


@pytest.fixture
def local_auth(monkeypatch):
    """The app in local-accounts mode for this test."""
    import geo.access

    monkeypatch.setenv(AUTH_ENV, "local")
    # the gate registers the session resolver process-wide: put back the CLI's local user afterwards
    monkeypatch.setitem(geo.access._RESOLVER, "resolve", None)


@pytest.fixture
def new_account():
    """``new_account(role)``: a fresh account of ``role`` (password :data:`PASSWORD`); returns its login."""
    def make(role: str) -> str:
        login = f"{role}-{uuid.uuid4().hex[:8]}"
        conn = connect()  # the database the pages use ($SECTEURS_DB of the test session)
        try:
            with act_as(local_user()):  # as `secteurs users add` does (a page run may have left a resolver)
                accounts.add_user(conn, login, role, password=PASSWORD, name=f"Test {role}")
        finally:
            conn.close()
        return login

    return make


@pytest.fixture
def sign_in():
    """``sign_in(login, at=None, password=PASSWORD)``: the sign-in form filled and sent (a new app by default)."""
    from streamlit.testing.v1 import AppTest

    def send(login: str, at=None, password: str = PASSWORD):
        at = at if at is not None else AppTest.from_file(str(MAIN), default_timeout=180).run()
        at.text_input(key="login_name").input(login)
        at.text_input(key="login_password").input(password)
        return at.button[0].click().run()

    return send
