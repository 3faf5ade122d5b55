"""Hand edits (history, moves with locks, restore, remeasure) and exports (CSV, GeoJSON, GeoPackage)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geo.sectors import export
from geo.sectors.edit import (History, broken_sectors, empty_sectors, forget_ancestors, is_valid, locks_in, move_units,
                              remeasure, restore_plan, sector_table)


def test_history_undo_redo_and_branching():
    h = History(limit=3)
    assert h.current is None and not h.can_undo and not h.can_redo and h.undo() is None
    for state in "abc":
        h.push(state, f"step {state}")
    assert h.current == "c" and h.undo_label == "step c" and h.previous == "b"
    assert h.undo() == "b" and h.redo_label == "step c"
    h.push("d", "step d")  # a new step drops what could be redone
    assert not h.can_redo and h.labels() == ["step a", "step b", "step d"]
    h.push("e", "step e")  # beyond the limit: the oldest goes
    assert h.labels() == ["step b", "step d", "step e"]
    assert h.undo() == "d" and h.undo() == "b" and h.undo() == "b" and not h.can_undo
    h.reset("z", "loaded")
    assert len(h) == 1 and h.current == "z"
    with pytest.raises(ValueError, match="limit must be >= 1, got 0"):
        History(limit=0)


def test_move_units_skips_locks_and_no_ops(plan11, sector_error):
    a, b, c = plan11.context.codes[:3]
    target = next(n for n in plan11.names if n != plan11.sector_of(a))
    child, moved, skipped = move_units(plan11, [a, b, c, a], target, locked={b: plan11.sector_of(b)})
    assert skipped == [b] and b not in moved and child.sector_of(b) == plan11.sector_of(b)
    assert child.sector_of(a) == target and child.parent is plan11
    assert all(plan11.sector_of(x) != target for x in moved)
    same, none, _ = move_units(plan11, [a], plan11.sector_of(a))
    assert same is plan11 and none == []
    with sector_error("sectors.unknown_sector", sector="Nope"):
        move_units(plan11, [a], "Nope")
    with sector_error("sectors.unknown_units", codes=["99999"]):
        move_units(plan11, ["99999"], target)


def test_sector_table_matches_metrics_and_broken_sectors(plan11):
    table = sector_table(plan11)
    metrics = pd.DataFrame(plan11.metrics()["sectors"])
    assert list(table["sector"]) == list(plan11.names)
    np.testing.assert_allclose(table["load"], metrics["load"], atol=1e-3)
    np.testing.assert_allclose(table["mean_km"], metrics["mean_km"], atol=1e-3)
    assert broken_sectors(plan11) == []
    # cut a unit off from its sector by moving all its neighbours elsewhere
    nbrs, a = plan11.context.nbrs, plan11.assignment
    inner = next(i for i in range(plan11.context.n) if len(nbrs[i]) >= 3 and all(a[j] == a[i] for j in nbrs[i]))
    far = (a[inner] + 1) % plan11.k
    child = plan11.flip({int(j): int(far) for j in nbrs[inner]})
    assert plan11.names[a[inner]] in broken_sectors(child)


def test_locks_in_drops_unknown_sectors_and_codes(plan11):
    code = plan11.context.codes[0]
    assert locks_in(plan11, {code: plan11.names[0], "99999": plan11.names[0], plan11.context.codes[1]: "X"}) \
        == {code: plan11.names[0]}


def test_remeasure_and_restore(plan11, context):
    doubled = context.with_counts(pd.DataFrame({"code_insee": context.codes, "patients": context.patients * 2}))
    again = remeasure(plan11, doubled)
    np.testing.assert_array_equal(again.assignment, plan11.assignment)
    np.testing.assert_allclose(again["load"], 2 * np.asarray(plan11["load"]))
    assert again.max_deviation == pytest.approx(plan11.max_deviation)
    restored = restore_plan(context, plan11.to_frame(), tolerance=0.05)
    np.testing.assert_array_equal(restored.assignment, plan11.assignment)
    assert restored.tolerance == 0.05


def test_csv_export_round_trips(plan11, tmp_path):
    from geo.sectors.io import read_plan

    path = tmp_path / "plan.csv"
    path.write_bytes(export.plan_csv(plan11))
    frame = read_plan(path)
    assert len(frame) == plan11.context.n
    assert dict(zip(frame["code_insee"], frame["sector"])) == dict(zip(plan11.to_frame()["code_insee"],
                                                                         plan11.to_frame()["sector"]))


def test_geojson_exports(plan11, units):
    units_fc = json.loads(export.plan_geojson(plan11, units))
    assert len(units_fc["features"]) == 4033
    props = units_fc["features"][0]["properties"]
    assert {"code_insee", "nom", "departement", "sector", "patients"} <= set(props)
    sectors_fc = json.loads(export.plan_geojson(plan11, units, dissolve=True))
    assert sorted(f["properties"]["sector"] for f in sectors_fc["features"]) == sorted(plan11.names)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in sectors_fc["features"])
    lon, lat = sectors_fc["features"][0]["geometry"]["coordinates"][0][0][:2] \
        if sectors_fc["features"][0]["geometry"]["type"] == "Polygon" \
        else sectors_fc["features"][0]["geometry"]["coordinates"][0][0][0][:2]
    assert 1 < lon < 8 and 43 < lat < 47  # WGS84 lon/lat


def test_geopackage_has_two_layers(plan11, units, tmp_path):
    import geopandas as gpd
    import pyogrio

    path = tmp_path / "plan.gpkg"
    path.write_bytes(export.plan_geopackage(plan11, units))
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"communes", "secteurs"}
    sectors = gpd.read_file(path, layer="secteurs")
    assert sectors.crs.to_epsg() == 4326 and len(sectors) == plan11.k
    np.testing.assert_allclose(sectors["load"].sum(), plan11.context.load.sum(), atol=0.01)
    assert len(gpd.read_file(path, layer="communes")) == 4033


def test_export_checks_the_units(plan11, units):
    with pytest.raises(ValueError, match="units has 10 rows; the plan has 4033 units"):
        export.units_frame(plan11, units.head(10))



def test_forget_ancestors_keeps_metrics_right(plan11):
    codes = plan11.context.codes
    a = plan11.flip({codes[0]: plan11.names[1]})
    a.metrics()
    b = a.flip({codes[1]: plan11.names[2]})
    forget_ancestors(b)
    assert b.parent is a and a.parent is None
    c = b.flip({codes[2]: plan11.names[3]})
    fresh = c.with_assignment(c.assignment)
    assert c.metrics()["sectors"] == fresh.metrics()["sectors"]


def test_an_emptied_sector_is_empty_not_broken(plan11):
    victim = plan11.names[0]
    members = plan11.context.codes[plan11.assignment == 0]
    child, _, _ = move_units(plan11, members, plan11.names[1])
    assert empty_sectors(child) == [victim] and victim not in broken_sectors(child)
    assert is_valid(plan11) and not is_valid(child)
