"""``secteurs app``: localhost needs nothing; any other address refuses to start without sign-in."""
from __future__ import annotations

import subprocess
import sys

import pytest

from app import serving
from app.cli import app_command, build_parser
from geo.database import connect
from services import accounts
from geo.access import AccessError

SECRETS = """
[auth]
redirect_uri = "http://secteurs.chu.test:8501/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef"
client_id = "secteurs"
client_secret = "s3cret"
server_metadata_url = "http://idp.chu.test/.well-known/openid-configuration"
"""


class _Server:
    """Stands for the server process: records what ``secteurs app`` would start."""

    seen: dict = {}

    def __init__(self, command, env):
        _Server.seen = {"command": command, "env": env}

    def wait(self, timeout=None):
        return 0


@pytest.fixture
def started(monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", _Server)
    monkeypatch.setattr(app_command.signal, "signal", lambda *args: None)
    _Server.seen = {}
    return _Server.seen


def _app(argv, capsys):
    from app.cli import main

    code = main(["app", *argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "::1"])
def test_localhost_starts_without_sign_in_and_hardened(tmp_path, capsys, started, address):
    code, err = _app(["--address", address, "--db", str(tmp_path / "d.sqlite")], capsys)
    assert code == 0, err
    command = _Server.seen["command"]
    assert _Server.seen["env"][serving.AUTH_ENV] == ""
    for option in ("--server.enableXsrfProtection=true", "--client.showErrorDetails=none",
                   f"--server.maxUploadSize={serving.MAX_UPLOAD_MB}"):
        assert option in command


@pytest.mark.parametrize("address", ["0.0.0.0", "10.12.0.7", "secteurs.chu.test", "::"])
def test_network_address_without_auth_refuses_in_french(tmp_path, capsys, started, address):
    code, err = _app(["--address", address, "--db", str(tmp_path / "d.sqlite")], capsys)
    assert code == 2
    assert "ne démarre pas sans authentification" in err and "--auth local" in err
    assert "Traceback" not in err
    assert not _Server.seen  # no server was started


def test_local_accounts_need_one_account_with_a_password(tmp_path, capsys, started):
    db = tmp_path / "d.sqlite"
    code, err = _app(["--address", "0.0.0.0", "--auth", "local", "--db", str(db)], capsys)
    assert code == 2 and "secteurs users add" in err and not _Server.seen
    conn = connect(db)
    accounts.add_user(conn, "odile", "admin", password="a long enough password")
    conn.close()
    code, err = _app(["--address", "0.0.0.0", "--auth", "local", "--db", str(db)], capsys)
    assert code == 0, err
    assert _Server.seen["env"][serving.AUTH_ENV] == "local"
    assert any(o.startswith("--browser.serverAddress=") for o in _Server.seen["command"])


def test_oidc_needs_a_complete_secrets_file(tmp_path, capsys, started):
    db = str(tmp_path / "d.sqlite")
    code, err = _app(["--address", "0.0.0.0", "--auth", "oidc", "--db", db], capsys)
    assert code == 2 and "--secrets" in err
    incomplete = tmp_path / "incomplete.toml"
    incomplete.write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\n', encoding="utf-8")
    code, err = _app(["--address", "0.0.0.0", "--auth", "oidc", "--secrets", str(incomplete), "--db", db], capsys)
    assert code == 2 and "client_secret" in err and "cookie_secret" in err
    broken = tmp_path / "broken.toml"
    broken.write_text("[auth\n", encoding="utf-8")
    code, err = _app(["--address", "0.0.0.0", "--auth", "oidc", "--secrets", str(broken), "--db", db], capsys)
    assert code == 2 and "TOML" in err
    good = tmp_path / "secrets.toml"
    good.write_text(SECRETS, encoding="utf-8")
    code, err = _app(["--address", "0.0.0.0", "--auth", "oidc", "--secrets", str(good), "--db", db], capsys)
    assert code == 0, err
    assert f"--secrets.files={good.resolve()}" in _Server.seen["command"]
    assert _Server.seen["env"][serving.AUTH_ENV] == "oidc"


def test_relative_urls_in_secrets_are_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SECRETS.replace("http://idp.chu.test/", "/"), encoding="utf-8")
    with pytest.raises(AccessError) as caught:
        serving.check_oidc_secrets(path)
    assert caught.value.code == "access.oidc_url_not_absolute"


def test_the_real_command_exits_2_before_starting_anything(tmp_path):
    """The console entry point itself, in a subprocess: exit code 2 and a French sentence."""
    result = subprocess.run([sys.executable, "-m", "app.cli", "app", "--address", "0.0.0.0",
                             "--db", str(tmp_path / "d.sqlite")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "authentification" in result.stderr and "Traceback" not in result.stderr


def test_base_url_path_reaches_streamlit(tmp_path, capsys, started):
    code, err = _app(["--base-url-path", "/secteurs/", "--db", str(tmp_path / "d.sqlite")], capsys)
    assert code == 0, err
    assert "--server.baseUrlPath=secteurs" in _Server.seen["command"]
