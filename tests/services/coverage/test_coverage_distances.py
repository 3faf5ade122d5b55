"""Nearest-partner distances and zone coverage on the real territory."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.coverage import nearest_distances, nearest_distances_xy, zone_coverage
from services.coverage._common import lonlat_to_lambert93


def test_distances_match_brute_force(units, points, test_partners, distances):
    rng = np.random.default_rng(3)
    sample = rng.choice(len(units), 300, replace=False)
    for partner_type in ("ERC", "PSY", "CPTS"):
        subset = test_partners[test_partners["type"] == partner_type]
        xy = lonlat_to_lambert93(subset["lon"], subset["lat"])
        brute = np.hypot(points[sample, None, 0] - xy[None, :, 0], points[sample, None, 1] - xy[None, :, 1])
        expected = brute.min(axis=1) / 1000
        got = distances[f"distance_km_{partner_type}"].to_numpy()[sample]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        ids = distances[f"nearest_id_{partner_type}"].to_numpy()[sample]
        assert (ids == subset["id"].to_numpy()[brute.argmin(axis=1)]).all()


def test_hosting_unit_is_at_zero(units, distances):
    lyon = distances.set_index("code_insee")
    # the most populous unit of the Rhône hosts the TEST ERC
    top = units[units["departement"] == "69"].sort_values("population").iloc[-1]["code_insee"]
    assert lyon.loc[top, "distance_km_ERC"] == pytest.approx(0, abs=1e-6)
    assert distances["distance_km_ERC"].max() < 120       # one ERC per department reaches everyone


def test_missing_type_gives_nan(units, points, test_partners):
    out = nearest_distances(units, test_partners, types=["DAC"], points=points)
    assert out["distance_km_DAC"].isna().all() and out["nearest_id_DAC"].isna().all()


def test_core_without_supply():
    d, j = nearest_distances_xy([[0, 0]], np.empty((0, 2)))
    assert np.isnan(d[0]) and j[0] == -1


def test_partner_input_errors(units, points):
    with pytest.raises(ValueError, match=r"^partners: missing column\(s\) \['lat'\]"):
        nearest_distances(units, pd.DataFrame({"type": ["ERC"], "lon": [4.8]}), points=points)
    with pytest.raises(ValueError, match=r"^partners: 1 row\(s\) without lon/lat"):
        nearest_distances(units, pd.DataFrame({"type": ["ERC"], "lon": [4.8], "lat": [np.nan]}), points=points)
    with pytest.raises(ValueError, match=r"^points: expected shape \(4033, 2\)"):
        nearest_distances(units, pd.DataFrame({"type": ["ERC"], "lon": [4.8], "lat": [45.7]}), points=points[:5])


def test_zone_coverage_frame_and_mapping_agree(units, test_zones, coverage):
    mapping = {t: set(part["code_insee"]) for t, part in test_zones.groupby("type")}
    other = zone_coverage(units, mapping)
    assert (other["covered_CPTS"] == coverage["covered_CPTS"]).all()
    assert (other["covered_HAD"] == coverage["covered_HAD"]).all()
    # HAD: every department but 15 and 43; CPTS: the larger EPCIs only
    had = coverage["covered_HAD"].to_numpy()
    assert (had == ~units["departement"].isin(["15", "43"]).to_numpy()).all()
    assert 0 < coverage["covered_CPTS"].mean() < 1
    assert coverage["n_HAD"].max() == 1


def test_zone_coverage_counts_overlaps_and_warns_on_unknown_codes():
    units = pd.DataFrame({"code_insee": ["01001", "01002", "01004"]})
    zones = pd.DataFrame({"type": ["cpts", "CPTS", "CPTS", "CPTS"], "partner_id": [1, 2, 2, 3],
                          "code_insee": ["01001", "01001", "01002", "99999"]})
    with pytest.warns(UserWarning, match="zones: 1 row"):
        out = zone_coverage(units, zones)
    assert out["n_CPTS"].tolist() == [2, 1, 0]
    assert out["covered_CPTS"].tolist() == [True, True, False]
    assert not out["covered_HAD"].any()
    with pytest.raises(TypeError, match="^zones: expected a mapping"):
        zone_coverage(units, ["01001"])
