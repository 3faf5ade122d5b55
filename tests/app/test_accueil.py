"""The Accueil page run with AppTest on the real territory (no browser)."""
from __future__ import annotations


import pytest

from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN


@pytest.fixture(scope="module")
def app() -> AppTest:
    # the first run builds the display cache and the demo directory: give it time
    return AppTest.from_file(str(MAIN), default_timeout=180).run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [t.value for t in at.title] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_runs_without_exception(app):
    assert not app.exception, [e.message for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == "Accueil"


def test_key_figures(app):
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Communes et arrondissements"] == "4\u202f033"
    assert metrics["Population"].replace("\u202f", "").isdigit()
    assert metrics["Patients (démo fictive)"] == "1\u202f350"
    assert int(metrics["Partenaires"].replace("\u202f", "")) > 0
    assert {"CPTS", "HAD", "ERC"} <= set(metrics)


def test_demo_data_are_labelled_fictitious(app):
    warnings = " ".join(w.value for w in app.warning)
    assert "Données de démonstration fictives" in warnings
    assert "patients" in warnings and "partenaires" in warnings


def test_clicking_a_unit_shows_it(app):
    assert "Lyon 3e Arrondissement" not in _texts(app)
    app.session_state["accueil_map"] = {"last_active_drawing": {
        "type": "Feature", "geometry": None,
        "properties": {"code_insee": "69383", "nom": "Lyon 3e Arrondissement", "departement": "69",
                       "population": 101744}}}
    app.run()
    assert not app.exception
    text = _texts(app)
    assert "**Lyon 3e Arrondissement** (69383)" in text
    assert "Patients (démo fictive) :" in text


def test_clicking_a_partner_shows_it(app):
    app.session_state["accueil_map"] = {"last_active_drawing": {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [4.85, 45.75]},
        "properties": {"partner_id": 1, "type": "ERC", "name": "ERC (fictif) de Lyon"}}}
    app.run()
    assert not app.exception
    assert "**ERC (fictif) de Lyon**" in _texts(app)


def test_a_rerun_is_fast(app):
    import time

    started = time.perf_counter()
    app.run()
    assert time.perf_counter() - started < 1.0  # target 0.3 s per map interaction; margin for slow CI
