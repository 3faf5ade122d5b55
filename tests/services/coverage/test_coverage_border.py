"""No border artefacts: partners just across the region's border count in distances, E2SFCA and white zones."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

#: A TEST psychologist placed in Mâcon (Saône-et-Loire, outside the 12 departments, across the Saône from Ain).
MACON = {"type": "PSY", "lon": 4.8306, "lat": 46.3069, "capacity": 1.0, "id": "PSY-TEST-MACON",
         "outside_territory": True}
#: A TEST HAD in Paris: far outside, never counted.
PARIS = {"type": "HAD", "lon": 2.3522, "lat": 48.8566, "capacity": 1.0, "id": "HAD-TEST-PARIS",
         "outside_territory": True}


@pytest.fixture(scope="module")
def with_and_without(units, points, test_partners, test_zones, patients, test_plan):
    from services.reports import compute_coverage

    inside = test_partners.assign(outside_territory=False)
    across = pd.concat([inside, pd.DataFrame([MACON, PARIS])], ignore_index=True)
    plan = test_plan.rename("sector").rename_axis("code_insee").reset_index()
    before = compute_coverage(units, inside, test_zones, patients, plan, points=points)
    after = compute_coverage(units, across, test_zones, patients, plan, points=points)
    return before, after


def _nearest_to_macon(units, points):
    from services.coverage._common import lonlat_to_lambert93

    xy = lonlat_to_lambert93([MACON["lon"]], [MACON["lat"]])[0]
    distance = np.hypot(*(points - xy).T) / 1000
    order = np.argsort(distance)
    return units["code_insee"].to_numpy()[order[0]], float(distance[order[0]])


def test_a_psychologist_across_the_border_counts(units, points, with_and_without):
    before, after = with_and_without
    code, km = _nearest_to_macon(units, points)
    assert code.startswith("01") and km < 5                    # an Ain commune facing Mâcon
    b = before.units.set_index("code_insee").loc[code]
    a = after.units.set_index("code_insee").loc[code]
    assert a["distance_km_PSY"] == pytest.approx(km, abs=0.01) and b["distance_km_PSY"] > km + 5
    assert a["accessibility_PSY"] > b["accessibility_PSY"]
    flags_before = before.flags.set_index("code_insee")
    flags_after = after.flags.set_index("code_insee")
    near = flags_after.index[flags_after["distance_km_PSY"] <= 10]
    assert not flags_after.loc[near, "far_PSY"].any()
    assert flags_after["far_PSY"].sum() <= flags_before["far_PSY"].sum()


def test_far_partners_are_left_out_and_neighbours_are_counted(units, points, with_and_without):
    from services.reports import neighbouring_partners

    before, after = with_and_without
    assert before.neighbours == 0 and after.neighbours == 1
    assert "HAD-TEST-PARIS" not in set(after.partners["id"]) and "PSY-TEST-MACON" in set(after.partners["id"])
    kept = neighbouring_partners(pd.DataFrame([MACON, PARIS]), points, border_km=60)
    assert kept.tolist() == [True, False]
    assert neighbouring_partners(pd.DataFrame([PARIS]), points, border_km=300).tolist() == [True]


def test_method_notes_say_so(with_and_without):
    from services.reports import method_notes

    _, after = with_and_without
    notes = dict(method_notes(after))
    text = " ".join(notes["Partenaires au-delà des limites de la région"])
    assert "60 km" in text and "hors des 12 départements" in text and "1 partenaire(s) voisin(s)" in text
