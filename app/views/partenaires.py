"""Partenaires: find the partners of a commune, keep the directory (forms, history, undo), import, export."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import partners
from app import resources
from app.auth import author as signed_in_author, can, mode as auth_mode, require
from app.uploads import checked
from app.map import PARTNER_COLOURS, Paint, clicked_feature, show_map, view_of
from app.messages import render, render_code, render_issue as _issue_text
from app.ui import fictitious_notice, fr_int, lazy_tabs, plan_picker
from geo.lookup import gazetteer
from geo.safe_export import safe_frame
from app.messages.places import status_label, why
from app.ui import plain_md
from geo.resolver import NOT_FOUND, resolve
from services.routing import unit_label
from partners.directory import display_name, filter_partners, form_errors, form_values, from_form, labels_of
from partners.history import FIELD_LABELS, french_datetime, readable_history
from partners.model import KNOWN_LABELS, NEIGHBOUR_KM, NETWORK_LABEL, Issue
from partners.validation import ValidationError

MAP_KEY = "partenaires_map"
#: Import formats and their French labels.
FORMATS = {"finess": "FINESS (extraction etalab des établissements)",
           "rpps": "Annuaire Santé (RPPS : psychologues du réseau)",
           "zones": "Zones des CPTS et HAD (type ; partenaire ; code INSEE)",
           "csv": "Modèle de saisie (CSV ou XLSX)"}
#: Form fields: (Partner field, French label, help).
FIELDS = tuple((field, FIELD_LABELS[field], help_text) for field, help_text in (
    ("name", ""),
    ("address", "numéro et voie"),
    ("code_insee", "ou code postal + commune, ou le nom de la commune seul s'il est unique"),
    ("postal_code", ""),
    ("commune", ""),
    ("phone", "ex. 04 72 11 22 33"),
    ("email", ""),
    ("website", ""),
    ("finess", "9 caractères, clé vérifiée"),
    ("rpps", "11 chiffres (psychologues)"),
    ("adeli", "9 caractères"),
    ("lon", "WGS84, ex. 4,85 ; vide : le point de la commune"),
    ("lat", "WGS84, ex. 45,75"),
    ("communes", "CPTS et HAD : codes INSEE séparés par des espaces"),
    ("labels", "séparées par « ; », ex. " + " ; ".join(KNOWN_LABELS)),
    ("notes", ""),
))
LABELS = FIELD_LABELS
ACTIONS = {"create": "création", "update": "modification", "delete": "suppression", "undo": "annulation"}
#: Columns of the result tables and their headers.
RESULT_COLUMNS = {"shown_name": "Nom", "distance_km": "Distance (km)", "covers": "Zone", "phone": "Téléphone",
                  "email": "E-mail", "address": "Adresse", "commune": "Commune", "labels": "Étiquettes"}
TABLE_CONFIG = {"Nom": st.column_config.TextColumn(width="large"),
                "Téléphone": st.column_config.TextColumn(width="medium"),
                "E-mail": st.column_config.TextColumn(width="large"),
                "Adresse": st.column_config.TextColumn(width="large")}

conn = resources.connection()
g = gazetteer()


def _flash(kind: str, text: str) -> None:
    st.session_state.setdefault("partenaires_flash", []).append((kind, text))


def _type_label(code: str) -> str:
    return f"{code} — {partners.PARTNER_TYPES.get(code, code)}"


def _author() -> str | None:
    """Who the history names: the signed-in person when the app is served with sign-in, else the name
    the user gave once in this session; ``None`` when neither is known."""
    if auth_mode():
        return signed_in_author() or None
    name = " ".join(str(st.session_state.get("secteurs_author", "")).split())
    return name or None


def _needs_author() -> bool:
    """Flash the request for a name when none was given; True when writing must wait."""
    if _author():
        return False
    _flash("error", "Indiquez votre nom en haut de la page : il est noté dans l'historique de chaque modification.")
    return True


def _marks(row) -> str:
    """What a list says after a partner's name: demo, neighbour, network."""
    marks = []
    if bool(row.get("demo", False)) and has_real:  # only said when demo and real partners are shown together
        marks.append("démo")
    if bool(row.get("neighbour", False)):
        marks.append("voisin, hors territoire")
    elif bool(row.get("outside_territory", False)):
        marks.append("hors territoire")
    return f" ({', '.join(marks)})" if marks else ""


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

