"""The app's own server sets the security headers on every HTTP response (issue 15), and the maps still draw.

A real ``secteurs app`` is started; Debian's Chromium opens the first page and
draws the map (a Streamlit component in the page, whose files, Leaflet and the
map's code, the same server serves). The page, a static script, the map's
files, the health check and a 404 all carry the headers.
"""
from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.security_headers import HEADERS
from served_app import served_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from test_browser import _wait_for_units  # noqa: E402  (every unit drawn on the map's canvas)

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("headers") / "secteurs.sqlite") as url:
        yield url


def _missing(headers) -> dict:
    """The expected headers absent or different in ``headers`` (a mapping, names in any case)."""
    given = {str(name).lower(): value for name, value in headers.items()}
    return {name: given.get(name.lower()) for name, value in HEADERS.items() if given.get(name.lower()) != value}


def test_expected_headers():
    assert HEADERS == {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


@pytest.mark.parametrize("path", ["", "_stcore/health", "aucune/page/ici.js"])
def test_plain_requests_carry_the_headers(server, path):
    try:
        with urllib.request.urlopen(server + path, timeout=30) as response:
            headers = response.headers
    except urllib.error.HTTPError as error:  # a 404 too
        headers = error.headers
    assert _missing(headers) == {}


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (apt-get install chromium)")
def test_page_static_and_component_files_carry_them_and_the_map_draws(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    seen: dict[str, dict] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.on("response", lambda r: seen.setdefault(r.url, r.all_headers()) if r.url.startswith(server)
                    else None)
            page.goto(server, wait_until="domcontentloaded")
            # the map drew (the headers block none of its files): Leaflet started and the units'
            # canvas was painted with every unit
            page.locator(".secteurs-map.leaflet-container").first.wait_for(timeout=120_000)
            _wait_for_units(page, timeout_ms=120_000)
            # another page cannot frame the app: Chromium refuses to show it in an iframe
            framing = browser.new_page()
            framing.set_content(f'<iframe src="{server}" width="800" height="600"></iframe>')
            framing.wait_for_timeout(3000)
            (child,) = [f for f in framing.frames if f != framing.main_frame]
            framed = child.evaluate("() => !!document.querySelector('[data-testid=stApp]')") \
                if child.url.startswith(server) else False
            assert not framed, child.url
        finally:
            browser.close()
    document = seen[server]
    scripts = [u for u in seen if "/static/" in u and u.endswith(".js")]
    components = [u for u in seen if "/component/app.map." in u]
    assert scripts and components, sorted(seen)
    assert {u.rsplit("/", 1)[-1] for u in components} >= {"leaflet.js", "leaflet.css", "map.js"}, components
    for url in [server, scripts[0], *components]:
        assert _missing(seen[url]) == {}, url
    assert document["x-frame-options"] == "DENY"
