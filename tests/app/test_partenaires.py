"""The Partenaires page run with AppTest on the real territory and the demo directory (no browser).

One app session, in order: search with accents and abbreviations, a map click, the form's
validation errors next to their fields, add / edit / delete with confirmation / undo, the
history, filters, exports, and an import previewed before it is committed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from streamlit.testing.v1 import AppTest

from apptest_helpers import assert_no_error as _ok, fill_form as _fill, partner_tab
MAP_KEY = "partenaires_map"
TEMPLATE = Path(__file__).resolve().parents[1] / "partners" / "data" / "partenaires_manuels.csv"


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def _directory(at: AppTest):
    partner_tab(at, "Annuaire")
    return next(d.value for d in at.dataframe if "Modifié le" in d.value.columns)


@pytest.fixture(scope="module")
def app(partenaires_app) -> AppTest:
    partenaires_app.text_input(key="partenaires_author").input("Testeur").run()
    return partenaires_app


def test_page_runs_with_demo_notice(app):
    _ok(app)
    assert app.title[0].value == "Partenaires"
    assert any("annuaire de démonstration" in w.value for w in app.warning)


@pytest.mark.parametrize("typed, code", [("ste foy les lyon", "69202"), ("ST ETIENNE", "42218"),
                                         ("Vénissieux", "69259"), ("venissieux", "69259"), ("69003", "69383"),
                                         ("38100 Grenoble", "38185")])
def test_find_with_accents_abbreviations_and_postal_codes(app, typed, code):
    partner_tab(app, "Trouver")
    app.text_input(key="partenaires_query").input(typed).run()
    _ok(app)
    assert app.selectbox(key="partenaires_commune").value == code
    text = _markdown(app)
    assert "Zones qui couvrent la commune" in text
    assert "Hospitalisation à domicile" in text and "Centre communal d'action sociale" in text


def test_find_shows_covering_zones_and_distances(app):
    app.text_input(key="partenaires_query").input("Lyon 3e").run()
    app.multiselect(key="partenaires_types").set_value(["HAD", "CPTS"]).run()
    app.slider(key="partenaires_k").set_value(2).run()
    _ok(app)
    assert "**Zones qui couvrent la commune** : CPTS" in _markdown(app)
    tables = [d.value for d in app.dataframe if "Distance (km)" in d.value.columns]
    assert len(tables) == 2 and all(len(t) >= 2 for t in tables)
    assert (tables[0]["Zone"].iloc[0] == "couvre la commune")
    app.multiselect(key="partenaires_types").set_value(["CPTS", "HAD", "ERC", "PSY", "DAC", "SSIAD", "CCAS"]).run()


def test_unknown_place(app):
    app.text_input(key="partenaires_query").input("Paris 75013").run()
    assert any("Aucune commune du territoire" in w.value and "hors territoire" in w.value for w in app.warning)


def test_place_input_uses_the_resolver(app):
    """The same resolver as Orientation: an ambiguous code lists its candidates, a close spelling is suggested."""
    app.text_input(key="partenaires_query").input("69290").run()
    _ok(app)
    box = app.selectbox(key="partenaires_commune")
    assert box.options[0].startswith("Saint-Priest") and len(box.options) == 5
    assert any(c.value.startswith("Ambiguë") for c in app.caption)
    app.text_input(key="partenaires_query").input("Anecy").run()
    _ok(app)
    assert app.selectbox(key="partenaires_commune").value == "74010"


def test_map_click_picks_the_commune(app):
    app.session_state[MAP_KEY] = {"last_active_drawing": {
        "type": "Feature", "geometry": None, "properties": {"code_insee": "01053", "nom": "Bourg-en-Bresse"}}}
    app.run()
    _ok(app)
    assert app.text_input(key="partenaires_query").value == "Bourg-en-Bresse (01000)"
    assert app.selectbox(key="partenaires_commune").value == "01053"
    assert any(s.value.startswith("Bourg-en-Bresse") for s in app.subheader)


def test_form_shows_each_error_next_to_its_field(app):
    _fill(app, name="", phone="04 72", email="x@", finess="690001129")
    errors = [e.value for e in app.error]
    assert "Nom : vide : chaque partenaire a besoin d'un nom" in errors
    assert any(e.startswith("Téléphone : téléphone « 04 72 » : numéro français de 10 chiffres") for e in errors)
    assert any(e.startswith("E-mail : e-mail « x@ » : adresse attendue") for e in errors)
    assert "FINESS : FINESS « 690001129 » : clé de contrôle 9 fausse (la clé de 69000112 est 8)" in errors
    # each error sits right after its field in the form
    flat = []

    def walk(node):
        if getattr(node, "type", "") in ("text_input", "error"):
            flat.append(node)
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else []):
            walk(child)

    walk(app.get("form")[0])
    for i, node in enumerate(flat):
        if node.type == "error":
            assert node.value.startswith(flat[i - 1].label + " :"), (flat[i - 1].label, node.value)
    _fill(app, name="CCAS de test", phone="0472112233", email="ccas@example.org", finess="", code_insee="69999")
    assert [e.value for e in app.error] == [
        "Code INSEE : commune inconnue : le code INSEE 69999 n'est pas une commune du département 69"]


def test_add_edit_history_delete_undo(app):
    _fill(app, code_insee="69383")
    _ok(app)
    assert any("« CCAS de test » créé" in s.value for s in app.success)
    new_id = app.selectbox(key="partenaires_selected").value
    assert new_id > 0
    assert _directory(app)["N°"].tolist().count(new_id) == 1
    history = app.dataframe[-1].value
    assert history["Action"].tolist() == ["création"]

    _fill(app, phone="04 78 00 00 01")
    _ok(app)
    assert any("« CCAS de test » enregistré" in s.value for s in app.success)
    assert app.dataframe[-1].value["Action"].tolist() == ["modification", "création"]

    app.button(key=f"partenaires_delete_{new_id}").click().run()
    assert any("Supprimer « CCAS de test »" in w.value for w in app.warning)
    app.button(key=f"partenaires_confirm_no_{new_id}").click().run()
    assert not any("Supprimer « CCAS de test »" in w.value for w in app.warning)
    app.button(key=f"partenaires_delete_{new_id}").click().run()
    app.button(key=f"partenaires_confirm_yes_{new_id}").click().run()
    _ok(app)
    assert any("supprimé" in s.value for s in app.success)
    assert new_id not in _directory(app)["N°"].tolist()

    app.button(key="partenaires_undo").click().run()
    _ok(app)
    assert any("(suppression) annulée" in s.value for s in app.success)
    assert new_id in _directory(app)["N°"].tolist()


def test_directory_filters_and_exports(app):
    # a real partner exists now (created above): the demo ones are hidden unless asked for
    assert set(_directory(app)["Source"]) == {"saisie manuelle"}
    app.checkbox(key="partenaires_include_demo").check().run()
    assert any(n.endswith("(démo)") for n in _directory(app)["Nom"])
    app.multiselect(key="partenaires_filter_types").set_value(["HAD"]).run()
    app.multiselect(key="partenaires_filter_deps").set_value(["42"]).run()
    _ok(app)
    table = _directory(app)
    assert len(table) > 0 and set(table["Type"]) == {"HAD"}
    app.multiselect(key="partenaires_filter_types").set_value([])
    app.multiselect(key="partenaires_filter_deps").set_value([])
    app.text_input(key="partenaires_search").input("venissieux").run()
    found = _directory(app)
    assert len(found) > 0 and all("Vénissieux" in f"{n} {c}" for n, c in zip(found["Nom"], found["Commune"]))
    labels = {b.label for b in app.get("download_button")}
    assert {"CSV", "XLSX", "GeoJSON"} <= labels
    app.text_input(key="partenaires_search").input("")
    app.multiselect(key="partenaires_filter_types").set_value([])
    app.multiselect(key="partenaires_filter_deps").set_value([]).run()
    # the import's templates are in its own tab, drawn only when it is open
    partner_tab(app, "Importer")
    labels = {b.label for b in app.get("download_button")}
    assert {"Télécharger le modèle (CSV)", "Télécharger le modèle (XLSX)"} <= labels
    assert not {"CSV", "XLSX", "GeoJSON"} & labels


def test_sector_filter_with_a_plan(app, units):
    frame = units[["code_insee"]].assign(sector="S" + units["departement"].astype(str))
    partner_tab(app, "Annuaire")
    app.selectbox(key="partenaires_plan_choice").select("Fichier plan.csv").run()
    app.file_uploader(key="partenaires_plan_file").set_value(
        ("plan.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    _ok(app)
    app.selectbox(key="partenaires_filter_sector").select("S73").run()
    table = _directory(app)
    assert len(table) > 0 and set(table["Secteur"]) == {"S73"}
    app.selectbox(key="partenaires_filter_sector").select("(tous)").run()


def test_import_is_previewed_then_committed(app, conn):
    from partners import count_partners

    before = len(_directory(app))
    stored = count_partners(conn)
    partner_tab(app, "Importer")
    app.selectbox(key="partenaires_import_format").select("csv").run()
    app.file_uploader(key="partenaires_import_file").set_value(
        ("partenaires_manuels.csv", TEMPLATE.read_bytes(), "text/csv")).run()
    _ok(app)
    metrics = _metrics(app)
    assert (metrics["À créer"], metrics["Rejetés"]) == ("3", "3")
    rows = next(d.value for d in app.dataframe if "Motif" in d.value.columns and "Signalements" in d.value.columns)
    assert (rows["Action"] == "rejeté").sum() == 3 and (rows["Action"] == "à créer").sum() == 3
    assert not rows["Motif"].str.contains("expected|duplicate|outside", regex=True).any()  # French only
    assert count_partners(conn) == stored  # nothing written by the preview
    app.button(key="partenaires_import_commit").click().run()
    _ok(app)
    assert any("3 créés" in s.value for s in app.success)
    assert count_partners(conn) == stored + 3
    assert _metrics(app)["À créer"] == "0"  # the same file again would change nothing
    assert app.button(key="partenaires_import_commit").disabled
    assert len(_directory(app)) == before + 3   # another tab: the upload is gone, the partners are there


def test_import_of_a_wrong_file(app):
    partner_tab(app, "Importer")
    app.selectbox(key="partenaires_import_format").select("finess").run()
    app.file_uploader(key="partenaires_import_file").set_value(("x.csv", b"a;b\n1;2\n", "text/csv")).run()
    assert app.error and "x.csv" in app.error[0].value
    app.file_uploader(key="partenaires_import_file").set_value(None).run()
    _ok(app)


@pytest.mark.parametrize("function, value", [
    ("validate_finess", "010000025"), ("validate_finess", "01000002"), ("validate_finess", "01A000024"),
    ("normalize_phone", "04 72 11 22"), ("validate_email", "contact@"), ("validate_rpps", "10001045368"),
    ("validate_rpps", "123"), ("validate_adeli", "12"), ("validate_website", "zz"), ("validate_code_insee", "693x8"),
    ("validate_postal_code", "690"),
])
def test_validation_messages_are_shown_in_french(function, value):
    import partners.validation as validation
    from app.ui import french

    with pytest.raises(validation.ValidationError) as caught:
        getattr(validation, function)(value)
    message = french(caught.value)
    assert message != str(caught.value) and "expected" not in message
    assert caught.value.code.startswith("partners.")


def test_position_messages_in_french():
    import partners.validation as validation
    from app.ui import french

    for lon, lat in (("4,8", ""), ("x", "y"), (45.7, 4.8)):
        with pytest.raises(validation.ValidationError) as caught:
            validation.validate_position(lon, lat)
        assert french(caught.value).startswith("position (")
        assert "expected" not in french(caught.value) and "give both" not in french(caught.value)


def test_only_the_open_tab_runs_and_each_keeps_its_choices(app):
    partner_tab(app, "Trouver")
    app.text_input(key="partenaires_query").input("Lyon 3e").run()
    # the closed tabs are not drawn: no directory listing, no import form sent to the browser
    assert not any("Modifié le" in d.value.columns for d in app.dataframe)
    assert not [w for w in app.selectbox if w.key == "partenaires_import_format"]
    partner_tab(app, "Annuaire")
    app.text_input(key="partenaires_search").input("venissieux").run()
    assert not [w for w in app.text_input if w.key == "partenaires_query"]
    partner_tab(app, "Trouver")
    _ok(app)
    assert not app.warning or all("Session State" not in w.value for w in app.warning)
    assert app.text_input(key="partenaires_query").value == "Lyon 3e"
    assert app.selectbox(key="partenaires_commune").value == "69383"
    partner_tab(app, "Annuaire")
    assert app.text_input(key="partenaires_search").value == "venissieux"
    app.text_input(key="partenaires_search").input("").run()