# -- who edits (until logins exist) and the demo data ---------------------------------------------
top = st.columns([2, 3])
if "partenaires_author" not in st.session_state and st.session_state.get("secteurs_author"):
    st.session_state["partenaires_author"] = st.session_state["secteurs_author"]
if auth_mode():
    top[0].caption(f"Modifications notées au nom de : {plain_md(_author() or '—')}")
else:
    top[0].text_input("Votre nom (noté dans l'historique)", key="partenaires_author", placeholder="ex. Marie Dupont",
                      help="Demandé une fois par session, avant toute modification de l'annuaire.")
st.session_state["secteurs_author"] = st.session_state.get("partenaires_author", "")

demo_count = partners.count_demo_partners(conn)
has_real = partners.has_real_partners(conn)
include_demo = False
if demo_count and not has_real:
    fictitious_notice("l'annuaire des partenaires est un annuaire de démonstration inventé.")
elif demo_count:
    with top[1]:
        st.info(f"L'annuaire contient encore {fr_int(demo_count)} partenaires fictifs de démonstration : ils sont "
                "exclus des recherches, de l'Orientation et des fiches de secteur.")
        include_demo = st.checkbox("Les montrer quand même (marqués « démo »)", key="partenaires_include_demo")
if demo_count:
    offered = st.session_state.get("partenaires_offer_purge", False)
    confirm = st.session_state.get("partenaires_purge_confirm", False)
    if offered and not confirm:
        st.info("Des partenaires réels viennent d'être importés : voulez-vous retirer les partenaires fictifs de "
                "démonstration ?")
    if not confirm:
        if st.button(f"Supprimer les {fr_int(demo_count)} partenaires de démonstration…", key="partenaires_purge",
                     disabled=not can("demo.purge")):
            st.session_state["partenaires_purge_confirm"] = True
            st.rerun()
    else:
        st.warning(f"Supprimer les {fr_int(demo_count)} partenaires fictifs de démonstration ? Une seule "
                   "« Annulation de la dernière modification » les rétablit tous.")
        yes, no = st.columns(2)
        if yes.button("Confirmer la suppression de la démo", type="primary", key="partenaires_purge_yes"):
            st.session_state.pop("partenaires_purge_confirm", None)
            require("demo.purge")
            if not _needs_author():
                done = partners.purge_demo(conn, author=_author())
                st.session_state.pop("partenaires_offer_purge", None)
                _flash("success", f"{fr_int(done['deleted'])} partenaires de démonstration supprimés. "
                                  "« Annuler la dernière modification » les rétablit.")
            st.rerun()
        if no.button("Garder la démo", key="partenaires_purge_no"):
            st.session_state.pop("partenaires_purge_confirm", None)
            st.session_state.pop("partenaires_offer_purge", None)
            st.rerun()

demo_option = True if include_demo else partners.AUTO
# the directory as every page reads it is shared by the sessions (app.resources); with demo partners too, read here
table = (resources.partner_table() if demo_option == partners.AUTO
         else partners.list_partners(conn, include_demo=demo_option))
known_labels = sorted(set(KNOWN_LABELS) | set(labels_of(table)))

find, directory, importing = lazy_tabs(["Trouver", "Annuaire", "Importer"], "partenaires_tabs", {
    "Trouver": ("partenaires_query", "partenaires_commune", "partenaires_types", "partenaires_k",
                "partenaires_find_labels", "partenaires_network_only"),
    "Annuaire": ("partenaires_search", "partenaires_filter_types", "partenaires_filter_deps",
                 "partenaires_filter_labels", "partenaires_filter_sector", "partenaires_selected"),
    "Importer": ("partenaires_import_format", "partenaires_include_far", "partenaires_network_label")})

