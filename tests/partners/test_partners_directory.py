"""The directory as the app shows it: filters, form fields and back, errors by field."""
from __future__ import annotations

import doctest

import pytest

import partners.directory as directory
from partners.directory import filter_partners, form_errors, form_values, from_form
from partners.model import Partner
from partners.store import list_partners, save_partner


def test_doctests():
    assert doctest.testmod(directory).failed == 0


def test_form_round_trip_and_position_rules():
    base = Partner(type="HAD", name="HAD test", id=7, code_insee="69383", lon=4.8512, lat=45.7601,
                   precision="commune", communes=("69383",), phone="04 72 11 22 33")
    values = form_values(base)
    assert values["lon"] == "4,8512" and values["communes"] == "69383"
    assert from_form(base, "HAD", values) == base
    moved = from_form(base, "HAD", {**values, "lon": "4,86"})
    assert (moved.lon, moved.lat, moved.precision) == ("4,86", "45,7601", "address")  # checked by the store
    cleared = from_form(base, "HAD", {**values, "lon": "", "lat": "", "communes": ""})
    assert (cleared.lon, cleared.lat, cleared.precision, cleared.communes) == (None, None, "", ())
    new = from_form(Partner(type="CCAS", name=""), "PSY", {"name": " Cabinet ", "communes": ""})
    assert (new.type, new.name, new.communes, new.id) == ("PSY", "Cabinet", None, None)


def test_form_errors_by_field(places):
    errors = form_errors(Partner(type="CCAS", name="", phone="04 72", email="x@"), places)
    assert set(errors) == {"name", "phone", "email"}
    errors = form_errors(Partner(type="CCAS", name="CCAS", code_insee="69999"), places)
    assert list(errors) == ["code_insee"]
    assert form_errors(Partner(type="CCAS", name="CCAS", code_insee="69383"), places) == {}


def test_filters(conn, places):
    for partner in (Partner(type="CCAS", name="CCAS de Saint-Étienne", code_insee="42218"),
                    Partner(type="HAD", name="HAD Loire", code_insee="42218", finess="420000010"),
                    Partner(type="CCAS", name="CCAS de Lyon 3e", code_insee="69383")):
        save_partner(conn, partner, author="t", places=places)
    table = list_partners(conn)
    assert filter_partners(table, "st etienne")["name"].tolist() == ["CCAS de Saint-Étienne", "HAD Loire"]
    assert filter_partners(table, "ccas st etienne")["name"].tolist() == ["CCAS de Saint-Étienne"]
    assert filter_partners(table, "SAINT-ETIENNE", types=["HAD"])["name"].tolist() == ["HAD Loire"]
    assert filter_partners(table, "lyon", types=["HAD"]).empty
    assert filter_partners(table, "42000001")["name"].tolist() == ["HAD Loire"]
    assert len(filter_partners(table, departements=["42"])) == 2
    sectors = {"42218": "Sud", "69383": "Nord"}
    north = filter_partners(table, sectors=sectors, sector="Nord")
    assert north["name"].tolist() == ["CCAS de Lyon 3e"] and north["sector"].tolist() == ["Nord"]
    with pytest.raises(TypeError, match="give the plan's sectors"):
        filter_partners(table, sector="Nord")
