"""Fiche secteur: one sector's sheet for a new social worker (map, communes, partners, neighbours, hub).

The sheet is built once for every session asking for the same plan, sector,
counts, filter and directory version (:mod:`app.shared`); its PDF and HTML
(map drawn, a second or more) are built only when someone clicks a download
button (deferred data), not on every visit of the page.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from app import resources
from app.auth import require
from app.shared import digest, shared
from services import audit
from app.map import Paint, show_map, view_of
from app.partner_filter_picker import partner_filter_picker
from app.ui import PARTNER_HEADERS, counts_picker, fictitious_notice, fr_int, plain_md, plan_record_picker, french
from geo.sectors.palette import sector_colours
from services.reports.fiche import SHEET_SECTIONS, build_sheet, hub_contact

# the sheet is shared by the sessions (a cache hit skips build_sheet's own check): check here too
require("fiche.view")

MAP_KEY = "fiche_map"

st.title("Fiche secteur")
st.caption("La fiche d'un secteur, à remettre à une nouvelle ou un nouveau collègue : carte, communes, "
           "partenaires et contacts, CPTS et HAD, secteurs voisins et leurs référent·es, poste flux/pivot.")

with st.expander("Plan de secteurs et patients", expanded=not resources.saved_plans()):
    record = plan_record_picker("fiche")
    counts, counts_label, counts_are_demo = counts_picker("fiche")
if record is None:
    st.info("Aucun plan de secteurs : enregistrez-en un sur la page Secteurs, importez un fichier plan.csv "
            "ou proposez un plan de démonstration (ci-dessus).")
    st.stop()

plan, plan_label, plan_is_demo = record.assignment, record.label, record.demo
st.caption(f"Plan : {plain_md(plan_label)} — Patients : {plain_md(counts_label)}")
sectors = record.sectors
sector = st.selectbox("Secteur", sectors, key="fiche_sector")
directory = resources.partner_table()
chosen = partner_filter_picker("fiche_filter", directory)
# everything the sheet is made of: a change by anyone (plan version, counts, partner edit) is a new key
sheet_key = (digest(record.frame, sorted(record.referents.items()), sorted(record.groups.items())), sector,
             digest(counts), plan_label, counts_label, counts_are_demo, chosen, resources.directory_version(),
             dt.date.today(), hub_contact())
connection, land = resources.connection(), resources.territory()


def _sheet(with_map: bool):
    """The sheet (shared by every session); with its map for the downloads."""
    return shared("fiche_map" if with_map else "fiche", sheet_key, lambda: build_sheet(
        connection, record, sector, patients=counts, plan_label=plan_label, demo_patients=counts_are_demo,
        with_map=with_map, territory=land, partner_filter=chosen))


try:
    sheet = _sheet(with_map=False)
except ValueError as exc:             # e.g. a plan file with codes that are not units of the territory
    st.error(f"Fiche impossible à établir : {french(exc)}")
    st.stop()
if sheet.demo_partners:
    fictitious_notice("l'annuaire des partenaires est inventé (fictif) : ne pas orienter de patient vers eux.")
if counts_are_demo or plan_is_demo:
    fictitious_notice("les patients par commune sont tirés au hasard (fictifs)"
                      + (" et le plan est proposé sur ces patients." if plan_is_demo else "."))

st.header(plain_md(sheet.title))
figures = st.columns(4)
figures[0].metric("Référent·e", plain_md(sheet.referent) if sheet.referent else "—")
figures[1].metric("Groupe", plain_md(sheet.groupe) if sheet.groupe else "—")
figures[2].metric("Communes", fr_int(len(sheet.communes)))
figures[3].metric("Population", fr_int(sheet.communes["population"].sum()))
st.write(f"**Poste flux/pivot** : {sheet.hub}")
st.caption(f"Partenaires filtrés : {plain_md(sheet.partner_filter)}." if sheet.partner_filter
           else "Partenaires : tout l'annuaire (aucun filtre).")

st.subheader(SHEET_SECTIONS[1])
# every worker in the colour the Secteurs page, the comparison map and the reports give them
colour_of = sector_colours(sectors)
neighbours = sheet.neighbours["secteur"].tolist()
shown = [sector] + [n for n in neighbours if n != sector]
palette = tuple(colour_of[n] for n in shown)
plan_codes = plan.assign(code_insee=plan["code_insee"].astype(str), sector=plan["sector"].astype(str))
fill = {code: 0 for code in sheet.communes["code_insee"]}
for i, name in enumerate(shown[1:], start=1):
    fill.update({code: i for code in plan_codes.loc[plan_codes["sector"] == name, "code_insee"]})
paint = Paint(fill=fill, palette=palette, selected=list(sheet.communes["code_insee"]),
              legend=("Secteurs", [(palette[i], n) for i, n in enumerate(shown)]))
show_map(paint, key=MAP_KEY, partners=chosen.keep(directory),
         view=view_of(resources.units(), sheet.communes["code_insee"]))

tables = sheet.tables()
for title, table in tables.items():
    st.subheader(title)
    if title == SHEET_SECTIONS[3]:
        for line in sheet.uncovered_text():
            st.write(line)
    if title == SHEET_SECTIONS[5]:
        st.caption(f"Hors du secteur, à moins de {sheet.around_km:g} km d'une de ses communes, et le plus proche "
                   "de chaque type absent (vol d'oiseau).")
    if table.empty:
        st.write("(aucun)")
    else:
        st.dataframe(table.rename(columns=PARTNER_HEADERS), hide_index=True)

st.subheader("Partenaires clés (page 1 de la fiche)")
st.dataframe(sheet.key_table(), hide_index=True)

st.subheader("Télécharger la fiche")
buttons = st.columns(2)
stem = f"fiche_secteur_{''.join(c if c.isalnum() or c in '-_' else '_' for c in sector)}"
_detail = {"plan": plan_label, "secteur": sector, "effectifs": counts_label}


# built when clicked, in a thread of the server (deferred data), once for everyone (shared)
def pdf_data() -> bytes:
    return shared("fiche_pdf", sheet_key, lambda: _sheet(with_map=True).pdf_bytes())


def html_data() -> bytes:
    return shared("fiche_html", sheet_key, lambda: _sheet(with_map=True).html().encode("utf-8"))


# made as the person who drew the button (deferred data runs outside the page's sign-in block), recorded per file
buttons[0].download_button("Fiche (PDF)", audit.recorded_data(resources.connection, "export.fiche_pdf", pdf_data,
                                                              target=f"{stem}.pdf", detail=_detail),
                           f"{stem}.pdf", "application/pdf", key="fiche_pdf", on_click="ignore")
buttons[1].download_button("Fiche à imprimer (HTML)", audit.recorded_data(resources.connection, "export.fiche_html",
                                                                          html_data, target=f"{stem}.html",
                                                                          detail=_detail),
                           f"{stem}.html", "text/html", key="fiche_html", on_click="ignore")