# -- Find ------------------------------------------------------------------------------------------
with find:
    if find.open:  # only the open tab runs (lazy_tabs)
        clicked = clicked_feature(MAP_KEY)
        clicked_props = clicked["properties"] if clicked else {}
        clicked_code = clicked_props.get("code_insee")
        if clicked_code and clicked_code in g and clicked_code != st.session_state.get("partenaires_last_click"):
            # a click on the map writes the commune in the search box (before the box is drawn)
            st.session_state["partenaires_last_click"] = clicked_code
            unit = g.unit(clicked_code)
            postal = str(unit.get("codes_postaux") or "").split(",")[0].strip()
            st.session_state["partenaires_query"] = f"{unit['nom']} ({postal})" if postal else clicked_code
        # inputs and the covering zones beside the map; the result tables below, full width
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
            types = st.multiselect("Types", list(partners.PARTNER_TYPES),
                                   default=[t for t in partners.PARTNER_TYPES if t != "AUTRE"],
                                   format_func=_type_label, key="partenaires_types")
            k = st.slider("Partenaires par type", 1, 10, 3, key="partenaires_k")
            # one widget per row: in two columns the checkbox's label was cut
            wanted_labels = st.multiselect("Étiquettes", known_labels, key="partenaires_find_labels",
                                           placeholder="toutes")
            network_only = st.checkbox("Psychologues : réseau seulement", key="partenaires_network_only",
                                       help=f"Seulement les psychologues étiquetés « {NETWORK_LABEL} ».")
        paint = Paint(palette=("#b8e186", "#fdb863", "#c2a5cf"), fill_opacity=0.45)
        # the markers depend on the types only, so a new commune repaints the map without redrawing it
        shown = table[table["type"].isin(types)] if types else table
        services = None
        view = None
        with left:
            if clicked_props.get("partner_id") is not None:
                st.caption(f"Partenaire cliqué : {clicked_props.get('type', '')} — {clicked_props.get('name', '')}")
            if code:
                options = dict(include_demo=demo_option, labels=wanted_labels)
                services = (partners.local_services(conn, code, k=k, types=types or None, network_only=network_only,
                                                    **options) if types else None)
                cover = partners.covering(conn, code, **options)
                st.subheader(unit_label(code))
                if len(cover):
                    st.markdown("**Zones qui couvrent la commune** : " + " ; ".join(
                        display_name(row.type, row.name) + _marks(row._asdict())
                        + (f" ({row.phone})" if row.phone else "") for row in cover.itertuples()))
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
                # frame the commune and the zones that cover it
                view = view_of(resources.units(), [code, *zones], width_px=700, height_px=620)
        with right:
            show_map(paint, key=MAP_KEY, partners=shown, view=view)
            if len(shown):
                st.markdown(" ".join(f'<span style="color:{PARTNER_COLOURS.get(t, "#666")}">●</span> {t}'
                                     for t in sorted(shown["type"].unique())), unsafe_allow_html=True)
        if code:
            if services is None or not len(services):
                st.info("Aucun partenaire dans l'annuaire pour ces types.")
            else:
                for type_, group in services.groupby("type", sort=False):
                    st.markdown(f"**{partners.PARTNER_TYPES.get(type_, type_)}** ({type_})")
                    rows = group.copy()
                    rows["shown_name"] = [name + _marks(row) for name, row in zip(rows["name"], rows.to_dict("records"))]
                    rows["covers"] = rows["covers"].map({True: "couvre la commune", False: "ne couvre pas"}).fillna("")
                    rows["distance_km"] = rows["distance_km"].map(lambda v: f"{v:.1f}".replace(".", ","))
                    st.dataframe(rows[list(RESULT_COLUMNS)].rename(columns=RESULT_COLUMNS), hide_index=True,
                                 column_config=TABLE_CONFIG)

