"""secteurs: the Streamlit app (``secteurs app`` runs it).

Each page is one file of ``app/views/``; adding a page is one line of PAGES.
(Not ``pages/``: Streamlit would also list that folder's files as pages of its own.)
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent / "views"

#: (file in app/views/, French label, icon, URL path); the first is the home page.
PAGES = [
    ("accueil.py", "Accueil", "🏠", "accueil"),
    ("secteurs.py", "Secteurs", "🗺️", "secteurs"),
    ("partenaires.py", "Partenaires", "🤝", "partenaires"),
    ("orientation.py", "Orientation", "🧭", "orientation"),
    ("couverture.py", "Couverture", "📊", "couverture"),
    ("fiche_secteur.py", "Fiche secteur", "📄", "fiche-secteur"),
]

st.set_page_config(layout="wide", page_title="secteurs")
navigation = st.navigation([
    st.Page(PAGES_DIR / name, title=title, icon=icon, url_path=url, default=(i == 0))
    for i, (name, title, icon, url) in enumerate(PAGES)
])
navigation.run()
