"""The shared map: only Leaflet, served by the app; small per-rerun payload; choropleth classes."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import streamlit_folium

from app import map as app_map


@pytest.fixture
def component_args(monkeypatch):
    """What st_folium would send to its browser component, captured instead of rendered."""
    captured: dict = {}

    def fake_component(**kwargs):
        captured.update(kwargs)
        return kwargs["default"]

    monkeypatch.setattr(streamlit_folium, "_component_func", fake_component)
    monkeypatch.setattr(app_map, "served_urls", lambda: {
        "leaflet_js": "../app.map.leaflet/leaflet.js", "leaflet_css": "../app.map.leaflet/leaflet.css",
        "units": "../app.map.display_data/units.geojson",
        "departements": "../app.map.display_data/departements.geojson"})
    partners = pd.DataFrame({"id": [1, 2], "lon": [4.85, 5.7], "lat": [45.75, 45.2],
                             "type": ["ERC", "HAD"], "name": ["ERC (fictif)", "HAD <fictive>"]})
    paint = app_map.Paint(fill={"69383": 5}, tips={"69383": "39 patients"}, selected=["69383"])
    app_map.show_map(paint, key="test_map", partners=partners)
    return captured


def test_only_leaflet_from_the_app_itself(component_args, monkeypatch):
    monkeypatch.delenv(app_map.TILES_ENV, raising=False)
    assert component_args["js_links"] == ["../app.map.leaflet/leaflet.js"]
    assert component_args["css_links"] == ["../app.map.leaflet/leaflet.css"]
    sent = json.dumps({k: v for k, v in component_args.items() if not callable(v)})
    assert not re.search(r"https?://", sent), re.findall(r"https?://[^\"' ]+", sent)[:5]


def test_units_are_fetched_not_embedded(component_args):
    script = component_args["script"]
    assert "units.geojson" in script and "departements.geojson" in script
    assert len(script.encode()) < 20_000
    assert component_args["returned_objects"] == ["last_active_drawing"]


def test_paint_travels_in_the_feature_group(component_args):
    group = component_args["feature_group"]
    assert '"69383": 5' in group or '"69383":5' in group
    assert "S.apply()" in group
    assert "69383" not in component_args["script"]


def test_the_script_is_stable_between_reruns(monkeypatch):
    """Same base map from one rerun to the next: streamlit-folium keeps the map mounted."""
    keys = []
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kw: keys.append(kw["key"]) or kw["default"])
    monkeypatch.setattr(app_map, "served_urls", lambda: {k: f"../x/{k}" for k in
                                                         ("leaflet_js", "leaflet_css", "units", "departements")})
    app_map.show_map(app_map.Paint(selected=["01001"]), key="k")
    app_map.show_map(app_map.Paint(selected=["69383"], fill={"69383": 1}), key="k")
    assert keys[0] == keys[1]


def test_tiles_are_optional(monkeypatch):
    monkeypatch.delenv(app_map.TILES_ENV, raising=False)
    assert app_map.tile_layer() is None
    monkeypatch.setenv(app_map.TILES_ENV, "https://tiles.example.org/{z}/{x}/{y}.png")
    layer = app_map.tile_layer()
    assert layer is not None and "tiles.example.org" in layer.options.get("attribution", "") + layer.tiles


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
