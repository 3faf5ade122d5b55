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


# -- choosing the sector plan (Orientation, Couverture, Fiche secteur) -------------------------
#: Plan choices besides the saved plans.
PLAN_UPLOAD = "Fichier plan.csv"
PLAN_DEMO = "Plan de démonstration (démo fictive)"
#: Prefix of the workspace's current version in the choices.
PLAN_CURRENT = "Version courante"


def _saved_label(row: dict) -> str:
    return f"{row['name']} — version {row['version']} ({str(row['created_at'])[:10]})"


def plan_picker(key: str, *, workers: bool = True):
    """:func:`plan_record_picker` as ``(plan frame with referent/groupe, team, label, demo)`` (older pages)."""
    from app.shared import digest, shared

    record = plan_record_picker(key, workers=workers)
    if record is None:
        return None, None, PLAN_DEMO, False
    # the same plan gives the same table to every session (shared: do not mutate)
    people = shared("plan_people", digest(record.frame, repr(record.team)), record.people)
    return people, record.team, record.label, record.demo


def plan_record_picker(key: str, *, workers: bool = True):
    """Let the user choose the sector plan; returns a :class:`~geo.sectors.record.PlanRecord` or ``None``.

    By default the workspace's current version (saved on Secteurs, with its
    team: referents' groups); else the latest version of another saved plan,
    an uploaded plan file (CSV, XLSX, GeoPackage, GeoJSON: ``code_insee,
    sector`` and optional ``referent``, ``groupe``) or, on request, a plan
    proposed on the FICTITIOUS demo patients. ``workers``: also offer a
    workers.csv upload giving the groups (replaces the version's team).
    """
    from app import resources
    from geo.sectors.io import read_plan_record, read_team
    from geo.sectors.record import PlanRecord

    current = resources.current_plan()
    saved = [r for r in resources.saved_plans()
             if current is None or (r["name"], r["version"]) != (current.name, current.version)]
    options = ([f"{PLAN_CURRENT} : {current.label}"] if current is not None else [])
    options += [_saved_label(r) for r in saved] + [PLAN_UPLOAD, PLAN_DEMO]
    choice = st.selectbox("Plan de secteurs", options, key=f"{key}_plan_choice",
                          help="Par défaut, la version courante de l'espace de travail (la dernière enregistrée "
                               "ou choisie sur la page Secteurs), avec son équipe.")
    record = None
    first_saved = 1 if current is not None else 0
    if current is not None and choice == options[0]:
        record = current
    elif choice in options[first_saved:first_saved + len(saved)]:
        row = saved[options.index(choice) - first_saved]
        record = resources.saved_record(row["name"], row["version"])
    elif choice == PLAN_UPLOAD:
        from app.uploads import checked

        upload = checked(st.file_uploader("Plan (CSV, XLSX, GeoPackage ou GeoJSON : code INSEE, secteur ; "
                                          "facultatif : référent, groupe)",
                                          type=["csv", "txt", "xlsx", "gpkg", "geojson", "json"],
                                          key=f"{key}_plan_file"))
        if upload is not None:
            try:
                record = read_plan_record(upload, upload.name)
            except (ValueError, OSError) as exc:
                st.error(f"Plan illisible : {french(exc)}")
    else:
        if st.session_state.get(f"{key}_demo_plan") or st.button("Proposer un plan de démonstration",
                                                                 key=f"{key}_demo_button"):
            st.session_state[f"{key}_demo_plan"] = True
            record = PlanRecord(resources.demo_plan(), demo=True,
                                label=f"plan de démonstration ({resources.DEMO_PLAN_SECTORS} secteurs, démo fictive)")
    if workers and record is not None:
        from app.uploads import checked

        upload = checked(st.file_uploader("Référents et groupes (workers.csv, facultatif : nom, groupe)",
                                          type=["csv", "txt", "xlsx"], key=f"{key}_workers_file",
                                          help="Par défaut, l'équipe enregistrée avec la version du plan."))
        if upload is not None:
            try:
                record = record.replace(team=read_team(upload, upload.name))
            except (ValueError, OSError) as exc:
                st.error(f"Liste des référents illisible : {french(exc)}")
    return record


