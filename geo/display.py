"""Display geometry: the units simplified once, without gaps, for the map.

The source boundaries are far too detailed to send to a browser. They are
simplified as a *coverage* (:func:`shapely.coverage_simplify` on the
Lambert-93 polygons): every shared border is simplified once, so neighbours
keep touching and no gap opens between them. The coverage is first cleaned
(:func:`shapely.coverage_clean`, shapely >= 2.2) because the source leaves
slivers and overlaps of a few metres between some neighbours.

The simplification tolerance is not fixed: it is (nearly) the smallest one
whose GeoJSON fits :data:`TARGET_BYTES`, found by a bracketed secant search. The result is cached
on disk in ``cache_dir()/display`` keyed by the territory fingerprint (and in
memory, as views of the :class:`geo.territory.Territory`), so it is computed once per territory and per user.

Public functions
----------------
units_geojson
    All units as a GeoJSON FeatureCollection string (code_insee, nom,
    departement, population).
departements_geojson
    The department outlines, dissolved from the simplified units.
departement_labels
    A label point (lon, lat) and name per department.
display_units
    The simplified units as a GeoDataFrame (EPSG:4326), in ``load_units()`` order.
dissolve_geojson
    Outlines of groups of units (e.g. sectors) from the simplified units.
units_geojson_path, departements_geojson_path, display_cache_dir
    Where the cached files live (the app serves them to the browser).
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.paths import cache_dir
from geo.projections import LAMBERT93, WGS84
from geo.territory import DEPARTEMENT_NAMES, Territory, as_territory

__all__ = [
    "MAX_BYTES", "TARGET_BYTES", "COORD_DECIMALS", "UNIT_PROPERTIES",
    "units_geojson", "departements_geojson", "departement_labels", "display_units",
    "dissolve_geojson", "units_geojson_path", "departements_geojson_path",
    "display_cache_dir", "build_display", "DisplayBuild",
]

#: Hard cap on the units GeoJSON (bytes, UTF-8).
MAX_BYTES = 1_200_000
#: Size the tolerance search aims at (a margin under the cap for the page budget).
TARGET_BYTES = 1_150_000
#: Decimals kept on lon/lat. 1e-4 degree is 8-11 m here, two orders of magnitude
#: below the simplification (about 1 km): a fifth decimal would cost ~8 % of the
#: budget in vertices for no visible gain.
COORD_DECIMALS = 4
#: Gaps narrower than this (metres) between source polygons are closed before simplifying.
GAP_WIDTH_M = 50.0
#: Properties each unit feature carries: what the map shows in its tooltips.
UNIT_PROPERTIES = ("code_insee", "nom", "departement", "population")
#: Bumped when the output format changes, so old caches are ignored.
FORMAT_VERSION = 2

_TOLERANCE_RANGE_M = (100.0, 20000.0)
_INITIAL_TOLERANCE_M = 1500.0
_SEARCH_STEPS = 10
#: Good enough once the GeoJSON is within this fraction under the target.
_SLACK = 0.005


@dataclass(frozen=True)
class DisplayBuild:
    """What :func:`build_display` produced."""

    units: str
    departements: str
    tolerance_m: float
    coordinates: int
    seconds: float


def display_cache_dir() -> Path:
    """Directory holding only the display GeoJSON files (the app serves it as is)."""
    path = cache_dir() / "display"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(territory: Territory) -> str:
    return f"{territory.fingerprint}-v{FORMAT_VERSION}"


def _path(kind: str, territory) -> Path:
    """The cached GeoJSON file of ``kind`` (units, departements), built if missing."""
    t = as_territory(territory)
    path = display_cache_dir() / f"{kind}-{_key(t)}.geojson"
    if not path.exists():
        _build_and_store(t)
    return path


def units_geojson_path(territory=None) -> Path:
    """Cached units GeoJSON file, built if missing (``territory``: a Territory, its directory or None)."""
    return _path("units", territory)


def departements_geojson_path(territory=None) -> Path:
    """Cached department outlines GeoJSON file, built if missing."""
    return _path("departements", territory)


def units_geojson(territory=None) -> str:
    """All units as a compact GeoJSON FeatureCollection (at most :data:`MAX_BYTES`).

    Features are in ``load_units()`` order; properties are :data:`UNIT_PROPERTIES`.

    Examples
    --------
    >>> import json
    >>> collection = json.loads(units_geojson())
    >>> len(collection["features"])
    4033
    """
    return _read("units", territory)


def departements_geojson(territory=None) -> str:
    """Department outlines as GeoJSON (properties ``departement``, ``nom``, ``label_lon``, ``label_lat``)."""
    return _read("departements", territory)


def _read(kind: str, territory) -> str:
    """The GeoJSON text of ``kind``, read once per territory (one of its views)."""
    t = as_territory(territory)
    return t.view(("display", kind), lambda: _path(kind, t).read_text(encoding="utf-8"))


_BUILD_LOCK = threading.Lock()


def _build_and_store(territory: Territory) -> None:
    # One build per process at a time: the app's preload thread and a page may both ask.
    with _BUILD_LOCK:
        key = _key(territory)
        if all((display_cache_dir() / f"{kind}-{key}.geojson").exists() for kind in ("units", "departements")):
            return
        _build_and_store_unlocked(territory, key)


def _build_and_store_unlocked(territory: Territory, key: str) -> None:
    built = build_display(territory)
    for kind, text in (("units", built.units), ("departements", built.departements)):
        path = display_cache_dir() / f"{kind}-{key}.geojson"
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # another process may be writing too
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def build_display(territory=None, max_bytes: int = TARGET_BYTES,
                  decimals: int = COORD_DECIMALS) -> DisplayBuild:
    """Simplify the territory's coverage to the smallest tolerance that fits ``max_bytes``.

    Parameters
    ----------
    territory : Territory, path or None
        The territory or its department files (default: the committed territory).
    max_bytes
        Size the units GeoJSON must not exceed.
    decimals
        Decimals kept on longitude and latitude.

    Returns
    -------
    DisplayBuild

    Raises
    ------
    ValueError
        If even the coarsest tolerance searched (20 km) does not fit
        ``max_bytes`` (the message gives the size reached).
    """
    started = time.perf_counter()
    t = as_territory(territory)
    units = t.units
    geoms = t.units_lambert93.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} units have no geometry "
                         f"(e.g. {units.loc[missing, 'code_insee'].iloc[0]}); rebuild the territory")
    coverage = _clean(geoms)
    properties = _unit_properties(units)

    tolerance, text, simplified = _fit(coverage, properties, decimals, max_bytes)
    departements = _departements_geojson(units, simplified, decimals)
    return DisplayBuild(units=text, departements=departements, tolerance_m=round(tolerance, 1),
                        coordinates=int(shapely.get_num_coordinates(simplified).sum()),
                        seconds=time.perf_counter() - started)


def _fit(coverage: np.ndarray, properties: list[dict], decimals: int,
         max_bytes: int) -> tuple[float, str, np.ndarray]:
    """The smallest tolerance whose GeoJSON fits ``max_bytes`` (to within :data:`_SLACK`).

    Size falls smoothly as the tolerance grows, so a bracketed secant on
    log(size) against log(tolerance) gets there in three or four tries.
    """
    tried: dict[float, tuple[int, str, np.ndarray]] = {}
    smallest, largest = _TOLERANCE_RANGE_M
    tolerance = _INITIAL_TOLERANCE_M
    for _ in range(_SEARCH_STEPS):
        text, simplified = _encode(coverage, tolerance, properties, decimals)
        tried[tolerance] = (len(text.encode("utf-8")), text, simplified)
        fits = sorted(t for t, (size, *_) in tried.items() if size <= max_bytes)
        too_big = sorted(t for t, (size, *_) in tried.items() if size > max_bytes)
        high = fits[0] if fits else None  # the finest tolerance that fits
        low = too_big[-1] if too_big else None  # the coarsest one that does not
        if high is not None and tried[high][0] >= (1 - _SLACK) * max_bytes:
            break
        if high is None:
            if tolerance >= largest:
                raise ValueError(f"units GeoJSON is {tried[tolerance][0]:,} bytes at the coarsest tolerance "
                                 f"({largest:g} m); max_bytes={max_bytes:,}")
            tolerance = min(tolerance * 2, largest)
        elif low is None:
            if tolerance <= smallest:
                break
            tolerance = max(tolerance / 2, smallest)
        else:
            if high / low < 1.01:
                break
            size_low, size_high = np.log(tried[low][0]), np.log(tried[high][0])
            goal = np.log((1 - _SLACK / 2) * max_bytes)
            fraction = (goal - size_high) / (size_low - size_high)
            guess = float(np.exp(np.log(high) + fraction * (np.log(low) - np.log(high))))
            tolerance = min(max(guess, low * 1.005), high / 1.005)
    fits = sorted(t for t, (size, *_) in tried.items() if size <= max_bytes)
    if not fits:
        raise ValueError(f"no tolerance in {_TOLERANCE_RANGE_M} m fits max_bytes={max_bytes:,}")
    _, text, simplified = tried[fits[0]]
    return fits[0], text, simplified


def _clean(geoms: np.ndarray) -> np.ndarray:
    """Close slivers and remove overlaps so the units form a valid coverage."""
    if hasattr(shapely, "coverage_clean"):  # shapely >= 2.2 with GEOS >= 3.14
        cleaned = shapely.coverage_clean(geoms, gap_width=GAP_WIDTH_M)
        lost = shapely.is_empty(cleaned)
        if not lost.any():
            return cleaned
        cleaned[lost] = geoms[lost]  # a unit swallowed by cleaning keeps its own shape
        return cleaned
    return shapely.make_valid(geoms)  # simplified as is: slivers stay, still no new gap


def _unit_properties(units: pd.DataFrame) -> list[dict]:
    frame = units[list(UNIT_PROPERTIES)].copy()
    frame["population"] = frame["population"].astype("int64")
    return frame.to_dict("records")


def _simplify_to_wgs84(coverage: np.ndarray, tolerance_m: float, decimals: int) -> np.ndarray:
    simplified = shapely.coverage_simplify(coverage, tolerance_m)
    lonlat = gpd.GeoSeries(simplified, crs=LAMBERT93).to_crs(WGS84).to_numpy()
    # Shared vertices round to the same values, so neighbours stay edge-matched.
    return shapely.transform(lonlat, lambda xy: np.round(xy, decimals))


def _encode(coverage: np.ndarray, tolerance_m: float, properties: list[dict],
            decimals: int) -> tuple[str, np.ndarray]:
    simplified = _simplify_to_wgs84(coverage, tolerance_m, decimals)
    return _feature_collection(simplified, properties), simplified


def _feature_collection(geoms, properties: list[dict]) -> str:
    features = [{"type": "Feature", "properties": props, "geometry": _geometry(geom)}
                for props, geom in zip(properties, geoms)]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      separators=(",", ":"), ensure_ascii=False)


def _geometry(geom) -> dict:
    return shapely.geometry.mapping(geom)  # nested tuples of floats: json writes them as arrays


def _departements_geojson(units: pd.DataFrame, simplified: np.ndarray, decimals: int) -> str:
    codes = units["departement"].to_numpy()
    labels = {row[0]: row for row in _label_points(units)}
    features = []
    for code in sorted(set(codes)):
        outline = shapely.coverage_union_all(simplified[codes == code])
        outline = shapely.transform(outline, lambda xy: np.round(xy, decimals))
        _, name, lon, lat = labels[code]
        features.append({"type": "Feature",
                         "properties": {"departement": code, "nom": name, "label_lon": lon, "label_lat": lat},
                         "geometry": _geometry(outline)})
    return json.dumps({"type": "FeatureCollection", "features": features},
                      separators=(",", ":"), ensure_ascii=False)


def _label_points(units: pd.DataFrame) -> list[tuple[str, str, float, float]]:
    """Per department: code, name and the centre of its largest inscribed circle (lon, lat)."""
    geoms = units.to_crs(LAMBERT93).geometry.to_numpy()
    codes = units["departement"].to_numpy()
    rows = []
    for code in sorted(set(codes)):
        outline = shapely.union_all(shapely.buffer(geoms[codes == code], 1.0))
        # the centre of the largest inscribed circle is well inside, even for odd shapes
        centre = shapely.get_coordinates(shapely.maximum_inscribed_circle(outline, 500.0))[0]
        lon, lat = gpd.GeoSeries(gpd.points_from_xy([centre[0]], [centre[1]]), crs=LAMBERT93) \
            .to_crs(WGS84).get_coordinates().to_numpy()[0]
        rows.append((code, DEPARTEMENT_NAMES.get(code, code), round(float(lon), 4), round(float(lat), 4)))
    return rows


def _display_frame(territory: Territory) -> gpd.GeoDataFrame:
    collection = json.loads(units_geojson(territory))
    frame = gpd.GeoDataFrame.from_features(collection["features"], crs=WGS84)
    return frame[list(UNIT_PROPERTIES) + ["geometry"]]


def display_units(territory=None) -> gpd.GeoDataFrame:
    """The simplified units (EPSG:4326), same order as ``load_units()``. Shared: copy before changing.

    Built once per territory (one of its views).
    """
    t = as_territory(territory)
    return t.view("display_units", lambda: _display_frame(t))


def departement_labels(territory=None) -> list[dict]:
    """One label per department: ``{"departement", "nom", "lon", "lat"}`` (a point well inside)."""
    features = json.loads(departements_geojson(territory))["features"]
    return [{"departement": f["properties"]["departement"], "nom": f["properties"]["nom"],
             "lon": f["properties"]["label_lon"], "lat": f["properties"]["label_lat"]} for f in features]


def dissolve_geojson(labels, properties: dict | None = None, territory=None) -> str:
    """Outlines of groups of units, from the simplified (gap-free) units.

    Parameters
    ----------
    labels
        One group label per unit, in ``load_units()`` order (e.g. a sector
        number); units labelled ``None``/NaN are left out.
    properties
        Optional extra properties per label: ``{label: {...}}``.

    Returns
    -------
    str
        A FeatureCollection with one feature per label (property ``label``).
    """
    shapes = display_units(territory).geometry.to_numpy()
    labels = pd.Series(list(labels))
    if len(labels) != len(shapes):
        raise ValueError(f"labels has {len(labels)} values; expected one per unit ({len(shapes)})")
    properties = properties or {}
    features = []
    for label, positions in labels.dropna().groupby(labels.dropna()).groups.items():
        outline = shapely.coverage_union_all(shapes[np.asarray(list(positions))])
        value = label.item() if hasattr(label, "item") else label
        features.append({"type": "Feature",
                         "properties": {"label": value, **properties.get(label, {})},
                         "geometry": _geometry(outline)})
    return json.dumps({"type": "FeatureCollection", "features": features},
                      separators=(",", ":"), ensure_ascii=False)
