"""Fixtures for the coverage tests: real territory, demo patients and TEST partner inputs.

The partner inputs below are **test inputs derived deterministically from the
territory**, not real partners: one "ERC" at each department's most populous
unit, psychologists in every unit of 5,000 inhabitants or more (FTE growing
with population), CPTS zones made of the larger EPCIs, HAD zones covering
ten of the twelve departments. A "sector plan" cuts the territory into 60 km
squares. They only give the functions realistic shapes to work on.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def points(units):
    from geo.territory import reference_points

    return reference_points(units)


@pytest.fixture(scope="session")
def patients():
    """Fictitious demo counts (1,350 patients in 610 units)."""
    from geo.patients import read_counts

    return read_counts(REPO / "data" / "demo" / "patients_demo.csv")


@pytest.fixture(scope="session")
def test_partners(units):
    """TEST partner positions (type, lon, lat, capacity, id) placed at unit town halls."""
    rows = []
    top = units.sort_values(["departement", "population"], ascending=[True, False]).groupby("departement").head(1)
    for unit in top.itertuples():
        rows.append(("ERC", unit.mairie_lon, unit.mairie_lat, 1.0, f"ERC-{unit.code_insee}"))
    for unit in units[units["population"] >= 5000].itertuples():
        rows.append(("PSY", unit.mairie_lon, unit.mairie_lat, 1.0 + unit.population // 20000, f"PSY-{unit.code_insee}"))
    for code, part in _cpts_epcis(units):
        seat = part.sort_values("population", ascending=False).iloc[0]
        rows.append(("CPTS", seat.mairie_lon, seat.mairie_lat, 1.0, f"CPTS-{code}"))
    return pd.DataFrame(rows, columns=["type", "lon", "lat", "capacity", "id"])


def _cpts_epcis(units):
    sizes = units.groupby("epci_code")["population"].sum()
    big = sorted(sizes[sizes >= 30000].index)
    return [(code, units[units["epci_code"] == code]) for code in big if code]


@pytest.fixture(scope="session")
def test_zones(units):
    """TEST zone table (type, partner_id, code_insee): CPTS = EPCIs >= 30,000 inhabitants; HAD = all but 15, 43."""
    rows = [("CPTS", f"CPTS-{code}", c) for code, part in _cpts_epcis(units) for c in part["code_insee"]]
    had = units[~units["departement"].isin(["15", "43"])]
    rows += [("HAD", f"HAD-{d}", c) for d, c in zip(had["departement"], had["code_insee"])]
    return pd.DataFrame(rows, columns=["type", "partner_id", "code_insee"])


@pytest.fixture(scope="session")
def test_plan(units, points):
    """TEST sector plan: 60 km squares of Lambert-93 (code_insee -> sector)."""
    labels = [f"S{int(x // 60000):02d}-{int(y // 60000):03d}" for x, y in points]
    return pd.Series(labels, index=units["code_insee"].to_numpy(), name="secteur")


@pytest.fixture(scope="session")
def distances(units, points, test_partners):
    from services.coverage import nearest_distances

    return nearest_distances(units, test_partners, types=["CPTS", "ERC", "PSY"], points=points)


@pytest.fixture(scope="session")
def coverage(units, test_zones):
    from services.coverage import zone_coverage

    return zone_coverage(units, test_zones)


@pytest.fixture(scope="session")
def flags(units, coverage, distances, patients):
    from services.coverage import white_zones

    return white_zones(units, coverage=coverage, distances=distances, max_km={"PSY": 30, "ERC": 60},
                       patients=patients, only_white=False)


@pytest.fixture(scope="session")
def unit_tab(units, patients, distances, coverage, test_plan, test_partners, points):
    from services.coverage import accessibility, unit_table

    acc = [accessibility(units, test_partners, t, points=points) for t in ("PSY", "ERC")]
    return unit_table(units, patients=patients, distances=distances, coverage=coverage, accessibility=acc,
                      plan=test_plan)


@pytest.fixture(scope="session")
def protection(units, patients, test_plan):
    """One pattern for the ARS tables: units, departments, sectors, department x sector."""
    from services.coverage import protect_counts

    groupings = {"departement": "departement", "secteur": test_plan}
    return protect_counts(patients, groupings, units=units, cross=[("departement", "secteur")])


@pytest.fixture
def raises_parameter():
    """Expected-error helper: a ValueError whose message names the parameter and the value."""
    def check(call, parameter, value=None):
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert message.startswith(parameter) or f"{parameter}" in message, message
        if value is not None:
            assert str(value) in message, message
        return message
    return check
