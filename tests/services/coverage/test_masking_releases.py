"""Several ARS reports of the same counts, and thin samples: what an attacker can combine, the release register."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attacker import Attacker
from services.coverage import MaskingError, protect_counts, verify_no_disclosure
from services.coverage.releases import counts_fingerprint, earlier_releases, list_releases, record_release


def _square_plan(points, codes, size, dx=0.0, dy=0.0, prefix="S") -> pd.Series:
    """A TEST plan: Lambert-93 squares (not a proposed plan: proposing takes seconds)."""
    return pd.Series([f"{prefix}{int((x + dx) // size):02d}-{int((y + dy) // size):03d}" for x, y in points],
                     index=codes, name="secteur")


@pytest.fixture(scope="module")
def plans(units, points):
    codes = units["code_insee"].to_numpy()
    return [_square_plan(points, codes, 60000), _square_plan(points, codes, 60000, 30000, 30000, "T"),
            _square_plan(points, codes, 50000, 0, 30000, "U")]


@pytest.fixture(scope="module")
def demo(patients):
    return patients.set_index("code_insee")["patients"]


def _thin(demo: pd.Series, n: int, seed: int = 2026) -> pd.Series:
    """n referrals drawn without replacement from the demo's 1,350 (reproducible)."""
    draw = np.random.default_rng(seed).multivariate_hypergeometric(demo.to_numpy(), n)
    out = pd.Series(draw, index=demo.index)
    return out[out > 0]


def _protect(units, counts, plan, earlier=()):
    return protect_counts(counts, {"departement": "departement", "secteur": plan}, units=units[["code_insee",
                          "departement"]], cross=[("departement", "secteur")], earlier=earlier)


def test_thin_sample_of_40_does_not_say_who_has_one_patient(units, demo, plans):
    """The issue's leak: 40 patients, 40 communes at "< 11" and all others at 0 said each had exactly 1.
    Now communes are classes with the zeros in the first one, and nothing masked can be pinned."""
    counts = _thin(demo, 40)
    assert counts.sum() == 40
    p = _protect(units, counts, plans[0])
    communes = p.display("unit")
    assert set(communes) == {"0 à 10"}                        # 4,033 communes, none distinguishable
    assert p.display("total").tolist() == ["40"]
    assert p.audit.ok and verify_no_disclosure(p).ok
    recovered = Attacker([p.published()], units["code_insee"]).recovered([p.published()], counts.to_dict())
    assert recovered == []


def test_three_reports_with_different_plans_combined(units, demo, plans):
    """Three reports of the demo counts with three plans, each made with the earlier ones (the register):
    an attacker reading all three together recovers no masked cell, communes included. Cells common to
    several reports (communes, departments, region, identical sectors) show the same thing in each.
    (A department x sector cell of one commune without patients shows 0 where the commune's class says
    0 à 10: both true, and the audit counts that zero.)"""
    releases = []
    for plan in plans:
        p = _protect(units, demo, plan, earlier=releases)
        assert p.audit.ok and p.audit.releases == len(releases)
        releases.append(p.published())
    truth = demo.to_dict()
    attacker = Attacker(releases, units["code_insee"])
    assert attacker.recovered(releases, truth) == []
    assert attacker.lps > 500
    shown = {}
    for frame in releases:
        for level, display, members in zip(frame["level"], frame["display"], frame["units"]):
            shown.setdefault((level == "unit", tuple(members)), set()).add(display)
    # a cell hidden in one report is hidden in all; a figure is the same figure everywhere
    assert all(len(texts) == 1 for texts in shown.values())
    assert sum(len(members) > 1 and "s" in texts for (_, members), texts in shown.items()) >= 5


def test_the_same_reports_made_independently_leak(units, demo, plans):
    """Without the register, each report passes its own audit, yet together they give cells away
    (here the Cantal's 10 patients, among others): the joint audit is needed."""
    releases = [_protect(units, demo, plan).published() for plan in plans]
    aggregate = [frame[frame["level"] != "unit"] for frame in releases]
    recovered = Attacker(releases, units["code_insee"]).recovered(aggregate, demo.to_dict())
    assert ("departement", "15", 10) in recovered
    last = _protect(units, demo, plans[2])
    assert last.audit.ok
    assert not verify_no_disclosure(last, earlier=releases[:2]).ok


def test_608_patients_keep_their_totals(units, demo, plans):
    """The issue's real-sized import: the region total, most department and sector totals are published."""
    p = _protect(units, _thin(demo, 608), plans[0])
    assert p.display("total").tolist() == ["608"]
    deps, secs = p.display("departement"), p.display("secteur")
    assert (deps != "s").sum() >= 10
    assert (secs != "s").sum() >= 0.8 * len(secs)
    assert p.audit.ok


def test_register_round_trip(tmp_path, units, demo, plans):
    """What the register keeps is what was published (displays, commune codes), never a true count."""
    from geo.database import connect

    conn = connect(tmp_path / "releases.sqlite")
    counts = _thin(demo, 300)
    fingerprint = counts_fingerprint(counts)
    assert fingerprint == counts_fingerprint(counts.reindex(counts.index[::-1]))
    assert fingerprint != counts_fingerprint(_thin(demo, 300, seed=1))
    assert earlier_releases(conn, fingerprint) == []
    first = _protect(units, counts, plans[0])
    release = record_release(conn, first, fingerprint=fingerprint, label="plan A", tables=["departements"])
    # the same cells again (the XLSX after the PDF): still one release
    assert record_release(conn, first, fingerprint=fingerprint, label="plan A (XLSX)") == release
    stored = earlier_releases(conn, fingerprint)
    assert len(stored) == 1
    kept = stored[0]
    assert list(kept.columns) == ["level", "key", "display", "lower", "upper", "units"]
    expected = first.published()
    assert kept["display"].tolist() == expected["display"].tolist()
    assert [tuple(u) for u in kept["units"]] == [tuple(u) for u in expected["units"]]
    assert set(kept["level"].map(str)) == set(expected["level"].map(str))
    numbers = pd.to_numeric(kept["display"], errors="coerce").dropna()
    assert not numbers.between(1, 10).any()
    second = _protect(units, counts, plans[1], earlier=stored)
    assert second.audit.releases == 1
    record_release(conn, second, fingerprint=fingerprint, label="plan B")
    table = list_releases(conn)
    assert table["id"].tolist() == [release, release + 1]
    assert table["label"].tolist() == ["plan A", "plan B"]
    assert table.loc[0, "tables"] == ["departements"]
    assert {"published", "masked", "suppressed", "classes"} <= set(table.columns)
    assert "value" not in " ".join(table.columns)


def test_a_release_that_cannot_be_protected_is_refused():
    """An earlier release (made under an older rule) showed b = 30 and a + b = 33: whatever the new one
    hides, its "< 11" cell a is 3. The new release is refused with a coded reason."""
    counts = pd.Series({"a": 3, "b": 30, "c": 40}, name="patients")
    earlier = pd.DataFrame({"level": ["unit", "g"], "key": ["b", "X"], "display": ["30", "33"],
                            "lower": [30.0, 33.0], "upper": [30.0, 33.0], "units": [("b",), ("a", "b")]})
    with pytest.raises(MaskingError) as info:
        protect_counts(counts, {"g": pd.Series({"a": "A", "b": "B", "c": "B"})}, publish_units=False,
                       earlier=[earlier])
    assert info.value.code == "masking.release_would_disclose"
