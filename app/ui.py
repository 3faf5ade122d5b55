"""Small presentation helpers shared by the pages (French number formatting, notices)."""
from __future__ import annotations

import streamlit as st

#: Shown wherever demo data appear.
FICTITIOUS = "Données de démonstration fictives"


def fr_int(value) -> str:
    """``1234567`` -> ``'1 234 567'`` (French thousands separator, a narrow no-break space)."""
    return f"{int(value):,}".replace(",", "\u202f")


def fictitious_notice(what: str) -> None:
    """The warning every page shows next to demo data."""
    st.warning(f"**{FICTITIOUS}** : {what}", icon="⚠️")
