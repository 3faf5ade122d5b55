"""Field checks and their messages."""
from __future__ import annotations

import pytest

from partners.model import Partner
from partners.validation import (check_partner, luhn_check_digit, normalize_name, normalize_phone,
                                 validate_adeli, validate_email, validate_finess, validate_position,
                                 validate_rpps, validate_website)


def test_each_bad_value_has_a_clear_message(bad_value, expect_error):
    func, value, pattern = bad_value
    with expect_error(pattern):
        func(value)


@pytest.mark.parametrize("value", ["010000024", "010780054", "690000880", " 01 000 002 4 "])
def test_real_finess_numbers_pass(value):
    assert validate_finess(value) == value.replace(" ", "")


def test_finess_corsica_uses_21_and_22_for_the_key(expect_error):
    assert validate_finess("2A0000014") == "2A0000014"
    assert validate_finess("2b0000012") == "2B0000012"
    with expect_error(r"FINESS '2A0000015': wrong check digit 5 \(Luhn key of 2A000001 is 4\)"):
        validate_finess("2A0000015")


def test_finess_empty_is_allowed():
    assert validate_finess("") == "" and validate_finess(None) == ""


@pytest.mark.parametrize("raw", ["04 72 11 22 33", "0472112233", "04.72.11.22.33", "04-72-11-22-33",
                                 "+33 4 72 11 22 33", "+33 (0)4 72 11 22 33", "0033472112233", "+33472112233"])
def test_phone_normalised(raw):
    assert normalize_phone(raw) == "04 72 11 22 33"


@pytest.mark.parametrize("raw", ["472112233", "04721122333", "+44 20 7946 0000", "00 72 11 22 33"])
def test_phone_rejected(raw, expect_error):
    with expect_error(f"phone {raw!r}: expected a French number", exact=True):
        normalize_phone(raw)


def test_email_and_website(expect_error):
    assert validate_email(" Accueil@CPTS-Lyon.fr ") == "accueil@cpts-lyon.fr"
    with expect_error("e-mail 'a@b'"):
        validate_email("a@b")
    assert validate_website("www.exemple.fr") == "https://www.exemple.fr"
    with expect_error("website 'pas un site'"):
        validate_website("pas un site")


def test_rpps_and_adeli(expect_error):
    assert validate_rpps("10001045367") == "10001045367"
    with expect_error("RPPS '1000104536': expected 11 digits"):
        validate_rpps("1000104536")
    assert validate_adeli("699312345") == "699312345"
    with expect_error("ADELI '69931234': expected 9 digits"):
        validate_adeli("69931234")
    assert luhn_check_digit("1000104536") == "7"


def test_positions(expect_error):
    assert validate_position("4,85", "45.75") == (4.85, 45.75)
    assert validate_position(55.45, -20.88) == (55.45, -20.88)  # La Réunion
    assert validate_position("", None) == (None, None)
    with expect_error(r"position \(lon -0.13, lat 51.5\) is outside France"):
        validate_position(-0.13, 51.5)  # London
    with expect_error("look swapped"):
        validate_position(45.75, 4.85)
    with expect_error("give both longitude and latitude"):
        validate_position(4.85, "")


def test_check_partner_collects_every_error():
    partner, issues = check_partner(Partner(type="cpts", name="  CPTS   Lyon ", phone="12", email="x",
                                            finess="010000025"))
    assert partner.type == "CPTS" and partner.name == "CPTS Lyon"
    assert sorted(i.field for i in issues) == ["email", "finess", "phone"]
    _, issues = check_partner(Partner(type="GARAGE", name=""))
    messages = " | ".join(i.message for i in issues)
    assert "type 'GARAGE': unknown; expected one of CPTS, HAD" in messages
    assert "name: empty" in messages


def test_normalize_name():
    assert normalize_name("CCAS de St-Étienne") == normalize_name("ccas de saint etienne")
