"""One place resolver: what people type -> the sector unit, or ranked candidates and why.

Every input of the application that names a place (the Orientation desk, a list
of referrals, ``secteurs route``, the Partenaires search, the patient import)
goes through :func:`resolve` (free text) or :func:`resolve_fields` (the
``code INSEE`` / ``code postal`` / ``ville`` columns of a file). The same text
gives the same answer everywhere.

Statuses
--------
``found``
    One unit, certain: an INSEE code (current, or an old delegated or
    associated commune), a postal code of one commune, an exact name (accents,
    case, hyphens, St/Ste, S/ and a leading article do not matter), a postal
    code + name, "Lyon 8e" / "Lyon 8" / "69008".
``corrected``
    One unit, not typed as such: a close spelling ("Anecy" is *not* one, see
    below) with no other commune nearly as close, or a short name whose only
    completion is one commune ("Le Puy" -> Le Puy-en-Velay).
``ambiguous``
    Several units fit; :attr:`Resolution.candidates` ranks them with the
    reason of each: a postal code shared by N communes, a 5-digit number that
    is an INSEE code and a postal code of different communes (69290: INSEE
    code of Saint-Priest, postal code of Craponne and three others), Lyon
    without arrondissement (69123, "Lyon"), a name borne by several communes,
    several close spellings ("Anecy": Annecy and Ancy are both one letter
    away), a postal code and a name that do not agree.
``not_found``
    Nothing fits; :attr:`Resolution.reason` says why (outside the territory,
    unknown code, malformed code, unknown name, empty).

A correction is never applied silently when two communes are close: a close
spelling is ``corrected`` only when every other commune is at least two edits
further than the best one (optimal string alignment distance, rapidfuzz).

Reasons are codes (``places.*``) with parameters; their French sentences are
in ``app.messages.places``.

Public names
------------
resolve, resolve_fields, resolve_many
    One free text; the three location fields of a file row; a list (cached
    per distinct text, the same answers as :func:`resolve`).
Resolution, Candidate
    What was found.
Resolver, resolver
    The index over a territory (built once per territory: a view of its
    :class:`geo.territory.Territory`).
FOUND, CORRECTED, AMBIGUOUS, NOT_FOUND, STATUSES
    The statuses.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import re

from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.lookup import (LYON, Gazetteer, _is_missing, gazetteer, name_key_of_normalised, normalize_insee_code,
                        normalize_name, normalize_postal_code)

__all__ = [
    "resolve", "resolve_fields", "resolve_many", "Resolution", "Candidate", "Resolver", "resolver",
    "FOUND", "CORRECTED", "AMBIGUOUS", "NOT_FOUND", "STATUSES", "MAX_CANDIDATES", "MAX_SUGGESTIONS",
]

FOUND, CORRECTED, AMBIGUOUS, NOT_FOUND = "found", "corrected", "ambiguous", "not_found"
STATUSES = (FOUND, CORRECTED, AMBIGUOUS, NOT_FOUND)
#: At most this many close spellings are returned (the most likely first); lists of communes
#: sharing a code or a name are returned whole.
MAX_CANDIDATES = 12
#: At most this many suggestions come with a name that was not found.
MAX_SUGGESTIONS = 5
#: Confidence of each way of finding a unit (a share for ambiguous answers).
_SURE, _FORMER, _SHORT_NAME = 1.0, 0.95, 0.85
#: A short name goes to its most populous completion only when it has this many times the
#: population of all the other completions together.
SHORT_NAME_DOMINANCE = 4

_NUMBER = re.compile(r"(?<![0-9A-Z])(\d{5}|\d{4}|2[AB]\d{3})(?![0-9])", re.IGNORECASE)
_DEPARTMENT_HINT = re.compile(r"\(\s*(\d{2}|2[AB])\s*\)\s*$", re.IGNORECASE)
_LYON_NUMBER = re.compile(r"^LYON (\d+)(?:\D|$)")


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One unit that may be the place meant.

    Attributes
    ----------
    code : str
        Unit code (Lyon's arrondissements are units: 69381-69389).
    name : str
        The unit's name.
    reason : str
        Why it is a candidate (a ``places.*`` code: ``places.insee_code``,
        ``places.postal_code``, ``places.name``, ``places.former_commune``,
        ``places.lyon_arrondissement``, ``places.close_spelling``,
        ``places.short_name``).
    confidence : float
        How likely it is the place meant, 0-1.
    params : dict
        What the reason's message needs (the code typed, the distance...).
    """

    code: str
    name: str
    reason: str
    confidence: float
    params: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Resolution:
    """What :func:`resolve` made of a text.

    Attributes
    ----------
    text : str
        The input as given (fields joined by a space for :func:`resolve_fields`).
    status : str
        One of :data:`STATUSES`.
    reason : str
        A ``places.*`` code: why this answer (the "pourquoi" of the desk).
    params : dict
        The reason's parameters.
    candidates : tuple of Candidate
        Ranked, most likely first: one for found/corrected, several for
        ambiguous, none (or close spellings) for not_found.
    """

    text: str
    status: str
    reason: str
    params: dict = dataclasses.field(default_factory=dict)
    candidates: tuple = ()

    @property
    def code(self) -> str | None:
        """The unit when the status is found or corrected, else None."""
        return self.candidates[0].code if self.status in (FOUND, CORRECTED) else None

    @property
    def codes(self) -> list[str]:
        """Candidate unit codes, ranked."""
        return [c.code for c in self.candidates]

    @property
    def confidence(self) -> float:
        """How sure the answer is: the best candidate's confidence, 0 when nothing was found."""
        return self.candidates[0].confidence if self.candidates and self.status != NOT_FOUND else 0.0

    @property
    def ambiguous(self) -> bool:
        return self.status == AMBIGUOUS

    @property
    def resolved(self) -> bool:
        """True when one unit was chosen (found or corrected)."""
        return self.status in (FOUND, CORRECTED)


