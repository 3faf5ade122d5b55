"""Checks and normalisation of partner fields.

Each ``validate_*``/``normalize_*`` function takes the raw value, returns the
normalised one and raises :class:`ValidationError` with a message naming the
field, the value received and what is allowed. :func:`check_partner` runs all
of them on a :class:`~partners.model.Partner` and collects the findings
instead of stopping at the first.
"""
from __future__ import annotations

import re
import unicodedata

from geo.errors import SecteursError
from partners.model import PARTNER_TYPES, PRECISIONS, Issue, Partner


class ValidationError(SecteursError):
    """A field value that cannot be accepted.

    Attributes
    ----------
    field
        Name of the offending field.
    value
        The value received.
    """

    def __init__(self, field: str, value, message: str, /, *, code: str | None = None, **params):
        if code:
            # the code and its parameters for the French catalogue (``params`` may restate ``field``
            # and ``value``); ``str()`` stays the English line
            super().__init__(code, **{"field": field, "value": value, **params})
            self.args = (message,)
        else:
            super().__init__(message)
        self.field = field
        self.value = value

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# ---------------------------------------------------------------- FINESS, RPPS, ADELI

def luhn_valid(digits: str) -> bool:
    """True when a string of digits passes the Luhn (mod 10) check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def luhn_check_digit(digits: str) -> str:
    """The digit to append to ``digits`` so the result passes the Luhn check."""
    for candidate in "0123456789":
        if luhn_valid(digits + candidate):
            return candidate
    raise AssertionError("unreachable")


#: Corsica's department letters are replaced by digits before the Luhn check
#: (2A -> 21, 2B -> 22), as FINESS does for its check digit.
_CORSICA = {"2A": "21", "2B": "22"}


def finess_digits(value: str) -> str:
    """The 9 digits the FINESS check digit is computed on (Corsica's 2A/2B replaced)."""
    return _CORSICA.get(value[:2], value[:2]) + value[2:]


def validate_finess(value) -> str:
    """Check a FINESS number (establishment or legal entity) and return it.

    Nine characters: two for the department (``2A``/``2B`` for Corsica, ``97``
    or ``9A``-``9F`` overseas), six digits, and a Luhn check digit computed
    with 2A -> 21 and 2B -> 22.

    Parameters
    ----------
    value
        The number; spaces are ignored, an empty value returns ``""``.

    Returns
    -------
    str
        The 9-character number, upper case.

    Raises
    ------
    ValidationError
        Wrong length, characters or check digit.

    Examples
    --------
    >>> validate_finess("01 000 002 4")
    '010000024'
    """
    text = re.sub(r"[\s.]", "", str(value or "")).upper()
    if not text:
        return ""
    if len(text) != 9:
        raise ValidationError("finess", value, f"FINESS {value!r}: expected 9 characters, got {len(text)}",
                              code="partners.finess_length", length=len(text))
    if not re.fullmatch(r"(\d{2}|2A|2B|9[A-F])\d{7}", text):
        raise ValidationError(
            "finess", value,
            f"FINESS {value!r}: expected 9 digits (2A/2B allowed for Corsica in first place)",
            code="partners.finess_chars")
    digits = finess_digits(text)
    if not digits.isdigit():  # overseas 9A-9F: no published check-digit rule, accept the format
        return text
    if not luhn_valid(digits):
        expected = luhn_check_digit(digits[:8])
        raise ValidationError(
            "finess", value,
            f"FINESS {value!r}: wrong check digit {text[-1]} (Luhn key of {text[:8]} is {expected})",
            code="partners.finess_key", digit=text[-1], stem=text[:8], expected=expected)
    return text


def validate_rpps(value) -> str:
    """Check an 11-digit RPPS number (Luhn check digit); ``""`` for an empty value.

    Raises
    ------
    ValidationError
        Not 11 digits, or wrong check digit.
    """
    text = re.sub(r"\s", "", str(value or ""))
    if not text:
        return ""
    if not re.fullmatch(r"\d{11}", text):
        raise ValidationError("rpps", value, f"RPPS {value!r}: expected 11 digits",
                              code="partners.rpps_length")
    if not luhn_valid(text):
        raise ValidationError("rpps", value, f"RPPS {value!r}: wrong check digit (Luhn)",
                              code="partners.rpps_key")
    return text


def validate_adeli(value) -> str:
    """Check a 9-character ADELI number (department, profession, order, key); ``""`` if empty.

    Raises
    ------
    ValidationError
        Not 9 characters of the form ``DDPPNNNNK``.
    """
    text = re.sub(r"\s", "", str(value or "")).upper()
    if not text:
        return ""
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{7}", text):
        raise ValidationError("adeli", value, f"ADELI {value!r}: expected 9 digits (2A/2B allowed for Corsica)",
                              code="partners.adeli")
    return text


# ---------------------------------------------------------------- contact details

def normalize_phone(value) -> str:
    """A French phone number as ``"04 72 11 22 33"``; ``""`` for an empty value.

    Accepts spaces, dots, dashes and parentheses, the ``+33``/``0033`` prefix
    (with or without ``(0)``).

    Raises
    ------
    ValidationError
        Anything that is not ten digits starting with 0 once normalised.

    Examples
    --------
    >>> normalize_phone("+33 (0)4.72.11.22.33")
    '04 72 11 22 33'
    """
    text = str(value or "").strip()
    if not text:
        return ""
    compact = re.sub(r"[\s.\-/]", "", text).replace("(0)", "")
    compact = compact.replace("(", "").replace(")", "")
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    elif compact.startswith("0033"):
        compact = "0" + compact[4:]
    if not re.fullmatch(r"0[1-9]\d{8}", compact):
        raise ValidationError(
            "phone", value,
            f"phone {value!r}: expected a French number of 10 digits starting with 0 "
            "(e.g. 04 72 11 22 33) or +33 followed by 9 digits", code="partners.phone")
    return " ".join(compact[i:i + 2] for i in range(0, 10, 2))


_EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}")


