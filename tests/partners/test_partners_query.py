"""Nearest partners and covering zones on the real territory."""
from __future__ import annotations

import numpy as np
import pytest
from partner_files import FINESS_2024, ZONES

from partners.importer import import_partners
from partners.model import Partner
from partners.query import NearestIndex, covering, nearest, nearest_for_units
from partners.store import save_partner


@pytest.fixture
def directory(conn, places):
    """FINESS establishments with zones, a few PSY and a CCAS."""
    import_partners(conn, FINESS_2024, "finess", author="t", places=places, outside="flag")
    import_partners(conn, ZONES, "zones", author="t", places=places)
    for name, code in (("Cabinet test Lyon 3e", "69383"), ("Cabinet test Villeurbanne", "69266"),
                       ("Cabinet test Grenoble", "38185"), ("Cabinet test Annecy", "74010")):
        save_partner(conn, Partner(type="PSY", name=name, code_insee=code), author="t", places=places)
    return conn


def test_partner_in_lyon_3e_is_nearest_to_69383(directory, places):
    frame = nearest(directory, "PSY", commune="69383", k=4, places=places)
    assert list(frame["name"][:2]) == ["Cabinet test Lyon 3e", "Cabinet test Villeurbanne"]
    assert frame["distance_km"].iloc[0] == 0.0          # at the town hall of the 3e
    assert 1 < frame["distance_km"].iloc[1] < 6         # Villeurbanne next door
    assert 80 < frame["distance_km"].iloc[2] < 100      # Grenoble, ~95 km as the crow flies
    assert frame["distance_km"].is_monotonic_increasing
    assert list(frame["rank"]) == [1, 2, 3, 4]
    assert frame["covers"].isna().all()                 # PSY have no zones


def test_nearest_had_says_whether_the_zone_covers(directory, places):
    frame = nearest(directory, "HAD", commune="69383", k=3, places=places)
    first = frame.iloc[0]
    assert first["finess"] == "690001128" and first["covers"] is True
    assert 0.5 < first["distance_km"] < 1.5
    grenoble = frame[frame["finess"] == "380001248"].iloc[0]
    assert pd_isna(grenoble["covers"])                  # zone unknown
    cpts = nearest(directory, "CPTS", commune="69388", k=1, places=places).iloc[0]
    assert cpts["covers"] is False                      # Villeurbanne's CPTS does not cover Lyon 8e


def pd_isna(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def test_nearest_from_postal_code_and_point(directory, places):
    by_postal = nearest(directory, "PSY", postal_code="69003", k=1, places=places)
    assert by_postal.attrs["code_insee"] == "69383"
    by_point = nearest(directory, "PSY", lonlat=(5.7245, 45.1885), k=1, places=places)
    assert by_point.iloc[0]["name"] == "Cabinet test Grenoble" and by_point.attrs["code_insee"] == "38185"
    lyon = nearest(directory, "PSY", commune="69123", k=1, places=places)
    assert "couvre 9 unités" in lyon.attrs["note"]
    outside = nearest(directory, "HAD", lonlat=(2.3, 48.85), k=1, places=places)
    assert outside.iloc[0]["finess"] == "750001166" and bool(outside.iloc[0]["outside_territory"])


def test_nearest_input_checks(directory, places):
    for call, code in [(lambda: nearest(directory, "GP", commune="69383", places=places), "partners.unknown_type"),
                       (lambda: nearest(directory, "HAD", commune="69383", postal_code="69003", places=places),
                        "partners.one_place_needed"),
                       (lambda: nearest(directory, "HAD", commune="75056", places=places),
                        "partners.place_not_in_territory"),
                       (lambda: nearest(directory, "HAD", commune="69383", k=0, places=places), "partners.bad_k")]:
        with pytest.raises(ValueError) as info:
            call()
        assert info.value.code == code
    assert len(nearest(directory, "ERC", commune="69383", places=places)) == 0
    assert len(nearest(directory, "PSY", commune="69383", k=50, places=places)) == 4


def test_covering(directory, places):
    frame = covering(directory, "69266", places=places)
    assert sorted(frame["finess"]) == ["690001128", "690001177"]
    assert list(covering(directory, "69123", places=places)["finess"]) == ["690001128"]
    assert covering(directory, "38185", places=places).empty
    with pytest.raises(ValueError) as info:
        covering(directory, "99999", places=places)
    assert info.value.code == "partners.place_not_in_territory" and "99999" in str(info.value)


def test_nearest_index_batch_matches_brute_force():
    rng = np.random.default_rng(0)
    partners = rng.uniform(0, 100_000, size=(300, 2))
    queries = rng.uniform(0, 100_000, size=(1000, 2))
    distances, positions = NearestIndex(partners).query(queries, k=3)
    brute = np.sqrt(((queries[:, None] - partners[None]) ** 2).sum(axis=2))
    assert np.allclose(distances, np.sort(brute, axis=1)[:, :3])
    assert (positions[:, 0] == brute.argmin(axis=1)).all()
    few_d, few_p = NearestIndex(partners[:2]).query(queries[:5], k=4)
    assert np.isinf(few_d[:, 2:]).all() and (few_p[:, 2:] == -1).all()
    with pytest.raises(ValueError, match=r"points_xy: expected an array of shape \(n, 2\)"):
        NearestIndex(np.zeros((3, 3)))


def test_nearest_for_every_unit(directory, places):
    frame = nearest_for_units(directory, "PSY", k=1, places=places)
    assert len(frame) == len(places.codes)
    assert frame.set_index("code_insee").loc["69383", "name"] == "Cabinet test Lyon 3e"


def test_local_services_lists_covering_partners_first(directory, places):
    from partners.query import local_services

    frame = local_services(directory, "69266", k=1, places=places)
    from partners.model import PARTNER_TYPES

    present = list(dict.fromkeys(frame["type"]))
    assert present == [t for t in PARTNER_TYPES if t in present] and "ERC" not in present
    cpts = frame[frame["type"] == "CPTS"]
    assert cpts.iloc[0]["finess"] == "690001177" and cpts.iloc[0]["covers"] is True
    had = frame[frame["type"] == "HAD"]
    assert had.iloc[0]["finess"] == "690001128" and had.iloc[0]["covers"] is True
    assert frame[frame["type"] == "PSY"]["rank"].tolist() == [1]
    assert frame[frame["type"] == "ERC"].empty


def test_local_services_adds_a_distant_covering_partner(directory, places):
    from partners.query import local_services
    from partners.store import find_partner, set_communes

    paris = find_partner(directory, "FINESS:750001166")
    set_communes(directory, paris.id, ["38185"], author="t")
    had = local_services(directory, "38185", k=1, types=["HAD"], places=places)
    assert list(had["finess"]) == ["750001166", "380001248"]
    assert had.iloc[0]["covers"] is True and pd_isna(had.iloc[1]["covers"])
    assert list(had["rank"]) == [1, 2]
