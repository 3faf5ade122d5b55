"""Size and build time of the map's display geometry.

Usage: ``python bench/display_size.py`` (builds from scratch, ignores the cache).
"""
from __future__ import annotations

import time

from geo import display
from geo.territory import Territory, load_units


def main() -> None:
    load_units()  # reading the department files is not part of the build
    started = time.perf_counter()
    built = display.build_display()
    seconds = time.perf_counter() - started
    units = len(built.units.encode("utf-8"))
    outlines = len(built.departements.encode("utf-8"))
    print(f"units GeoJSON        {units:>10,} bytes  {units / 1e6:.3f} MB  (cap {display.MAX_BYTES / 1e6:.1f} MB)")
    print(f"departements GeoJSON {outlines:>10,} bytes  {outlines / 1e6:.3f} MB")
    print(f"tolerance            {built.tolerance_m:>10} m")
    print(f"vertices             {built.coordinates:>10,}")
    print(f"build time           {seconds:>10.2f} s  (once per territory; cached on disk afterwards)")
    display.units_geojson()  # builds and stores the disk cache if missing
    fresh = Territory()  # a new territory object reads the cached file again (its views start empty)
    started = time.perf_counter()
    display.units_geojson(fresh)
    print(f"read from disk cache {time.perf_counter() - started:>10.3f} s")


if __name__ == "__main__":
    main()
