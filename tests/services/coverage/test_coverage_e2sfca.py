"""E2SFCA: a hand-computed case, then the real territory."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from services.coverage import DEFAULT_BANDS, accessibility, check_bands, e2sfca

KM = 1000.0


def test_hand_computed_case():
    """Two suppliers, four demand points on a line (x in km), default PSY bands 10/20/30 km, W 1/0.68/0.22.

    Suppliers: A at 0 km (S=2), B at 25 km (S=1).
    Demand:    P1 at 0 km (1000), P2 at 8 km (500), P3 at 15 km (2000), P4 at 40 km (300).

    Distances and weights
        A: P1 0 km -> 1, P2 8 km -> 1, P3 15 km -> 0.68, P4 40 km -> 0
        B: P1 25 km -> 0.22, P2 17 km -> 0.68, P3 10 km -> 1 (bands closed on the right), P4 15 km -> 0.68
    Step 1
        D_A = 1000 + 500 + 0.68*2000             = 2860   R_A = 2/2860 = 6.993007e-4
        D_B = 0.22*1000 + 0.68*500 + 2000 + 0.68*300 = 2764   R_B = 1/2764 = 3.617945e-4
    Step 2
        A_1 = R_A + 0.22 R_B    = 7.788955e-4  (77.89 per 100,000)
        A_2 = R_A + 0.68 R_B    = 9.453210e-4  (94.53)
        A_3 = 0.68 R_A + R_B    = 8.373190e-4  (83.73)
        A_4 = 0.68 R_B          = 2.460203e-4  (24.60)
    Conservation: 1000 A_1 + 500 A_2 + 2000 A_3 + 300 A_4 = S_A + S_B = 3.
    """
    demand_xy = np.array([[0, 0], [8, 0], [15, 0], [40, 0]]) * KM
    supply_xy = np.array([[0, 0], [25, 0]]) * KM
    population = np.array([1000, 500, 2000, 300])
    result = e2sfca(demand_xy, population, supply_xy, [2, 1], DEFAULT_BANDS["PSY"])

    r_a, r_b = 2 / 2860, 1 / 2764
    np.testing.assert_allclose(result.weighted_demand, [2860, 2764])
    np.testing.assert_allclose(result.ratio, [r_a, r_b])
    expected = [r_a + 0.22 * r_b, r_a + 0.68 * r_b, 0.68 * r_a + r_b, 0.68 * r_b]
    np.testing.assert_allclose(result.accessibility, expected)
    np.testing.assert_allclose(result.accessibility * 1e5, [77.88955, 94.53210, 83.73190, 24.60203], rtol=1e-6)
    assert (result.accessibility * population).sum() == pytest.approx(3.0)
    assert result.pairs == 7 and result.unreached_supply == 0


def test_band_edges_and_unreached_supply():
    """30 km is inside the last band (W=0.22), 30.001 km is outside; a supplier with nobody in reach is reported."""
    demand_xy = np.array([[0, 0], [30.001 * KM, 0]])
    result = e2sfca(demand_xy, [100, 100], [[30 * KM, 0], [500 * KM, 0]], [1, 5], DEFAULT_BANDS["PSY"])
    # supplier 0: P1 at 30 km (0.22), P2 at 0.001 km (1) -> D = 22 + 100 = 122
    np.testing.assert_allclose(result.ratio, [1 / 122, 0])
    np.testing.assert_allclose(result.accessibility, [0.22 / 122, 1 / 122])
    assert result.unreached_supply == 5


def test_no_supplier_gives_zero():
    result = e2sfca([[0, 0]], [10], np.empty((0, 2)), [], DEFAULT_BANDS["ERC"])
    assert result.accessibility.tolist() == [0.0]


@pytest.mark.parametrize("bands, fragment", [
    ([], "at least one"),
    ([(10, 1), (5, 0.5)], "increasing"),
    ([(10, 1.5)], "weights must be in (0, 1]"),
    ("abc", "sequence of (upper_km, weight)"),
])
def test_bad_bands_name_the_parameter(bands, fragment):
    with pytest.raises(ValueError, match="^bands: ") as info:
        check_bands(bands)
    assert fragment in str(info.value)


def test_unknown_type_needs_bands(units, test_partners, points):
    with pytest.raises(ValueError, match=r"bands: no default for partner_type 'HAD'.*\['ERC', 'PSY'\]"):
        accessibility(units, test_partners, "HAD", points=points)


def test_real_territory_psy(units, points, test_partners, distances):
    """0 beyond the 30 km catchment, positive within it, and supply is conserved."""
    result = accessibility(units, test_partners, "PSY", points=points)
    value = result["accessibility_PSY"].to_numpy()
    nearest = distances["distance_km_PSY"].to_numpy()
    assert (value[nearest > 30] == 0).all()
    assert (value[nearest <= 30] > 0).all()
    assert (nearest > 30).sum() > 0 and (nearest <= 30).sum() > 3000       # both cases occur
    psy = test_partners[test_partners["type"] == "PSY"]
    # every TEST psychologist sits on a unit, so each has demand in reach: sum_i A_i P_i == sum_j S_j
    assert result.attrs["unreached_supply"] == 0
    population = units["population"].to_numpy()
    assert (value / 1e5 * population).sum() == pytest.approx(psy["capacity"].sum(), rel=1e-9)
    # the population-weighted mean is therefore supply per 100,000 inhabitants of the region
    assert np.average(value, weights=population) == pytest.approx(psy["capacity"].sum() / population.sum() * 1e5)


def test_real_territory_erc_matches_dense_computation(units, points, test_partners):
    """The sparse neighbour computation equals a dense all-pairs E2SFCA (12 ERC x 4,033 units)."""
    result = accessibility(units, test_partners, "ERC", points=points)
    erc = test_partners[test_partners["type"] == "ERC"]
    from services.coverage._common import lonlat_to_lambert93

    supply_xy = lonlat_to_lambert93(erc["lon"], erc["lat"])
    d = np.hypot(points[:, None, 0] - supply_xy[None, :, 0], points[:, None, 1] - supply_xy[None, :, 1]) / KM
    w = np.select([d <= 20, d <= 40, d <= 60], [1.0, 0.68, 0.22], 0.0)
    population = units["population"].to_numpy(dtype=float)
    ratio = erc["capacity"].to_numpy() / (population @ w)
    np.testing.assert_allclose(result["accessibility_ERC"].to_numpy(), (w @ ratio) * 1e5, rtol=1e-9, atol=1e-12)
    assert result.attrs["bands"] == DEFAULT_BANDS["ERC"] and result.attrs["per"] == 100_000


def test_patients_as_demand(units, points, test_partners, patients):
    result = accessibility(units, test_partners, "ERC", points=points, demand=patients, per=10_000)
    assert result.attrs["demand"] == "patients"
    weights = units[["code_insee"]].merge(patients, how="left").fillna(0)["patients"].to_numpy()
    assert (result["accessibility_ERC"] / 1e4 * weights).sum() == pytest.approx(12.0)


def test_thousands_of_suppliers_are_fast(units, points):
    """4,033 units x 3,000 suppliers in well under a second or two."""
    rng = np.random.default_rng(7)
    rows = rng.integers(0, len(units), 3000)
    partners = pd.DataFrame({"type": "PSY", "lon": units["mairie_lon"].to_numpy()[rows],
                             "lat": units["mairie_lat"].to_numpy()[rows], "capacity": rng.uniform(0.2, 1, 3000)})
    start = time.perf_counter()
    result = accessibility(units, partners, "PSY", points=points)
    assert time.perf_counter() - start < 3.0
    assert (result["accessibility_PSY"].to_numpy() / 1e5 * units["population"]).sum() == pytest.approx(
        partners["capacity"].sum())
