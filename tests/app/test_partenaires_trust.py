"""The Partenaires page when edits must be trusted (AppTest, real territory, demo directory then real data).

One app session, in order: writes wait for the user's name; a form follows the database after an
undo and after another user's edit (a stale save is refused, not applied); the history reads in
French; a town name alone is accepted; the first real import sets the far partners aside and
offers to remove the demo, which one undo restores.
"""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import assert_no_error as _ok, fill_form as _fill, form_key as _form_key, partner_tab

BORDER = ("type;nom;code_insee;lon;lat\nHAD;HAD de Mâcon (test);71270;4,8295;46,3069\n"
          "HAD;HAD de Paris (test);75115;2,2935;48,8417\nHAD;HAD de Lyon (test);69383;4,8570;45,7600\n")


def _texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


@pytest.fixture(scope="module")
def app(partenaires_app) -> AppTest:
    return partenaires_app


def test_writes_wait_for_a_name(app):
    _ok(app)
    _fill(app, name="CCAS de confiance (test)", code_insee="69383")
    assert any("Indiquez votre nom" in e for e in _texts(app, "error")), (_texts(app, "error"), _texts(app, "success"))
    app.text_input(key="partenaires_author").input("Marie Test").run()
    _fill(app, name="CCAS de confiance (test)", code_insee="69383")
    _ok(app)
    assert any("« CCAS de confiance (test) » créé" in s for s in _texts(app, "success"))


def test_the_form_follows_the_database_after_undo(app):
    _fill(app, phone="04 78 00 00 01")
    assert app.text_input(key=_form_key(app, "phone")).value == "04 78 00 00 01"
    app.button(key="partenaires_undo").click().run()
    _ok(app)
    # the undone value is no longer in the form: saving now cannot re-apply it
    assert app.text_input(key=_form_key(app, "phone")).value == ""
    app.button(key="partenaires_redo").click().run()
    assert app.text_input(key=_form_key(app, "phone")).value == "04 78 00 00 01"


def test_a_stale_edit_is_refused_and_the_form_reloaded(app, conn):
    import partners

    selected = app.selectbox(key="partenaires_selected").value
    current = partners.get_partner(conn, selected)
    # another user changes the partner while the form is open
    partners.save_partner(conn, current.replace(notes="ouvert le samedi"), author="Paul Autre")
    for field, value in {"email": "ccas@example.org"}.items():
        app.text_input(key=_form_key(app, field)).input(value)
    app.get("form_submit_button")[0].click().run()
    errors = _texts(app, "error")
    assert any("modifiée par Paul Autre" in e and "n'a pas été enregistrée" in e for e in errors), errors
    stored = partners.get_partner(conn, selected)
    assert stored.email == "" and stored.notes == "ouvert le samedi"
    assert app.text_input(key=_form_key(app, "notes")).value == "ouvert le samedi"
    assert app.text_input(key=_form_key(app, "email")).value == ""


def test_history_reads_in_french(app):
    history = next(d.value for d in app.dataframe if "Modifications" in d.value.columns)
    assert set(history["Auteur"]) == {"Marie Test", "Paul Autre"}
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} à \d\d:\d\d", d) for d in history["Date"])
    assert history["Modifications"].iloc[0] == "Notes : (vide) → ouvert le samedi"
    assert "Téléphone : (vide) → 04 78 00 00 01" in history["Modifications"].tolist()


def test_a_town_name_alone(app):
    app.selectbox(key="partenaires_selected").set_value(0).run()
    _fill(app, name="CCAS de Vénissieux (test)", commune="Vénissieux")
    _ok(app)
    assert any("« CCAS de Vénissieux (test) » créé" in s for s in _texts(app, "success"))
    app.selectbox(key="partenaires_selected").set_value(0).run()
    _fill(app, name="CCAS de Saint-Priest (test)", commune="Saint-Priest")
    errors = _texts(app, "error")
    assert any("plusieurs communes s'appellent « Saint-Priest »" in e and "(69290)" in e and "(07288)" in e
               for e in errors), errors


def test_first_real_import_sets_far_partners_aside_and_offers_the_demo_purge(app, conn):
    import partners

    partner_tab(app, "Importer")
    app.selectbox(key="partenaires_import_format").select("csv").run()
    app.file_uploader(key="partenaires_import_file").set_value(
        ("frontiere.csv", BORDER.encode("utf-8"), "text/csv")).run()
    _ok(app)
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["À créer"], metrics["Voisins hors territoire"], metrics["Éloignés, non importés"]) == ("2", "1", "1")
    rows = next(d.value for d in app.dataframe if "Signalements" in d.value.columns).set_index("Nom")
    assert rows.loc["HAD de Mâcon (test)", "Signalements"] == "voisin (hors territoire, proche)"
    assert rows.loc["HAD de Paris (test)", "Action"] == "hors territoire, non importé"
    assert "plus de 60 km" in rows.loc["HAD de Paris (test)", "Motif"]
    app.multiselect(key="partenaires_preview_actions").set_value(["hors territoire, non importé"]).run()
    shown = next(d.value for d in app.dataframe if "Signalements" in d.value.columns)
    assert list(shown["Nom"]) == ["HAD de Paris (test)"]
    assert any(b.label == "Télécharger l'aperçu (CSV)" for b in app.get("download_button"))
    # tick the Paris HAD in, then import
    app.multiselect(key="partenaires_include_far").set_value(["NOM:HAD:75115:had de paris test"]).run()
    app.button(key="partenaires_import_commit").click().run()
    _ok(app)
    assert partners.find_partner(conn, "NOM:HAD:75115:had de paris test") is not None
    assert any("voulez-vous retirer les partenaires fictifs" in i.value for i in app.info)


def test_demo_purge_with_confirmation_and_undo(app, conn):
    import partners

    demo = partners.count_demo_partners(conn)
    assert demo > 300
    app.button(key="partenaires_purge").click().run()
    assert any("Supprimer les" in w.value and "démonstration" in w.value for w in app.warning)
    app.button(key="partenaires_purge_yes").click().run()
    _ok(app)
    assert partners.count_demo_partners(conn) == 0
    assert any("partenaires de démonstration supprimés" in s for s in _texts(app, "success"))
    partner_tab(app, "Annuaire")
    app.button(key="partenaires_undo").click().run()
    _ok(app)
    assert partners.count_demo_partners(conn) == demo
    assert any(f"{demo} modifications" in s.replace("\u202f", "") for s in _texts(app, "success"))
