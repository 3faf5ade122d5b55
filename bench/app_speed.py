"""Speed targets of the app (issue 5), measured on the real territory.

- Python time per map interaction (target <= 0.3 s): AppTest reruns of the
  Accueil page after a simulated click on a different unit each time.
- Data sent to the browser for a page (target <= 1.5 MB): the map's files
  (Leaflet, the map's code, the GeoJSON) plus the websocket messages, measured
  in Chromium when ``/usr/bin/chromium`` exists (bytes on the wire and decoded).
- First page ready after start (target <= 5 s): from launching
  ``secteurs app`` to every unit drawn in Chromium, and from the server
  answering to every unit drawn.

Usage: ``python bench/app_speed.py [--clicks 20]``. Uses a temporary database
and the normal per-user cache (set ``SECTEURS_CACHE`` to isolate it).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import served_app  # noqa: E402  (tests/served_app.py: starts and stops the app as the browser tests do)

CHROMIUM = Path("/usr/bin/chromium")
UNITS = 4033


def interaction_times(clicks: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    from geo.territory import load_units

    codes = load_units()["code_insee"].sample(clicks, random_state=1).tolist()
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=300).run()
    at.run()
    times = []
    for code in codes:
        at.session_state["accueil_map"] = {"last_active_drawing": {
            "type": "Feature", "geometry": None, "properties": {"code_insee": code}}}
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    return times


def browser_figures(db: Path) -> dict:
    from playwright.sync_api import sync_playwright

    port = served_app.free_port()
    log = Path(tempfile.mkdtemp(prefix="secteurs-app-speed-")) / "app.log"
    launched = time.perf_counter()
    proc = served_app.start(served_app.secteurs_command() + ["app", "--port", str(port), "--db", str(db)], log)
    url = f"http://localhost:{port}/"
    try:
        served_app.wait_url(url + "_stcore/health", proc, 240, log, poll=0.1)
        healthy = time.perf_counter()
        received = {"ws": 0}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1500, "height": 1250})
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda payload: received.__setitem__("ws", received["ws"] + len(payload))))
            page.goto(url)
            page.locator(f".secteurs-map[data-units='{UNITS}']").wait_for(state="attached", timeout=120_000)
            drawn = time.perf_counter()
            frame = page.main_frame  # the map is drawn in the page itself
            resources = [r for r in frame.evaluate("performance.getEntriesByType('resource')"
                                                   ".map(e => [e.name, e.transferSize, e.decodedBodySize])")
                         if "/component/" in r[0]]  # the map's files, not Streamlit's own bundle
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
            ws_page = received["ws"]
            click_started = time.perf_counter()
            # the units are drawn on one canvas: click at a point inside Lyon 3e (the map turns it into the unit)
            lat, lon = _point_inside("69383")
            # zoomed on it first, as a person would: at the region's zoom it is a few pixels under partners' dots
            frame.locator(".secteurs-map").evaluate("e => e.scrollIntoView({block: 'center', behavior: 'instant'})")
            x, y = frame.evaluate("([lat, lon]) => { const m = window.secteurs.map; m.setView([lat, lon], 12, "
                                  "{animate: false}); const p = m.latLngToContainerPoint([lat, lon]);"
                                  " return [p.x, p.y]; }", [lat, lon])
            frame.locator(".leaflet-container").click(position={"x": x, "y": y})
            page.get_by_text("Lyon 3e Arrondissement (69383)").wait_for(timeout=30_000)
            clicked = time.perf_counter()
            ws_click = received["ws"] - ws_page
            browser.close()
        return {
            "start_to_map_s": drawn - launched, "healthy_to_map_s": drawn - healthy,
            "wire_bytes": sum(r[1] for r in resources) + ws_page,
            "decoded_bytes": sum(r[2] for r in resources) + ws_page,
            "websocket_bytes": ws_page, "click_bytes": ws_click,
            "click_to_update_s": clicked - click_started,
            "resources": resources,
        }
    finally:
        served_app.stop(proc)


def _point_inside(code: str) -> tuple[float, float]:
    """(lat, lon) of a point inside unit ``code`` as the map draws it."""
    from geo.display import display_units

    units = display_units()
    point = units.loc[units["code_insee"] == code, "geometry"].iloc[0].representative_point()
    return point.y, point.x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--db", type=Path, default=Path(tempfile.mkdtemp()) / "bench.sqlite",
                        help="database for the app (default: a new one; pass an existing one to time a usual start)")
    args = parser.parse_args()
    os.environ["SECTEURS_DB"] = str(args.db)

    times = interaction_times(args.clicks)
    print(f"map interaction (Python, AppTest rerun)  median {statistics.median(times):.3f} s, "
          f"max {max(times):.3f} s over {len(times)} clicks  (target <= 0.3 s)")
    if not CHROMIUM.exists():
        print("no /usr/bin/chromium: page payload and first-page timing not measured")
        return
    fresh = not args.db.exists()
    figures = browser_figures(args.db)
    for name, _, decoded in figures["resources"]:
        print(f"  {decoded:>10,} bytes decoded  {name.split('/component/')[-1]}")
    print(f"page payload  {figures['wire_bytes'] / 1e6:.2f} MB on the wire, "
          f"{figures['decoded_bytes'] / 1e6:.2f} MB decoded (websocket {figures['websocket_bytes'] / 1e6:.2f} MB)"
          f"  (target <= 1.5 MB)")
    print(f"one click     {figures['click_bytes'] / 1e3:.0f} kB over the websocket, "
          f"{figures['click_to_update_s']:.2f} s until the page shows the commune")
    print(f"first page    {figures['start_to_map_s']:.1f} s from launching `secteurs app`, "
          f"{figures['healthy_to_map_s']:.1f} s from the server answering  (target <= 5 s)"
          + ("; new database: includes loading the demo directory" if fresh else ""))


if __name__ == "__main__":
    main()
