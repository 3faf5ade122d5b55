"""The Orientation page run with AppTest on the real territory (no browser).

One app session: the plan is uploaded (one sector per department with a referent and a group,
so the test does not depend on plans saved by other tests), then one referral typed with
accents and abbreviations, a postal code shared by several communes, a place outside the
territory, and a list with bad rows.
"""
from __future__ import annotations


import pytest

from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN, assert_no_error as _ok, page_with_plan_file
LIST = (
    "Orientations du jour\n"
    "Dossier;Nom;CP;Ville\n"
    "A1;DUPONT;69003;LYON\n"
    "A2;MARTIN;42100;ST ETIENNE\n"
    "A3;DURAND;75013;PARIS\n"
    "A4;PETIT;38;\n"
    "A5;ROUX;01000;\n"
).encode("cp1252")


def _shown(element) -> str:
    """An element's markdown source without the backslashes that escape user text."""
    return element.value.replace("\\", "")


def _metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def app(department_plan_csv) -> AppTest:
    at = page_with_plan_file("orientation", department_plan_csv, timeout=180)
    return at


def test_without_a_plan_the_page_says_what_to_do():
    at = page_with_plan_file("orientation", None, timeout=180)
    _ok(at)
    assert at.title[0].value == "Orientation"
    assert any("Aucun plan de secteurs" in i.value for i in at.info)


def test_plan_is_used(app):
    _ok(app)
    # the plan's name is escaped for markdown (shown as typed): compare the text as displayed
    assert any("fichier plan.csv" in c.value.replace("\\", "") for c in app.caption)
    assert any("annuaire de démonstration" in w.value for w in app.warning)


def test_one_referral_with_accents_and_abbreviations(app):
    app.text_input(key="orientation_query").input("ste foy les lyon").run()
    _ok(app)
    assert not app.radio  # one commune: nothing to choose
    assert any("Trouvée : Sainte-Foy-lès-Lyon — pourquoi : nom de la commune" in _shown(c) for c in app.caption)
    assert _metrics(app) == {"Secteur": "S69", "Référent·e": "Référente 69", "Groupe": "Métropole"}
    summary = app.code[0].value
    assert "Sainte-Foy-lès-Lyon (69202)" in summary and "Référent·e : Référente 69" in summary
    assert "Hospitalisation à domicile (HAD)" in summary and "(CPTS)" in summary and "(PSY)" in summary
    assert "(DAC)" not in summary  # the short summary; the full list is below, on demand
    assert "(DAC)" in app.code[1].value
    assert any(e.label == "Tous les partenaires proches" for e in app.expander)
    assert len(app.dataframe) >= 7

    app.text_input(key="orientation_query").input("St Étienne").run()
    _ok(app)
    assert "Saint-Étienne (42218)" in app.code[0].value
    assert _metrics(app)["Groupe"] == "Région"


def test_69290_offers_insee_and_postal_readings_in_one_click(app):
    """69290: INSEE code of Saint-Priest, postal code of Craponne and three others: nothing chosen silently."""
    app.text_input(key="orientation_query").input("69290").run()
    _ok(app)
    assert any("est ambigu" in _shown(w) and "code INSEE" in _shown(w) and "code postal" in _shown(w)
               for w in app.warning)
    radio = app.radio(key="orientation_pick_69290")
    assert radio.value is None and not app.code  # no summary before the pick
    labels = radio.options  # as shown: name (postal code) — department · reason
    assert len(labels) == 5
    assert labels[0].startswith("Saint-Priest") and "code INSEE 69290" in labels[0]
    assert {label.split(" (")[0] for label in labels[1:]} == {"Craponne", "Grézieu-la-Varenne", "Pollionnay",
                                                              "Saint-Genis-les-Ollières"}
    assert all("code postal 69290" in label for label in labels[1:])
    radio.set_value("69069").run()
    _ok(app)
    assert "Craponne (69069)" in app.code[0].value
    assert any("Choisie par vous : Craponne" in _shown(c) for c in app.caption)


def test_postal_code_shared_by_communes_offers_the_choice(app):
    app.text_input(key="orientation_query").input("01000").run()
    _ok(app)
    radio = app.radio(key="orientation_pick_01000")
    assert len(radio.options) == 2 and radio.options[0].startswith("Bourg-en-Bresse")
    radio.set_value("01344").run()
    _ok(app)
    assert "Saint-Denis-lès-Bourg (01344)" in app.code[0].value


def test_close_spelling_is_suggested_not_applied(app):
    app.text_input(key="orientation_query").input("Anecy").run()
    _ok(app)
    radio = app.radio(key="orientation_pick_Anecy")
    assert radio.options[0].startswith("Annecy") and "orthographe proche" in radio.options[0]
    app.text_input(key="orientation_query").input("Villeurbane").run()
    _ok(app)
    assert not app.radio
    assert any("Corrigée : Villeurbanne" in _shown(c) for c in app.caption)


def test_outside_the_territory(app):
    app.text_input(key="orientation_query").input("75013 Paris").run()
    _ok(app)
    assert any("hors territoire" in _shown(w) for w in app.warning)
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
    assert routed["statut"].tolist() == ["trouvée", "trouvée", "introuvable", "introuvable", "ambiguë"]
    assert routed["candidats"].iloc[4] == "01053 Bourg-en-Bresse ; 01344 Saint-Denis-lès-Bourg"
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
