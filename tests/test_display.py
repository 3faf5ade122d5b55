"""Display geometry on the real territory: size cap, every unit, no gap between neighbours."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo import display

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def collection():
    return json.loads(display.units_geojson())


@pytest.fixture(scope="module")
def shapes(collection):
    return np.array([shapely.geometry.shape(f["geometry"]) for f in collection["features"]])


def test_units_geojson_fits_the_size_cap():
    assert len(display.units_geojson().encode("utf-8")) <= display.MAX_BYTES


def test_every_unit_present_in_order_with_only_the_map_properties(collection, units):
    features = collection["features"]
    assert [f["properties"]["code_insee"] for f in features] == units["code_insee"].tolist()
    assert {tuple(f["properties"]) for f in features} == {display.UNIT_PROPERTIES}
    assert features[0]["properties"]["population"] == int(units["population"].iloc[0])


def test_no_unit_is_empty_or_invalid(shapes):
    assert not shapely.is_empty(shapes).any()
    assert shapely.is_valid(shapes).all()
    assert (shapely.area(shapes) > 0).all()


def test_coordinates_are_rounded(shapes):
    xy = shapely.get_coordinates(shapes)
    assert np.allclose(xy, np.round(xy, display.COORD_DECIMALS), atol=1e-12, rtol=0)


def test_neighbours_still_touch_after_simplification(shapes, edges):
    left, right = shapes[edges[:, 0]], shapes[edges[:, 1]]
    assert shapely.intersects(left, right).mean() >= 0.999
    shared = shapely.length(shapely.intersection(shapely.boundary(left), shapely.boundary(right)))
    assert (shared > 0).mean() >= 0.995  # a shared border, not just a corner


def test_simplified_units_do_not_overlap(shapes):
    # a coverage: the union's area is the sum of the areas (no overlap), within rounding
    total = shapely.area(shapes).sum()
    assert shapely.area(shapely.coverage_union_all(shapes)) == pytest.approx(total, rel=1e-4)


def test_cached_on_disk_outside_the_source_tree():
    path = display.units_geojson_path()
    assert path.parent == display.display_cache_dir()
    assert path.read_text(encoding="utf-8") == display.units_geojson()
    assert REPO not in path.resolve().parents
    assert sorted(p.suffix for p in path.parent.iterdir()) == [".geojson", ".geojson"]


def test_departement_outlines_and_labels():
    outlines = json.loads(display.departements_geojson())["features"]
    assert [f["properties"]["departement"] for f in outlines] == \
        ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]
    labels = display.departement_labels()
    for feature, label in zip(outlines, labels):
        assert shapely.geometry.shape(feature["geometry"]).contains(
            shapely.Point(label["lon"], label["lat"])), label["nom"]


def test_dissolve_by_department_matches_outlines(units):
    features = json.loads(display.dissolve_geojson(units["departement"]))["features"]
    assert sorted(f["properties"]["label"] for f in features) == sorted(units["departement"].unique())


def test_dissolve_rejects_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match="labels has 3 values; expected one per unit"):
        display.dissolve_geojson([1, 2, 3])
