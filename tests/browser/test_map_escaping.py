"""Hostile names on the map, in Debian's Chromium: shown as text, never run as HTML.

The map's code (app/static/map.js) with the real Leaflet and the real display
geometry, in a page of its own: ``window.secteursMap.render`` is called with
what the app gives it (``app.map.map_data``), where a partner's name, a
tooltip's extra line, the legend, a sector label and a class name are HTML
that would load an image and run a script if written as markup.
"""
from __future__ import annotations

import json
import mimetypes
from pathlib import Path

import pandas as pd
import pytest

from test_browser import BROWSER_ARGS, CHROMIUM

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")]

ORIGIN = "http://secteurs.test"
HOSTILE = '<img src="x" onerror="window.ran = (window.ran || 0) + 1"><b>gras</b>'


def _files() -> dict[str, Path]:
    from app import map as app_map
    from geo import display

    return {"/leaflet.js": app_map._leaflet_dir() / "leaflet.js", "/leaflet.css": app_map._leaflet_dir() / "leaflet.css",
            "/map.js": app_map._static_dir() / "map.js", "/units.geojson": display.units_geojson_path(),
            "/departements.geojson": display.departements_geojson_path()}


def _data() -> dict:
    from app import map as app_map

    partners = pd.DataFrame({"id": [1], "lon": [4.85], "lat": [45.75], "type": ["ERC"], "name": [HOSTILE]})
    paint = app_map.Paint(fill={"69383": 0, "69381": 1}, palette=("#1b9e77", "#d95f02"),
                          tips={"69383": HOSTILE}, legend=(HOSTILE, [("#1b9e77", HOSTILE), (None, HOSTILE)]),
                          labels=[(45.76, 4.85, HOSTILE)], class_names=(HOSTILE, "S2"), class_title=HOSTILE)
    data = app_map.map_data(paint, partners=partners, height=500)
    data["urls"] = {"leaflet_js": "/leaflet.js", "leaflet_css": "/leaflet.css", "map_js": "/map.js",
                    "units": "/units.geojson", "departements": "/departements.geojson"}
    return data


def test_hostile_names_are_text_in_tooltips_legend_and_labels():
    sync_api = pytest.importorskip("playwright.sync_api")
    files = _files()

    def serve(route):
        path = route.request.url[len(ORIGIN):]
        if path == "/":
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><div id=root></div>")
        elif path in files:
            route.fulfill(status=200, body=files[path].read_bytes(),
                          content_type=mimetypes.guess_type(path)[0] or "application/json")
        else:
            route.fulfill(status=404, body="")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.route("**/*", serve)
            page.goto(ORIGIN + "/")
            page.add_style_tag(url="/leaflet.css")
            page.add_script_tag(url="/leaflet.js")
            page.add_script_tag(url="/map.js")
            page.evaluate("""data => { window.clicked = null; window.secteursMap.render({
                parentElement: document.getElementById('root'), data: data,
                setStateValue: (name, value) => { window.clicked = value; } }); }""", json.loads(json.dumps(_data())))
            page.locator(".secteurs-map[data-units='4033']").wait_for(timeout=60_000)
            # every tooltip open: the partner's, and the unit with the hostile extra line and class name
            page.evaluate("""() => {
                const S = window.secteurs, m = S.map;
                m.eachLayer(l => { if (l.feature && l.feature.properties.partner_id) { l.openTooltip(); } });
                const f = S.units.features[S.units.index['69383']];
                S.tooltip.setContent(S.tip(f)); S.tooltip.setLatLng([45.76, 4.86]); m.openTooltip(S.tooltip);
            }""")
            page.wait_for_timeout(500)
            shown = page.evaluate("""() => ({
                images: document.querySelectorAll('#root img').length,
                bold: document.querySelectorAll('#root b').length,
                ran: window.ran || 0,
                tooltips: Array.from(document.querySelectorAll('.leaflet-tooltip')).map(t => t.textContent),
                legend: document.querySelector('.secteurs-legend').textContent,
                labels: Array.from(document.querySelectorAll('.secteurs-label')).map(l => l.textContent)})""")
        finally:
            browser.close()
    assert shown["images"] == 0 and shown["ran"] == 0, shown
    assert len(shown["tooltips"]) == 2 and all(HOSTILE in text for text in shown["tooltips"]), shown["tooltips"]
    assert shown["legend"].count(HOSTILE) == 3, shown["legend"]  # the title, an item and a sub-heading
    assert shown["labels"] == [HOSTILE]
    # the unit's tooltip: its name in bold (the map's own markup) and the hostile texts as text
    assert shown["bold"] == 2, shown  # the unit's name and the legend's sub-heading, nothing from the names
