"""Issue 16: a team lead's whole session on the Secteurs page reads clearly (AppTest, real territory).

One app session on a fresh workspace database: the page opens on the territory
and the patients, the team comes from a file with bases typed as commune names,
the map gives each worker the colour of :func:`geo.sectors.palette.sector_colours`
with groups outlined, locks are typed by name and removed one by one, and two
versions are compared in French with the moved communes named.
"""
from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN, assert_no_error as _ok, map_data
from geo.sectors.palette import sector_colours

TEAM_CSV = ("nom;etp;groupe;base\n"
            + "".join(f"AS {i + 1};1;{'A' if i < 6 else 'B'};{base}\n" for i, base in enumerate(
                ["Craponne"] + [""] * 10)))  # one base: fixed bases make the proposal slower


#: The proposal panel's element id on the first run (a changed id is a new, collapsed panel).
FIRST_PANEL_ID = {}


def _panel_id(at: AppTest) -> str:
    return next(e for e in at.expander if e.label.startswith("Proposer un découpage")).proto.id


def _paint(at: AppTest) -> dict:
    """The Paint the page sent to the map (in the map component's data)."""
    return map_data(at)["paint"]


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [s.value for s in at.success] + [c.value for c in at.caption] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    import streamlit as st

    old = os.environ.get("SECTEURS_DB")
    os.environ["SECTEURS_DB"] = str(tmp_path_factory.mktemp("session16") / "secteurs.sqlite")  # no version yet
    st.cache_resource.clear()  # the app's connection is a cached resource: open the new database
    at = AppTest.from_file(str(MAIN), default_timeout=240).run()
    at.switch_page("views/secteurs.py").run()
    yield at
    os.environ["SECTEURS_DB"] = old
    st.cache_resource.clear()


def test_opens_on_the_territory_and_the_patients(app):
    _ok(app)
    assert app.session_state["secteurs_history"].current is None
    paint = _paint(app)
    assert paint["legend"]["title"].startswith("Patients par commune")
    assert len(paint["fill"]) > 500  # the demo patients' communes are drawn
    assert "Aucune version enregistrée : voici le territoire et les patients" in _texts(app)
    FIRST_PANEL_ID["propose"] = _panel_id(app)


def test_ambiguous_base_lists_the_candidates(app):
    app.radio(key="secteurs_mode").set_value("Équipe (tableau)").run()
    bad = TEAM_CSV.replace("Craponne", "Saint-Didier")
    app.get("file_uploader")[1].set_value(("equipe.csv", bad.encode("utf-8"), "text/csv"))
    app.run()
    # the team table is read with its bases: an ambiguous name is refused there, with the candidates
    errors = " ".join(e.value for e in app.error)
    assert "Saint-Didier" in errors and "AS 1" in errors, errors
    assert "Saint-Didier-en-Velay" in errors and "Saint-Didier-au-Mont-d'Or" in errors, errors
    assert "secteurs_team_loaded" not in app.session_state  # the refused file's team is not taken


def test_team_from_a_file_with_bases_by_name(app):
    app.get("file_uploader")[1].set_value(("equipe.csv", TEAM_CSV.encode("utf-8"), "text/csv"))
    app.run()
    app.button(key="secteurs_propose").click().run()
    _ok(app)
    team = app.session_state["secteurs_team"]
    assert team.bases == ("69069",) + (None,) * 10
    assert team.groups == ("A",) * 6 + ("B",) * 5
    assert app.session_state["secteurs_history"].current.k == 11


def test_plan_map_worker_colours_groups_and_labels(app):
    plan = app.session_state["secteurs_history"].current
    paint = _paint(app)
    colours = sector_colours(plan.names)
    for code in ("69069", "38185", "01053", "63113", "74010"):
        assert paint["palette"][paint["fill"][code]] == colours[plan.sector_of(code)]
    strokes = paint["class_strokes"]
    assert strokes[0] == strokes[5] != strokes[6] == strokes[10]  # group A vs group B outlines
    legend = [item[1] for item in paint["legend"]["items"]]
    assert "Groupe A" in legend and "Groupe B" in legend
    assert sorted(label[2] for label in paint["labels"]) == sorted(plan.names)  # one label per sector
    assert paint["department_names"] is None  # department names only at low zoom


