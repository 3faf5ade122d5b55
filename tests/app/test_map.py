"""The shared map: a component in the page, only the app's own files, a small per-rerun payload."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import map as app_map


def _map_script():
    import pandas as pd
    import streamlit as st

    from app import map as app_map

    partners = pd.DataFrame({"id": [1, 2], "lon": [4.85, 5.7], "lat": [45.75, 45.2],
                             "type": ["ERC", "HAD"], "name": ["ERC (fictif)", "HAD <fictive>"]})
    selected = st.session_state.get("selected", "69383")
    paint = app_map.Paint(fill={selected: 5}, tips={selected: "39 patients"}, selected=[selected])
    clicked = app_map.show_map(paint, key="test_map", partners=partners, view=((45.75, 4.85), 11))
    st.text(f"clicked: {clicked['properties']['code_insee'] if clicked else None}")


def _element(at: AppTest):
    (element,) = at.get("bidi_component")
    return element.proto


@pytest.fixture
def drawn(monkeypatch):
    """The map's element as a page sends it (a real script run, the component registered)."""
    monkeypatch.delenv(app_map.TILES_ENV, raising=False)
    at = AppTest.from_function(_map_script, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_a_component_in_the_page_with_only_the_apps_files(drawn):
    proto = _element(drawn)
    assert proto.component_name == "secteurs_map" and not proto.isolate_styles
    data = json.loads(proto.json)
    assert data["urls"]["leaflet_js"] == "/component/app.map.leaflet/leaflet.js"
    assert data["urls"]["map_js"] == "/component/app.map.static/map.js"
    assert all(url.startswith("/component/app.map.") for url in data["urls"].values())
    sent = proto.json + proto.js_content
    assert not re.search(r"https?://", sent), re.findall(r"https?://[^\"' ]+", sent)[:5]


def test_units_are_fetched_not_embedded(drawn):
    proto = _element(drawn)
    data = json.loads(proto.json)
    assert data["urls"]["units"].endswith(".geojson") and data["urls"]["departements"].endswith(".geojson")
    assert "coordinates" not in proto.json
    # what travels on every rerun: the loader (map.js is fetched once per tab) and the data
    assert len(proto.js_content.encode()) < 4_000 and len(proto.json.encode()) < 6_000


def test_paint_partners_and_view_travel_as_data(drawn):
    data = json.loads(_element(drawn).json)
    assert data["paint"]["fill"] == {"69383": 5} and data["paint"]["selected"] == ["69383"]
    assert data["partners"] == [[1, 45.75, 4.85, "ERC", "ERC (fictif)"], [2, 45.2, 5.7, "HAD", "HAD <fictive>"]]
    assert data["view"] == [[45.75, 4.85], 11]
    assert data["tiles"] is None


def test_the_element_is_the_same_from_one_rerun_to_the_next(drawn):
    """Its id is the page's key only: the browser keeps the map and only restyles it."""
    first = _element(drawn)
    drawn.session_state["selected"] = "01001"
    drawn.run()
    second = _element(drawn)
    assert second.id == first.id
    assert json.loads(second.json)["paint"]["selected"] == ["01001"]


def test_a_click_is_read_from_the_session_state(drawn):
    """What the browser's setStateValue("last_active_drawing", ...) leaves, the pages read."""
    feature = {"type": "Feature", "geometry": None, "properties": {"code_insee": "69383", "nom": "Lyon 3e"}}
    at = AppTest.from_function(_map_script, default_timeout=60)
    at.session_state["test_map"] = {"last_active_drawing": feature}
    at.run()
    assert not at.exception, at.exception
    assert at.text[0].value == "clicked: 69383"


def test_nothing_is_clicked_at_first(drawn):
    assert drawn.text[0].value == "clicked: None"


def test_urls_keep_the_base_url_path():
    from streamlit import config

    before = config.get_option("server.baseUrlPath")
    try:
        config.set_option("server.baseUrlPath", "/secteurs/")
        assert app_map._served("app.map.leaflet", "leaflet.js") == "/secteurs/component/app.map.leaflet/leaflet.js"
        config.set_option("server.baseUrlPath", "")
        assert app_map._served("app.map.leaflet", "leaflet.js") == "/component/app.map.leaflet/leaflet.js"
    finally:
        config.set_option("server.baseUrlPath", before)


def test_tiles_are_optional(monkeypatch):
    monkeypatch.delenv(app_map.TILES_ENV, raising=False)
    assert app_map.tiles() is None
    monkeypatch.setenv(app_map.TILES_ENV, "https://tiles.example.org/{z}/{x}/{y}.png")
    assert app_map.tiles() == {"url": "https://tiles.example.org/{z}/{x}/{y}.png",
                               "attribution": "Fond de carte : voir tiles.example.org"}


def test_the_maps_code_is_packaged():
    code = (app_map._static_dir() / "map.js").read_text(encoding="utf-8")
    assert "window.secteursMap" in code and "UnitCanvas" in code


def test_classify():
    values = pd.Series({"a": 1, "b": 2, "c": 4, "d": 30, "e": 0})
    classes, legend = app_map.classify(values, [1, 2, 3, 5, 10, 20])
    assert classes == {"a": 0, "b": 1, "c": 2, "d": 5}
    assert [label for _, label in legend] == ["1", "2", "3 à 4", "5 à 9", "10 à 19", "20 et plus"]
    with pytest.raises(ValueError, match="bounds has 0 classes"):
        app_map.classify(values, [])


def test_leaflet_comes_from_the_installed_package():
    directory = app_map._leaflet_dir()
    assert (directory / "leaflet.js").read_text(encoding="utf-8").find("1.9.4") >= 0
    assert (directory / "leaflet.css").exists()


def test_view_of_frames_a_sector(units):
    from app.map import view_of

    (lat, lon), zoom = view_of(units, [f"6938{i}" for i in range(1, 10)])  # Lyon
    assert 45.70 < lat < 45.82 and 4.77 < lon < 4.92
    _, zoom_rhone = view_of(units, units.loc[units["departement"] == "69", "code_insee"])
    _, zoom_region = view_of(units, units["code_insee"])
    assert zoom_region == 7 and zoom_region < zoom_rhone < zoom <= 12
    with pytest.raises(ValueError, match="none of the codes"):
        view_of(units, ["99999"])
