"""secteurs: the Streamlit app (``secteurs app`` runs it).

Each page is one file of ``app/views/``; adding a page is one line of PAGES.
(Not ``pages/``: Streamlit would also list that folder's files as pages of its own.)
Served on the network, nothing is drawn before sign-in (:func:`app.auth.gate`),
and each person sees only the pages their role allows.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.auth import account_box, gate, mode
from app.run_times import timed_run
from geo.access import act_as, allowed

PAGES_DIR = Path(__file__).resolve().parent / "views"

#: (file in app/views/, French label, icon, URL path, action needed to see it); the first
#: page the user may see is their home page.
PAGES = [
    ("accueil.py", "Accueil", "🏠", "accueil", "home.view"),
    ("secteurs.py", "Secteurs", "🗺️", "secteurs", "sectors.view"),
    ("partenaires.py", "Partenaires", "🤝", "partenaires", "partners.view"),
    ("orientation.py", "Orientation", "🧭", "orientation", "routing.single"),
    ("couverture.py", "Couverture", "📊", "couverture", "coverage.view"),
    ("fiche_secteur.py", "Fiche secteur", "📄", "fiche-secteur", "fiche.view"),
    ("journal.py", "Journal", "📜", "journal", "audit.view"),
]
#: Only when served with sign-in (on localhost, ``secteurs users`` prepares the accounts).
ACCOUNTS_PAGE = ("comptes.py", "Comptes", "👥", "comptes", "users.manage")

st.set_page_config(layout="wide", page_title="secteurs")


def _guarded(run):
    """Run ``run()``; any error gives a French sentence, never an English message or a traceback.

    A broken database or file says what is wrong; a programming error says "erreur interne" with a
    reference, its details going to the server's log (``SECTEURS_DEBUG=1``: raised, for developers).
    (st.stop and st.rerun are BaseExceptions and pass through.)
    """
    try:
        return run()
    except Exception as exc:
        import os

        from app.messages import render, user_error

        if user_error(exc) is None and os.environ.get("SECTEURS_DEBUG"):
            raise
        st.error(render(exc))
        st.stop()


#: The page this run shows (for :func:`app.run_times.timed_run`).
_shown = {"page": "connexion"}


def _run(user) -> None:
    pages = PAGES + [ACCOUNTS_PAGE] if mode() else PAGES
    visible = [page for page in pages if allowed(user, page[4])]
    if not visible:  # a role that sees no page (none today): say so rather than draw an empty app
        st.error(f"Le rôle « {user.role} » ne donne accès à aucune page.")
        return
    account_box(user)
    navigation = st.navigation([
        st.Page(PAGES_DIR / name, title=title, icon=icon, url_path=url, default=(i == 0))
        for i, (name, title, icon, url, _action) in enumerate(visible)
    ])
    _shown["page"] = navigation.url_path or "accueil"
    with act_as(user):  # services and pages check rights against this user
        _guarded(navigation.run)


with timed_run(lambda: _shown["page"]):  # only with $SECTEURS_RUN_TIMES
    user = _guarded(gate)  # draws only the sign-in page and stops until someone is signed in
    if user is not None:  # None only outside a Streamlit run (st.stop does not stop there)
        _guarded(lambda: _run(user))
