"""Orientation: the hub's desk. One referral, or a whole list, to its sector, referent and partners."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import partners
from app import resources
from services import audit
from app.auth import can, require
from app.partner_filter_picker import partner_filter_picker
from app.messages import render_code
from app.messages.places import candidate_reason, status_label, why
from app.uploads import checked
from app.ui import FICTITIOUS, fictitious_notice, fr_int, plain_md, plan_record_picker, show_services, french
from geo.patients import PatientFileError
from geo.resolver import NOT_FOUND, resolve
from services.routing import Routing, route_file, summary_text, unit_label

#: Partners per type listed for one referral.
SERVICES_PER_TYPE = 3

st.title("Orientation")
st.caption("Le poste d'orientation : d'une commune (ou d'un code postal) au secteur, "
           "à la référente ou au référent et aux partenaires les plus proches.")

with st.expander("Plan de secteurs utilisé", expanded=not resources.saved_plans()):
    record = plan_record_picker("orientation")
if record is None:
    st.info("Aucun plan de secteurs : enregistrez-en un sur la page Secteurs, importez un fichier plan.csv "
            "ou proposez un plan de démonstration (ci-dessus).")
    st.stop()

directory = resources.partner_table()
plan_label, plan_is_demo = record.label, record.demo
chosen = partner_filter_picker("orientation_filter", directory)
nearest_by_unit = resources.nearest_by_unit(resources.directory_version(), chosen.labels, chosen.network_only)
routing = Routing.from_plan(record, partners=nearest_by_unit, explain=render_code, partner_filter=chosen,
                            territory=resources.territory())
st.caption(f"Plan : {plain_md(plan_label)}" + (f" — fait sur les patients : {plain_md(record.counts_label)}" if record.counts_label
                                      else "") + (" — équipe enregistrée avec la version" if record.team else ""))
if plan_is_demo:
    fictitious_notice("le plan est proposé sur des patients tirés au hasard (aucun patient réel)"
                      + ("." if record.team is not None else " ; référents S01, S02… fictifs."))
if resources.partners_are_demo(directory):
    fictitious_notice("l'annuaire des partenaires est un annuaire de démonstration inventé.")
for warning in routing.warnings:
    st.warning(warning)
if chosen.active:
    st.caption(f"Partenaires filtrés : {plain_md(chosen.describe())}.")

one, batch = st.tabs(["Une orientation", "Une liste"])

def _candidate_label(resolution):
    reasons = {c.code: candidate_reason(c) for c in resolution.candidates}
    return lambda code: f"{unit_label(code)} · {reasons.get(code, '')}"


def _pick_place(query: str) -> tuple[str | None, object]:
    """The unit the hub means by ``query`` (resolved, or picked among the candidates in one click)."""
    resolution = resolve(query)
    if resolution.resolved:
        return resolution.code, resolution
    shown = plain_md(query.strip())
    if resolution.status == NOT_FOUND:
        st.warning(f"Aucune commune du territoire pour « {shown} » : {plain_md(why(resolution))}.")
        if not resolution.candidates:
            return None, resolution
        prompt = "Vouliez-vous dire :"
    else:
        st.warning(f"« {shown} » est ambigu : {plain_md(why(resolution))}. Choisissez la commune :")
        prompt = f"{len(resolution.candidates)} communes possibles, la plus probable d'abord"
    # a new text gets a new widget: a pick made for another text is never carried over
    code = st.radio(prompt, resolution.codes, index=None, format_func=_candidate_label(resolution),
                    key=f"orientation_pick_{query.strip()}")
    return code, resolution


with one:
    query = st.text_input("Commune ou code postal", key="orientation_query",
                          placeholder="ex. 69003, Lyon 3e, St Priest, 38100 Grenoble")
    code, resolution = _pick_place(query) if query.strip() else (None, None)
    if code:
        referral = routing.unit(code, resolution)
        if resolution.resolved:
            st.caption(f"{status_label(resolution.status).capitalize()} : {referral.commune} — "
                       f"pourquoi : {plain_md(why(resolution))}.")
        else:
            st.caption(f"Choisie par vous : {unit_label(code)}.")
        figures = st.columns(3)
        figures[0].metric("Secteur", plain_md(referral.sector) if referral.sector else "—")
        figures[1].metric("Référent·e", plain_md(referral.referent) if referral.referent else "—")
        figures[2].metric("Groupe", plain_md(referral.groupe) if referral.groupe else "—")
        if not referral.routed:
            st.error(f"{referral.commune} : {routing.remark(referral)}.")
        services = partners.local_services(resources.connection(), code, k=SERVICES_PER_TYPE, **chosen.options())
        st.subheader("Résumé à copier")
        st.caption("Référent·e, groupe, CPTS et HAD qui couvrent la commune, psychologue et ERC les plus proches, "
                   "avec leur téléphone. Le bouton en haut à droite du cadre copie le texte.")
        st.code(summary_text(referral, services, partners.PARTNER_TYPES, render_code, full=False,
                             partner_filter=chosen), language=None)
        with st.expander("Tous les partenaires proches"):
            st.code(summary_text(referral, services, partners.PARTNER_TYPES, render_code, partner_filter=chosen),
                    language=None)
            show_services(services, partners.PARTNER_TYPES)

with batch:
    st.write("Une liste d'orientations (CSV ou XLSX, par exemple un export du logiciel hospitalier) : "
             "chaque ligne reçoit son secteur, sa référente ou son référent, son groupe et le partenaire "
             "le plus proche de chaque type. Les colonnes reconnues : « Code INSEE », « Code postal » (CP), "
             "« Ville » (Commune, Localité).")
    st.caption("Rien n'est enregistré : le fichier est traité en mémoire et le résultat n'existe que dans "
               "le fichier que vous téléchargez. Il ne contient que vos colonnes, telles quelles, et les "
               "colonnes ajoutées.")
    upload = checked(st.file_uploader("Liste d'orientations", type=["csv", "txt", "xlsx"], key="orientation_list",
                                      disabled=not can("routing.list")))
    if upload is not None:
        require("routing.list")
        try:
            routed = route_file(upload, routing, filename=upload.name)
        except PatientFileError as exc:
            st.error(f"{upload.name} : {french(exc)}")
            routed = None
        if routed is not None:
            s = routed.summary
            figures = st.columns(4)
            figures[0].metric("Lignes", fr_int(s["rows"]))
            figures[1].metric("Orientées", fr_int(s["routed"]))
            figures[2].metric("Ambiguës", fr_int(s["ambiguous"]),
                              help="Plusieurs communes possibles : aucune n'est choisie à votre place ; les "
                                   "candidates sont dans la colonne « candidats ». La ligne reçoit un secteur "
                                   "seulement si toutes les candidates sont dans le même secteur.")
            figures[3].metric("Non placées", fr_int(s["unplaced"]))
            if s.get("partner_filter"):
                st.caption(f"Colonnes des partenaires filtrées : {plain_md(s['partner_filter'])}.")
            stem = Path(upload.name).stem
            buttons = st.columns(2)
            lines = {"lignes": int(s["rows"]), "orientees": int(s["routed"]), "non_placees": int(s["unplaced"])}
            buttons[0].download_button("Télécharger (CSV)", routed.to_csv_bytes(), f"{stem}_orientation.csv",
                                       "text/csv", key="orientation_csv",
                                       on_click=audit.recorder(resources.connection, "export.routed",
                                                               target=f"{stem}_orientation.csv", detail=lines))
            buttons[1].download_button("Télécharger (XLSX)", routed.to_xlsx_bytes(), f"{stem}_orientation.xlsx",
                                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                       key="orientation_xlsx",
                                       on_click=audit.recorder(resources.connection, "export.routed",
                                                               target=f"{stem}_orientation.xlsx", detail=lines))
            if len(routed.unplaced):
                st.subheader("Lignes non placées")
                st.dataframe(routed.unplaced.rename(columns={"row": "Ligne", "reason": "Motif",
                                                             "code_insee": "Code INSEE", "code_postal": "Code postal",
                                                             "commune": "Commune"}), hide_index=True)
            st.subheader("Lignes orientées")
            st.caption("Statut : trouvée, corrigée (orthographe proche ou nom abrégé : vérifiez), ambiguë "
                       "(choisissez parmi les « candidats »), introuvable.")
            st.dataframe(routed.frame, hide_index=True)
            if plan_is_demo or resources.partners_are_demo(directory):
                st.caption(f"{FICTITIOUS} : plan ou partenaires inventés.")
