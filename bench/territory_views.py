"""The Territory's views: what each costs to build once, and that asking again costs nothing.

Run it from the repository root::

    python bench/territory_views.py

A fresh :class:`geo.territory.Territory` of the committed department files is
built view by view, in the order a page needs them (the units first; the disk
caches of the adjacency and the display geometry are used when present, as
in the app). Then every view is asked for again: each is the same object, so
the second pass is a dictionary look-up. Timings are wall-clock seconds on
this machine (shared machines inflate them).
"""
from __future__ import annotations

import time


def main() -> None:
    from geo.adjacency import unit_edges
    from geo.display import display_units, units_geojson
    from geo.lookup import gazetteer
    from geo.resolver import resolver
    from geo.sectors.context import build_context
    from geo.territory import Territory
    from partners.places import places_of

    t = Territory.load()
    steps = [
        ("units (read 12 GeoPackages)", lambda: t.units),
        ("reference points, Lambert-93", lambda: t.reference_xy),
        ("units in Lambert-93", lambda: t.units_lambert93),
        ("EPCIs", lambda: t.epcis),
        ("label points", lambda: t.label_points),
        ("gazetteer", lambda: gazetteer(t)),
        ("resolver index", lambda: resolver(t)),
        ("adjacency (disk cache if any)", lambda: unit_edges(t)),
        ("display GeoJSON (disk cache if any)", lambda: units_geojson(t)),
        ("display units frame", lambda: display_units(t)),
        ("partners' places", lambda: places_of(t)),
        ("sector engine arrays", lambda: t.view("sector_context", lambda: build_context(territory=t))),
    ]
    first, objects = [], []
    for label, ask in steps:
        started = time.perf_counter()
        objects.append(ask())
        first.append(time.perf_counter() - started)
    started = time.perf_counter()
    again = [ask() for _, ask in steps]
    second = time.perf_counter() - started
    print(f"{'view':<38} {'first build':>12}")
    for (label, _), seconds in zip(steps, first):
        print(f"{label:<38} {seconds:>10.3f} s")
    print(f"{'all views, first time':<38} {sum(first):>10.3f} s")
    print(f"{'all views, asked again':<38} {second * 1000:>10.3f} ms")
    shared = sum(a is b for a, b in zip(objects, again))
    print(f"same object the second time: {shared}/{len(steps)}; views built: {len(t.built())}")


if __name__ == "__main__":
    main()
