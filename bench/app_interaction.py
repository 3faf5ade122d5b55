"""Python time of the Secteurs page per interaction, and what it sends to the browser (no browser).

Usage: ``python bench/app_interaction.py [--repeat 7]``

Runs the page with Streamlit's AppTest on the real territory and the
fictitious demo patients (a throw-away database; the display cache is the
usual one), proposes 11 sectors, then times:

- a rerun after a simulated map click (a unit selected);
- a move (the "Déplacer" button) up to the redrawn metrics, and its undo;
- the engine alone: ``plan.flip`` of one unit + the metrics the page reads.

Targets (issue 5): <= 0.3 s per map interaction, <= 0.5 s from a move to
the updated metrics, <= 1.5 MB sent to the browser for the page.
"""
from __future__ import annotations

import argparse
import gzip
import os
import statistics
import tempfile
import time
from pathlib import Path

MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"
MAP_KEY = "secteurs_map"
#: Units clicked in turn (Lyon 3e, Grenoble, Saint-Étienne, Bourg-en-Bresse, Valence, Annecy, Chambéry).
CLICKS = ("69383", "38185", "42218", "01053", "26362", "74010", "73065")


def _click(at, code: str) -> None:
    at.session_state[MAP_KEY] = {"last_active_drawing": {
        "type": "Feature", "geometry": None, "properties": {"code_insee": code}}}


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _element_bytes(at) -> tuple[int, int]:
    """Serialized size of every element of the last run, and of the map component alone."""
    total, component = 0, 0

    def walk(node):
        nonlocal total, component
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
            if getattr(node, "type", None) == "bidi_component":
                component += proto.ByteSize()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return total, component


def _static_files() -> dict[str, tuple[int, int]]:
    """Files the map fetches once per browser tab: (raw bytes, gzip bytes)."""
    from app.map import _leaflet_dir, _static_dir
    from geo import display

    files = {"units GeoJSON": display.units_geojson_path(), "departements GeoJSON": display.departements_geojson_path(),
             "leaflet.js": _leaflet_dir() / "leaflet.js", "leaflet.css": _leaflet_dir() / "leaflet.css",
             "map.js": _static_dir() / "map.js"}
    out = {}
    for name, path in files.items():
        data = Path(path).read_bytes()
        out[name] = (len(data), len(gzip.compress(data, 6)))
    return out


def _fmt(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
            f"   (n={len(values)})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="interactions of each kind timed (default 7)")
    args = parser.parse_args(argv)
    os.environ.setdefault("SECTEURS_DB", str(Path(tempfile.mkdtemp(prefix="secteurs-bench-")) / "bench.sqlite"))

    from geo import display
    from streamlit.testing.v1 import AppTest

    display.units_geojson()  # build the display cache if missing (not part of an interaction)
    at = AppTest.from_file(str(MAIN), default_timeout=600)
    first = _timed(at.run)
    at.switch_page("views/secteurs.py")
    page = _timed(at.run)
    at.button(key="secteurs_propose").click()
    proposing = _timed(at.run)
    assert not at.exception, [e.message for e in at.exception]

    clicks, moves, undos = [], [], []
    for i in range(args.repeat):
        code = CLICKS[i % len(CLICKS)]
        _click(at, code)
        clicks.append(_timed(at.run))
        plan = at.session_state["secteurs_history"].current
        target = next(n for n in plan.names if n != plan.sector_of(code))
        at.selectbox(key="secteurs_target").select(target)
        at.button(key="secteurs_move").click()
        moves.append(_timed(at.run))
        assert at.session_state["secteurs_history"].current.sector_of(code) == target
        at.button(key="secteurs_undo").click()
        undos.append(_timed(at.run))
    assert not at.exception, [e.message for e in at.exception]
    per_rerun, component = _element_bytes(at)

    # the engine alone: flip one unit and read what the page shows
    from geo.sectors.edit import broken_sectors, sector_table

    plan = at.session_state["secteurs_history"].current
    rng_codes = plan.context.codes[plan.context.patients > 0]
    engine = []
    for i in range(max(args.repeat, 50)):
        code = rng_codes[(i * 37) % len(rng_codes)]
        target = plan.names[(plan.names.index(plan.sector_of(code)) + 1) % plan.k]

        def work():
            child = plan.flip({code: target})
            sector_table(child), broken_sectors(child), child.max_deviation, child.mean_distance

        engine.append(_timed(work))

    print("Secteurs page, real territory (4,033 units), 11 sectors, fictitious demo patients")
    print(f"first app run (cold caches)       {first:8.2f} s")
    print(f"Secteurs page, no plan yet        {page:8.2f} s")
    print(f"propose (with progress status)    {proposing:8.2f} s")
    print(f"rerun after a map click           {_fmt(clicks)}   target <= 300 ms")
    print(f"move -> metrics redrawn           {_fmt(moves)}   target <= 500 ms")
    print(f"undo                              {_fmt(undos)}")
    print(f"engine: flip + page metrics       {_fmt(engine)}")
    static = _static_files()
    raw = sum(r for r, _ in static.values())
    gz = sum(g for _, g in static.values())
    print("data sent to the browser for the page (excluding Streamlit's own app bundle):")
    for name, (r, g) in static.items():
        print(f"  {name:<22} {r:>10,} bytes raw  {g:>9,} gzip   (once per tab)")
    print(f"  {'page elements':<22} {per_rerun:>10,} bytes       (per rerun; the map paint {component:,})")
    print(f"  total                  {raw + per_rerun:>10,} bytes raw  {gz + per_rerun:>9,} gzip   "
          f"target <= 1,500,000")


if __name__ == "__main__":
    main()
