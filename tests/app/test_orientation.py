"""The Orientation page run with AppTest on the real territory (no browser).

One app session: the plan is uploaded (one sector per department with a referent and a group,
so the test does not depend on plans saved by other tests), then one referral typed with
accents and abbreviations, a postal code shared by several communes, a place outside the
territory, and a list with bad rows.
"""
from __future__ import annotations


import pytest

from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN, assert_no_error as _ok
LIST = (
    "Orientations du jour\n"
    "Dossier;Nom;CP;Ville\n"
    "A1;DUPONT;69003;LYON\n"
    "A2;MARTIN;42100;ST ETIENNE\n"
    "A3;DURAND;75013;PARIS\n"
    "A4;PETIT;38;\n"
    "A5;ROUX;01000;\n"
).encode("cp1252")


def _metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def app(department_plan_csv) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=180).run()
    at.switch_page("views/orientation.py").run()
    at.selectbox(key="orientation_plan_choice").select("Fichier plan.csv").run()
    at.file_uploader(key="orientation_plan_file").set_value(("plan.csv", department_plan_csv, "text/csv")).run()
    return at


def test_without_a_plan_the_page_says_what_to_do():
    at = AppTest.from_file(str(MAIN), default_timeout=180).run()
    at.switch_page("views/orientation.py").run()
    at.selectbox(key="orientation_plan_choice").select("Fichier plan.csv").run()
    _ok(at)
    assert at.title[0].value == "Orientation"
    assert any("Aucun plan de secteurs" in i.value for i in at.info)


def test_plan_is_used(app):
    _ok(app)
    assert any("fichier plan.csv" in c.value for c in app.caption)
    assert any("annuaire de démonstration" in w.value for w in app.warning)


def test_one_referral_with_accents_and_abbreviations(app):
    app.text_input(key="orientation_query").input("ste foy les lyon").run()
    _ok(app)
    box = app.selectbox(key="orientation_commune")
    assert box.value == "69202" and box.format_func(box.value).startswith("Sainte-Foy-lès-Lyon")
    assert _metrics(app) == {"Secteur": "S69", "Référent·e": "Référente 69", "Groupe": "Métropole"}
    summary = app.code[0].value
    assert "Sainte-Foy-lès-Lyon (69202)" in summary and "Référent·e : Référente 69" in summary
    assert "Hospitalisation à domicile (HAD)" in summary
    assert any(s.value == "Partenaires" for s in app.subheader) and len(app.dataframe) >= 7

    app.text_input(key="orientation_query").input("St Étienne").run()
    _ok(app)
    assert app.selectbox(key="orientation_commune").value == "42218"
    assert _metrics(app)["Groupe"] == "Région"


def test_postal_code_shared_by_communes_offers_the_choice(app):
    app.text_input(key="orientation_query").input("01000").run()
    _ok(app)
    box = app.selectbox(key="orientation_commune")
    assert box.value == "01053" and len(box.options) >= 2
    other = box.options[1]
    box.select_index(1).run()
    _ok(app)
    assert other.split(" (")[0] in app.code[0].value


def test_outside_the_territory(app):
    app.text_input(key="orientation_query").input("75013 Paris").run()
    _ok(app)
    assert any("hors territoire" in w.value for w in app.warning)
    assert not app.code


def test_batch_routing_with_bad_rows(app):
    app.file_uploader(key="orientation_list").set_value(("liste.csv", LIST, "text/csv")).run()
    _ok(app)
    metrics = _metrics(app)
    assert (metrics["Lignes"], metrics["Orientées"], metrics["Non placées"], metrics["Ambiguës"]) == ("5", "3", "2",
                                                                                                       "1")
    unplaced = app.dataframe[0].value
    assert unplaced["Ligne"].tolist() == [5, 6]
    assert "hors territoire" in unplaced["Motif"].iloc[0] and "mal formé" in unplaced["Motif"].iloc[1]
    assert "Nom" not in unplaced.columns  # no identifier in the list of rows not placed
    routed = app.dataframe[1].value
    assert routed.columns[:4].tolist() == ["Dossier", "Nom", "CP", "Ville"]
    assert routed["referent"].tolist() == ["Référente 69", "Référente 42", "", "", "Référente 01"]
    assert routed["groupe"].tolist()[:2] == ["Métropole", "Région"]
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Télécharger (CSV)", "Télécharger (XLSX)"]


def test_unreadable_list(app):
    app.file_uploader(key="orientation_list").set_value(("liste.csv", b"Nom;Prenom\nA;B\n", "text/csv")).run()
    assert any("aucune colonne de localisation" in e.value for e in app.error)
    app.file_uploader(key="orientation_list").set_value(None).run()
    _ok(app)


def test_demo_plan_on_request():
    at = AppTest.from_file(str(MAIN), default_timeout=180).run()
    at.switch_page("views/orientation.py").run()
    at.selectbox(key="orientation_plan_choice").select("Plan de démonstration (démo fictive)").run()
    assert any("Aucun plan de secteurs" in i.value for i in at.info)  # nothing computed before the click
    at.button(key="orientation_demo_button").click().run()
    _ok(at)
    assert any("plan de démonstration" in c.value for c in at.caption)
    assert any("le plan est proposé sur des patients tirés au hasard" in w.value for w in at.warning)
    at.text_input(key="orientation_query").input("Lyon 8e").run()
    _ok(at)
    assert _metrics(at)["Secteur"].startswith("S")
