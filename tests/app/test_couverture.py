"""The Couverture page run with AppTest on the real territory (no browser).

One app session: a TEST plan is uploaded (60 km squares, so the test does not depend on plans
saved by other tests), with the FICTITIOUS demo patients and the demo directory. True figures
first, then the ARS mode (only masked figures), every map indicator, and the ARS downloads.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from streamlit.testing.v1 import AppTest

from apptest_helpers import assert_no_error as _ok, page_with_plan_file


def _metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def _small(value) -> bool:
    text = str(value).replace("\u202f", "").strip()
    return bool(re.fullmatch(r"\d+", text)) and 1 <= int(text) <= 10


@pytest.fixture(scope="module")
def plan_csv(units) -> bytes:
    from geo.territory import reference_points

    labels = [f"S{int(x // 60000):02d}-{int(y // 60000):03d}" for x, y in reference_points(units)]
    return pd.DataFrame({"code_insee": units["code_insee"], "sector": labels}).to_csv(index=False).encode("utf-8")


@pytest.fixture(scope="module")
def app(plan_csv) -> AppTest:
    at = page_with_plan_file("couverture", plan_csv, timeout=300)
    return at


def test_without_a_plan_the_page_says_what_to_do():
    at = page_with_plan_file("couverture", None, timeout=300)
    _ok(at)
    assert at.title[0].value == "Couverture"
    assert any("Aucun plan de secteurs" in i.value for i in at.info)


def test_true_figures_with_fictitious_labels(app):
    _ok(app)
    metrics = _metrics(app)
    assert metrics["Communes"] == "4\u202f033" and metrics["Patients"] == "1\u202f350"
    warnings = " ".join(w.value for w in app.warning)
    assert "fictives" in warnings and "annuaire de démonstration" in warnings
    assert "Effectifs réels" in warnings
    departements = app.dataframe[0].value
    assert "Patients" in departements.columns and departements["Patients"].astype(int).between(1, 10).any()


def test_ars_mode_shows_only_masked_figures(app):
    app.toggle(key="couverture_ars").set_value(True).run()
    _ok(app)
    assert any("Mode ARS" in i.value for i in app.info)
    assert not any("Effectifs réels" in w.value for w in app.warning)
    seen = set()
    for frame in (d.value for d in app.dataframe):
        frame = frame.reset_index()
        columns = [c for c in frame.columns if "Patients" in str(c)]
        if "Secteur" not in frame.columns and "Département" in frame.columns and not columns:
            columns = [c for c in frame.columns if str(c).startswith("S")]       # the department x sector grid
        for column in columns:
            values = frame[column].astype(str).tolist()
            assert not any(_small(v) for v in values), (column, values[:20])
            seen.update(values)
    assert {"< 11", "s"} <= seen
    assert _metrics(app)["Patients"] == "1\u202f350"


def test_map_indicators(app):
    """One indicator of each kind (they share one drawing path per kind)."""
    box = app.selectbox(key="couverture_indicator")
    options = box.options
    assert options[:4] == ["Patients par commune", "Couverture CPTS", "Couverture HAD", "Zones blanches"]
    assert "Accessibilité PSY (E2SFCA)" in options and "Distance au plus proche ERC" in options
    assert len([o for o in options if o.startswith("Distance au plus proche")]) == 7
    for option in ("Couverture CPTS", "Zones blanches", "Accessibilité ERC (E2SFCA)", "Distance au plus proche PSY",
                   "Patients par commune"):
        app.selectbox(key="couverture_indicator").select(option).run()
        _ok(app)


def test_method_notes_and_ars_downloads(app):
    text = " ".join(m.value for m in app.markdown) + " ".join(str(getattr(t, "value", "")) for t in app.get("text"))
    assert "Indice d'accessibilité (E2SFCA)" in text and "Secret statistique" in text
    labels = {getattr(b, "label", None) or b.proto.label for b in app.get("download_button")}
    assert {"Tableaux (XLSX)", "Tableaux (CSV, zip)"} <= labels
    app.button(key="couverture_pdf_prepare").click().run()
    _ok(app)
    labels = {getattr(b, "label", None) or b.proto.label for b in app.get("download_button")}
    assert "Rapport ARS (PDF)" in labels
