"""Journal: who changed what and who exported patient-derived figures (cadre and admin only).

Reads :func:`services.audit.journal` (the audit trail and the partner
directory's own history), filters it by period, kind of action and person,
and exports it as CSV or XLSX (spreadsheet formulas neutralised).
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from app import resources
from app.auth import require
from app.ui import fr_int
from services import audit

require("audit.view")
conn = resources.connection()

st.title("Journal")
st.caption("Chaque modification (équipe, effectifs, plans, comptes, partenaires) et chaque export de chiffres "
           "issus des patients, avec qui, quand et quoi. Les heures sont celles de Paris. Le détail champ par "
           "champ des partenaires reste aussi dans l'historique de la page Partenaires.")

#: Kind of action shown in the filter -> event-code prefix.
KINDS = {"Tout": None, "Exports": "export", "Plans": "plan", "Équipe": "team", "Effectifs": "counts",
         "Partenaires": "partner", "Comptes": "user"}

today = dt.date.today()
cols = st.columns([2, 2, 2])
period = cols[0].date_input("Période", (today - dt.timedelta(days=30), today), key="journal_period",
                            format="DD/MM/YYYY")
kind = cols[1].selectbox("Type d'action", list(KINDS), key="journal_kind")
everything = audit.journal(conn)
people = sorted(p for p in set(everything["login"]) if p)
person = cols[2].selectbox("Personne", ["Tout le monde", *people], key="journal_person")

since = until = None
if isinstance(period, (tuple, list)) and len(period) == 2:
    since, until = period[0].isoformat(), period[1].isoformat()
elif isinstance(period, (tuple, list)) and len(period) == 1:
    since = period[0].isoformat()
frame = audit.journal(conn, since=since, until=until, event_prefix=KINDS[kind],
                      login=None if person == "Tout le monde" else person)

st.write(f"{fr_int(len(frame))} entrée(s).")
if len(frame):
    # plain text cells (st.dataframe never renders markdown or HTML)
    st.dataframe(audit.readable(frame).drop(columns=["Horodatage (UTC)", "Code"]), hide_index=True,
                 use_container_width=True)
    stem = f"journal_secteurs_{today.isoformat()}"
    buttons = st.columns(4)
    buttons[0].download_button("Journal (CSV)", audit.journal_csv(frame), f"{stem}.csv", "text/csv",
                               key="journal_csv", on_click=audit.recorder(resources.connection, "export.journal",
                                                                         target=f"{stem}.csv"))
    buttons[1].download_button("Journal (XLSX)", audit.journal_xlsx(frame), f"{stem}.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key="journal_xlsx", on_click=audit.recorder(resources.connection, "export.journal",
                                                                          target=f"{stem}.xlsx"))
else:
    st.info("Aucune entrée pour ces filtres.")
