"""The Secteurs page in Debian's Chromium, offline: propose, the map by sector, click a unit, move it.

Reuses the server and browser fixtures of ``test_browser.py`` (its own app
instance and fresh database). Checks: no error element, every unit drawn and
coloured by sector with one label per sector, a click selects the unit, a
move updates the metrics, and the bytes sent for the page stay under budget.
"""
from __future__ import annotations

import re
import time

import pytest

from test_browser import (CHROMIUM, MAP, PAGE_PAYLOAD_BUDGET, UNITS, _assert_no_error,  # noqa: F401
                          _click_unit, _map_frames, _units_drawn, _wait_for_units, _wait_idle, browser_page,
                          screenshots, server)

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")]


def _live_map(page, seconds: float = 90.0):
    """The plan's map frame, every unit drawn (the territory map shown before a plan may linger a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        for frame in _map_frames(page):
            try:
                if _units_drawn(frame) == UNITS and not frame.evaluate(
                        "String(((window.secteurs.paint || {}).legend || {}).title).startsWith('Patients')"):
                    return frame
            except Exception:  # a frame detached meanwhile
                continue
        if time.monotonic() > deadline:
            raise AssertionError("no map frame with every unit drawn")
        page.wait_for_timeout(500)


def test_secteurs_propose_click_and_move(browser_page, server, screenshots):
    page = browser_page.page
    page.goto(server)
    _wait_idle(page)
    page.locator("[data-testid=stSidebarNavLink], [data-testid=stTopNavLink]").filter(has_text="Secteurs").first.click()
    page.wait_for_url("**/secteurs", timeout=90_000)
    page.get_by_role("button", name="Proposer").wait_for(timeout=60_000)
    _wait_idle(page)
    _assert_no_error(page, "Secteurs")
    assert browser_page.blocked == [], browser_page.blocked[:5]
    received_before = browser_page.received["ws"]

    page.get_by_role("button", name="Proposer").click()
    _wait_for_units(page, timeout_ms=180_000)
    _wait_idle(page, timeout_ms=180_000)
    _assert_no_error(page, "Secteurs après « Proposer »")
    frame = _live_map(page)
    # every unit filled with its sector's colour (the styles the canvas drew them with); one label per
    # sector; the legend lists them
    fills = frame.evaluate("window.secteurs.units.styles.map(s => s.fillColor)")
    assert len(fills) == UNITS and len(set(fills)) == 11 and "#ffffff" not in fills
    frame.locator(".secteurs-label").nth(10).wait_for(state="attached", timeout=90_000)
    assert frame.locator(".secteurs-label").count() == 11
    assert "S01" in frame.locator(".secteurs-legend").inner_text()
    # issue 16: the workers' colours of sector_colours, sector names that do not overlap, a legend in
    # the bottom-left corner (outside the territory) that folds on a click
    from geo.sectors.palette import sector_colours

    assert set(fills) == set(sector_colours([f"S{i:02d}" for i in range(1, 12)]).values())
    page.wait_for_timeout(1000)  # labels are placed again after the map's last resize
    boxes = frame.evaluate("Array.from(document.querySelectorAll('.secteurs-label span'))"
                           ".map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    assert not overlaps, overlaps
    assert frame.locator(".leaflet-bottom.leaflet-left .secteurs-legend").count() == 1
    frame.locator(".secteurs-legend-toggle").click()
    assert frame.locator(".secteurs-legend-items").count() == 0
    frame.locator(".secteurs-legend-toggle").click()
    assert frame.locator(".secteurs-legend-items").count() == 1
    resources = frame.evaluate("performance.getEntriesByType('resource').map(e => [e.name, e.transferSize])")
    assert not [name for name, _ in resources if not name.startswith(server)]
    # the map's files (Leaflet, its code, the GeoJSON: at most once per tab) and the websocket
    sent = (sum(size for name, size in resources if "/component/" in name)
            + browser_page.received["ws"] - received_before)
    print(f"\nSecteurs after propose: {sent / 1e6:.2f} MB sent (map files and websocket)")
    assert sent <= PAGE_PAYLOAD_BUDGET
    page.screenshot(path=str(screenshots / "secteurs_plan.png"), full_page=True)

    # click a unit on the map (Grenoble): the page shows it with its sector
    selection = page.get_by_text(re.compile(r"\(\w{5}\) — secteur S\d\d"))
    try:
        _click_unit(page, "38185", selection, timeout_ms=45_000, frame=_live_map(page))
    except Exception:
        page.screenshot(path=str(screenshots / "secteurs_click_failed.png"), full_page=True)
        raise
    _wait_idle(page)
    code, current = re.search(r"\((\w{5})\) — secteur (S\d\d)", selection.inner_text()).groups()
    assert code == "38185"  # the clicked unit (the legend's toggle clicked above selects nothing)
    target = "S01" if current != "S01" else "S02"
    deviation_before = page.locator("[data-testid=stMetric]").first.inner_text()

    # move it to another sector: metrics and warnings update, the map stays mounted
    before = browser_page.received["ws"]
    box = page.get_by_label("Déplacer vers")
    box.click()
    box.fill(target)
    page.get_by_role("option", name=target, exact=True).click()
    _wait_idle(page)
    started = time.perf_counter()
    page.get_by_role("button", name="Déplacer", exact=True).click()
    page.get_by_text(re.compile(rf"\({code}\) — secteur {target}")).wait_for(timeout=90_000)
    _wait_idle(page)
    seconds = time.perf_counter() - started
    _assert_no_error(page, "Secteurs après un déplacement")
    assert page.get_by_text("Hors tolérance").count() >= 1
    assert page.locator("[data-testid=stMetric]").first.inner_text() != deviation_before
    moved = browser_page.received["ws"] - before
    print(f"move: metrics redrawn in {seconds:.2f} s (browser round trip), {moved / 1e3:.0f} kB sent")
    assert moved < 400_000
    assert _units_drawn(_live_map(page)) == UNITS
    assert browser_page.blocked == [], browser_page.blocked[:5]
    page.screenshot(path=str(screenshots / "secteurs_move.png"), full_page=True)


def _fill_of(page, code: str, expected: str | None = None, seconds: float = 20.0) -> str | None:
    """The fill colour of unit ``code`` on the page's map (waits until it is ``expected`` when given)."""
    deadline = time.monotonic() + seconds
    while True:
        fill = _live_map(page).evaluate(
            f"(() => {{ const u = window.secteurs.units; return u.styles[u.index['{code}']].fillColor; }})()")
        if expected is None or fill == expected or time.monotonic() > deadline:
            return fill
        page.wait_for_timeout(500)


