"""Sign-in for the pages: who is using this browser session, and what they may do.

:func:`gate` runs at the start of every script run (``app/main.py``). On
localhost (no ``$SECTEURS_AUTH``) it returns the local user with every
right. Served with ``--auth local`` it shows a sign-in form for the accounts
of the database until a valid session exists; with ``--auth oidc`` a button
that sends the person to the identity provider (``st.login``), then looks up
their account by e-mail. Until then nothing but the sign-in page is drawn.

:func:`can` and :func:`require` are what pages call: ``disabled=not
can("partners.edit")`` on a button, ``require("partners.edit")`` right
before the write (it shows the French refusal and stops the run).
"""
from __future__ import annotations

import os
import time

import streamlit as st

from app.serving import AUTH_ENV, is_loopback
from services import accounts
from geo.access import NOBODY, AccessError, User, allowed, local_user, resolve_users_with
from geo.access import require as check

#: Session-state key of the local session token (never shown, never logged).
_TOKEN_KEY = "_secteurs_session_token"


def mode() -> str:
    """``""`` (localhost, one local user), ``"local"`` or ``"oidc"``."""
    return os.environ.get(AUTH_ENV, "").strip()


def _connection():
    from app import resources

    return resources.connection()


def _message(exc: BaseException) -> str:
    from app.messages import render

    return render(exc)


def _served_on_network_without_auth() -> bool:
    from streamlit import config

    if config.get_option("global.appTest"):  # page tests: no server, no network
        return False
    return not is_loopback(config.get_option("server.address"))


def current_user() -> User | None:
    """Who uses this browser session now, without drawing anything; ``None`` if nobody is signed in.

    Works in widget callbacks too (they run before the page's script).
    """
    current = mode()
    if not current:
        return None if _served_on_network_without_auth() else local_user()
    if current == "oidc":
        return _provider_identity()
    return accounts.session_user(_connection(), st.session_state.get(_TOKEN_KEY))


def _address() -> str:
    from streamlit import config

    return str(config.get_option("server.address") or "0.0.0.0")


def gate() -> User | None:
    """The signed-in user of this session; draws the sign-in page and stops the run otherwise.

    ``None`` only where ``st.stop`` does not stop: a bare ``python app/main.py``
    (multiprocessing's spawn re-runs the main module that way).
    """
    current = mode()
    if current:
        # services called from widget callbacks (before the page's act_as block) act as this session's person
        resolve_users_with(current_user)
    user = current_user()
    if user is not None:
        return user
    if not current:
        st.error(_message(AccessError("access.served_without_auth",
                                      address=_address())))
        st.stop()
        return None
    if current == "oidc":
        _oidc_sign_in()
    else:
        _local_sign_in()
    st.stop()
    return None


def _login_header() -> None:
    st.title("secteurs")
    st.caption("Secteurs du service social — accès réservé à l'équipe et aux personnes autorisées.")


def _local_sign_in() -> None:
    st.session_state.pop(_TOKEN_KEY, None)
    _login_header()
    narrow, _ = st.columns([2, 3])
    with narrow, st.form("login", clear_on_submit=True):  # the password does not stay in the session
        login = st.text_input("Identifiant", key="login_name")
        password = st.text_input("Mot de passe", type="password", key="login_password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        conn = _connection()
        try:
            signed = accounts.authenticate(conn, login, password)
        except AccessError as exc:
            st.error(_message(exc))
        else:
            st.session_state[_TOKEN_KEY] = accounts.open_session(conn, signed.login)
            st.rerun()


def _provider_signed_in() -> bool:
    if not st.user.is_logged_in:
        return False
    issued = st.user.get("iat")
    # The identity cookie lasts 30 days; a session of secteurs lasts a working day.
    return not (isinstance(issued, (int, float)) and time.time() - issued > accounts.MAX_SESSION_SECONDS)


def _provider_identity() -> User | None:
    if not _provider_signed_in():
        return None
    if st.user.get("email_verified") is False:  # an address the person typed, not one the hospital vouches for
        return None
    user = accounts.provider_user(_connection(), st.user.get("email"))
    if user is None:
        return None
    return User(user.login, user.role, user.name or str(st.user.get("name") or "") or user.login)


def _oidc_sign_in() -> None:
    _login_header()
    if not _provider_signed_in():
        st.write("Connectez-vous avec le compte de l'établissement.")
        if st.button("Se connecter", type="primary", key="oidc_login"):
            st.login()
        return
    email = st.user.get("email") or st.user.get("sub") or "?"
    st.error(_message(AccessError("access.not_enrolled", email=str(email))))
    if st.button("Se déconnecter", key="oidc_logout_unknown"):
        st.logout()


def sign_out() -> None:
    """End this browser session's sign-in."""
    if mode() == "oidc":
        st.logout()
        return
    token = st.session_state.pop(_TOKEN_KEY, None)
    if token:
        accounts.close_session(_connection(), token)
    st.rerun()


def account_box(user: User) -> None:
    """Who is signed in, and the sign-out button (sidebar); nothing on localhost."""
    if not mode():
        return
    with st.sidebar:
        st.caption(f"Connecté(e) : {user.label} — rôle {user.role}")
        if st.button("Se déconnecter", key="sign_out"):
            sign_out()


def can(action: str) -> bool:
    """Whether the person using this session may do ``action`` (to hide or disable a control)."""
    user = current_user()
    return user is not None and allowed(user, action)


def refusal(action: str) -> str | None:
    """The French refusal if the person using this session may not do ``action`` (for callbacks)."""
    user = current_user() or NOBODY
    try:
        check(user, action)
    except AccessError as exc:
        return _message(exc)
    return None


def require(action: str) -> None:
    """Stop the run with the French refusal unless the person using this session may do ``action``."""
    text = refusal(action)
    if text is not None:
        st.error(text)
        st.stop()


def author() -> str:
    """The name history records for changes made in this session."""
    user = current_user()
    return user.label if user is not None else ""
