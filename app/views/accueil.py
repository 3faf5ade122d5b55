"""Accueil: the region at a glance (units, population, patients, partners) and its map."""
from __future__ import annotations

import streamlit as st

from app import resources
from app.map import PARTNER_COLOURS, Paint, classify, clicked_feature, show_map
from app.ui import FICTITIOUS, fictitious_notice, fr_int, plain_md
from partners import PARTNER_TYPES

MAP_KEY = "accueil_map"
#: Lower bounds of the patient classes on the map.
PATIENT_CLASSES = [1, 2, 3, 5, 10, 20]

units = resources.units()
counts, counts_label, counts_demo = resources.counts_in_use()
#: How patient figures are qualified on this page.
QUALIFIER = " (démo fictive)" if counts_demo else ""
partner_table = resources.partner_table()

st.title("Accueil")
st.caption("Le territoire du centre : 12 départements d'Auvergne-Rhône-Alpes, "
           "communes et arrondissements de Lyon.")
if counts is not None:
    st.caption(f"Patients : {plain_md(counts_label)}")

figures = st.columns(4)
figures[0].metric("Communes et arrondissements", fr_int(len(units)))
figures[1].metric("Population", fr_int(units["population"].sum()))
if counts is not None:
    figures[2].metric(f"Patients{QUALIFIER}", fr_int(counts["patients"].sum()),
                      help=f"{FICTITIOUS} : aucun patient réel." if counts_demo else f"Comptages : {counts_label}")
else:
    figures[2].metric("Patients", "—", help="Aucun comptage de patients importé.")
figures[3].metric("Partenaires", fr_int(len(partner_table)))

demo = []
if counts is not None and counts_demo:
    demo.append("les patients par commune sont tirés au hasard (aucun patient réel)")
if resources.partners_are_demo(partner_table):
    demo.append("l'annuaire des partenaires est inventé (ne pas y orienter de patient)")
if demo:
    fictitious_notice(" ; ".join(demo) + ".")
if len(partner_table) == 0:
    st.info("L'annuaire des partenaires est vide : importez-les depuis la page Partenaires.")
else:
    by_type = partner_table["type"].value_counts()
    columns = st.columns(len(by_type))
    for column, (kind, number) in zip(columns, by_type.items()):
        column.metric(kind, fr_int(number), help=PARTNER_TYPES.get(kind, kind))

paint = Paint()
if counts is not None:
    per_unit = counts.set_index("code_insee")["patients"]
    paint.fill, items = classify(per_unit, PATIENT_CLASSES)
    paint.tips = {code: f"{n} patient{'s' if n > 1 else ''}{' (fictif)' if counts_demo else ''}"
                  for code, n in per_unit.items()}
    paint.legend = (f"Patients{QUALIFIER}", items)

feature = clicked_feature(MAP_KEY)
props = feature["properties"] if feature else {}
if props.get("code_insee"):
    paint.selected = [props["code_insee"]]

left, right = st.columns([3, 1])
with left:
    show_map(paint, key=MAP_KEY, partners=partner_table)
with right:
    st.subheader("Sélection")
    if props.get("code_insee"):
        row = units.loc[units["code_insee"] == props["code_insee"]]
        if len(row):
            row = row.iloc[0]
            st.markdown(f"**{row['nom']}** ({row['code_insee']})")
            st.write(f"Département : {row['departement']}")
            st.write(f"Population : {fr_int(row['population'])} hab.")
            if counts is not None:
                n = int(per_unit.get(row["code_insee"], 0))
                st.write(f"Patients{QUALIFIER} : {fr_int(n)}")
    elif props.get("partner_id") is not None:
        st.markdown(f"**{props.get('name', '')}**")
        st.write(PARTNER_TYPES.get(props.get("type"), props.get("type", "")))
    else:
        st.write("Cliquez sur une commune (ou un partenaire) de la carte.")
    if len(partner_table):
        st.markdown("**Partenaires**")
        st.markdown("<br>".join(
            f'<span style="color:{PARTNER_COLOURS.get(kind, "#666")}">●</span> {kind}'
            for kind in sorted(partner_table["type"].unique())), unsafe_allow_html=True)
