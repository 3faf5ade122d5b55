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
    """Run ``run()``; a broken database or file gives a French sentence, not a traceback.

    (st.stop and st.rerun are BaseExceptions and pass through.)
    """
    try:
        return run()
    except Exception as exc:
        from app.messages import render, user_error

        shown = user_error(exc)
        if shown is None:
            raise  # a programming error: Streamlit shows it (without details when served)
        st.error(render(shown))
        st.stop()


user = _guarded(gate)  # draws only the sign-in page and stops until someone is signed in


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
    with act_as(user):  # services and pages check rights against this user
        _guarded(navigation.run)


if user is not None:  # None only outside a Streamlit run (st.stop does not stop there)
    _guarded(lambda: _run(user))
