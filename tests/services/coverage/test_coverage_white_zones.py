"""White zones and tables on the real territory with the TEST partner inputs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.coverage import (ANY_LABEL, TOTAL_LABEL, cross_table, department_table, french_columns, sector_table,
                          white_zone_summary, white_zones)


def test_white_zone_flags(units, flags, coverage, distances, patients):
    assert len(flags) == len(units)
    assert (flags["no_CPTS"] == ~coverage["covered_CPTS"]).all()
    assert (flags["far_PSY"] == (distances["distance_km_PSY"] > 30)).all()
    assert (flags["far_ERC"] == (distances["distance_km_ERC"] > 60)).all()
    assert (flags["white"] == flags[["no_CPTS", "far_PSY", "far_ERC"]].any(axis=1)).all()
    assert flags["patients"].sum() == patients["patients"].sum()
    some = flags[flags["no_CPTS"] & flags["far_PSY"]].iloc[0]
    assert some["reasons"].startswith("hors zone CPTS; PSY à plus de 30 km")
    assert flags.loc[~flags["white"], "reasons"].eq("").all()


def test_only_white_rows(units, coverage, distances, patients, flags):
    white = white_zones(units, coverage=coverage, distances=distances, max_km={"PSY": 30, "ERC": 60},
                        patients=patients)
    assert white["white"].all() and len(white) == flags["white"].sum()
    assert 0 < len(white) < len(units)
    # units hosting a TEST psychologist are never far from one
    hosts = units.loc[units["population"] >= 5000, "code_insee"]
    assert not white.set_index("code_insee").reindex(hosts)["far_PSY"].fillna(False).any()


def test_white_zone_summary(flags, units):
    region = white_zone_summary(flags).set_index("critere")
    assert list(region.index) == ["hors zone CPTS", "PSY à plus de 30 km", "ERC à plus de 60 km", ANY_LABEL]
    assert region.loc[ANY_LABEL, "units"] == flags["white"].sum()
    assert region.loc["hors zone CPTS", "population"] == flags.loc[flags["no_CPTS"], "population"].sum()
    assert region.loc[ANY_LABEL, "population_share"] == pytest.approx(
        flags.loc[flags["white"], "population"].sum() / units["population"].sum())
    by_dep = white_zone_summary(flags, by="departement")
    sums = by_dep.groupby("critere")[["units", "population", "patients"]].sum()
    pd.testing.assert_frame_equal(sums.loc[region.index], region[["units", "population", "patients"]],
                                  check_names=False)


def test_white_zone_errors(units, coverage, distances):
    from geo.errors import SecteursError

    with pytest.raises(SecteursError) as unknown:  # reachable from the CLI's --max-km HAD=20
        white_zones(units, coverage=coverage, distances=distances, max_km={"HAD": 20})
    assert unknown.value.code == "coverage.unknown_distance_type" and unknown.value.params["type"] == "HAD"
    with pytest.raises(ValueError, match=r"^coverage: a frame with 'covered_CPTS'"):
        white_zones(units, distances=distances, max_km={"PSY": 30})
    with pytest.raises(SecteursError) as negative:
        white_zones(units, coverage=coverage, distances=distances, max_km={"PSY": -1})
    assert negative.value.code == "coverage.bad_max_km"


def test_department_and_sector_tables(unit_tab, units, patients, test_plan):
    assert len(unit_tab) == len(units)
    deps = department_table(unit_tab)
    assert list(deps["departement"]) == sorted(units["departement"].unique()) + [TOTAL_LABEL]
    body, total = deps.iloc[:-1], deps.iloc[-1]
    assert body["units"].sum() == total["units"] == 4033
    assert body["patients"].sum() == total["patients"] == patients["patients"].sum()
    assert body["population"].sum() == total["population"]
    assert (deps.loc[deps["departement"].isin(["15", "43"]), "covered_share_HAD"] == 0).all()
    # population-weighted mean distance, checked by hand on one department
    ain = unit_tab[unit_tab["departement"] == "01"]
    expected = np.average(ain["distance_km_PSY"], weights=ain["population"])
    assert deps.set_index("departement").loc["01", "mean_distance_km_PSY"] == pytest.approx(expected)
    assert total["max_distance_km_ERC"] == unit_tab["distance_km_ERC"].max()
    # accessibility: the region's weighted mean is the supply per 100,000 inhabitants
    assert total["accessibility_ERC"] == pytest.approx(12 / units["population"].sum() * 1e5)

    sectors = sector_table(unit_tab)
    assert len(sectors) == test_plan.nunique() + 1
    assert sectors.iloc[:-1]["patients"].sum() == total["patients"]
    labels = french_columns(deps).columns
    assert "Part de la population couverte par une zone CPTS" in labels
    assert "Accessibilité PSY (E2SFCA, pour 100 000 habitants)" in labels


def test_cross_table_margins(unit_tab):
    cross = cross_table(unit_tab)
    body = cross[(cross["departement"] != TOTAL_LABEL) & (cross["secteur"] != TOTAL_LABEL)]
    by_dep = cross[cross["secteur"] == TOTAL_LABEL].set_index("departement")["patients"]
    assert by_dep[TOTAL_LABEL] == body["patients"].sum()
    assert (body.groupby("departement")["patients"].sum() == by_dep.drop(TOTAL_LABEL)).all()