class Resolver:
    """The place index of a territory.

    Parameters
    ----------
    g : geo.lookup.Gazetteer
        Units, INSEE codes (old ones included), postal codes, names, populations.
    """

    def __init__(self, g: Gazetteer):
        self.g = g
        # One normalisation per distinct text (a row's name is looked at several ways).
        self._norm = functools.lru_cache(maxsize=1 << 16)(normalize_name)
        self._name: dict[str, str] = {}
        self._population: dict[str, int] = {}
        self._department: dict[str, str] = {}
        self._full: dict[str, dict[str, str]] = {}   # normalised name -> {unit: kind}
        self._key: dict[str, dict[str, str]] = {}    # article-blind key -> {unit: kind}
        for code in g.codes:
            unit = g.unit(code)
            self._name[code] = str(unit["nom"])
            self._population[code] = int(unit["population"])
            self._department[code] = str(unit["departement"])
            self._add(unit["nom"], code, "places.name")
            if unit.get("unit_type") == "ARM" and str(unit.get("commune_insee")) == LYON:
                self._add("Lyon", code, "places.lyon_without_arrondissement")
            for part in filter(None, str(unit.get("anciennes_communes") or "").split("|")):
                _, old_name, *_ = part.split(":")
                self._add(old_name, code, "places.former_commune")
        self._fuzzy_keys = sorted(self._key)
        self._length_windows: dict[tuple[int, int], list[str]] = {}
        by_length: dict[int, list[str]] = {}
        for key in self._fuzzy_keys:
            by_length.setdefault(len(key), []).append(key)
        self._by_length = by_length
        self._norm.cache_clear()  # the names of the index; what people type is cached as it comes

    def _add(self, name, code, kind) -> None:
        for index, key in ((self._full, self._norm(name)), (self._key, self._name_key(name))):
            units = index.setdefault(key, {})
            if units.get(code) != "places.name":  # the current name wins over an old one
                units[code] = kind

    def _name_key(self, text) -> str:
        """:func:`geo.lookup._name_key` on the cached normalisation."""
        return name_key_of_normalised(self._norm(text))

    # -- helpers ------------------------------------------------------------------------------
    def _rank(self, codes) -> list[str]:
        return sorted(dict.fromkeys(codes), key=lambda c: (-self._population.get(c, 0), c))

    def _candidate(self, code, reason, confidence, **params) -> Candidate:
        return Candidate(code, self._name[code], reason, round(float(confidence), 3), params)

    def _one(self, text, status, reason, candidate, **params) -> Resolution:
        return Resolution(text, status, reason, params, (candidate,))

    def _many(self, text, reason, candidates, **params) -> Resolution:
        return Resolution(text, AMBIGUOUS, reason, params, tuple(candidates))

    def _not_found(self, text, reason, suggestions=(), **params) -> Resolution:
        return Resolution(text, NOT_FOUND, reason, params, tuple(suggestions))

    # -- names --------------------------------------------------------------------------------
    def _exact(self, name: str) -> dict[str, str]:
        """Units bearing ``name`` exactly (after normalisation): ``{unit: kind}``, full form first."""
        found = dict(self._full.get(self._norm(name), {}))
        for code, kind in self._key.get(self._name_key(name), {}).items():
            found.setdefault(code, kind)
        return found

    def _close(self, key: str, pool=None, limit: int | None = None) -> list[tuple[int, str]]:
        """``(distance, unit)`` of the names closest to ``key`` (within the allowed distance + 1), best first."""
        limit = _allowed_distance(key) if limit is None else limit
        if limit == 0:
            return []
        if pool is None:
            hits = process.extract(key, self._keys_near_length(len(key), limit + 1), scorer=OSA.distance,
                                   score_cutoff=limit + 1, limit=40)
            pairs = [(d, code) for choice, d, _ in hits for code in self._key[choice]]
        else:
            pairs = []
            for code in pool:
                for choice in self._keys_of(code):
                    d = OSA.distance(key, choice, score_cutoff=limit + 1)
                    if d <= limit + 1:
                        pairs.append((d, code))
        best: dict[str, int] = {}
        for d, code in pairs:
            best[code] = min(d, best.get(code, d))
        return sorted(((d, c) for c, d in best.items()), key=lambda x: (x[0], -self._population[x[1]], x[1]))

    def _keys_near_length(self, length: int, spread: int) -> list[str]:
        """Name keys whose length is within ``spread`` of ``length`` (an edit changes it by one at most)."""
        window = self._length_windows.get((length, spread))
        if window is None:
            window = [k for n in range(length - spread, length + spread + 1) for k in self._by_length.get(n, ())]
            self._length_windows[(length, spread)] = window
        return window

    @functools.cached_property
    def _keys_by_unit(self) -> dict[str, list[str]]:
        keys: dict[str, list[str]] = {}
        for key, units in self._key.items():
            for code in units:
                keys.setdefault(code, []).append(key)
        return keys

    def _keys_of(self, code) -> list[str]:
        return self._keys_by_unit.get(code, [])

    def _by_name(self, text: str, name: str, pool=None, context: dict | None = None) -> Resolution:
        """Resolve a name, among ``pool`` units when given (a postal code's communes)."""
        context = context or {}
        key = self._name_key(name)
        lyon = _LYON_NUMBER.match(key)
        if lyon and not 1 <= int(lyon.group(1)) <= 9:
            return self._not_found(text, "places.unknown_arrondissement", arrondissement=lyon.group(1))
        exact = self._exact(name)
        if pool is not None:
            exact = {c: k for c, k in exact.items() if c in pool}
        if exact:
            return self._from_exact(text, exact, key, context)
        short = self._short_name(text, name) if pool is None else None
        # A short name is also checked against names one edit away, however short it is.
        close = self._close(key, pool, None if short is None else max(1, _allowed_distance(key)))
        if short is not None:
            close = [(d, c) for d, c in close if d <= max(1, _allowed_distance(key))]
        if short is not None and close:
            # "Thiel" may be the start of Thiel-sur-Acolin or a misspelt Thionne: both stay open.
            near = self._from_close(text, close, key, context)
            candidates = list(short.candidates) + [c for c in near.candidates if c.code not in set(short.codes)]
            return self._many(text, "places.short_or_close", candidates, count=len(candidates), typed=name.strip())
        if short is not None:
            return short
        if close:
            return self._from_close(text, close, key, context)
        return self._not_found(text, "places.unknown_name", name=name.strip())

    def _from_exact(self, text, exact: dict[str, str], key: str, context: dict) -> Resolution:
        codes = self._rank(exact)
        if len(codes) == 1:
            code = codes[0]
            kind = exact[code]
            if kind == "places.lyon_without_arrondissement" or (
                    kind == "places.name" and key.startswith("LYON ") and code.startswith("6938")):
                kind = "places.lyon_arrondissement"
            reason = context.get("reason", kind)
            confidence = _FORMER if kind == "places.former_commune" else _SURE
            candidate = self._candidate(code, kind, confidence, **context.get("params", {}))
            return self._one(text, FOUND, reason, candidate, **context.get("params", {}))
        lyon = all(k == "places.lyon_without_arrondissement" for k in exact.values())
        reason = "places.lyon_without_arrondissement" if lyon else "places.name_shared"
        share = 1.0 / len(codes)
        candidates = [self._candidate(c, exact[c], share) for c in codes]
        return self._many(text, reason, candidates, count=len(codes), **context.get("params", {}))

    def _from_close(self, text, close: list[tuple[int, str]], key: str, context: dict) -> Resolution:
        best = close[0][0]
        length = max(len(key), 1)
        candidates = [self._candidate(c, "places.close_spelling", max(0.0, 1 - d / length), distance=d,
                                      typed=key.title())
                      for d, c in close[:MAX_CANDIDATES]]
        rivals = [c for d, c in close[1:] if d <= best + 1]
        if not rivals and best <= _allowed_distance(key):
            reason = context.get("close_reason", "places.close_spelling")
            return Resolution(text, CORRECTED, reason, {"name": candidates[0].name, **context.get("params", {})},
                              (candidates[0],))
        near = [c for c in candidates if c.params["distance"] <= best + 1]
        if best > _allowed_distance(key):
            return self._not_found(text, "places.unknown_name", near[:MAX_SUGGESTIONS], name=key.title())
        return self._many(text, "places.close_spellings", near, count=len(near), **context.get("params", {}))

    def _short_name(self, text, name) -> Resolution | None:
        """A name typed without its end ("Le Puy"): the communes whose name starts with it, as words.

        One completion, or one far more populous than all the others together
        (:data:`SHORT_NAME_DOMINANCE`; "Le Puy" for Le Puy-en-Velay), is a
        correction; several comparable ones are candidates.
        """
        key = self._name_key(name)
        if len(key.replace(" ", "")) < 3:
            return None
        prefix = key + " "
        lo = bisect.bisect_left(self._fuzzy_keys, prefix)
        codes: list[str] = []
        for other in self._fuzzy_keys[lo:]:
            if not other.startswith(prefix):
                break
            codes += [c for c, kind in self._key[other].items() if kind != "places.lyon_without_arrondissement"]
        codes = self._rank(codes)
        if not codes:
            return None
        typed = name.strip()
        others = sum(self._population[c] for c in codes[1:])
        if len(codes) == 1 or self._population[codes[0]] >= SHORT_NAME_DOMINANCE * others:
            return self._one(text, CORRECTED, "places.short_name",
                             self._candidate(codes[0], "places.short_name", _SHORT_NAME, typed=typed),
                             name=self._name[codes[0]], typed=typed, others=len(codes) - 1)
        share = 1.0 / len(codes)
        return self._many(text, "places.short_names", [self._candidate(c, "places.short_name", share, typed=typed)
                                                       for c in codes], count=len(codes), typed=typed)

    # -- numbers ------------------------------------------------------------------------------
    def _number_units(self, number: str, role: str) -> tuple[list[str], list[str]]:
        insee = self.g.by_code(number) if role in ("insee", "either") else []
        postal = self.g.by_postal_code(number) if role in ("postal", "either") and number.isdigit() else []
        return insee, postal

    def _by_number(self, text, number: str, role: str, name: str, department: str | None) -> Resolution:
        insee, postal = self._number_units(number, role)
        if name:
            pool = list(dict.fromkeys(insee + postal))
            if pool:
                params = {"number": number}
                result = self._by_name(text, name, set(pool), {"params": params,
                                                               "reason": "places.code_and_name",
                                                               "close_reason": "places.code_and_close_name"})
                if result.status != NOT_FOUND:
                    return result
                # The name is not among the code's communes: both readings stay open.
                alone = self._by_name(text, name)
                if alone.status == NOT_FOUND:
                    return self._by_number(text, number, role, "", department)
                by_code = self._by_number(text, number, role, "", department)
                candidates = list(alone.candidates) + [c for c in by_code.candidates
                                                       if c.code not in set(alone.codes)]
                return self._many(text, "places.code_name_disagree", candidates, number=number, name=name.strip())
            if _department_of(number) not in self.g.departements:
                return self._not_found(text, "places.outside_territory", number=number)
            # An unknown code of the territory (a CEDEX code): the name, in that department first.
            alone = self._by_name(text, name)
            if alone.status in (AMBIGUOUS, NOT_FOUND) and alone.candidates:
                same = [c for c in alone.candidates if self._department[c.code] == _department_of(number)]
                if len(same) == 1 and alone.status == AMBIGUOUS and alone.reason == "places.name_shared":
                    return self._one(text, FOUND, "places.name_in_department", same[0],
                                     department=_department_of(number))
            return alone
        same = set(insee) == set(postal)
        if insee and postal and not same:
            # Ranked by population, the likeliest reading first (69003: Lyon 3e before Albigny-sur-Saône).
            codes = self._rank(insee + postal)
            total = sum(self._population[c] for c in codes) or 1
            candidates = [self._candidate(c, _insee_reason(number, c) if c in insee else "places.postal_code",
                                          self._population[c] / total, number=number) for c in codes]
            return self._many(text, "places.insee_or_postal", candidates, number=number,
                              insee=len(insee), postal=len(postal))
        if insee:
            if len(insee) == 1:
                reason = _insee_reason(number, insee[0])
                return self._one(text, FOUND, reason, self._candidate(insee[0], reason, _SURE if reason ==
                                                                      "places.insee_code" else _FORMER,
                                                                      number=number), number=number)
            codes = self._rank(insee)
            return self._many(text, "places.lyon_without_arrondissement",
                              [self._candidate(c, "places.insee_code", 1 / len(codes), number=number) for c in codes],
                              number=number, count=len(codes))
        if postal:
            codes = self._rank(postal)
            if len(codes) == 1:
                return self._one(text, FOUND, "places.postal_code",
                                 self._candidate(codes[0], "places.postal_code", _SURE, number=number), number=number)
            total = sum(self._population[c] for c in codes) or 1
            return self._many(text, "places.postal_code_shared",
                              [self._candidate(c, "places.postal_code", self._population[c] / total, number=number)
                               for c in codes], number=number, count=len(codes))
        if _department_of(number) not in self.g.departements:
            return self._not_found(text, "places.outside_territory", number=number)
        return self._not_found(text, {"insee": "places.unknown_insee", "postal": "places.unknown_postal_code"}
                               .get(role, "places.unknown_code"), number=number)

    # -- public -------------------------------------------------------------------------------
    def resolve(self, text) -> Resolution:
        """Resolve one free text (see :func:`resolve`)."""
        raw = "" if _is_missing(text) else str(text).strip()
        if not raw:
            return self._not_found(raw, "places.empty")
        return self._parsed(raw, raw, None, "either")

    def _parsed(self, text: str, raw: str, number: str | None, role: str) -> Resolution:
        """Split ``raw`` into a number (INSEE or postal code), a name and a department hint."""
        department = None
        hint = _DEPARTMENT_HINT.search(raw)
        if hint and not _NUMBER.search(raw):
            department = hint.group(1).upper()
            raw = raw[:hint.start()]
        if number is None:
            found = _NUMBER.search(raw)
            if found:
                number = found.group(1).upper()
                raw = (raw[:found.start()] + " " + raw[found.end():]).replace("()", " ")
                number = number.zfill(5) if number.isdigit() else number
        name = raw if self._norm(raw) else ""
        if number is not None:
            return self._by_number(text, number, role, name, department)
        if not name:
            return self._not_found(text, "places.malformed_code", number=raw.strip())
        result = self._by_name(text, name)
        if department and result.candidates and result.status in (AMBIGUOUS, NOT_FOUND):
            same = [c for c in result.candidates if self._department[c.code] == department]
            if len(same) == 1 and result.reason in ("places.name_shared", "places.short_names"):
                return self._one(text, FOUND, "places.name_in_department", same[0], department=department)
            if len(same) > 1:
                return dataclasses.replace(result, candidates=tuple(same),
                                           params={**result.params, "count": len(same), "department": department})
        return result

    def resolve_fields(self, code_insee=None, postal_code=None, name=None) -> Resolution:
        """Resolve the location columns of a file row (see :func:`resolve_fields`)."""
        given = [_text(code_insee), _text(postal_code), _text(name)]
        text = " ".join(v for v in given if v)
        insee_raw, postal_raw, name_raw = given
        if insee_raw:
            code = normalize_insee_code(insee_raw)
            if code is None:
                if not (postal_raw or name_raw):
                    return self._not_found(text, "places.malformed_insee", number=insee_raw)
            else:
                units = self.g.by_code(code)
                if len(units) == 1:
                    reason = _insee_reason(code, units[0])
                    return self._one(text, FOUND, reason, self._candidate(
                        units[0], reason, _SURE if reason == "places.insee_code" else _FORMER, number=code), number=code)
                if units:  # Lyon: the postal code or the name may give the arrondissement
                    refine = self._parsed(text, name_raw, normalize_postal_code(postal_raw), "postal") \
                        if (postal_raw or name_raw) else None
                    if refine is not None and refine.resolved and refine.code in units:
                        return refine
                    return self._by_number(text, code, "insee", "", None)
                if _department_of(code) not in self.g.departements:
                    return self._not_found(text, "places.outside_territory", number=code)
                if not (postal_raw or name_raw):
                    return self._not_found(text, "places.unknown_insee", number=code)
        if postal_raw:
            postal = normalize_postal_code(postal_raw)
            if postal is None:
                if not name_raw:
                    return self._not_found(text, "places.malformed_postal_code", number=postal_raw)
            else:
                return self._parsed(text, name_raw, postal, "postal")
        if name_raw:
            return self._parsed(text, name_raw, None, "either")
        return self._not_found(text, "places.empty")


