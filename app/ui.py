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
    from geo.routing import read_plan_people
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
        upload = st.file_uploader("Plan (CSV : code_insee, sector ; facultatif : referent, groupe)",
                                  type=["csv", "txt"], key=f"{key}_plan_file")
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


# -- partner messages in French ------------------------------------------------------------------
#: The partner directory's validation messages (English, from ``partners``) and their French
#: wording; a message not listed is shown as is.
_FRENCH = (
    (r"^name: empty; every partner needs a name$", "vide : chaque partenaire a besoin d'un nom"),
    (r"^FINESS (.+): expected 9 characters, got (\d+)$", r"FINESS \1 : 9 caractères attendus, \2 reçus"),
    (r"^FINESS (.+): expected 9 digits .*$", r"FINESS \1 : 9 chiffres attendus (2A/2B permis pour la Corse)"),
    (r"^FINESS (.+): wrong check digit (\S+) \(Luhn key of (\S+) is (\S+)\)$",
     r"FINESS \1 : clé de contrôle \2 fausse (la clé de \3 est \4)"),
    (r"^RPPS (.+): expected 11 digits$", r"RPPS \1 : 11 chiffres attendus"),
    (r"^RPPS (.+): wrong check digit \(Luhn\)$", r"RPPS \1 : clé de contrôle fausse"),
    (r"^ADELI (.+): expected 9 digits .*$", r"ADELI \1 : 9 chiffres attendus"),
    (r"^phone (.+): expected a French number .*$",
     r"téléphone \1 : numéro français de 10 chiffres attendu (ex. 04 72 11 22 33, ou +33 suivi de 9 chiffres)"),
    (r"^e-mail (.+): expected an address like .*$", r"e-mail \1 : adresse attendue du type nom@domaine.fr"),
    (r"^website (.+): expected an address like .*$", r"site \1 : adresse attendue du type https://www.exemple.fr"),
    (r"^INSEE code (.+): expected 5 characters .*$", r"code INSEE \1 : 5 caractères attendus (ex. 69383, 2A004)"),
    (r"^postal code (.+): expected 5 digits$", r"code postal \1 : 5 chiffres attendus"),
    (r"^position \((.+)\): give both longitude and latitude, or neither$",
     r"position (\1) : donner la longitude et la latitude, ou aucune des deux"),
    (r"^position \((.+)\): longitude and latitude must be numbers$",
     r"position (\1) : la longitude et la latitude doivent être des nombres"),
    (r"^position \(lon (\S+), lat (\S+)\) is outside France( \(longitude and latitude look swapped\))?;.*$",
     r"position (lon \1, lat \2) hors de France\3 ; degrés WGS84 attendus, ex. lon 4,85, lat 45,75 pour Lyon"),
    (r"^unknown commune: INSEE code (\S+) is not a commune of departement (\S+)$",
     r"commune inconnue : le code INSEE \1 n'est pas une commune du département \2"),
    (r"^unknown commune: postal code (\S+) (.*)$", r"commune inconnue : code postal \1 \2"),
    (r"^no commune: give code_insee, or postal_code and commune name$",
     "aucune commune : donner le code INSEE, ou le code postal et le nom de la commune"),
    (r"^duplicate: FINESS (\S+) of (.+) already belongs to partner #(\d+) (.+) \(.*\)$",
     r"doublon : le FINESS \1 appartient déjà au partenaire n° \3 \4"),
    (r"^likely duplicate: (.+) \((\S+)\) has the same name and commune (\S+) as partner #(\d+) (.+) \((\S+)\)$",
     r"doublon probable : même nom et même commune (\3) que le partenaire n° \4 \5 (\6)"),
    (r"^no position: the partner will not appear in distance searches$",
     "pas de position : le partenaire n'apparaîtra pas dans les recherches par distance"),
    (r"^zone: unknown communes ignored: (.*)$", r"zone : communes inconnues ignorées : \1"),
    (r"^position falls in (\S+) (.+), not in (\S+) (.+)$", r"la position tombe dans \1 \2, pas dans \3 \4"),
    # the sector engine (geo.sectors)
    (r"^(\d+) sectors asked, only (\d+) units have patients$",
     r"\1 secteurs demandés, mais seulement \2 communes ont des patients"),
    (r"^(\d+) sectors asked, only (\d+) units$", r"\1 secteurs demandés pour seulement \2 communes"),
    (r"^zero workload: the (\d+) units carry a total load of 0$",
     r"charge nulle : aucune des \1 communes ne compte de patient"),
    (r"^unit (.+?) alone has a load of (\S+), above the largest sector maximum (\S+) \(target (\S+) \+(\S+)\);.*$",
     r"la commune \1 pèse à elle seule \2, plus que le maximum d'un secteur (\3 : cible \4 +\5) ; "
     r"demandez moins de secteurs ou une tolérance plus large"),
    (r"^locks make balance impossible: units locked to sector (.+) carry a load of (\S+), "
     r"above its maximum (\S+) \(target (\S+) \+(\S+)\)$",
     r"verrous incompatibles avec l'équilibre : les communes verrouillées au secteur \1 pèsent \2, "
     r"plus que son maximum \3 (cible \4 +\5)"),
    (r"^(\d+) code\(s\) (?:of the patient counts )?are not units of the territory: (.*)$",
     r"\1 code(s) ne sont pas des communes du territoire : \2"),
    (r"^(\d+) unit\(s\) have no sector in the plan: (.*)$", r"\1 commune(s) sans secteur dans le plan : \2"),
    (r"^(\d+) unit\(s\) appear (?:twice|more than once) in the plan: (.*)$",
     r"\1 commune(s) en double dans le plan : \2"),
    (r"^worker names must be unique; repeated: (.*)$",
     r"chaque assistante sociale doit avoir un nom différent ; en double : \1"),
    (r"^every FTE must be > 0; got (.*)$", r"chaque ETP doit être supérieur à 0 ; reçu : \1"),
    (r"^unit (\S+) is locked to (.+), which is not a sector \((.*)\)$",
     r"la commune \1 est verrouillée au secteur \2, qui n'existe pas (secteurs : \3)"),
    (r"^plan sectors (.+) are not in the team \((.*)\)$", r"les secteurs \1 du plan ne sont pas dans l'équipe (\2)"),
    (r"^sector (.+) is empty and every unit around it is locked$",
     r"le secteur \1 est vide et toutes les communes autour sont verrouillées"),
    (r"^no balanced assignment of (\d+) units with load to (\d+) sectors .*$",
     r"aucune répartition équilibrée des \1 communes ayant des patients en \2 secteurs"),
)


def french(message: str) -> str:
    """A message of the partner directory or the sector engine in French (see :data:`_FRENCH`); unknown ones unchanged."""
    import re

    for pattern, replacement in _FRENCH:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


# -- choosing the patient counts (Couverture, Fiche secteur) ------------------------------------
def counts_picker(key: str):
    """Patients per unit: the FICTITIOUS demo counts, or an uploaded counts file; returns ``(counts, label, demo)``.

    The file is ``code_insee, patients`` (what ``secteurs patients import`` writes); only the
    counts are kept in memory.
    """
    from app import resources
    from geo.patients import read_counts

    upload = st.file_uploader("Effectifs par commune (CSV : code_insee, patients ; par défaut la démo fictive)",
                              type=["csv", "txt"], key=f"{key}_counts_file")
    if upload is not None:
        try:
            counts = _read_uploaded(upload, read_counts)
            return counts, f"{upload.name} ({fr_int(counts['patients'].sum())} patients)", False
        except (ValueError, OSError) as exc:
            st.error(f"Effectifs illisibles : {exc}")
    counts = resources.patient_counts()
    label = f"démo fictive ({fr_int(counts['patients'].sum())} patients)" if counts is not None else ""
    return counts, label, counts is not None