# -- partner tables (Orientation, Partenaires) -------------------------------------------------
#: French headers of the partner columns shown to users.
PARTNER_HEADERS = {"type": "Type", "name": "Nom", "distance_km": "Distance (km)", "covers": "Zone",
                   "commune": "Commune", "phone": "Téléphone", "email": "E-mail", "website": "Site",
                   "address": "Adresse", "postal_code": "Code postal", "code_insee": "Code INSEE",
                   "finess": "FINESS", "notes": "Notes"}


def show_services(services, labels: dict) -> None:
    """The partners of :func:`partners.local_services`, one small table per type."""
    if services is None or not len(services):
        st.info("Aucun partenaire dans l'annuaire pour ces types.")
        return
    columns = ["name", "distance_km", "covers", "phone", "email", "address", "commune"]
    for type_, group in services.groupby("type", sort=False):
        st.markdown(f"**{labels.get(type_, type_)}** ({type_})")
        table = group[columns].copy()
        table["covers"] = table["covers"].map({True: "couvre la commune", False: "ne couvre pas"}).fillna("")
        st.dataframe(table.rename(columns=PARTNER_HEADERS), hide_index=True)


# -- messages in French ----------------------------------------------------------------------
def french(message) -> str:
    """An error (or its message) in French, from the catalogue of :mod:`app.messages`."""
    from app.messages import render
    from app.messages._legacy import french as legacy

    return render(message) if isinstance(message, BaseException) else legacy(str(message))


# -- choosing the patient counts (Couverture, Fiche secteur) ------------------------------------
def counts_picker(key: str):
    """Patients per unit; returns ``(counts, label, demo)``.

    By default the workspace's counts (the hospital export imported on
    Secteurs), else the FICTITIOUS demo counts; an uploaded counts file
    (``code_insee, patients``, what ``secteurs patients import --out``
    writes) replaces them on this page only. Only the counts are kept in memory.
    """
    from app import resources
    from geo.patients import read_counts

    from app.uploads import checked

    upload = checked(st.file_uploader("Autres effectifs par commune (CSV : code_insee, patients ; par défaut ceux de "
                                      "l'espace de travail)", type=["csv", "txt"], key=f"{key}_counts_file"))
    if upload is not None:
        try:
            counts = read_counts(upload, upload.name)
            return counts, f"{upload.name} ({fr_int(counts['patients'].sum())} patients)", False
        except (ValueError, OSError) as exc:
            st.error(f"Effectifs illisibles : {french(exc)}")
    return resources.counts_in_use()


# -- user text in markdown ------------------------------------------------------------------------
_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$:"


def plain_md(text) -> str:
    """User-typed text made safe to put inside a Streamlit markdown string (shown as typed).

    Examples
    --------
    >>> plain_md("**St** $x$ :red[a]")
    '\\\\*\\\\*St\\\\*\\\\* \\\\$x\\\\$ \\\\:red\\\\[a\\\\]'
    """
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS else c for c in str(text))


def lazy_tabs(labels: list[str], key: str, kept: dict[str, tuple[str, ...]]):
    """Tabs whose closed ones do not run (``if tab.open:``), keeping the choices made in them.

    A page draws only its open tab (the others cost the server and the
    browser nothing). Streamlit forgets the state of widgets not drawn in a
    run, so the last choice of each widget of ``kept`` (tab label -> widget
    keys) is copied aside while it exists, and set back when its tab opens
    again, in the run that draws it (so the browser shows it too). A new
    visit of the page starts afresh, as Streamlit's pages do. Uploads cannot
    be set back: a file is chosen again after a tab change.
    """
    aside = f"_lazy_tabs.{key}"
    if key not in st.session_state:   # the tabs were not drawn in the last run: a new visit of the page
        st.session_state.pop(aside, None)
    saved = st.session_state.setdefault(aside, {})
    tabs = st.tabs(labels, key=key, on_change="rerun")
    for label, tab in zip(labels, tabs):
        for widget in kept.get(label, ()):
            if widget in st.session_state:
                saved[widget] = st.session_state[widget]
            elif tab.open and widget in saved:
                st.session_state[widget] = saved[widget]
    return tabs
