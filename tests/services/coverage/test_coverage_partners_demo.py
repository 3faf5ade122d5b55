"""The whole coverage chain on the partners' FICTITIOUS demo directory, through its public API."""
from __future__ import annotations

import pandas as pd
import pytest

from services.coverage import (accessibility, department_table, nearest_distances, protect_counts, unit_table,
                          verify_no_disclosure, white_zones, zone_coverage)

partners_pkg = pytest.importorskip("partners")


@pytest.fixture(scope="module")
def demo():
    """The demo partners as plain frames: positions (type, lon, lat, id) and zones (type, partner_id, code_insee)."""
    partners = partners_pkg.build_demo_directory()
    positions = pd.DataFrame([{"type": p.type, "lon": p.lon, "lat": p.lat, "id": p.key} for p in partners
                              if p.lon is not None and p.lat is not None])
    zones = pd.DataFrame([{"type": p.type, "partner_id": p.key, "code_insee": code} for p in partners
                          for code in (p.communes or ()) if p.type in ("CPTS", "HAD")])
    return positions, zones


def test_chain_on_demo_directory(units, points, patients, demo):
    positions, zones = demo
    distances = nearest_distances(units, positions, points=points)
    assert {"distance_km_PSY", "distance_km_ERC", "distance_km_CPTS", "distance_km_HAD"} <= set(distances.columns)
    assert distances.filter(like="distance_km_").notna().all().all()

    coverage = zone_coverage(units, zones)
    covered = set(zones.loc[zones["type"] == "CPTS", "code_insee"])
    assert (coverage["covered_CPTS"] == units["code_insee"].isin(covered)).all()

    acc = [accessibility(units, positions, t, points=points) for t in ("PSY", "ERC")]
    psy = acc[0]
    supply = (positions["type"] == "PSY").sum() - psy.attrs["unreached_supply"]
    assert (psy["accessibility_PSY"] / 1e5 * units["population"]).sum() == pytest.approx(supply)

    white = white_zones(units, coverage=coverage, distances=distances, max_km={"PSY": 30}, patients=patients)
    assert white["white"].all()
    table = unit_table(units, patients=patients, distances=distances, coverage=coverage, accessibility=acc)
    deps = department_table(table)
    assert deps["patients"].iloc[-1] == patients["patients"].sum()

    protection = protect_counts(patients, {"departement": "departement"}, units=units)
    shown = protection.mask(deps)["patients"]
    assert not any(v.isdigit() and 1 <= int(v) <= 10 for v in shown)
    assert verify_no_disclosure(protection).ok