def _text(value) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _insee_reason(number: str, code: str) -> str:
    return "places.insee_code" if code == number else "places.former_commune"


def _department_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _allowed_distance(key: str) -> int:
    """Edits a misspelt name may have: none under 4 letters, 1 up to 11, 2 up to 17, then 3."""
    letters = len(key.replace(" ", ""))
    if letters < 4:
        return 0
    return 1 if letters < 12 else 2 if letters < 18 else 3


def resolver(territory=None) -> Resolver:
    """The resolver of a territory, built once per territory (a view of :class:`geo.territory.Territory`).

    Parameters
    ----------
    territory : Territory, path or None
        The territory (default: the process-wide committed one), or its directory.
    """
    from geo.territory import as_territory

    t = as_territory(territory)
    return t.view("resolver", lambda: Resolver(gazetteer(t)))


def resolve(text, *, territory=None, directory=None) -> Resolution:
    """Resolve a place as people type it.

    Parameters
    ----------
    text : str
        A postal code, an INSEE code, a name, a postal code and a name in any
        order ("69290 Craponne", "Craponne (69290)"), "Lyon 8e", "Lyon 8",
        "St Genis les Ollieres", a name with its department ("Saint-Didier (38)").
    territory : geo.territory.Territory, optional
        The territory (the process-wide committed one by default).
    directory : path, optional
        Territory directory, when no ``territory`` is given.

    Returns
    -------
    Resolution

    Examples
    --------
    >>> resolve("69290").status, resolve("69290").codes[:2]
    ('ambiguous', ['69290', '69069'])
    >>> resolve("Lyon 8e").code, resolve("St Genis les Ollieres").code
    ('69388', '69205')
    >>> r = resolve("Anecy"); r.status, r.codes[0]
    ('ambiguous', '74010')
    """
    return resolver(territory or directory).resolve(text)


def resolve_fields(code_insee=None, postal_code=None, name=None, *, territory=None,
                   directory=None) -> Resolution:
    """Resolve the location columns of a row (INSEE code, postal code, town), any of them missing.

    An INSEE code in its own column is read as an INSEE code (a former
    commune's gives today's; Lyon's 69123 is refined by the postal code or the
    name, else ambiguous); a postal code column as a postal code; the town
    column as free text (so a postal code typed there is read as
    :func:`resolve` reads it).
    """
    return resolver(territory or directory).resolve_fields(code_insee, postal_code, name)


def resolve_many(texts, *, territory=None, directory=None) -> list[Resolution]:
    """Resolve a list of free texts: the same answers as :func:`resolve`, each distinct text once."""
    r = resolver(territory or directory)
    cache: dict[str, Resolution] = {}
    out = []
    for text in texts:
        key = "" if _is_missing(text) else str(text)
        if key not in cache:
            cache[key] = r.resolve(text)
        out.append(cache[key])
    return out
