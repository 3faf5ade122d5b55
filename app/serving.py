"""How the app may be served: on localhost for one person, or on the network with sign-in.

``secteurs app`` (localhost) needs nothing: the person at the keyboard is the
only user and has every right. Any other address would show patient figures
and the partner directory to the whole network, so :func:`serving_options`
refuses it unless an authentication mode is configured:

- ``local``: accounts of the database (``secteurs users add``), at least one
  active with a password;
- ``oidc``: the hospital's identity provider through Streamlit's ``st.login``,
  configured by a ``secrets.toml`` whose ``[auth]`` section names it.

Whatever the mode, the server runs hardened: XSRF protection on, no error
details (stack traces, file paths, SQL) sent to browsers, an upload limit.
"""
from __future__ import annotations

import os
import socket
import tomllib
from pathlib import Path

from geo.access import AccessError

#: Environment variable telling the app's pages which sign-in to ask for ("" on localhost).
AUTH_ENV = "SECTEURS_AUTH"
AUTH_MODES = ("local", "oidc")
#: Addresses that only this machine can reach.
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
#: Largest file a page accepts (MB); Streamlit refuses larger ones, and pages check again.
MAX_UPLOAD_MB = 50
#: Keys the ``[auth]`` section needs (Streamlit's st.login, one unnamed provider).
OIDC_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` is reachable from this machine only."""
    return str(address or "").strip().lower() in LOOPBACK or str(address or "").startswith("127.")


def hardening_options() -> list[str]:
    """Streamlit options every server of secteurs runs with."""
    return ["--server.enableXsrfProtection=true",
            "--client.showErrorDetails=none",  # no traceback, path or SQL reaches a browser
            f"--server.maxUploadSize={MAX_UPLOAD_MB}"]


def check_oidc_secrets(path: str | os.PathLike) -> dict:
    """The ``[auth]`` section of ``path``, checked as ``st.login`` will need it."""
    path = Path(path)
    if not path.is_file():
        raise AccessError("access.oidc_secrets_missing", path=str(path))
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("auth") or {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AccessError("access.oidc_secrets_invalid", path=str(path), reason=str(exc)) from None
    missing = [k for k in OIDC_KEYS if not str(section.get(k, "")).strip()]
    if missing:
        raise AccessError("access.oidc_secrets_incomplete", path=str(path), missing=missing)
    for key in ("redirect_uri", "server_metadata_url"):
        if not str(section[key]).startswith(("http://", "https://")):
            raise AccessError("access.oidc_url_not_absolute", path=str(path), key=key)
    return section


def serving_options(address: str, auth: str | None, *, db_path: Path,
                    secrets: str | os.PathLike | None = None) -> tuple[list[str], dict]:
    """Streamlit options and environment for serving on ``address`` with ``auth``.

    Raises a coded :class:`AccessError` when the address is on the network
    and no authentication is configured, or when the chosen one is incomplete.
    """
    options, env = hardening_options(), {AUTH_ENV: auth or ""}
    if not auth:
        if not is_loopback(address):
            raise AccessError("access.auth_required", address=address)
        return options, env
    if auth == "local":
        from services.accounts import has_password_accounts
        from services.storage import open_database

        conn = open_database(db_path)
        try:
            if not has_password_accounts(conn):
                raise AccessError("access.no_accounts", db=str(db_path))
        finally:
            conn.close()
    elif auth == "oidc":
        if secrets is None:
            raise AccessError("access.oidc_secrets_missing", path=".streamlit/secrets.toml")
        check_oidc_secrets(secrets)
        options.append(f"--secrets.files={Path(secrets).resolve()}")
    if not is_loopback(address):
        # Named here, Streamlit prints this host instead of looking up the machine's public address.
        options.append(f"--browser.serverAddress={socket.gethostname()}")
    return options, env


def check_upload_size(name: str, size: int, limit_mb: int = MAX_UPLOAD_MB) -> None:
    """Raise ``access.upload_too_large`` for a file over the limit (Streamlit's own check may be bypassed)."""
    if size > limit_mb * 1024 * 1024:
        raise AccessError("access.upload_too_large", name=name, size_mb=round(size / 1024 / 1024, 1),
                          limit_mb=limit_mb)
