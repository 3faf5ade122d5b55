"""Secteurs: propose sectors, edit them on the map with live metrics, version, compare and export.

The page keeps, in its session: an undo/redo :class:`~geo.sectors.edit.History`
of plans and the locked units. The patient counts, the team and the saved
versions live in the team workspace (:mod:`services.workspace`), shared with
every page: an uploaded hospital export goes through the patient importer
and only its counts per unit are stored; a version is saved with its team and
made current.
Every change goes through a callback, so the map and the metrics drawn after
it already show the new plan.
"""
from __future__ import annotations

import re
import time

import pandas as pd
import streamlit as st

from app import resources
from services import audit, proposals
from app.auth import can, refusal
from app.uploads import checked
from app.map import Paint, classify, clicked_unit, show_map
from app.messages import render_code
from app.ui import FICTITIOUS, fictitious_notice, fr_int, french, plain_md
from geo.display import DEPARTEMENT_NAMES
from geo.resolver import resolve
from geo.sectors import export, store
from geo.sectors.edit import (History, broken_sectors, empty_sectors, forget_ancestors, is_valid, locks_in, move_units,
                              remeasure, restore_plan, sector_table)
from geo.sectors.io import read_team
from geo.sectors.palette import sector_colours
from geo.sectors.problem import DEFAULT_DEPARTMENT_PENALTY, SectorError
from geo.sectors.propose import changes, rebalance
from geo.sectors.team import Team, team_from_frame
from services import workspace

MAP_KEY = "secteurs_map"
HISTORY, LOCKED, TEAM, COUNTS, FLASH = ("secteurs_history", "secteurs_locked", "secteurs_team",
                                        "secteurs_counts", "secteurs_flash")
MOVES, COMPARE, UPLOADS = "secteurs_last_moves", "secteurs_comparison", "secteurs_upload_n"
REPORT, STARTED = "secteurs_import_report", "secteurs_started"
TEAM_FILE, LOCK_PICK = "secteurs_team_file_n", "secteurs_lock_candidates"
#: Outline colour of each group's units on the map (group i gets colour i): dark, unlike the light fills.
GROUP_STROKES = ("#08306B", "#7F0000", "#00441B", "#3F007D", "#662506")
#: Classes of patients per commune on the map drawn before any plan.
PATIENT_BOUNDS = [1, 3, 10, 30, 100]
#: Department penalty when departments should be kept whole (a strong preference, not a rule).
WHOLE_DEPARTMENTS_PENALTY = 100 * DEFAULT_DEPARTMENT_PENALTY
#: Progress shown for each stage the sector method reports (fraction, French text).
STAGES = {"queued": (0.02, "En attente : un autre découpage est en cours de calcul…"),
          "started": (0.05, "Préparation…"),
          "seeds": (0.1, "Placement des centres des secteurs…"), "contiguity": (0.35, "Secteurs d'un seul tenant…"),
          "balance": (0.5, "Équilibrage des charges…"), "polish": (0.65, "Ajustement des frontières…"),
          "recut": (0.85, "Dernières retouches…")}
#: The two uses of the workers' base communes, one French sentence each.
BASE_MODES = {"centre": "Centre du secteur : les distances se mesurent depuis la commune de base.",
              "inside": "Dans le secteur : la commune de base fait partie du secteur, dont le centre reste libre."}
DEFAULT_TEAM = pd.DataFrame({"Nom": [f"AS {i + 1}" for i in range(11)], "ETP": [1.0] * 11,
                             "Groupe": [""] * 11, "Commune de base": [""] * 11})

state = st.session_state
state.setdefault(HISTORY, History())
state.setdefault(LOCKED, {})
state.setdefault(UPLOADS, 0)
state.setdefault(TEAM_FILE, 0)
history: History = state[HISTORY]
units = resources.units()


def _flash(kind: str, text: str) -> None:
    state[FLASH] = (kind, text)


def _counts() -> tuple[pd.DataFrame | None, str, bool]:
    """Patient counts in use (the workspace's, else the fictitious demo ones), their label, whether demo."""
    return resources.counts_in_use()


def _context():
    counts, _, _ = _counts()
    return resources.sector_context().with_counts(counts)


def _team_frame(team: Team | None) -> pd.DataFrame:
    """The team table shown in the editor: the workspace team, else 11 workers AS 1..AS 11."""
    if team is None:
        return DEFAULT_TEAM
    return pd.DataFrame({"Nom": list(team.names), "ETP": list(team.fte),
                         "Groupe": list(team.groups or [""] * len(team)),
                         "Commune de base": [_place_label(b) if b else "" for b in (team.bases or [None] * len(team))]})


def _place_label(code: str) -> str:
    """A unit as people read it and the resolver reads it back: "Craponne (69069)"."""
    position = units.index[units["code_insee"] == str(code)]
    return f"{units.at[position[0], 'nom']} ({code})" if len(position) else str(code)