def validate_email(value) -> str:
    """An e-mail address, trimmed and lower-cased; ``""`` for an empty value.

    Raises
    ------
    ValidationError
        Not of the form ``name@domain.tld``.
    """
    text = str(value or "").strip().removeprefix("mailto:")
    if not text:
        return ""
    if not _EMAIL.fullmatch(text) or ".." in text:
        raise ValidationError("email", value, f"e-mail {value!r}: expected an address like nom@domaine.fr",
                              code="partners.email")
    return text.lower()


def validate_website(value) -> str:
    """A web address (``https://`` added when missing); ``""`` for an empty value.

    Raises
    ------
    ValidationError
        No domain name in it.
    """
    text = str(value or "").strip()
    if not text:
        return ""
    if not re.match(r"https?://", text, flags=re.I):
        text = "https://" + text
    if not re.fullmatch(r"https?://[^\s/.]+(\.[^\s/.]+)+(/\S*)?", text, flags=re.I):
        raise ValidationError("website", value, f"website {value!r}: expected an address like https://www.exemple.fr",
                              code="partners.website")
    return text


# ---------------------------------------------------------------- places

def validate_code_insee(value) -> str:
    """Shape of an INSEE commune code (5 characters, 2A/2B, 97x); ``""`` if empty.

    Raises
    ------
    ValidationError
        Not 5 characters of that shape.
    """
    text = str(value or "").strip().upper()
    if not text:
        return ""
    if re.fullmatch(r"\d{4}", text):  # leading zero lost by a spreadsheet
        text = "0" + text
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{3}", text):
        raise ValidationError("code_insee", value, f"INSEE code {value!r}: expected 5 characters such as 69383 or 2A004",
                              code="partners.insee_shape")
    return text


def validate_postal_code(value) -> str:
    """A 5-digit postal code (leading zero restored); ``""`` if empty.

    Raises
    ------
    ValidationError
        Not 4 or 5 digits.
    """
    text = re.sub(r"\s", "", str(value or ""))
    if text.endswith(".0"):
        text = text[:-2]
    if not text:
        return ""
    if re.fullmatch(r"\d{4}", text):
        text = "0" + text
    if not re.fullmatch(r"\d{5}", text):
        raise ValidationError("postal_code", value, f"postal code {value!r}: expected 5 digits",
                              code="partners.postal_shape")
    return text


#: Bounding boxes (lon min, lat min, lon max, lat max) of metropolitan France and overseas departments.
FRANCE_BBOXES: dict[str, tuple[float, float, float, float]] = {
    "France métropolitaine": (-5.3, 41.3, 9.7, 51.2),
    "Guadeloupe": (-61.9, 15.8, -60.9, 16.6),
    "Martinique": (-61.3, 14.3, -60.8, 14.9),
    "Guyane": (-54.7, 2.1, -51.5, 5.8),
    "La Réunion": (55.2, -21.4, 55.9, -20.8),
    "Mayotte": (44.9, -13.1, 45.4, -12.6),
    "Saint-Pierre-et-Miquelon": (-56.5, 46.7, -56.1, 47.2),
}


