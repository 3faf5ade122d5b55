"""Fixtures of the partner tests: a fresh database, the real territory, expected errors."""
from __future__ import annotations

import re

import pytest
from partner_files import (DATA, FINESS_2019, FINESS_2024, IMPORT_CASES, RPPS_2024, TEMPLATE,  # noqa: F401
                           ZONES)  # (import test data from partner_files: several test folders have a conftest)


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


@pytest.fixture(params=sorted(IMPORT_CASES))
def import_case(request):
    """(format, file, expected first-run counts, {row: reason}) for each partner importer."""
    path, counts, reasons = IMPORT_CASES[request.param]
    return request.param, path, counts, reasons