# -- Directory -------------------------------------------------------------------------------------
with directory:
    if directory.open:
        bar = st.columns([3, 1, 1])
        bar[0].write(f"{fr_int(len(table))} partenaires dans l'annuaire.")
        if bar[1].button("↶ Annuler la dernière modification", key="partenaires_undo", disabled=not can("partners.edit")):
            require("partners.edit")
            if not _needs_author():
                try:
                    done = partners.undo(conn, author=_author())
                    what = (f"{fr_int(done['count'])} modifications" if done.get("count", 1) > 1
                            else ACTIONS.get(done["action"], done["action"]))
                    _flash("success", f"Modification n° {done['undone']} ({what}) annulée.")
                except ValidationError as exc:
                    _flash("info" if exc.code == "partners.nothing_to_undo" else "error", render(exc))
            st.rerun()
        if bar[2].button("↷ Rétablir", key="partenaires_redo", disabled=not can("partners.edit")):
            require("partners.edit")
            if not _needs_author():
                try:
                    done = partners.redo(conn, author=_author())
                    _flash("success", f"{ACTIONS.get(done['action'], done['action']).capitalize()} rétablie.")
                except ValidationError as exc:
                    _flash("info", render(exc))
            st.rerun()

        with st.expander("Secteurs (pour filtrer par secteur)"):
            plan, _, plan_label, _ = plan_picker("partenaires", workers=False)
        filters = st.columns(5)
        text = filters[0].text_input("Rechercher", key="partenaires_search", placeholder="nom, commune, FINESS…")
        kinds = filters[1].multiselect("Type", list(partners.PARTNER_TYPES), key="partenaires_filter_types")
        departements = filters[2].multiselect("Département", sorted(g.departements), key="partenaires_filter_deps")
        label_filter = filters[3].multiselect("Étiquettes", known_labels, key="partenaires_filter_labels")
        sectors = sorted(plan["sector"].unique()) if plan is not None else []
        sector = filters[4].selectbox("Secteur", ["(tous)"] + sectors, key="partenaires_filter_sector",
                                      disabled=plan is None,
                                      help=None if plan is not None else "Choisir un plan de secteurs ci-dessus.")
        view_table = filter_partners(table, text, kinds, departements,
                                     dict(zip(plan["code_insee"], plan["sector"])) if plan is not None else None,
                                     sector if plan is not None and sector != "(tous)" else None, labels=label_filter)
        listing = view_table.copy()
        listing["shown_name"] = [name + _marks(row) for name, row in zip(listing["name"], listing.to_dict("records"))]
        listing["changed"] = listing["updated_at"].map(french_datetime)
        columns = ["id", "type", "shown_name", "commune", "postal_code", "phone", "email", "labels", "finess", "source",
                   "changed"]
        if plan is not None:
            columns.insert(4, "sector")
        st.dataframe(listing[columns].rename(columns={
            "id": "N°", "type": "Type", "shown_name": "Nom", "commune": "Commune", "postal_code": "Code postal",
            "phone": "Téléphone", "email": "E-mail", "labels": "Étiquettes", "finess": "FINESS", "sector": "Secteur",
            "source": "Source", "changed": "Modifié le"}), hide_index=True, height=320, column_config=TABLE_CONFIG)
        exports = st.columns(4)
        exports[0].caption(f"Exporter les {fr_int(len(view_table))} partenaires affichés :")
        for column, (fmt, label) in zip(exports[1:], (("csv", "CSV"), ("xlsx", "XLSX"), ("geojson", "GeoJSON"))):
            suffix, mime = partners.EXPORT_FORMATS[fmt]
            column.download_button(label, lambda fmt=fmt, subset=view_table: partners.export_bytes(conn, fmt, subset),
                                   f"partenaires{suffix}", mime, key=f"partenaires_export_{fmt}")

        st.divider()
        options = [0] + view_table["id"].astype(int).tolist()
        names = dict(zip(table["id"].astype(int), table["type"] + " — " + table["name"] + " — " + table["commune"]))
        if st.session_state.get("partenaires_selected") not in options:
            st.session_state.pop("partenaires_selected", None)
        selected = st.selectbox("Fiche", options, key="partenaires_selected",
                                format_func=lambda i: "➕ Nouveau partenaire" if i == 0 else f"{names.get(i, i)} (n° {i})")
        current = partners.get_partner(conn, selected) if selected else None
        # The widgets' keys carry the version the form was drawn from. A save sends that version: if the
        # partner changed since (another user, an undo), the save is refused. Without a save, a newer
        # stored version redraws the form from the database (after an undo, a redo, another user's edit).
        shown_versions = st.session_state.setdefault("partenaires_shown_version", {})
        version = current.version if current is not None else 0
        drawn = shown_versions.get(selected, version)
        prefix = f"pf_{selected}_{drawn}_{st.session_state.get('partenaires_form_round', 0)}_"
        base = current or partners.Partner(type="CCAS", name="")
        with st.form(f"partenaires_form_{selected}"):
            st.markdown("**Modifier la fiche**" if current else "**Nouveau partenaire**")
            if current is not None and current.is_demo:
                st.caption("Partenaire FICTIF de démonstration.")
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
            if not errors and not _author():
                errors = {"": []}
                general.error("Indiquez votre nom en haut de la page : il est noté dans l'historique.")
            elif not errors:
                try:
                    saved = partners.save_partner(conn, candidate, author=_author(), reason="saisie dans l'application",
                                                  expected_version=drawn if current is not None else None)
                except partners.StaleEditError as exc:
                    _flash("error", render(exc))
                    shown_versions[selected] = version
                    st.rerun()
                except ValidationError as exc:  # a duplicate FINESS, or a partner deleted meanwhile
                    issue = Issue("error", exc.field, str(exc), exc.code or "", dict(exc.params))
                    errors = {exc.field if exc.field in slots else "": [issue]}
            for field, issues in errors.items():
                if issues:
                    text = " ; ".join(_issue_text(i) for i in issues)
                    slots.get(field, general).error(f"{LABELS[field]} : {text}" if field in LABELS else text)
            if not errors:
                verb = {"created": "créé", "updated": "enregistré", "unchanged": "inchangé"}[saved.action]
                warnings = "".join(f"\n- {_issue_text(i)}" for i in saved.issues if i.level == "warning")
                _flash("success", f"Partenaire n° {saved.id} « {saved.partner.name} » {verb}." + warnings)
                shown_versions.pop(selected, None)
                shown_versions.pop(saved.id, None)
                st.session_state["partenaires_form_round"] = st.session_state.get("partenaires_form_round", 0) + 1
                st.session_state["partenaires_pending"] = {
                    "partenaires_selected": saved.id, "partenaires_search": "", "partenaires_filter_types": [],
                    "partenaires_filter_deps": [], "partenaires_filter_labels": [], "partenaires_filter_sector": None}
                st.rerun()
        elif current is not None and drawn != version:
            shown_versions[selected] = version  # changed elsewhere: show the database's state
            st.rerun()
        elif current is not None:
            shown_versions[selected] = version

        if current is not None:
            confirm_key = f"partenaires_confirm_{current.id}"
            if not st.session_state.get(confirm_key):
                if st.button("Supprimer ce partenaire…", key=f"partenaires_delete_{current.id}", disabled=not can("partners.edit")):
                    st.session_state[confirm_key] = current.version
                    st.rerun()
            else:
                st.warning(f"Supprimer « {current.name} » (n° {current.id}) ? L'historique le garde ; "
                           "« Annuler la dernière modification » le rétablit.")
                yes, no = st.columns(2)
                if yes.button("Confirmer la suppression", type="primary", key=f"partenaires_confirm_yes_{current.id}"):
                    seen = st.session_state.pop(confirm_key, None)
                    require("partners.edit")
                    if not _needs_author():
                        try:
                            partners.delete_partner(conn, current.id, author=_author(),
                                                    reason="suppression dans l'application",
                                                    expected_version=seen if isinstance(seen, int) else None)
                            _flash("success", f"Partenaire n° {current.id} « {current.name} » supprimé.")
                            st.session_state["partenaires_pending"] = {"partenaires_selected": None}
                        except (ValidationError, partners.StaleEditError) as exc:
                            _flash("error", render(exc))
                    st.rerun()
                if no.button("Annuler", key=f"partenaires_confirm_no_{current.id}"):
                    st.session_state.pop(confirm_key, None)
                    st.rerun()
            st.markdown("**Historique de la fiche**")
            history = readable_history(conn, current.id)
            history["action"] = history["action"].map(lambda a: ACTIONS.get(a, a))
            history["changes"] = history["changes"].map(lambda items: "\n".join(
                f"{LABELS.get(f, f)} : {b or '(vide)'} → {a or '(vide)'}" for f, b, a in items))
            st.dataframe(history[["when", "author", "action", "changes", "reason", "id", "undone_by"]].rename(columns={
                "id": "N°", "when": "Date", "author": "Auteur", "action": "Action", "changes": "Modifications",
                "reason": "Motif", "undone_by": "Annulée par"}), hide_index=True,
                column_config={"Modifications": st.column_config.TextColumn(width="large")})

