"""French alphabetical order without a locale: accents, case and numbers compared as a reader expects.

``sorted(["Zoé", "Élodie", "Fabrice"])`` puts "Élodie" last (code point order);
:func:`french_key` compares the letters without their accents first ("Élodie"
between "Eddy" and "Fabrice"), then case-insensitively, then as written, and
compares runs of digits as numbers ("Lyon 2e" before "Lyon 10e"). It needs no
system locale and no ICU, so every machine sorts the same way.

Examples
--------
>>> french_sorted(["Zoé", "élodie", "Fabrice", "Eddy", "Lyon 10e", "Lyon 2e"])
['Eddy', 'élodie', 'Fabrice', 'Lyon 2e', 'Lyon 10e', 'Zoé']
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["french_key", "french_sorted", "strip_accents"]

_DIGITS = re.compile(r"(\d+)")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def strip_accents(text: str) -> str:
    """``text`` without diacritics (é -> e, ç -> c, œ -> oe)."""
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _natural(text: str) -> tuple:
    # digits compare as numbers; (0, n) sorts before (1, text) so "2" < "a"
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in _DIGITS.split(text) if part != "")


def french_key(value) -> tuple:
    """Sort key: base letters (no accent, no case), then without case, then exactly as written."""
    text = "" if value is None else str(value)
    return (_natural(strip_accents(text).casefold()), _natural(text.casefold()), text)


def french_sorted(values: Iterable) -> list:
    """``values`` in French alphabetical order (see :func:`french_key`)."""
    return sorted(values, key=french_key)