def validate_position(lon, lat) -> tuple[float | None, float | None]:
    """Check a WGS84 position lies in France (metropolitan or overseas).

    Parameters
    ----------
    lon, lat
        Degrees; both empty means "no position".

    Returns
    -------
    tuple
        ``(lon, lat)`` as floats, or ``(None, None)``.

    Raises
    ------
    ValidationError
        Only one of them given, not numbers, or outside every French bounding box
        (swapped longitude/latitude are named as such).
    """
    empty = [v is None or (isinstance(v, str) and not v.strip()) or v != v for v in (lon, lat)]
    if all(empty):
        return None, None
    if any(empty):
        raise ValidationError("lon", (lon, lat), f"position ({lon}, {lat}): give both longitude and latitude, or neither",
                              code="partners.position_half", lon=lon, lat=lat)
    try:
        x = float(str(lon).replace(",", "."))
        y = float(str(lat).replace(",", "."))
    except ValueError:
        raise ValidationError("lon", (lon, lat), f"position ({lon}, {lat}): longitude and latitude must be numbers",
                              code="partners.position_not_numbers", lon=lon, lat=lat) from None
    if _in_france(x, y):
        return round(x, 6), round(y, 6)
    hint = " (longitude and latitude look swapped)" if _in_france(y, x) else ""
    raise ValidationError(
        "lon", (lon, lat),
        f"position (lon {x:g}, lat {y:g}) is outside France{hint}; "
        "expected WGS84 degrees, e.g. lon 4.85, lat 45.75 for Lyon",
        code="partners.position_outside_france", lon=x, lat=y, swapped=bool(hint))


def _in_france(x: float, y: float) -> bool:
    return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in FRANCE_BBOXES.values())


# ---------------------------------------------------------------- names

def normalize_name(text) -> str:
    """Name folded for duplicate detection: no accents, lower case, words separated by one space.

    Examples
    --------
    >>> normalize_name("  CCAS de  Saint-Étienne ")
    'ccas de saint etienne'
    """
    folded = unicodedata.normalize("NFKD", str(text or ""))
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    folded = re.sub(r"[^a-z0-9]+", " ", folded).strip()
    return re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", folded))


# ---------------------------------------------------------------- whole partner

def check_type(value) -> str:
    """A known partner type (upper-cased).

    Raises
    ------
    ValidationError
        Unknown type; the message lists the known ones.
    """
    text = str(value or "").strip().upper()
    if text not in PARTNER_TYPES:
        raise ValidationError("type", value,
                              f"type {value!r}: unknown; expected one of {', '.join(PARTNER_TYPES)}",
                              code="partners.unknown_type", known=list(PARTNER_TYPES))
    return text


def check_partner(partner: Partner) -> tuple[Partner, list[Issue]]:
    """Normalise every field of a partner and collect the problems.

    Parameters
    ----------
    partner
        A partner as read from a file or typed in.

    Returns
    -------
    tuple
        The normalised partner (fields that failed are left as received) and
        the list of :class:`~partners.model.Issue` (errors and warnings).

    Examples
    --------
    >>> p, issues = check_partner(Partner(type="ccas", name="CCAS", phone="0472112233"))
    >>> p.type, p.phone, issues
    ('CCAS', '04 72 11 22 33', [])
    """
    issues: list[Issue] = []
    changes: dict = {}

    def run(field_name, func, *args):
        try:
            return func(*args)
        except ValidationError as exc:
            issues.append(Issue("error", exc.field, str(exc), exc.code or "", dict(exc.params)))
            return None

    for name, func in (("type", check_type), ("finess", validate_finess), ("rpps", validate_rpps),
                       ("adeli", validate_adeli), ("phone", normalize_phone), ("email", validate_email),
                       ("website", validate_website), ("code_insee", validate_code_insee),
                       ("postal_code", validate_postal_code)):
        value = run(name, func, getattr(partner, name))
        if value is not None:
            changes[name] = value
    position = run("lon", validate_position, partner.lon, partner.lat)
    if position is not None:
        changes["lon"], changes["lat"] = position
    name = " ".join(str(partner.name or "").split())
    if not name:
        issues.append(Issue("error", "name", "name: empty; every partner needs a name", "partners.name_empty", {}))
    changes["name"] = name
    if partner.precision and partner.precision not in PRECISIONS:
        issues.append(Issue("error", "precision",
                            f"precision {partner.precision!r}: expected one of {', '.join(PRECISIONS)}",
                            "partners.precision", {"value": partner.precision, "known": list(PRECISIONS)}))
    return partner.replace(**changes), issues