def _resolved_bases(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The team table with each base commune (a name, postal or INSEE code) replaced by its INSEE code.

    Returns the table and, for each base the resolver cannot settle, a French
    sentence naming the worker and the candidates (nothing is guessed).
    """
    frame = frame.copy()
    column = next((c for c in frame.columns if str(c).strip().lower() in ("commune de base", "base")), None)
    if column is None:
        return frame, []
    problems, resolved = [], []
    for name, text in zip(frame.iloc[:, 0], frame[column]):
        text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text).strip()
        if not text:
            resolved.append("")
            continue
        result = resolve(text)
        if result.resolved:
            resolved.append(result.code)
        elif result.ambiguous:
            resolved.append("")
            problems.append(f"Commune de base « {text} » de {name} : plusieurs communes possibles ("
                            + ", ".join(f"{c.name} ({c.code})" for c in result.candidates[:6])
                            + ") ; écrivez par exemple « " + _place_label(result.candidates[0].code) + " ».")
        else:
            resolved.append("")
            problems.append(f"Commune de base « {text} » de {name} : commune introuvable dans le territoire"
                            + (" (vouliez-vous dire " + ", ".join(f"{c.name} ({c.code})"
                                                                   for c in result.candidates[:3]) + " ?)"
                               if result.candidates else "") + ".")
    frame[column] = resolved
    return frame, problems


def _restore(record):
    """A saved version as an editable plan on the counts in use, with its team (else the session's)."""
    team = record.team if record.team is not None else state.get(TEAM)
    tolerance = record.tolerance if record.tolerance is not None else state.get("secteurs_tolerance", 2) / 100
    return restore_plan(_context(), record.assignment, team, tolerance,
                        state.get("secteurs_base_mode", "centre")), team


def _pct(x: float) -> str:
    return f"{x:+.1%}".replace(".", ",")


def _km(x: float) -> str:
    return f"{x:.1f} km".replace(".", ",")


def sector_label_points(plan) -> list[tuple[float, float, str]]:
    """One label per sector, at the town hall of its unit nearest the sector's middle (a point inside it)."""
    import numpy as np

    lat, lon = resources.unit_label_points()
    points = []
    for s, name in enumerate(plan.names):
        members = np.flatnonzero(plan.assignment == s)
        if not len(members):
            continue
        middle_lat, middle_lon = lat[members].mean(), lon[members].mean()
        nearest = members[np.argmin((lat[members] - middle_lat) ** 2
                                    + ((lon[members] - middle_lon) * np.cos(np.radians(middle_lat))) ** 2)]
        points.append((lat[nearest], lon[nearest], name))
    return points


def comparison_paint(comparison: dict, colour_of: dict[str, str]) -> Paint:
    """The moved units, each in the colour of the worker it goes to (the same colour as on the plan map)."""
    moves = pd.DataFrame(comparison["moves"])
    targets = sorted(moves["to"].astype(str).unique()) if len(moves) else []
    colours = sector_colours(set(comparison.get("new_sectors") or ()) | set(targets) | set(colour_of))
    colours.update({t: c for t, c in colour_of.items() if t in colours})
    index = {t: i for i, t in enumerate(targets)}
    return Paint(fill={c: index[t] for c, t in zip(moves.get("code_insee", []), moves.get("to", []))},
                 palette=tuple(colours[t] for t in targets), class_names=tuple(targets),
                 class_title="Vers le secteur ",
                 tips={c: f"venait du secteur {f}" if f else "commune ajoutée"
                       for c, f in zip(moves.get("code_insee", []), moves.get("from", []))},
                 legend=("Communes déplacées (secteur d'arrivée)", [(colours[t], t) for t in targets]))


def _french_number(value, kind: str) -> str:
    """A comparison figure in French: a percentage, kilometres or a plain number; "—" when missing."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if kind == "pct":
        return f"{float(value):.1%}".replace(".", ",").replace("%", " %")
    if kind == "pct_delta":
        return f"{float(value) * 100:+.1f} points".replace(".", ",")
    if kind == "int":
        return fr_int(round(float(value)))
    if kind == "int_delta":
        return f"{round(float(value)):+d}"
    if kind == "km_delta":
        return f"{float(value):+.1f} km".replace(".", ",")
    if kind == "km":
        return f"{float(value):.1f} km".replace(".", ",")
    if kind == "delta":
        return f"{float(value):+.2f}".replace(".", ",")
    return f"{float(value):.2f}".replace(".", ",")


# -- callbacks (run before the script, so what follows draws the new plan) ----------------
def _move(codes: list[str], target: str, label: str) -> None:
    plan = history.current
    new, moved, skipped = move_units(plan, codes, target, state[LOCKED])
    if moved:
        history.push(new, label)
        forget_ancestors(new)
        state[MOVES] = None
    if skipped:
        _flash("warning", f"{len(skipped)} commune(s) verrouillée(s) non déplacée(s).")
    elif not moved:
        _flash("info", f"Déjà dans le secteur {plain_md(target)} : rien à déplacer.")


def _move_selected(code: str) -> None:
    name = history.current.context.names[history.current.unit_position(code)]
    target = state["secteurs_target"]
    _move([code], target, f"{name} → {target}")


def _move_bulk(codes: list[str], what: str) -> None:
    target = state["secteurs_bulk_target"]
    _move(codes, target, f"{what} → {target}")


def _toggle_lock(code: str) -> None:
    locked = dict(state[LOCKED])
    if code in locked:
        del locked[code]
    else:
        locked[code] = history.current.sector_of(code)
    state[LOCKED] = locked


def _unlock_all() -> None:
    state[LOCKED] = {}


def _unlock_chosen() -> None:
    chosen = set(state.get("secteurs_unlock_choice") or [])
    state[LOCKED] = {c: s for c, s in state[LOCKED].items() if c not in chosen}
    state["secteurs_unlock_choice"] = []


def _lock_code(code: str) -> None:
    plan = history.current
    if code not in plan.context.position:
        _flash("error", f"{_place_label(code)} n'est pas une commune du plan.")
        return
    state[LOCKED] = {**state[LOCKED], code: plan.sector_of(code)}
    state.pop(LOCK_PICK, None)
    state["secteurs_lock_text"] = ""
    _flash("success", f"{_place_label(code)} verrouillée dans le secteur {plain_md(plan.sector_of(code))}.")


def _lock_typed() -> None:
    text = (state.get("secteurs_lock_text") or "").strip()
    if not text:
        return
    result = resolve(text)
    if result.resolved:
        _lock_code(result.code)
    elif result.ambiguous:
        state[LOCK_PICK] = (text, [c.code for c in result.candidates])
    else:
        state.pop(LOCK_PICK, None)
        _flash("error", f"« {plain_md(text)} » : commune introuvable dans le territoire.")


def _lock_picked() -> None:
    _lock_code(state["secteurs_lock_pick"])


def _undo() -> None:
    history.undo()
    state[MOVES] = None


def _redo() -> None:
    history.redo()
    state[MOVES] = None


def _rebalance() -> None:
    plan = history.current
    try:
        new, moves = rebalance(plan, locks_in(plan, state[LOCKED]))
    except SectorError as error:
        state[MOVES] = None
        _flash("error", f"Rééquilibrage impossible : {french(error)}")
        return
    if not is_valid(new):
        state[MOVES] = None
        _flash("warning", "Le rééquilibrage ne suffit pas à rendre chaque secteur non vide, d'un seul tenant "
                          "et dans la tolérance. Proposez un nouveau découpage en cochant « Partir du plan "
                          "courant » : il garde le plus de patients possible avec leur référente.")
        return
    state[MOVES] = moves
    if len(moves):
        history.push(new, f"rééquilibrage ({len(moves)} commune(s))")
    else:
        _flash("info", "Rééquilibrage : aucune commune à déplacer.")


def _save() -> None:
    if (refused := refusal("plans.save")) is not None:
        _flash("error", refused)
        return
    name = (state.get("secteurs_save_name") or "").strip()
    if not name:
        _flash("error", "Donnez un nom à la version.")
        return
    plan = history.current
    team = state.get(TEAM)
    if team is not None and tuple(team.names) != tuple(plan.names):
        team = None
    _, _, demo = _counts()
    version = workspace.save_version(resources.connection(), name, plan, team=team,
                                     note=state.get("secteurs_save_note", ""), demo=demo)
    _flash("success", f"Version {version} de « {plain_md(name)} » enregistrée ; c'est la version courante pour toutes "
                      "les pages" + (" (avec son équipe et ses groupes)." if team is not None and team.groups
                                     else "."))


def _load() -> None:
    name, version = state["secteurs_load_choice"]
    record = store.load_record(resources.connection(), name, version)
    try:
        plan, team = _restore(record)
    except SectorError as error:
        _flash("error", f"Version illisible : {french(error)}")
        return
    workspace.set_current(resources.connection(), name, version)
    state[TEAM] = team
    history.push(plan, f"version chargée : {name} v{version}")
    state[LOCKED] = locks_in(plan, state[LOCKED])
    state[MOVES] = None


def _compare() -> None:
    a, b = state["secteurs_cmp_a"], state["secteurs_cmp_b"]
    comparison = store.compare_plans(resources.connection(), a[0], a[1], b[1], other=b[0])
    # every sector of B, so each worker keeps the colour the plan map gives them
    comparison["new_sectors"] = list(store.load_record(resources.connection(), b[0], b[1]).sectors)
    state[COMPARE] = comparison
    state["secteurs_view"] = "Comparaison de versions"


#: The plan figures compared between two versions: label, format of values, format of the difference.
COMPARED = {"max_deviation": ("Écart max à la cible", "pct", "pct_delta"),
            "mean_km": ("Distance moyenne", "km", "km_delta"), "max_km": ("Distance max", "km", "km_delta"),
            "cut_edges": ("Frontières entre secteurs (communes voisines séparées)", "int", "int_delta"),
            "departements_split": ("Départements partagés", "int", "int_delta"),
            "mean_polsby_popper": ("Compacité moyenne (0 à 1)", "num", "delta")}
SECTOR_STATUS = {"new": "nouveau secteur", "removed": "secteur supprimé"}


def _comparison_section(comparison: dict) -> None:
    """Two versions compared, in French: who changes referent, which communes move, the figures."""
    old, new = comparison["old"], comparison["new"]
    total = comparison["patients"]
    changing = comparison["patients_changing_referent"]
    share = _french_number(changing / total, "pct") if total else "—"
    st.markdown(f"**{old['name']} v{old['version']} → {new['name']} v{new['version']}** : "
                f"{fr_int(comparison['units_moved'])} commune(s) changent de secteur ; "
                f"{fr_int(changing)} patient(s) sur {fr_int(total)} ({share}) changent de référente. "
                "La carte « Comparaison de versions » montre ces communes dans la couleur de leur nouveau secteur.")
    moves = pd.DataFrame(comparison["moves"])
    if len(moves):
        names = dict(zip(units["code_insee"].astype(str), units["nom"]))
        moved = pd.DataFrame({"Commune": [names.get(str(c), str(c)) for c in moves["code_insee"]],
                              "Code INSEE": moves["code_insee"].astype(str),
                              "Secteur avant": moves["from"].replace("", "—"),
                              "Secteur après": moves["to"].replace("", "—"),
                              "Patients qui changent de référente": moves["patients"].astype(int)})
        st.dataframe(moved.sort_values(["Patients qui changent de référente", "Commune"], ascending=[False, True]),
                     hide_index=True, width="stretch")
    deltas = comparison["metric_deltas"]
    if deltas:
        st.dataframe(pd.DataFrame([{"Mesure": text, "A": _french_number(deltas[k]["old"], kind),
                                    "B": _french_number(deltas[k]["new"], kind),
                                    "Différence": _french_number(deltas[k]["delta"], delta_kind)}
                                   for k, (text, kind, delta_kind) in COMPARED.items() if k in deltas]),
                     hide_index=True, width="stretch")
    sector_deltas = comparison["sector_deltas"]
    if sector_deltas:
        st.dataframe(pd.DataFrame([
            {"Secteur": s, "Patients": _french_number(d.get("patients"), "int_delta"),
             "Écart à la cible": _french_number(d.get("deviation"), "pct_delta"),
             "Communes": _french_number(d.get("units"), "int_delta"),
             "Distance moyenne": _french_number(d.get("mean_km"), "km_delta")}
            if "status" not in d else
            {"Secteur": s, "Patients": SECTOR_STATUS.get(d["status"], d["status"]), "Écart à la cible": "—",
             "Communes": "—", "Distance moyenne": "—"}
            for s, d in sector_deltas.items()]), hide_index=True, width="stretch")
        st.caption("Différences par secteur de A à B (« points » : points de pourcentage).")


# -- header ------------------------------------------------------------------------------
st.title("Secteurs")
st.caption("Un secteur par assistante sociale : proposer un découpage équilibré, l'ajuster sur la carte, "
           "enregistrer et comparer des versions, l'exporter.")
if FLASH in state:
    kind, text = state.pop(FLASH)
    getattr(st, kind)(text)

# -- patients (the workspace's counts) -----------------------------------------------------------
counts, counts_label, demo = _counts()
imported = workspace.counts_info(resources.connection()) is not None
# keyed panels keep their open/closed state across reruns
# the default open state is chosen once: an expander whose label or default changes is a new, collapsed one
state.setdefault("secteurs_patients_open", counts is None)
with st.expander("Patients", expanded=state["secteurs_patients_open"], key="secteurs_panel_patients",
                 on_change="rerun"):
    st.caption("Patients en cours : " + counts_label)
    if demo and counts is not None:
        fictitious_notice(f"{fr_int(counts['patients'].sum())} patients tirés au hasard (aucun patient réel)"
                          + (" : le fichier importé le dit." if imported else ". ")
                          + "Importez l'export de l'hôpital pour travailler sur les vrais comptages.")
    upload = checked(st.file_uploader("Export patients de l'hôpital (CSV ou Excel)", type=["csv", "txt", "xlsx"],
                                      key=f"secteurs_upload_{state[UPLOADS]}", disabled=not can("patients.import"),
                                      help="Seuls le code postal, la commune ou le code INSEE sont lus ; le fichier "
                                           "n'est ni conservé ni affiché, seuls les comptages par commune restent, "
                                           "pour toutes les pages (Couverture, Fiche secteur, rapport ARS…)."))
    if upload is not None and (refused := refusal("patients.import")) is not None:
        st.error(refused)
    elif upload is not None:
        from geo.errors import SecteursError
        from geo.patients import PatientFileError

        try:
            with st.spinner("Lecture et placement des patients…"):
                result, info = workspace.import_counts(resources.connection(), upload, upload.name)
        except PatientFileError as error:
            st.error(f"Fichier illisible : {french(error)}")
        except SecteursError as error:
            if error.code != "workspace.nothing_placed":
                raise
            st.error("Aucune ligne du fichier n'a pu être placée dans une commune du territoire : "
                     "comptages inchangés.")
            st.stop()
        else:
            state[REPORT] = result.report()
            del result
            state[UPLOADS] += 1  # a new uploader: the file itself is dropped
            if history.current is not None:
                history.push(remeasure(history.current, _context()), "nouveaux comptages de patients")
            st.rerun()
    if imported:
        st.success(f"Comptages de l'espace de travail : {counts_label}. Toutes les pages les utilisent.")
        if REPORT in state:
            st.text(state[REPORT])
        if st.button("Revenir aux patients de démonstration", key="secteurs_demo_counts"):
            workspace.clear_counts(resources.connection())
            state.pop(REPORT, None)
            if history.current is not None:
                history.push(remeasure(history.current, _context()), "patients de démonstration")
            st.rerun()

if counts is None:
    st.info("Aucun comptage de patients : importez l'export de l'hôpital ci-dessus.")
    st.stop()

# -- the workspace's current version, on the first visit ------------------------------------------
if not state.get(STARTED):
    state[STARTED] = True
    current = resources.current_plan()
    if history.current is None and current is not None:
        try:
            plan_, team_ = _restore(current)
        except SectorError:
            pass  # a version made on another territory: the page offers to propose instead
        else:
            state[TEAM] = team_
            history.push(plan_, f"version courante : {current.name} v{current.version}")

# -- propose or load -------------------------------------------------------------------------
state.setdefault("secteurs_propose_open", history.current is None)
with st.expander("Proposer un découpage ou charger une version", expanded=state["secteurs_propose_open"],
                 key="secteurs_panel_propose", on_change="rerun"):
    mode = st.radio("Secteurs", ["Nombre de secteurs", "Équipe (tableau)"], horizontal=True, key="secteurs_mode")
    if mode == "Nombre de secteurs":
        n_sectors = st.number_input("Nombre de secteurs", min_value=1, max_value=40, value=11, step=1,
                                    key="secteurs_n")
        team_frame = None
    else:
        st.caption("Une ligne par assistante sociale : nom, ETP (la charge visée est proportionnelle), "
                   "groupe (facultatif, ex. A/B) et commune de base (facultatif : nom, « nom (code INSEE) » "
                   "ou code postal ; « Lyon » seul vaut Lyon 8e, le site du centre).")
        team_upload = checked(st.file_uploader(
            "Ou importer l'équipe d'un fichier (CSV ou Excel : nom, etp, groupe, base)", type=["csv", "txt", "xlsx"],
            key=f"secteurs_team_upload_{state[TEAM_FILE]}"))
        if team_upload is not None:
            try:
                loaded = read_team(team_upload.getvalue(), team_upload.name)
            except SectorError as error:
                st.error(f"Équipe illisible : {french(error)}")
            else:
                state["secteurs_team_loaded"] = _team_frame(loaded)
                state[TEAM_FILE] += 1  # a new uploader and a new table holding the file's team
                _flash("success", f"Équipe de {len(loaded)} personne(s) lue dans « {plain_md(team_upload.name)} » : "
                                  "vérifiez-la puis proposez.")
                st.rerun()
        start = state.get("secteurs_team_loaded")
        team_frame = st.data_editor(start if start is not None else _team_frame(resources.current_team()),
                                    num_rows="dynamic", key=f"secteurs_team_table_{state[TEAM_FILE]}",
                                    width="stretch", hide_index=True)
        st.radio("Communes de base", list(BASE_MODES), format_func=BASE_MODES.get, key="secteurs_base_mode")
        st.caption("L'équipe est enregistrée dans l'espace de travail quand vous proposez un découpage : "
                   "les autres pages en tirent les groupes.")
    cols = st.columns(3)
    tolerance = cols[0].slider("Tolérance d'équilibre (± %)", 1, 10, 2, key="secteurs_tolerance")
    whole = cols[1].checkbox("Garder les départements entiers autant que possible", key="secteurs_whole")
    seed = cols[2].number_input("Variante (graine)", 0, 999, 0, key="secteurs_seed",
                                help="Une autre graine donne une autre proposition équivalente.")
    from_current = history.current is not None and st.checkbox(
        "Partir du plan courant (garder le plus de patients possible avec leur référente)",
        key="secteurs_from_current")
    keep_locks = bool(state[LOCKED]) and st.checkbox(f"Respecter les {len(state[LOCKED])} commune(s) verrouillée(s)",
                                                     value=True, key="secteurs_keep_locks")
    if st.button("Proposer", type="primary", key="secteurs_propose", disabled=not can("plans.propose")) \
            and refusal("plans.propose") is None:
        base_problems = []
        if team_frame is not None:
            team_frame, base_problems = _resolved_bases(team_frame)
        for problem in base_problems:
            st.error(problem)
        if not base_problems:
            try:
                team = team_from_frame(team_frame) if team_frame is not None else Team.of_size(int(n_sectors))
                locked = {c: s for c, s in state[LOCKED].items() if s in team.names} if keep_locks else None
                with st.status("Calcul du découpage…", expanded=True) as status:
                    started = time.perf_counter()
                    status.write(f"{len(team)} secteurs, {fr_int(counts['patients'].sum())} patients, "
                                 f"tolérance ± {tolerance} %.")
                    bar = st.progress(0.0, text="Préparation…")

                    def progress(stage: str) -> None:
                        fraction, text = STAGES.get(stage, (None, stage))
                        if fraction is not None:
                            bar.progress(fraction, text=text)

                    # in the proposals' worker process: the server's threads stay free for the other sessions
                    plan = proposals.propose_apart(counts, team, context=_context(), tolerance=tolerance / 100,
                                                   seed=int(seed), base_mode=state.get("secteurs_base_mode", "centre"),
                                                   locked=locked, previous=history.current if from_current else None,
                                                   department_penalty=WHOLE_DEPARTMENTS_PENALTY if whole
                                                   else DEFAULT_DEPARTMENT_PENALTY, progress=progress)
                    bar.progress(1.0, text="Terminé")
                    status.update(label=f"Découpage proposé en {time.perf_counter() - started:.1f} s".replace(".", ","),
                                  state="complete", expanded=False)
            except SectorError as error:
                st.error(f"Impossible de proposer ce découpage : {french(error)}")
            else:
                for code, params in team.notes:   # names typed by the user: shown as plain text
                    st.info(re.sub(r"([\\`*_{}\[\]()#+!|<>~$-])", r"\\\1", render_code(code, params)))
                if from_current:
                    moved = changes(history.current, plan)
                    st.success(f"Nouveau découpage : {fr_int(moved['units_changed'])} commune(s) et "
                               f"{fr_int(moved['patients_changed'])} patient(s) sur {fr_int(moved['patients'])} "
                               "changent de secteur.")
                state[TEAM] = team
                if team_frame is not None:
                    workspace.set_team(resources.connection(), team)
                state[LOCKED] = locks_in(plan, state[LOCKED])
                state[MOVES] = None
                history.push(plan, f"proposition ({len(team)} secteurs)")
    saved = store.list_plans(resources.connection())
    if saved:
        choices = [(p["name"], p["version"]) for p in saved]
        labels = {(p["name"], p["version"]): f"{p['name']} — v{p['version']} "
                  f"({p['created_at'][:16].replace('T', ' ')}, {p['sectors']} secteurs)" for p in saved}
        st.selectbox("Version enregistrée", choices, index=len(choices) - 1, format_func=labels.get,
                     key="secteurs_load_choice")
        st.button("Charger cette version", on_click=_load, key="secteurs_load")

plan = history.current
if plan is None:
    # no plan yet: the territory and the patients, so the page never opens on an empty map
    st.info("Aucune version enregistrée : voici le territoire et les patients par commune. Proposez un découpage "
            "ci-dessus pour le dessiner sur la carte.")
    per_unit = counts.groupby(counts["code_insee"].astype(str))["patients"].sum()
    patient_fill, patient_items = classify(per_unit, PATIENT_BOUNDS)
    show_map(Paint(fill=patient_fill, tips={c: f"{fr_int(n)} patient(s)" for c, n in per_unit.items() if n},
                   legend=("Patients par commune" + (" (fictifs)" if demo else ""), patient_items)),
             key="secteurs_territory_map", height=640)  # its own key: the plan's map is drawn elsewhere on the page
    st.stop()

# -- the current plan: map, selection, metrics ----------------------------------------------------
names = plan.names
codes = plan.context.codes
locked = locks_in(plan, state[LOCKED])
# each worker's colour, the same as on the Fiche secteur page, the comparison map and the reports
colour_of = sector_colours(names)
palette = tuple(colour_of[n] for n in names)
plan_team = state.get(TEAM)
groups_of = (dict(zip(plan_team.names, plan_team.groups)) if plan_team is not None and plan_team.groups
             and set(plan_team.names) == set(names) else {})
group_names = sorted(set(groups_of.values()))
group_stroke = {g: GROUP_STROKES[i % len(GROUP_STROKES)] for i, g in enumerate(group_names)}
selected = clicked_unit(MAP_KEY)
if selected is not None and selected not in plan.context.position:
    selected = None

bulk_kind = state.get("secteurs_bulk_kind", "EPCI")
bulk_values = state.get("secteurs_bulk_epci" if bulk_kind == "EPCI" else "secteurs_bulk_dep") or []
bulk_column = "epci_code" if bulk_kind == "EPCI" else "departement"
bulk_codes = units.loc[units[bulk_column].isin(bulk_values), "code_insee"].tolist() if bulk_values else []

comparison = state.get(COMPARE)
view = "Plan courant"
map_options = st.columns([3, 2])
if comparison:
    view = map_options[0].radio("Carte", ["Plan courant", "Comparaison de versions"], horizontal=True,
                                key="secteurs_view")
map_options[1].radio("Noms des départements", ["Automatique", "Toujours", "Jamais"], horizontal=True,
                     key="secteurs_dep_names",
                     help="Automatique : seulement en vue d'ensemble (zoom faible), pour ne pas couvrir les noms "
                          "des secteurs.")

department_names = {"Automatique": None, "Toujours": True, "Jamais": False}[
    st.session_state.get("secteurs_dep_names", "Automatique")]
if view == "Plan courant":
    paint = Paint(fill=dict(zip(codes.tolist(), plan.assignment.tolist())), palette=palette,
                  class_names=tuple(f"{n} (groupe {groups_of[n]})" if n in groups_of else n for n in names),
                  class_title="Secteur ", labels=sector_label_points(plan),
                  class_strokes=tuple(group_stroke[groups_of[n]] for n in names) if groups_of else None,
                  outlined=list(locked), tips={c: "verrouillée" for c in locked},
                  selected=([selected] if selected else []) + bulk_codes, department_names=department_names,
                  legend=("Secteurs", [(palette[s], names[s], group_stroke.get(groups_of.get(names[s])))
                                       for s in range(plan.k)]
                          + ([(None, "Groupes (contour)")] + [("#ffffff", f"Groupe {g}", group_stroke[g])
                                                              for g in group_names] if groups_of else [])))
else:
    paint = comparison_paint(comparison, colour_of)
    paint.department_names = department_names

toolbar = st.columns([1, 1, 1.4, 3])
toolbar[0].button("↩ Annuler", on_click=_undo, disabled=not history.can_undo, key="secteurs_undo",
                  help=f"Annuler : {history.undo_label}" if history.can_undo else None, width="stretch")
toolbar[1].button("↪ Rétablir", on_click=_redo, disabled=not history.can_redo, key="secteurs_redo",
                  help=f"Rétablir : {history.redo_label}" if history.can_redo else None, width="stretch")
toolbar[2].button("⚖️ Rééquilibrer", on_click=_rebalance, key="secteurs_rebalance", width="stretch",
                  help="Rétablit la contiguïté et l'équilibre en déplaçant le moins de communes possible "
                       "(les communes verrouillées ne bougent pas).")
toolbar[3].caption(f"Étape : {plain_md(history.label)}" + (" — " + FICTITIOUS.lower() if demo else ""))

moves = state.get(MOVES)
if moves is not None and len(moves):
    st.success(f"Rééquilibrage : {len(moves)} commune(s) déplacée(s), "
               f"{fr_int(moves['patients'].sum())} patient(s) changent de secteur.")
    st.dataframe(moves.rename(columns={"code_insee": "Code INSEE", "nom": "Commune", "from": "De", "to": "Vers",
                                       "patients": "Patients"}), hide_index=True, width="stretch")

table = sector_table(plan)
previous = history.previous
figures = st.columns(4)
figures[0].metric("Écart max à la cible", f"{plan.max_deviation:.1%}".replace(".", ","),
                  delta=(f"{plan.max_deviation - previous.max_deviation:+.1%}".replace(".", ",")
                         if previous is not None and previous.k == plan.k else None),
                  delta_color="inverse", help=f"Tolérance : ± {plan.tolerance:.0%}")
figures[1].metric("Distance moyenne", _km(plan.mean_distance),
                  help="Distance à vol d'oiseau patient – commune de base du secteur, moyenne.")
figures[2].metric("Distance max", _km(float(table["max_km"].max())))
figures[3].metric("Secteurs d'un seul tenant", f"{int(table['contiguous'].sum())} / {plan.k}")

left, right = st.columns([3, 2])
with left:
    show_map(paint, key=MAP_KEY, height=640)
with right:
    st.subheader("Sélection")
    if selected:
        i = plan.context.position[selected]
        current = plan.sector_of(selected)
        st.markdown(f"**{plan.context.names[i]}** ({selected}) — secteur **{current}**, "
                    f"{fr_int(plan.context.patients[i])} patient(s)"
                    + (" — 🔒 verrouillée" if selected in locked else ""))
        move_cols = st.columns([2, 1, 1])
        move_cols[0].selectbox("Déplacer vers", names, index=names.index(current), key="secteurs_target",
                               label_visibility="collapsed")
        move_cols[1].button("Déplacer", on_click=_move_selected, args=(selected,), key="secteurs_move",
                            disabled=selected in locked, width="stretch")
        move_cols[2].button("Déverrouiller" if selected in locked else "Verrouiller", on_click=_toggle_lock,
                            args=(selected,), key="secteurs_lock", width="stretch")
    else:
        st.caption("Cliquez sur une commune de la carte pour la déplacer ou la verrouiller.")

    for name in broken_sectors(plan):
        st.warning(f"Le secteur **{name}** n'est plus d'un seul tenant (contiguïté rompue).", icon="⚠️")
    for name in empty_sectors(plan):
        st.warning(f"Le secteur **{name}** n'a plus aucune commune.", icon="⚠️")
    outside = table[table["deviation"].abs() > plan.tolerance + 1e-9]
    if len(outside):
        st.warning("Hors tolérance : " + ", ".join(f"{plain_md(s)} ({_pct(d)})" for s, d in
                                                   zip(outside["sector"], outside["deviation"])))
    # a plain Vega-Lite spec: building it with altair costs ~75 ms per rerun
    x = {"field": "sector", "type": "nominal", "sort": list(names), "title": None}
    st.vega_lite_chart(spec={
        "data": {"values": [{"sector": s, "load": round(float(l), 2), "target": round(float(t), 2), "ecart": _pct(d)}
                            for s, l, t, d in zip(table["sector"], table["load"], table["target"],
                                                  table["deviation"])]},
        "layer": [
            {"mark": "bar", "encoding": {
                "x": x, "y": {"field": "load", "type": "quantitative", "title": "Patients (charge)"},
                "color": {"field": "sector", "type": "nominal", "legend": None,
                          "scale": {"domain": list(names), "range": list(palette)}},
                "tooltip": [{"field": "sector", "title": "Secteur"},
                            {"field": "load", "title": "Charge", "format": ".0f"},
                            {"field": "target", "title": "Cible", "format": ".1f"},
                            {"field": "ecart", "title": "Écart"}]}},
            {"mark": {"type": "tick", "color": "black", "thickness": 2, "size": 28},
             "encoding": {"x": x, "y": {"field": "target", "type": "quantitative"}}}]},
        width="stretch")
    st.caption("Barres : charge de chaque secteur ; trait noir : cible (proportionnelle à l'ETP).")
    with st.expander("Détail par secteur"):
        st.dataframe(pd.DataFrame({
            "Secteur": table["sector"], "Patients": table["patients"], "Cible": table["target"].round(1),
            "Écart": table["deviation"].map(_pct), "Communes": table["units"],
            "Dist. moy. (km)": table["mean_km"].round(1), "Dist. max (km)": table["max_km"].round(1),
            "D'un seul tenant": table["contiguous"].map({True: "oui", False: "non"}),
            "Départements": [", ".join(d) for d in plan.departements_spanned()]}),
            hide_index=True, width="stretch")
        shared = int(((plan["departements"] > 0).sum(axis=0) > 1).sum())
        st.caption(f"{shared} département(s) partagé(s) entre plusieurs secteurs.")

# -- several units, versions, export ---------------------------------------------------------------
# keyed: the open tab stays open across reruns (a click on "Comparer" keeps "Versions" shown)
tabs = st.tabs(["Déplacer plusieurs communes", "Verrous", "Versions", "Exporter"], key="secteurs_tabs",
               on_change="rerun")
with tabs[0]:
    kind = st.radio("Choisir par", ["EPCI", "Département"], horizontal=True, key="secteurs_bulk_kind")
    if kind == "EPCI":
        epcis = resources.epci_table()
        epci_names = dict(zip(epcis["epci_code"], epcis["epci_nom"] + " (" + epcis["departement"] + ")"))
        st.multiselect("EPCI", list(epci_names), format_func=epci_names.get, key="secteurs_bulk_epci",
                       placeholder="Choisir un ou plusieurs EPCI")
    else:
        deps = sorted(units["departement"].unique())
        st.multiselect("Départements", deps, format_func=lambda d: f"{d} {DEPARTEMENT_NAMES.get(d, d)}",
                       key="secteurs_bulk_dep", placeholder="Choisir un ou plusieurs départements")
    if bulk_codes:
        free = [c for c in bulk_codes if c not in locked]
        st.write(f"{fr_int(len(bulk_codes))} commune(s) surlignée(s) sur la carte, "
                 f"{fr_int(plan.context.patients[plan.context.positions(bulk_codes)].sum())} patient(s)"
                 + (f", dont {len(bulk_codes) - len(free)} verrouillée(s) qui ne bougeront pas"
                    if len(free) < len(bulk_codes) else "")
                 + ".")
        bulk_cols = st.columns([2, 1])
        bulk_cols[0].selectbox("Vers le secteur", names, key="secteurs_bulk_target")
        bulk_cols[1].button("Déplacer la sélection", on_click=_move_bulk,
                            args=(bulk_codes, f"{len(bulk_codes)} communes ({kind})"), key="secteurs_bulk_move")

with tabs[1]:
    lock_cols = st.columns([3, 1])
    lock_cols[0].text_input("Verrouiller une commune", key="secteurs_lock_text",
                            placeholder="nom, « nom (code INSEE) » ou code postal, ex. Craponne",
                            help="La commune reste dans son secteur actuel au rééquilibrage et aux propositions.")
    lock_cols[1].button("Verrouiller", on_click=_lock_typed, key="secteurs_lock_add", width="stretch")
    if LOCK_PICK in state:
        typed, candidates = state[LOCK_PICK]
        st.warning(f"« {typed} » désigne plusieurs communes : choisissez laquelle verrouiller.")
        pick_cols = st.columns([3, 1])
        pick_cols[0].selectbox("Commune", candidates, format_func=_place_label, key="secteurs_lock_pick")
        pick_cols[1].button("Verrouiller celle-ci", on_click=_lock_picked, key="secteurs_lock_pick_add",
                            width="stretch")
    if locked:
        st.write(f"{len(locked)} commune(s) verrouillée(s) (contour pointillé sur la carte) : elles ne bougent "
                 "ni au rééquilibrage ni à une nouvelle proposition.")
        positions = plan.context.positions(list(locked))
        st.dataframe(pd.DataFrame({"Commune": plan.context.names[positions], "Code INSEE": list(locked),
                                   "Secteur": list(locked.values()),
                                   "Patients": plan.context.patients[positions].astype(int)}),
                     hide_index=True, width="stretch")
        unlock_cols = st.columns([3, 1, 1])
        unlock_cols[0].multiselect("Déverrouiller", list(locked), format_func=_place_label,
                                   key="secteurs_unlock_choice", placeholder="Choisir une ou plusieurs communes")
        unlock_cols[1].button("Déverrouiller", on_click=_unlock_chosen, key="secteurs_unlock",
                              disabled=not state.get("secteurs_unlock_choice"), width="stretch")
        unlock_cols[2].button("Tout déverrouiller", on_click=_unlock_all, key="secteurs_unlock_all",
                              width="stretch")
    else:
        st.caption("Aucune commune verrouillée : tapez son nom ci-dessus, ou cliquez sur une commune de la carte "
                   "puis « Verrouiller ».")

with tabs[2]:
    save_cols = st.columns([2, 3, 1])
    save_cols[0].text_input("Nom", value="Plan", key="secteurs_save_name")
    save_cols[1].text_input("Note", key="secteurs_save_note", placeholder="ex. après le départ de …")
    save_cols[2].button("Enregistrer", on_click=_save, key="secteurs_save", width="stretch",
                        disabled=not can("plans.save"))
    saved = store.list_plans(resources.connection())
    if saved:
        current = resources.current_plan()
        is_current = [current is not None and (p["name"], p["version"]) == (current.name, current.version)
                      for p in saved]
        if current is not None:
            st.caption(f"Version courante (utilisée par toutes les pages) : {plain_md(current.label)}"
                       + (f" — patients : {plain_md(current.counts_label)}" if current.counts_label else "")
                       + (" — équipe enregistrée avec la version." if current.team is not None else "."))
        st.dataframe(pd.DataFrame({
            "Courante": ["●" if c else "" for c in is_current],
            "Nom": [p["name"] for p in saved], "Version": [p["version"] for p in saved],
            "Date": [p["created_at"][:16].replace("T", " ") for p in saved], "Note": [p["note"] for p in saved],
            "Secteurs": [p["sectors"] for p in saved],
            "Écart max": [_pct(p["max_deviation"]) if p["max_deviation"] is not None else "" for p in saved],
            "Dist. moy. (km)": [p["mean_km"] for p in saved],
            "Équipe": ["oui" if p["team"] else "" for p in saved],
            "Patients": [p["counts_label"] for p in saved]}), hide_index=True, width="stretch")
        choices = [(p["name"], p["version"]) for p in saved]
        label = lambda c: f"{c[0]} — v{c[1]}"  # noqa: E731
        pick = st.columns(3)
        pick[0].selectbox("Version A", choices, index=max(len(choices) - 2, 0), format_func=label,
                              key="secteurs_cmp_a")
        pick[1].selectbox("Version B", choices, index=len(choices) - 1, format_func=label, key="secteurs_cmp_b")
        pick[2].button("Comparer", on_click=_compare, key="secteurs_compare",
                       width="stretch")
        if comparison:
            _comparison_section(comparison)
    else:
        st.caption("Aucune version enregistrée.")

with tabs[3]:
    st.caption("Le plan courant pour Excel (CSV « ; » ou XLSX : code INSEE, commune, département, secteur, "
               "référent·e, groupe, patients) et pour QGIS (GeoJSON, GeoPackage avec les mêmes champs et une "
               "couche des secteurs, WGS84). Tous se relisent comme fichier plan (pages et commandes).")
    full_units = units
    export_team = state.get(TEAM) if state.get(TEAM) is not None and tuple(state[TEAM].names) == plan.names else None
    # (label, file, mime, builder, with patients): files with patient figures are recorded in the audit trail
    exports = [
        ("CSV (Excel)", "secteurs.csv", "text/csv", export.people_csv, True),
        ("XLSX", "secteurs.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         export.people_xlsx, True),
        ("GeoJSON communes", "secteurs_communes.geojson", "application/geo+json", export.people_geojson, True),
        ("GeoJSON secteurs", "secteurs.geojson", "application/geo+json",
         lambda p, u, team: export.plan_geojson(p, u, dissolve=True), False),
        ("GeoPackage", "secteurs.gpkg", "application/geopackage+sqlite3", export.people_geopackage, True),
    ]
    for column, (label, filename, mime, build, with_patients) in zip(st.columns(len(exports)), exports):
        data = lambda build=build, p=plan: build(p, full_units, team=export_team)  # noqa: E731 (built on click)
        if with_patients:
            data = audit.recorded_data(resources.connection, "export.plan_people", data, target=filename)
        column.download_button(label, data=data, file_name=filename, mime=mime, on_click="ignore",
                               key="secteurs_dl_" + filename.replace(".", "_"))
