"""Fixtures of the partner tests: a fresh database, the real territory, expected errors."""
from __future__ import annotations

import re

import pytest


@pytest.fixture
def conn(db_path):
    """A fresh database with the partner tables."""
    from geo.database import connect
    import partners.store  # noqa: F401  (registers the schema)

    connection = connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def places(units):
    """The real territory as the partner directory sees it."""
    from partners.places import Places

    return Places(units)


#: Each validation message, written once: (function name, bad value, expected message pattern).
BAD_VALUES = {
    "finess_key": ("validate_finess", "010000025", r"FINESS '010000025': wrong check digit 5 \(Luhn key of 01000002 is 4\)"),
    "finess_length": ("validate_finess", "01000002", r"FINESS '01000002': expected 9 characters, got 8"),
    "finess_chars": ("validate_finess", "01A000024", r"expected 9 digits \(2A/2B allowed"),
    "phone_short": ("normalize_phone", "04 72 11 22", r"phone '04 72 11 22': expected a French number of 10 digits"),
    "phone_letters": ("normalize_phone", "tel 0472", r"phone 'tel 0472'"),
    "email": ("validate_email", "contact@", r"e-mail 'contact@': expected an address like nom@domaine.fr"),
    "rpps": ("validate_rpps", "10001045368", r"RPPS '10001045368': wrong check digit"),
    "insee": ("validate_code_insee", "6938", None),
}


@pytest.fixture(params=sorted(k for k, v in BAD_VALUES.items() if v[2]))
def bad_value(request):
    """(function, value, message pattern) for each validation error."""
    import partners.validation as validation

    name, value, pattern = BAD_VALUES[request.param]
    return getattr(validation, name), value, pattern


@pytest.fixture
def expect_error():
    """``expect_error(pattern)``: ``pytest.raises`` for a ValidationError matching ``pattern``."""
    from partners.validation import ValidationError

    def expect(pattern: str, exact: bool = False):
        return pytest.raises(ValidationError, match=re.escape(pattern) if exact else pattern)

    return expect


DATA = __import__("pathlib").Path(__file__).parent / "data"
FINESS_2019 = DATA / "etalab-cs1100507-stock-20190630-0345.csv"   # Windows-1252, "LAMBERT_93" spelling
FINESS_2024 = DATA / "etalab-cs1100507-stock-20240311-0339.csv"   # UTF-8, "LAMBERT-93"/"EPSG:2154" spelling
RPPS_2024 = DATA / "PS_LibreAcces_Personne_activite_202403110839.txt"
ZONES = DATA / "zones_cpts_had.csv"
TEMPLATE = DATA / "partenaires_manuels.csv"

#: format -> (file, expected counts of a first import into an empty directory, rejected rows and reasons)
IMPORT_CASES = {
    "finess": (FINESS_2019, dict(created=6, updated=0, unchanged=0, rejected=6), {
        9: "FINESS '690001194': wrong check digit 4 (Luhn key of 69000119 is 3)",
        10: "phone '04 72 11': expected a French number",
        11: "unknown commune: INSEE code 69999 is not a commune of departement 69",
        12: "position (lon -4.09924, lat 40.8604) is outside France",
        13: "duplicate of row 2 (same FINESS 690001128)",
        14: "structureet line has 7 fields, expected 32",
    }),
    "rpps": (RPPS_2024, dict(created=4, updated=0, unchanged=0, rejected=3), {
        7: "phone '04 72 01'",
        8: "unknown commune: INSEE code 01999",
        9: "duplicate of row 2 (same practitioner and commune, RPPS:10000000017:69383)",
    }),
    "csv": (TEMPLATE, dict(created=3, updated=0, unchanged=0, rejected=3), {
        6: "position (lon -3.5, lat 40.2) is outside France",
        7: "e-mail 'ccas@'",
        8: "duplicate of row 3 (same type, commune and name",
    }),
}


@pytest.fixture(params=sorted(IMPORT_CASES))
def import_case(request):
    """(format, file, expected first-run counts, {row: reason}) for each partner importer."""
    path, counts, reasons = IMPORT_CASES[request.param]
    return request.param, path, counts, reasons
