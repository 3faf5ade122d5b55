"""The units' canvas in Debian's Chromium: a partner's dot above a unit, and a unit's tooltip.

The units are drawn on one canvas and the map finds the unit under the pointer
(app/map.py, UnitCanvas); a partner's dot is a Leaflet layer above them. A click
on a dot must select the partner, not the unit under it; hovering a unit shows
its tooltip (name, code, population, the paint's extra line).
"""
from __future__ import annotations

import pytest

from test_browser import (CHROMIUM, MAP, _POINT_ON_MAP, _map_frames, _points_inside,  # noqa: F401
                          _wait_for_units, _wait_idle, browser_page, server)

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")]


def _map_on(page, server, lat: float, lon: float, zoom: int):
    """Accueil's map, every unit drawn, centred in the window and on (lat, lon) at ``zoom``; the frame holding it."""
    page.goto(server)
    _wait_for_units(page)
    _wait_idle(page)
    frame = _map_frames(page)[0]
    frame.locator(MAP).first.evaluate("e => e.scrollIntoView({block: 'center', behavior: 'instant'})")
    frame.evaluate("([lat, lon, z]) => window.secteurs.map.setView([lat, lon], z, {animate: false})", [lat, lon, zoom])
    page.wait_for_timeout(500)
    return frame


def test_a_partner_dot_is_clicked_not_the_unit_under_it(browser_page, server):
    page = browser_page.page
    # zoom on Lyon, where the demo directory has partners, and click the first dot fully in view
    frame = _map_on(page, server, 45.76, 4.84, 12)
    # dots in the map frame's coordinates, kept when a click there reaches the dot itself
    dots = frame.evaluate("""() => {
      const c = window.secteurs.map.getContainer().getBoundingClientRect();
      return Array.from(document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive')).map(p => {
        const r = p.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
        return [x - c.left, y - c.top, document.elementFromPoint(x, y) === p, c.width, c.height];
      });
    }""")
    free = [(x, y) for x, y, hit, w, h in dots if hit and 60 < x < w - 60 and 60 < y < h - 200]
    assert free, f"no partner's dot in view on Lyon ({len(dots)} dots)"
    frame.locator(".leaflet-container").click(position={"x": free[0][0], "y": free[0][1]})
    # the partner's name and type show in the selection column; no commune is selected
    page.get_by_text("Cliquez sur une commune (ou un partenaire) de la carte.").wait_for(state="detached",
                                                                                         timeout=30_000)
    _wait_idle(page)
    clicked = page.locator("[data-testid=stMain]").inner_text()
    assert "Département :" not in clicked, clicked[-400:]
    assert "(fictif)" in clicked  # the demo directory's partner names say they are fictitious


def _free_point(frame, code: str) -> tuple[float, float] | None:
    """A point of unit ``code`` in the map frame's coordinates that nothing covers (no dot, no label), or None."""
    for lat, lon in _points_inside(code):
        x, y, free = frame.evaluate(_POINT_ON_MAP, [lat, lon])
        if free:
            return x, y
    return None


def test_hovering_a_unit_shows_its_tooltip(browser_page, server):
    page = browser_page.page
    # centred on Grenoble (the map fits the region once, when it first has a size: never after this setView)
    frame = _map_on(page, server, *_points_inside("38185")[0], 11)
    point = _free_point(frame, "38185")
    if point is None:
        view = frame.evaluate("() => [window.secteurs.map.getCenter(), window.secteurs.map.getZoom()]")
        raise AssertionError(f"no free point of Grenoble; the map shows {view}")
    frame.locator(".leaflet-container").hover(position={"x": point[0], "y": point[1]})
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=10_000)
    assert tooltip.count() == 1
    text = tooltip.inner_text()
    assert "Grenoble (38185)" in text and "hab." in text, text


def test_a_map_file_that_cannot_be_loaded_is_said_and_tried_again(browser_page, server):
    """The map's code refused once: the page says so in French, and the next page's map loads it."""
    page = browser_page.page
    refused = []

    def refuse_once(route):
        if not refused:
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/app.map.static/map.js", refuse_once)

    page.goto(server)
    page.get_by_text("Carte indisponible").wait_for(timeout=60_000)
    assert refused and page.locator(MAP).count() == 0
    page.locator("[data-testid=stSidebarNav] a", has_text="Partenaires").first.click()
    _wait_for_units(page)  # another page: the file is asked for again and the map draws
    _wait_idle(page)
    assert page.get_by_text("Carte indisponible").count() == 0
