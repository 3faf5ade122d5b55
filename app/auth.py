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
from services.access import AccessError, User, acting_user, allowed, local_user

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
    if st.get_option("global.appTest"):  # page tests: no server, no network
        return False
    return not is_loopback(st.get_option("server.address"))


def gate() -> User:
    """The signed-in user of this session; draws the sign-in page and stops the run otherwise."""
    current = mode()
    if not current:
        if _served_on_network_without_auth():
            st.error(_message(AccessError("access.served_without_auth",
                                          address=st.get_option("server.address") or "0.0.0.0")))
            st.stop()
        return local_user()
    if current == "oidc":
        return _oidc_gate()
    return _local_gate()


def _login_header() -> None:
    st.title("secteurs")
    st.caption("Secteurs du service social — accès réservé à l'équipe et aux personnes autorisées.")


def _local_gate() -> User:
    conn = _connection()
    user = accounts.session_user(conn, st.session_state.get(_TOKEN_KEY))
    if user is not None:
        return user
    st.session_state.pop(_TOKEN_KEY, None)
    _login_header()
    with st.form("login", clear_on_submit=True):  # the password does not stay in the session
        login = st.text_input("Identifiant", key="login_name")
        password = st.text_input("Mot de passe", type="password", key="login_password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        try:
            signed = accounts.authenticate(conn, login, password)
        except AccessError as exc:
            st.error(_message(exc))
        else:
            st.session_state[_TOKEN_KEY] = accounts.open_session(conn, signed.login)
            st.rerun()
    st.stop()


def _oidc_gate() -> User:
    logged_in = bool(st.user.is_logged_in)
    issued = st.user.get("iat") if logged_in else None
    if logged_in and isinstance(issued, (int, float)) and time.time() - issued > accounts.MAX_SESSION_SECONDS:
        logged_in = False  # the identity cookie outlives our working-day session: sign in again
    if not logged_in:
        _login_header()
        st.write("Connectez-vous avec le compte de l'établissement.")
        if st.button("Se connecter", type="primary", key="oidc_login"):
            st.login()
        st.stop()
    email = st.user.get("email")
    user = accounts.provider_user(_connection(), email)
    if user is None:
        _login_header()
        st.error(_message(AccessError("access.not_enrolled", email=str(email or st.user.get("sub") or "?"))))
        if st.button("Se déconnecter", key="oidc_logout_unknown"):
            st.logout()
        st.stop()
    return User(user.login, user.role, user.name or str(st.user.get("name") or "") or user.login)


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
    """Whether the user of this run may do ``action`` (to hide or disable a control)."""
    return allowed(acting_user(), action)


def require(action: str) -> None:
    """Stop the run with the French refusal unless the user of this run may do ``action``."""
    from services.access import require as check

    try:
        check(acting_user(), action)
    except AccessError as exc:
        st.error(_message(exc))
        st.stop()
