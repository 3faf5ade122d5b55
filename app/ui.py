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


# -- choosing the sector plan (Orientation, Partenaires) ---------------------------------------
#: Plan choices besides the saved plans.
PLAN_UPLOAD = "Fichier plan.csv"
PLAN_DEMO = "Plan de démonstration (démo fictive)"


def _saved_label(row: dict) -> str:
    return f"{row['name']} — version {row['version']} ({str(row['created_at'])[:10]})"


def _read_uploaded(upload, reader):
    """Run ``reader(path)`` on an uploaded file written to a temporary file (plans are not patient data)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        return reader(path)


def plan_picker(key: str, *, workers: bool = True):
    """Let the user choose the sector plan; returns ``(plan, team, label, demo)``.

    The latest version of each saved plan (newest first, the default), an
    uploaded ``plan.csv`` (``code_insee,sector`` and optional ``referent``,
    ``groupe``) or, on request, a plan proposed on the FICTITIOUS demo
    patients. ``plan`` is ``None`` until one is available; ``team`` is the
    optional uploaded workers table (groups).
    """
    from app import resources
    from services.routing import read_plan_people
    from geo.sectors.team import read_workers

    saved = resources.saved_plans()
    options = [_saved_label(r) for r in saved] + [PLAN_UPLOAD, PLAN_DEMO]
    choice = st.selectbox("Plan de secteurs", options, key=f"{key}_plan_choice",
                          help="Par défaut, la dernière version du plan enregistré le plus récemment "
                               "(page Secteurs).")
    plan, team, label, demo = None, None, choice, False
    if choice in options[:len(saved)]:
        row = saved[options.index(choice)]
        plan = resources.saved_plan(row["name"], row["version"])
    elif choice == PLAN_UPLOAD:
        from app.uploads import checked

        upload = checked(st.file_uploader("Plan (CSV : code_insee, sector ; facultatif : referent, groupe)",
                                          type=["csv", "txt"], key=f"{key}_plan_file"))
        if upload is not None:
            try:
                plan = _read_uploaded(upload, read_plan_people)
                label = f"fichier {upload.name}"
            except (ValueError, OSError) as exc:
                st.error(f"Plan illisible : {exc}")
    else:
        demo = True
        if st.session_state.get(f"{key}_demo_plan") or st.button("Proposer un plan de démonstration",
                                                                 key=f"{key}_demo_button"):
            st.session_state[f"{key}_demo_plan"] = True
            plan = resources.demo_plan()
            label = f"plan de démonstration ({resources.DEMO_PLAN_SECTORS} secteurs, démo fictive)"
    if workers and plan is not None:
        upload = st.file_uploader("Référents et groupes (workers.csv, facultatif : nom, groupe)",
                                  type=["csv", "txt"], key=f"{key}_workers_file")
        if upload is not None:
            try:
                team = _read_uploaded(upload, read_workers)
            except (ValueError, OSError) as exc:
                st.error(f"Liste des référents illisible : {exc}")
    return plan, team, label, demo


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
    """Patients per unit: the FICTITIOUS demo counts, or an uploaded counts file; returns ``(counts, label, demo)``.

    The file is ``code_insee, patients`` (what ``secteurs patients import`` writes); only the
    counts are kept in memory.
    """
    from app import resources
    from geo.patients import read_counts

    from app.uploads import checked

    upload = checked(st.file_uploader("Effectifs par commune (CSV : code_insee, patients ; par défaut la démo fictive)",
                                      type=["csv", "txt"], key=f"{key}_counts_file"))
    if upload is not None:
        try:
            counts = _read_uploaded(upload, read_counts)
            return counts, f"{upload.name} ({fr_int(counts['patients'].sum())} patients)", False
        except (ValueError, OSError) as exc:
            st.error(f"Effectifs illisibles : {exc}")
    counts = resources.patient_counts()
    label = f"démo fictive ({fr_int(counts['patients'].sum())} patients)" if counts is not None else ""
    return counts, label, counts is not None


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