# -- Import ----------------------------------------------------------------------------------------
with importing:
    if importing.open:
        fmt = st.selectbox("Format", list(FORMATS), format_func=FORMATS.get, key="partenaires_import_format")
        upload = checked(st.file_uploader("Fichier à importer", type=["csv", "txt", "xlsx"], key="partenaires_import_file",
                                          disabled=not can("partners.edit")))
        network_upload = None
        if fmt == "rpps":
            network_upload = checked(st.file_uploader(
                "Liste des membres du réseau de psycho-oncologie (CSV ou XLSX : rpps, ou nom + commune)",
                type=["csv", "txt", "xlsx"], key="partenaires_import_network", disabled=not can("partners.edit"),
                help="Seuls les psychologues de la liste sont importés, étiquetés « réseau psycho-oncologie »."))
        st.caption("Un aperçu (créations, mises à jour, rejets et leurs motifs) est montré avant tout enregistrement. "
                   f"Les partenaires hors des 12 départements mais à moins de {NEIGHBOUR_KM:g} km de leur limite sont "
                   "gardés comme voisins ; les plus éloignés ne sont importés que si vous les cochez. "
                   "Pour l'extraction nationale de l'Annuaire Santé (plusieurs centaines de Mo) : "
                   "`secteurs partners import FICHIER --format rpps --network LISTE` en ligne de commande.")

        def _network_of(uploaded):
            """The network's members' list of an upload (read from its bytes), or None."""
            if uploaded is None:
                return None
            from partners.network import read_network

            return read_network(uploaded.getvalue(), filename=uploaded.name)

        if upload is not None:
            token = (upload.file_id, fmt, network_upload.file_id if network_upload is not None else None)
            if st.session_state.get("partenaires_preview_token") != token:
                with st.spinner("Vérification du fichier…"):
                    try:
                        report = partners.preview_import(conn, upload.getvalue(), fmt, filename=upload.name,
                                                         network=_network_of(network_upload), author=_author())
                        error = None
                    except (ValueError, OSError) as exc:
                        report, error = None, render(exc)
                st.session_state["partenaires_preview_token"] = token
                st.session_state["partenaires_preview"] = (report, error)
            report, error = st.session_state["partenaires_preview"]
            if error:
                st.error(f"{upload.name} : {error}")
            else:
                st.markdown(f"**Aperçu de l'import de {upload.name}** (rien n'est encore enregistré)")
                figures = st.columns(6)
                figures[0].metric("À créer", fr_int(report.created))
                figures[1].metric("À mettre à jour", fr_int(report.updated))
                figures[2].metric("Inchangés", fr_int(report.unchanged))
                figures[3].metric("Rejetés", fr_int(report.rejected))
                figures[4].metric("Voisins hors territoire", fr_int(report.neighbours))
                figures[5].metric("Éloignés, non importés", fr_int(report.set_aside))
                if report.skipped:
                    st.caption("Laissés de côté : " + ", ".join(
                        f"{render_code('partners.skip.' + k, {})} : {fr_int(v)}" for k, v in report.skipped.items()))
                rows = report.frame()
                if len(rows):
                    rows["Action"] = rows["action"].map(lambda a: render_code(f"partners.action.{a}", {}))
                    rows["Signalements"] = rows["flags"].map(lambda text: ", ".join(
                        render_code(f"partners.flag.{f}", {}) for f in text.split("; ") if f))
                    rows["Motif"] = [render_code(c, p) if c else r for c, p, r in
                                     zip(rows["code"], rows["params"], rows["reason"])]
                    rows["Champs modifiés"] = rows["changes"].map(lambda text: ", ".join(
                        LABELS.get(f, f) for f in text.split("; ") if f))
                    rows["Distance au territoire (km)"] = rows["border_km"].map(
                        lambda v: "" if pd.isna(v) or not v else f"{v:.0f}")
                    table_fr = rows.rename(columns={"row": "Ligne", "type": "Type", "name": "Nom", "commune": "Commune"})[
                        ["Ligne", "Action", "Type", "Nom", "Commune", "Signalements", "Distance au territoire (km)",
                         "Champs modifiés", "Motif"]]
                    pick = st.columns(2)
                    actions_shown = pick[0].multiselect("Montrer", sorted(table_fr["Action"].unique()),
                                                        key="partenaires_preview_actions",
                                                        placeholder="toutes les lignes")
                    flags_shown = pick[1].multiselect("Signalements", sorted({f for text in table_fr["Signalements"]
                                                                              for f in text.split(", ") if f}),
                                                      key="partenaires_preview_flags", placeholder="tous")
                    shown_rows = table_fr
                    if actions_shown:
                        shown_rows = shown_rows[shown_rows["Action"].isin(actions_shown)]
                    for flag in flags_shown:
                        shown_rows = shown_rows[shown_rows["Signalements"].str.contains(flag, regex=False)]
                    st.dataframe(shown_rows, hide_index=True, column_config={
                        "Ligne": st.column_config.NumberColumn(width="small"),
                        "Action": st.column_config.TextColumn(width="medium"),
                        "Nom": st.column_config.TextColumn(width="medium"),
                        "Signalements": st.column_config.TextColumn(width="medium"),
                        "Distance au territoire (km)": st.column_config.TextColumn(width="small"),
                        "Motif": st.column_config.TextColumn(width="large")})
                    st.download_button("Télécharger l'aperçu (CSV)",
                                       safe_frame(shown_rows).to_csv(index=False, sep=";").encode("utf-8-sig"),
                                       f"apercu_import_{Path(upload.name).stem}.csv", "text/csv",
                                       key="partenaires_preview_download")
                far = rows[rows["action"] == "set_aside"] if len(rows) else rows
                include_far = []
                if len(far):
                    labels_far = {r.key: f"{r.name} — {r.commune or r.code_insee}"
                                         + (f" ({r.border_km:.0f} km)" if pd.notna(r.border_km) else "")
                                  for r in far.itertuples()}
                    include_far = st.multiselect("Importer quand même ces partenaires éloignés", list(labels_far),
                                                 format_func=labels_far.get, key="partenaires_include_far")
                if st.button("Importer dans l'annuaire", type="primary", key="partenaires_import_commit",
                             disabled=not (report.created or report.updated or include_far) or not can("partners.edit")):
                    require("partners.edit")
                    if not _needs_author():
                        with st.spinner("Import…"):
                            done = partners.import_partners(conn, upload.getvalue(), fmt, filename=upload.name,
                                                            author=_author(), include_far=include_far,
                                                            network=_network_of(network_upload))
                        _flash("success", f"Import de {upload.name} : {fr_int(done.created)} créés, "
                                          f"{fr_int(done.updated)} mis à jour, {fr_int(done.unchanged)} inchangés, "
                                          f"{fr_int(done.rejected)} rejetés, {fr_int(done.set_aside)} éloignés non "
                                          "importés.")
                        if done.offer_demo_purge:
                            st.session_state["partenaires_offer_purge"] = True
                        st.session_state.pop("partenaires_preview_token", None)
                    st.rerun()

        st.divider()
        st.markdown("**Réseau** : étiqueter les psychologues déjà dans l'annuaire d'après la liste des membres "
                    "d'un réseau (numéros RPPS, ou noms et communes).")
        tag = st.columns([3, 2])
        members = checked(tag[0].file_uploader("Liste des membres", type=["csv", "txt", "xlsx"],
                                               key="partenaires_network_file", disabled=not can("partners.edit")))
        tag_label = tag[1].selectbox("Étiquette donnée", known_labels,
                                     index=known_labels.index(NETWORK_LABEL) if NETWORK_LABEL in known_labels else 0,
                                     key="partenaires_network_label")
        if members is not None and st.button("Étiqueter les membres", key="partenaires_network_tag", disabled=not can("partners.edit")):
            require("partners.edit")
            if not _needs_author():
                from partners.network import read_network, tag_network

                try:
                    result = tag_network(conn, read_network(members.getvalue(), label=tag_label, filename=members.name),
                                         author=_author())
                    _flash("success", f"« {result.label} » : {fr_int(len(result.tagged))} psychologues étiquetés, "
                                      f"{fr_int(len(result.already))} l'étaient déjà, "
                                      f"{fr_int(len(result.not_found))} membres absents de l'annuaire, "
                                      f"{fr_int(len(result.rejects))} lignes illisibles.")
                except (ValueError, OSError) as exc:
                    _flash("error", f"{members.name} : {render(exc)}")
            st.rerun()

        st.divider()
        st.markdown("**Modèle de saisie** : une ligne par partenaire (colonnes décrites dans la feuille « Aide » du "
                    "modèle XLSX).")
        templates = st.columns(2)
        for column, suffix, mime in ((templates[0], ".csv", "text/csv"),
                                     (templates[1], ".xlsx", partners.EXPORT_FORMATS["xlsx"][1])):
            def _template(suffix=suffix) -> bytes:
                return partners.template_bytes(suffix)

            column.download_button(f"Télécharger le modèle ({suffix[1:].upper()})", _template,
                                   f"modele_partenaires{suffix}", mime, key=f"partenaires_template{suffix}")