def test_plan_and_comparison_maps_give_a_worker_the_same_colour(browser_page, server, screenshots):
    """Issue 16: save, move Grenoble, save, compare: Grenoble has its new worker's colour on both maps."""
    from geo.sectors.palette import sector_colours

    page = browser_page.page
    colours = sector_colours([f"S{i:02d}" for i in range(1, 12)])
    page.get_by_role("tab", name="Versions").click()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text(re.compile("Version 1 de « Plan » enregistrée")).wait_for(timeout=60_000)
    _wait_idle(page)
    selection = page.get_by_text(re.compile(r"\(38185\) — secteur S\d\d"))
    _click_unit(page, "38185", selection, timeout_ms=45_000, frame=_live_map(page))
    _wait_idle(page)
    current = re.search(r"secteur (S\d\d)", selection.inner_text()).group(1)
    target = "S03" if current != "S03" else "S04"
    box = page.get_by_label("Déplacer vers")
    box.click()
    box.fill(target)
    box.press("Enter")
    _wait_idle(page)
    page.get_by_role("button", name="Déplacer", exact=True).click()
    page.get_by_text(re.compile(rf"\(38185\) — secteur {target}")).wait_for(timeout=90_000)
    _wait_idle(page)
    page.get_by_role("tab", name="Versions").click()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text(re.compile("Version 2 de « Plan » enregistrée")).wait_for(timeout=60_000)
    _wait_idle(page)
    page.get_by_role("tab", name="Versions").click()
    for label, version in (("Version A", "Plan — v1"), ("Version B", "Plan — v2")):
        box = page.get_by_label(label)
        box.click()
        box.fill(version)
        box.press("Enter")
        _wait_idle(page)
    page.get_by_role("button", name="Comparer", exact=True).click()
    _wait_idle(page)
    try:
        page.get_by_text(re.compile(r"Plan v1 → Plan v2")).first.wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path=str(screenshots / "secteurs_compare_failed.png"), full_page=True)
        raise
    _assert_no_error(page, "Secteurs après « Comparer »")
    on_comparison = _fill_of(page, "38185", colours[target])
    page.locator(MAP).first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(screenshots / "secteurs_comparison.png"), full_page=False)
    page.get_by_text("Plan courant", exact=True).first.click()
    _wait_idle(page)
    on_plan = _fill_of(page, "38185", colours[target])
    page.locator(MAP).first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(screenshots / "secteurs_plan_after_compare.png"), full_page=False)
    assert on_comparison == on_plan == colours[target]
    assert "None" not in page.locator("[data-testid=stMain]").inner_text()


def test_exports_download_and_read_back_as_plans(browser_page, server, tmp_path):
    """Each file of « Exporter » is made on click, and the four plan files read back as the page's plan."""
    import geopandas as gpd

    from geo.sectors.io import read_plan

    page = browser_page.page
    page.get_by_role("tab", name="Exporter").click()
    _wait_idle(page)
    plans = {}
    for label, name in (("CSV (Excel)", "secteurs.csv"), ("XLSX", "secteurs.xlsx"),
                        ("GeoJSON communes", "secteurs_communes.geojson"), ("GeoPackage", "secteurs.gpkg"),
                        ("GeoJSON secteurs", "secteurs.geojson")):
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=label, exact=True).click()
        assert download.value.suggested_filename == name
        path = tmp_path / name
        download.value.save_as(path)
        if name == "secteurs.geojson":
            sectors = gpd.read_file(path)
            assert len(sectors) == 11 and sectors.crs.to_epsg() == 4326
        else:
            plans[name] = read_plan(path).sort_values("code_insee", ignore_index=True)
    first = plans["secteurs.csv"]
    assert len(first) == UNITS and first["sector"].nunique() == 11
    for name, plan in plans.items():
        assert plan.equals(first), name
    _assert_no_error(page, "Secteurs, exports")
