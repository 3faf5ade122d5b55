"""Partenaires: find the partners of a commune, keep the directory (forms, history, undo), import, export."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import partners
from app import resources
from app.auth import author, can, require
from app.uploads import checked
from app.map import PARTNER_COLOURS, Paint, clicked_feature, show_map
from app.ui import PARTNER_HEADERS, fictitious_notice, fr_int, french, plain_md, plan_picker, show_services
from geo.lookup import gazetteer
from app.messages.places import status_label, why
from geo.resolver import NOT_FOUND, resolve
from services.routing import unit_label
from partners.directory import filter_partners, form_errors, form_values, from_form
from partners.validation import ValidationError

MAP_KEY = "partenaires_map"
#: Import formats and their French labels.
FORMATS = {"finess": "FINESS (extraction etalab des établissements)",
           "rpps": "Annuaire Santé (RPPS : psychologues)",
           "zones": "Zones des CPTS et HAD (type ; partenaire ; code INSEE)",
           "csv": "Modèle de saisie (CSV ou XLSX)"}
#: Form fields: (Partner field, French label, help).
FIELDS = (
    ("name", "Nom", ""),
    ("address", "Adresse", "numéro et voie"),
    ("code_insee", "Code INSEE", "ou code postal + commune"),
    ("postal_code", "Code postal", ""),
    ("commune", "Commune", ""),
    ("phone", "Téléphone", "ex. 04 72 11 22 33"),
    ("email", "E-mail", ""),
    ("website", "Site internet", ""),
    ("finess", "FINESS", "9 caractères, clé vérifiée"),
    ("rpps", "RPPS", "11 chiffres (psychologues)"),
    ("adeli", "ADELI", "9 caractères"),
    ("lon", "Longitude", "WGS84, ex. 4,85 ; vide : le point de la commune"),
    ("lat", "Latitude", "WGS84, ex. 45,75"),
    ("communes", "Communes couvertes", "CPTS et HAD : codes INSEE séparés par des espaces"),
    ("notes", "Notes", ""),
)
LABELS = {"type": "Type", **{f: label for f, label, _ in FIELDS}}
ACTIONS = {"create": "création", "update": "modification", "delete": "suppression", "undo": "annulation"}

conn = resources.connection()
table = resources.partner_table()
g = gazetteer()


def _flash(kind: str, text: str) -> None:
    st.session_state.setdefault("partenaires_flash", []).append((kind, text))


def _type_label(code: str) -> str:
    return f"{code} — {partners.PARTNER_TYPES.get(code, code)}"


# what the previous run asked to set in widgets (a widget's state cannot change once it is drawn)
for key, value in st.session_state.pop("partenaires_pending", {}).items():
    if value is None:
        st.session_state.pop(key, None)
    else:
        st.session_state[key] = value

st.title("Partenaires")
st.caption("CPTS, HAD, espaces ressources cancer, psychologues, DAC, SSIAD et CCAS du territoire.")
for kind, text in st.session_state.pop("partenaires_flash", []):
    getattr(st, kind)(text)
if resources.partners_are_demo(table):
    fictitious_notice("l'annuaire des partenaires est un annuaire de démonstration inventé.")

find, directory, importing = st.tabs(["Trouver", "Annuaire", "Importer"])

# -- Find ------------------------------------------------------------------------------------------
with find:
    clicked = clicked_feature(MAP_KEY)
    clicked_props = clicked["properties"] if clicked else {}
    clicked_code = clicked_props.get("code_insee")
    if clicked_code and clicked_code in g and clicked_code != st.session_state.get("partenaires_last_click"):
        # a click on the map writes the commune in the search box (before the box is drawn)
        st.session_state["partenaires_last_click"] = clicked_code
        unit = g.unit(clicked_code)
        postal = str(unit.get("codes_postaux") or "").split(",")[0].strip()
        st.session_state["partenaires_query"] = f"{unit['nom']} ({postal})" if postal else clicked_code
    left, right = st.columns([2, 3])
    with left:
        query = st.text_input("Commune ou code postal", key="partenaires_query",
                              placeholder="ex. 69003, Lyon 3e, St Priest… ou cliquez sur la carte")
        place = resolve(query) if query.strip() else None
        codes = place.codes if place is not None else []
        code = None
        if place is not None and place.status == NOT_FOUND:
            st.warning(f"Aucune commune du territoire pour « {plain_md(query.strip())} » : {plain_md(why(place))}."
                       + (" Vouliez-vous dire :" if codes else ""))
        if codes:
            code = st.selectbox("Commune", codes, format_func=unit_label, key="partenaires_commune",
                                help="La commune trouvée, ou les communes possibles, la plus probable d'abord.")
            if place.status != NOT_FOUND:
                st.caption(f"{status_label(place.status).capitalize()} — {plain_md(why(place))}.")
        types = st.multiselect("Types", list(partners.PARTNER_TYPES), default=[t for t in partners.PARTNER_TYPES
                                                                               if t != "AUTRE"],
                               format_func=_type_label, key="partenaires_types")
        k = st.slider("Partenaires par type", 1, 10, 3, key="partenaires_k")
    paint = Paint(palette=("#b8e186", "#fdb863", "#c2a5cf"), fill_opacity=0.45)
    # the markers depend on the types only, so a new commune repaints the map without redrawing it
    shown = table[table["type"].isin(types)] if types else table
    services = None
    with left:
        if clicked_props.get("partner_id") is not None:
            st.caption(f"Partenaire cliqué : {clicked_props.get('type', '')} — {clicked_props.get('name', '')}")
        if code:
            services = partners.local_services(conn, code, k=k, types=types or None) if types else None
            cover = partners.covering(conn, code)
            st.subheader(unit_label(code))
            if len(cover):
                st.markdown("**Zones qui couvrent la commune** : " + " ; ".join(
                    f"{row.type} {row.name}" + (f" ({row.phone})" if row.phone else "")
                    for row in cover.itertuples()))
            else:
                st.markdown("**Zones qui couvrent la commune** : aucune CPTS ni HAD connue.")
            zone_of = {"CPTS": set(), "HAD": set()}
            for row in cover.itertuples():
                zone_of[row.type].update(partners.get_partner(conn, int(row.id)).communes or ())
            zones = {c: 0 for c in zone_of["CPTS"]}
            zones.update({c: 2 if c in zones else 1 for c in zone_of["HAD"]})
            paint.fill = zones
            paint.selected = [code]
            paint.legend = ("Zones couvrant la commune", [("#b8e186", "CPTS"), ("#fdb863", "HAD"),
                                                          ("#c2a5cf", "CPTS et HAD")]) if zones else None
            if services is not None:
                show_services(services, partners.PARTNER_TYPES)
    with right:
        show_map(paint, key=MAP_KEY, partners=shown)
        if len(shown):
            st.markdown(" ".join(f'<span style="color:{PARTNER_COLOURS.get(t, "#666")}">●</span> {t}'
                                 for t in sorted(shown["type"].unique())), unsafe_allow_html=True)

# -- Directory -------------------------------------------------------------------------------------
with directory:
    top = st.columns([3, 1])
    top[0].write(f"{fr_int(len(table))} partenaires dans l'annuaire.")
    if top[1].button("↶ Annuler la dernière modification", key="partenaires_undo",
                     disabled=not can("partners.edit")):
        require("partners.edit")
        try:
            done = partners.undo(conn, author=author())
            _flash("success", f"Modification n° {done['undone']} ({ACTIONS.get(done['action'], done['action'])}) "
                              f"annulée.")
        except ValidationError as exc:
            _flash("info" if str(exc) == "nothing to undo" else "error",
                   "Rien à annuler." if str(exc) == "nothing to undo" else f"Annulation impossible : {exc}")
        st.rerun()

    with st.expander("Secteurs (pour filtrer par secteur)"):
        plan, _, plan_label, _ = plan_picker("partenaires", workers=False)
    filters = st.columns(4)
    text = filters[0].text_input("Rechercher", key="partenaires_search", placeholder="nom, commune, FINESS…")
    kinds = filters[1].multiselect("Type", list(partners.PARTNER_TYPES), key="partenaires_filter_types")
    departements = filters[2].multiselect("Département", sorted(g.departements), key="partenaires_filter_deps")
    sectors = sorted(plan["sector"].unique()) if plan is not None else []
    sector = filters[3].selectbox("Secteur", ["(tous)"] + sectors, key="partenaires_filter_sector",
                                  disabled=plan is None,
                                  help=None if plan is not None else "Choisir un plan de secteurs ci-dessus.")
    view = filter_partners(table, text, kinds, departements,
                           dict(zip(plan["code_insee"], plan["sector"])) if plan is not None else None,
                           sector if plan is not None and sector != "(tous)" else None)
    columns = ["id", "type", "name", "commune", "postal_code", "phone", "email", "finess", "source", "updated_at"]
    if plan is not None:
        columns.insert(4, "sector")
    st.dataframe(view[columns].rename(columns={**PARTNER_HEADERS, "id": "N°", "sector": "Secteur",
                                               "source": "Source", "updated_at": "Modifié le"}),
                 hide_index=True, height=320)
    exports = st.columns(4)
    exports[0].caption(f"Exporter les {fr_int(len(view))} partenaires affichés :")
    for column, (fmt, label) in zip(exports[1:], (("csv", "CSV"), ("xlsx", "XLSX"), ("geojson", "GeoJSON"))):
        suffix, mime = partners.EXPORT_FORMATS[fmt]
        column.download_button(label, lambda fmt=fmt, subset=view: partners.export_bytes(conn, fmt, subset),
                               f"partenaires{suffix}", mime, key=f"partenaires_export_{fmt}")

    st.divider()
    options = [0] + view["id"].astype(int).tolist()
    names = dict(zip(table["id"].astype(int), table["type"] + " — " + table["name"] + " — " + table["commune"]))
    if st.session_state.get("partenaires_selected") not in options:
        st.session_state.pop("partenaires_selected", None)
    selected = st.selectbox("Fiche", options, key="partenaires_selected",
                            format_func=lambda i: "➕ Nouveau partenaire" if i == 0 else f"{names.get(i, i)} (n° {i})")
    current = partners.get_partner(conn, selected) if selected else None
    prefix = f"pf_{selected}_{st.session_state.get('partenaires_form_round', 0)}_"
    base = current or partners.Partner(type="CCAS", name="")
    with st.form(f"partenaires_form_{selected}"):
        st.markdown("**Modifier la fiche**" if current else "**Nouveau partenaire**")
        types_list = list(partners.PARTNER_TYPES)
        kind = st.selectbox("Type", types_list, index=types_list.index(base.type) if base.type in types_list else 0,
                            format_func=_type_label, key=prefix + "type")
        slots = {"type": st.empty()}
        values = {}
        shown_values = form_values(base)
        grid = st.columns(2)
        for i, (field, label, help_text) in enumerate(FIELDS):
            with grid[i % 2]:
                values[field] = st.text_input(label, value=shown_values[field], key=prefix + field,
                                              help=help_text or None)
                slots[field] = st.empty()
        general = st.empty()
        submitted = st.form_submit_button("Enregistrer", type="primary", disabled=not can("partners.edit"))
    if submitted:
        require("partners.edit")
        candidate = from_form(base, kind, values)
        if current is None:
            candidate = candidate.replace(source="saisie manuelle")
        errors = form_errors(candidate)
        if not errors:
            try:
                saved = partners.save_partner(conn, candidate, reason="saisie dans l'application",
                                              author=author())
            except ValidationError as exc:  # a duplicate FINESS, or a partner deleted meanwhile
                errors = {exc.field if exc.field in slots else "": [str(exc)]}
        for field, messages in errors.items():
            text = " ; ".join(french(m) for m in messages)
            slots.get(field, general).error(f"{LABELS[field]} : {text}" if field in LABELS else text)
        if not errors:
            verb = {"created": "créé", "updated": "enregistré", "unchanged": "inchangé"}[saved.action]
            warnings = "".join(f"\n- {french(i.message)}" for i in saved.issues if i.level == "warning")
            _flash("success", f"Partenaire n° {saved.id} « {saved.partner.name} » {verb}." + warnings)
            st.session_state["partenaires_form_round"] = st.session_state.get("partenaires_form_round", 0) + 1
            st.session_state["partenaires_pending"] = {
                "partenaires_selected": saved.id, "partenaires_search": "", "partenaires_filter_types": [],
                "partenaires_filter_deps": [], "partenaires_filter_sector": None}
            st.rerun()

    if current is not None:
        confirm_key = f"partenaires_confirm_{current.id}"
        if not st.session_state.get(confirm_key):
            if st.button("Supprimer ce partenaire…", key=f"partenaires_delete_{current.id}",
                         disabled=not can("partners.edit")):
                st.session_state[confirm_key] = True
                st.rerun()
        else:
            st.warning(f"Supprimer « {current.name} » (n° {current.id}) ? L'historique le garde ; "
                       "« Annuler la dernière modification » le rétablit.")
            yes, no = st.columns(2)
            if yes.button("Confirmer la suppression", type="primary", key=f"partenaires_confirm_yes_{current.id}"):
                st.session_state.pop(confirm_key, None)
                require("partners.edit")
                try:
                    partners.delete_partner(conn, current.id, reason="suppression dans l'application",
                                            author=author())
                    _flash("success", f"Partenaire n° {current.id} « {current.name} » supprimé.")
                except ValidationError as exc:
                    _flash("error", french(exc))
                st.session_state["partenaires_pending"] = {"partenaires_selected": None}
                st.rerun()
            if no.button("Annuler", key=f"partenaires_confirm_no_{current.id}"):
                st.session_state.pop(confirm_key, None)
                st.rerun()
        st.markdown("**Historique de la fiche**")
        history = partners.partner_history(conn, current.id)
        history["action"] = history["action"].map(lambda a: ACTIONS.get(a, a))
        st.dataframe(history[["id", "at", "author", "action", "reason", "undone_by"]].rename(columns={
            "id": "N°", "at": "Date (UTC)", "author": "Auteur", "action": "Action", "reason": "Motif",
            "undone_by": "Annulée par"}), hide_index=True)

# -- Import ----------------------------------------------------------------------------------------
with importing:
    fmt = st.selectbox("Format", list(FORMATS), format_func=FORMATS.get, key="partenaires_import_format")
    upload = checked(st.file_uploader("Fichier à importer", type=["csv", "txt", "xlsx"], key="partenaires_import_file",
                                      disabled=not can("partners.edit")))
    st.caption("Un aperçu (créations, mises à jour, rejets et leurs motifs) est montré avant tout enregistrement. "
               "Pour l'extraction nationale de l'Annuaire Santé (plusieurs centaines de Mo) : "
               "`secteurs partners import FICHIER --format rpps` en ligne de commande.")
    if upload is not None:
        token = (upload.file_id, fmt)
        if st.session_state.get("partenaires_preview_token") != token:
            with tempfile.TemporaryDirectory() as folder, st.spinner("Vérification du fichier…"):
                path = Path(folder) / Path(upload.name).name
                path.write_bytes(upload.getvalue())
                try:
                    report = partners.preview_import(conn, path, fmt)
                    error = None
                except (ValueError, OSError) as exc:
                    report, error = None, str(exc)
            st.session_state["partenaires_preview_token"] = token
            st.session_state["partenaires_preview"] = (report, error)
        report, error = st.session_state["partenaires_preview"]
        if error:
            st.error(f"{upload.name} : {error}")
        else:
            st.markdown(f"**Aperçu de l'import de {upload.name}** (rien n'est encore enregistré)")
            figures = st.columns(4)
            figures[0].metric("À créer", fr_int(report.created))
            figures[1].metric("À mettre à jour", fr_int(report.updated))
            figures[2].metric("Inchangés", fr_int(report.unchanged))
            figures[3].metric("Rejetés", fr_int(report.rejected))
            if report.skipped:
                st.caption("Laissés de côté : " + ", ".join(f"{k} {fr_int(v)}" for k, v in report.skipped.items()))
            if report.rejects:
                st.dataframe(pd.DataFrame([{"Ligne": r.row, "Niveau": "rejet" if r.level == "error" else "avertissement",
                                            "Motif": french(r.reason), "Nom": r.name} for r in report.rejects]),
                             hide_index=True)
            if st.button("Importer dans l'annuaire", type="primary", key="partenaires_import_commit",
                         disabled=not (report.created or report.updated) or not can("partners.edit")):
                require("partners.edit")
                with tempfile.TemporaryDirectory() as folder, st.spinner("Import…"):
                    path = Path(folder) / Path(upload.name).name
                    path.write_bytes(upload.getvalue())
                    done = partners.import_partners(conn, path, fmt, author=author())
                _flash("success", f"Import de {upload.name} : {done.created} créés, {done.updated} mis à jour, "
                                  f"{done.unchanged} inchangés, {done.rejected} rejetés.")
                st.session_state.pop("partenaires_preview_token", None)
                st.rerun()

    st.divider()
    st.markdown("**Modèle de saisie** : une ligne par partenaire (colonnes décrites dans la feuille « Aide » du "
                "modèle XLSX).")
    templates = st.columns(2)
    for column, suffix, mime in ((templates[0], ".csv", "text/csv"),
                                 (templates[1], ".xlsx", partners.EXPORT_FORMATS["xlsx"][1])):
        def _template(suffix=suffix) -> bytes:
            with tempfile.TemporaryDirectory() as folder:
                return partners.write_template(Path(folder) / f"modele{suffix}").read_bytes()

        column.download_button(f"Télécharger le modèle ({suffix[1:].upper()})", _template,
                               f"modele_partenaires{suffix}", mime, key=f"partenaires_template{suffix}")
