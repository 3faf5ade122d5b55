"""The Fiche secteur page run with AppTest on the real territory (no browser).

A plan with one sector per department, a referent and a group per sector is uploaded; the sheet
of the Rhône's sector names its neighbours' referents, the hub's contact, the partners with their
contacts, and offers the PDF and the HTML.
"""
from __future__ import annotations


import pytest

from streamlit.testing.v1 import AppTest

from services.reports.fiche import DEFAULT_HUB_CONTACT, SHEET_SECTIONS

from apptest_helpers import assert_no_error as _ok, page_with_plan_file


@pytest.fixture(scope="module")
def app(department_plan_csv) -> AppTest:
    at = page_with_plan_file("fiche_secteur", department_plan_csv, timeout=300)
    at.selectbox(key="fiche_sector").select("S69").run()
    return at


def test_without_a_plan_the_page_says_what_to_do():
    at = page_with_plan_file("fiche_secteur", None, timeout=300)
    _ok(at)
    assert at.title[0].value == "Fiche secteur"
    assert any("Aucun plan de secteurs" in i.value for i in at.info)


def test_sheet_of_the_rhone(app, units):
    _ok(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Référent·e"] == "Référente 69" and metrics["Groupe"] == "Métropole"
    assert metrics["Communes"] == str((units["departement"] == "69").sum())
    assert app.header[0].value == "Fiche du secteur S69"
    subheaders = [s.value for s in app.subheader]
    assert all(section in subheaders for section in SHEET_SECTIONS[1:])
    assert any(DEFAULT_HUB_CONTACT in m.value for m in app.markdown)
    assert any("fictif" in w.value for w in app.warning)
    neighbours = app.dataframe[0].value
    assert set(neighbours["Secteur"]) == {"S01", "S38", "S42"}
    assert set(neighbours["Référent·e"]) == {"Référente 01", "Référente 38", "Référente 42"}
    partners = app.dataframe[2].value
    assert len(partners) and partners["Téléphone"].str.startswith("04 65 71").all()


def test_downloads(app):
    labels = {b.proto.label for b in app.get("download_button")}
    assert labels == {"Fiche (PDF)", "Fiche à imprimer (HTML)"}


def test_another_sector(app):
    app.selectbox(key="fiche_sector").select("S15").run()
    _ok(app)
    assert app.header[0].value == "Fiche du secteur S15"
    assert {m.label: m.value for m in app.metric}["Référent·e"] == "Référente 15"


def test_a_plan_with_unknown_codes_is_an_error_message():
    at = page_with_plan_file("fiche_secteur", None, timeout=300)
    plan = b"code_insee,sector\n69383,A\n99999,A\n"
    at.file_uploader(key="fiche_plan_file").set_value(("plan.csv", plan, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Fiche impossible à établir" in e.value and "99999" in e.value for e in at.error)