def test_panel_is_keyed_so_it_keeps_its_state(app):
    assert _panel_id(app) == FIRST_PANEL_ID["propose"]  # a proposal later: still the same panel
    app.checkbox(key="secteurs_whole").check().run()
    assert _panel_id(app) == FIRST_PANEL_ID["propose"]  # a ticked checkbox: still the same panel
    assert app.checkbox(key="secteurs_whole").value is True
    app.checkbox(key="secteurs_whole").uncheck().run()


def test_locks_by_name_listed_and_removed_one_by_one(app):
    app.text_input(key="secteurs_lock_text").input("Craponne")
    app.button(key="secteurs_lock_add").click().run()
    _ok(app)
    assert "69069" in app.session_state["secteurs_locked"]
    app.text_input(key="secteurs_lock_text").input("Saint-Didier")
    app.button(key="secteurs_lock_add").click().run()
    _ok(app)
    assert "désigne plusieurs communes" in _texts(app)
    app.selectbox(key="secteurs_lock_pick").select("43177")
    app.button(key="secteurs_lock_pick_add").click().run()
    _ok(app)
    assert set(app.session_state["secteurs_locked"]) == {"69069", "43177"}
    table = next(f for f in _frames(app) if "Commune" in f.columns and "Patients" in f.columns
                 and "Code INSEE" in f.columns and len(f) == 2)
    assert set(table["Commune"]) == {"Craponne", "Saint-Didier-en-Velay"}
    app.multiselect(key="secteurs_unlock_choice").select("43177").run()
    app.button(key="secteurs_unlock").click().run()
    _ok(app)
    assert set(app.session_state["secteurs_locked"]) == {"69069"}


def test_comparison_in_french_with_moved_communes_in_worker_colours(app):
    app.text_input(key="secteurs_save_name").input("Plan")
    app.button(key="secteurs_save").click().run()
    plan = app.session_state["secteurs_history"].current
    source = plan.sector_of("01053")
    target = next(n for n in plan.names if n != source)
    app.session_state["secteurs_map"] = {"last_active_drawing": {"type": "Feature", "geometry": None,
                                                                 "properties": {"code_insee": "01053"}}}
    app.run()
    app.selectbox(key="secteurs_target").select(target)
    app.button(key="secteurs_move").click().run()
    app.button(key="secteurs_save").click().run()
    app.selectbox(key="secteurs_cmp_a").select(("Plan", 1))
    app.selectbox(key="secteurs_cmp_b").select(("Plan", 2))
    app.button(key="secteurs_compare").click().run()
    _ok(app)
    text = _texts(app)
    assert "1 commune(s) changent de secteur" in text and " %)" in text
    frames = _frames(app)
    moved = next(f for f in frames if "Secteur avant" in f.columns)
    assert moved.iloc[0]["Commune"] == "Bourg-en-Bresse"
    assert (moved.iloc[0]["Secteur avant"], moved.iloc[0]["Secteur après"]) == (source, target)
    for frame in frames:
        shown = frame.astype(str).to_numpy().ravel().tolist()
        assert not any(v in ("None", "nan") for v in shown)
    figures = next(f for f in frames if "Mesure" in f.columns)
    gap = figures.set_index("Mesure").loc["Écart max à la cible"]
    assert gap["A"].endswith(" %") and "0." not in gap["A"]
    assert app.radio(key="secteurs_view").value == "Comparaison de versions"
    paint = _paint(app)
    assert list(paint["fill"]) == ["01053"]
    colour = paint["palette"][paint["fill"]["01053"]]
    assert colour == sector_colours(plan.names)[target]
    app.radio(key="secteurs_view").set_value("Plan courant").run()
    plan_paint = _paint(app)
    assert plan_paint["palette"][plan_paint["fill"]["01053"]] == colour  # the same worker, the same colour


def test_fiche_secteur_map_gives_the_worker_the_same_colour(app):
    plan = app.session_state["secteurs_history"].current
    sector = plan.sector_of("01053")
    colour = sector_colours(plan.names)[sector]
    app.switch_page("views/fiche_secteur.py").run()
    _ok(app)
    app.selectbox(key="fiche_sector").select(sector).run()
    _ok(app)
    paint = _paint(app)
    assert paint["palette"][paint["fill"]["01053"]] == colour
    neighbour = next(item for item in paint["legend"]["items"] if item[1] != sector)
    assert neighbour[0] == sector_colours(plan.names)[neighbour[1]]
