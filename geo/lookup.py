"""Finding sector units from what hospital files and users type.

A commune is found by its INSEE code (current or old), its postal code, its
name, or a postal code and a name together. Names are compared after
:func:`normalize_name`, so case, accents, hyphens, apostrophes, "St"/"Ste"
and a leading article do not matter; postal codes after
:func:`normalize_postal_code`, so a leading zero lost by a spreadsheet
(``1000`` for ``01000``) does not matter either.

Public names
------------
normalize_name
    Upper-case ASCII form of a place name used for comparisons.
normalize_postal_code, normalize_insee_code
    Five-character codes, or None when the value is malformed.
Gazetteer
    The look-ups over the territory's units (``by_code``, ``by_postal_code``,
    ``search``, ``match``, ``unit``).
gazetteer
    The gazetteer of a territory (kept by its :class:`geo.territory.Territory`).
LookupResult
    What :meth:`Gazetteer.match` found and how.

Ambiguity rule
--------------
When a location still fits several units (a postal code shared by several
communes and no usable name, "Lyon" without an arrondissement, a name borne by
several communes), :meth:`Gazetteer.match` returns every candidate, the most
populous first, with ``ambiguous=True``; callers that must place the row (the
patient import) take the first one, i.e. **the most populous candidate unit**
(ties broken by the smaller INSEE code), and report the row as ambiguous.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import re
import unicodedata

import pandas as pd

__all__ = [
    "normalize_name", "normalize_postal_code", "normalize_insee_code",
    "Gazetteer", "gazetteer", "LookupResult", "METHODS", "LYON",
]

#: INSEE code of Lyon, which is split into its 9 arrondissements (69381-69389).
LYON = "69123"

#: The ways :meth:`Gazetteer.match` can place a location, most reliable first.
METHODS = ("code_insee", "postal_code+name", "postal_code", "name")

_ARTICLES = frozenset({"LE", "LA", "LES", "L"})
_ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "STS": "SAINTS", "STES": "SAINTES"}
_TRAILING_ARTICLE = re.compile(r"^(.*?)\s*\(\s*(LE|LA|LES|L'?)\s*\)\s*$")
_LYON_ARRONDISSEMENT = re.compile(r"^LYON 0?([1-9]) ?(ER|ERE|E|EME|IEME)?( ARRONDISSEMENT| ARRT?)?$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_EMBEDDED_POSTAL_CODE = re.compile(r"^\s*(?:(\d{5})\s+(\D.*?)|(\D.*?)\s*\(?\s*(\d{5})\s*\)?)\s*$")
#: Minimum similarity for a misspelt name among the communes of one postal code.
FUZZY_CUTOFF = 0.85


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def normalize_name(text) -> str:
    """The comparison form of a place name.

    Upper-case ASCII without accents; hyphens, apostrophes, dots, slashes and
    other punctuation become spaces; ``ST``/``STE`` become ``SAINT``/``SAINTE``
    as whole words; ``S/`` becomes ``SUR``; a trailing ``(LE)`` article moves to
    the front; ``CEDEX`` and what follows it are dropped; spaces are collapsed.
    Leading articles are kept (see :meth:`Gazetteer.match` for article-blind
    matching).

    Parameters
    ----------
    text : str or None
        A commune name as typed.

    Returns
    -------
    str
        The normalised name, ``""`` for a missing value.

    Examples
    --------
    >>> normalize_name("St-Étienne")
    'SAINT ETIENNE'
    >>> normalize_name("L'Abergement-Clémenciat")
    'L ABERGEMENT CLEMENCIAT'
    >>> normalize_name("LYON CEDEX 03")
    'LYON'
    """
    if _is_missing(text):
        return ""
    s = str(text).upper().replace("Œ", "OE").replace("Æ", "AE").replace("ß", "SS")
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = s.replace("’", "'").replace("‘", "'")
    trailing = _TRAILING_ARTICLE.match(s.strip())
    if trailing:
        s = f"{trailing.group(2)} {trailing.group(1)}"
    s = re.sub(r"\bS/", " SUR ", s)
    s = re.sub(r"[^A-Z0-9]+", " ", s)
    words = s.split()
    if "CEDEX" in words:
        words = words[:words.index("CEDEX")]
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def _name_key(text) -> str:
    """Article-blind key: the normalised name without its leading article.

    Lyon's arrondissements in any spelling ("Lyon 3e", "LYON 03", "Lyon 3ème
    arrondissement") become ``LYON 3``.
    """
    return name_key_of_normalised(normalize_name(text))


def name_key_of_normalised(name: str) -> str:
    """:func:`_name_key` of a name already through :func:`normalize_name` (callers that cache it)."""
    lyon = _LYON_ARRONDISSEMENT.match(name)
    if lyon:
        return f"LYON {lyon.group(1)}"
    words = name.split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def _clean_code(value) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    s = re.sub(r"\s+", "", str(value)).upper()
    s = re.sub(r"\.0+$", "", s)
    return s or None


def normalize_postal_code(value) -> str | None:
    """A five-digit postal code, or None when the value is malformed.

    A code of four digits had its leading zero dropped by a spreadsheet and
    gets it back.

    Examples
    --------
    >>> normalize_postal_code("1000"), normalize_postal_code(1000), normalize_postal_code("1000.0")
    ('01000', '01000', '01000')
    >>> normalize_postal_code("690") is None
    True
    """
    s = _clean_code(value)
    if s is None or not s.isdigit() or len(s) not in (4, 5):
        return None
    return s.zfill(5)


def normalize_insee_code(value) -> str | None:
    """A five-character INSEE code (``2A``/``2B`` for Corsica), or None when malformed.

    Examples
    --------
    >>> normalize_insee_code(1001), normalize_insee_code("69123"), normalize_insee_code("2a004")
    ('01001', '69123', '2A004')
    """
    s = _clean_code(value)
    if s is None:
        return None
    if s.isdigit() and len(s) == 4:
        s = s.zfill(5)
    return s if _INSEE.match(s) else None


def _department_of_code(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


@dataclasses.dataclass(frozen=True)
class LookupResult:
    """What :meth:`Gazetteer.match` found.

    Attributes
    ----------
    units : list of str
        Candidate unit codes, most populous first; empty when nothing fits.
    method : str or None
        One of :data:`METHODS`, None when nothing fits.
    ambiguous : bool
        True when several units fit; :attr:`unit` is then the most populous.
    note : str
        Why the location was placed this way, or why it could not be (French,
        shown to users).
    """

    units: list[str]
    method: str | None
    ambiguous: bool = False
    note: str = ""

    @property
    def unit(self) -> str | None:
        """The unit the location is assigned to (the most populous candidate)."""
        return self.units[0] if self.units else None

    @property
    def placed(self) -> bool:
        return bool(self.units)


class Gazetteer:
    """Look-ups over a territory's sector units.

    Parameters
    ----------
    units : DataFrame
        The frame of :func:`geo.territory.load_units` (not modified).

    Examples
    --------
    >>> g = gazetteer()
    >>> g.by_code("69101"), g.by_postal_code("69003")
    (['69114'], ['69383'])
    """

    def __init__(self, units: pd.DataFrame):
        columns = [c for c in units.columns if c != "geometry"]
        table = pd.DataFrame(units[columns]).copy()
        table["code_insee"] = table["code_insee"].astype(str)
        self._rows = {row["code_insee"]: row for row in table.to_dict("records")}
        self._population = {code: int(row["population"]) for code, row in self._rows.items()}
        self.departements = frozenset(str(d) for d in table["departement"])

        self._by_commune: dict[str, list[str]] = {}
        self._old_codes: dict[str, list[str]] = {}
        self._by_postal: dict[str, list[str]] = {}
        self._by_key: dict[str, list[str]] = {}
        self._names: list[tuple[str, str, str]] = []  # (key, unit, label) for search
        for code, row in self._rows.items():
            commune = str(row.get("commune_insee") or code)
            if commune != code:
                self._by_commune.setdefault(commune, []).append(code)
            for cp in filter(None, str(row.get("codes_postaux") or "").split(",")):
                self._by_postal.setdefault(cp.strip(), []).append(code)
            self._add_name(row["nom"], code)
            if row.get("unit_type") == "ARM" and commune == LYON:
                self._add_name("Lyon", code)
            for part in filter(None, str(row.get("anciennes_communes") or "").split("|")):
                old_code, old_name, *_ = part.split(":")
                if old_code != code:
                    self._old_codes.setdefault(old_code, []).append(code)
                self._add_name(old_name, code)

    def _add_name(self, name: str, code: str) -> None:
        for key in {_name_key(name), normalize_name(name)}:
            units = self._by_key.setdefault(key, [])
            if code not in units:
                units.append(code)
                self._names.append((key, code, name))

    def _by_population(self, codes) -> list[str]:
        return sorted(set(codes), key=lambda c: (-self._population.get(c, 0), c))

    def __contains__(self, code) -> bool:
        return code in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def codes(self) -> list[str]:
        """Every unit code, sorted."""
        return sorted(self._rows)

    def unit(self, code: str) -> dict:
        """The unit's fields (nom, departement, population, codes_postaux, epci_nom...).

        Raises
        ------
        KeyError
            When ``code`` is not a unit code.
        """
        try:
            return dict(self._rows[str(code)])
        except KeyError:
            raise KeyError(f"{code!r} is not a sector unit code") from None

    def by_code(self, code) -> list[str]:
        """Units for an INSEE code.

        A current unit code gives itself; an old delegated or associated
        commune gives today's commune; Lyon (69123) gives its 9 arrondissements;
        an unknown or malformed code gives ``[]``.
        """
        code = normalize_insee_code(code)
        if code is None:
            return []
        if code in self._rows:
            return [code]
        if code in self._by_commune:
            return list(self._by_commune[code])
        return list(self._old_codes.get(code, []))

    def by_postal_code(self, postal_code) -> list[str]:
        """Units served by a postal code (sorted by code), ``[]`` when unknown."""
        cp = normalize_postal_code(postal_code)
        return list(self._by_postal.get(cp, [])) if cp else []

    def by_name(self, name, departements=None) -> list[str]:
        """Units whose current or old name equals ``name`` (article-blind), most populous first."""
        key = _name_key(name)
        found = self._by_key.get(key, []) or self._by_key.get(normalize_name(name), [])
        if departements is not None:
            found = [c for c in found if self._rows[c]["departement"] in departements]
        return self._by_population(found)

    def search(self, text, limit: int = 10) -> list[str]:
        """Units matching what a user types, best first.

        Exact names first, then names starting with the text, then names
        containing it as a word prefix; old commune names lead to today's unit;
        digits are matched against postal codes and INSEE codes. Within a group
        the most populous come first.
        """
        if _is_missing(text) or not str(text).strip():
            return []
        raw = re.sub(r"\s+", "", str(text))
        groups: list[list[str]] = [[], [], []]
        if raw.isdigit():
            groups[0] += self.by_code(raw) if len(raw) == 5 else []
            for cp, codes in self._by_postal.items():
                if cp == raw:
                    groups[0] += codes
                elif cp.startswith(raw):
                    groups[1] += codes
            groups[1] += [c for c in self._rows if c.startswith(raw)]
        else:
            keys = {_name_key(text), normalize_name(text)} - {""}
            for key, code, _ in self._names:
                if key in keys:
                    groups[0].append(code)
                elif any(key.startswith(k) for k in keys):
                    groups[1].append(code)
                elif any(f" {k}" in f" {key}" for k in keys):
                    groups[2].append(code)
        result: list[str] = []
        for group in groups:
            for code in self._by_population(group):
                if code not in result:
                    result.append(code)
        return result[:limit]

    # -- placement ---------------------------------------------------------------------------
    def _result(self, codes, method, note="") -> LookupResult:
        codes = self._by_population(codes)
        return LookupResult(codes, method, len(codes) > 1, note)

    def _name_among(self, name, candidates) -> list[str]:
        """Candidates bearing ``name`` (exactly, then approximately)."""
        key = _name_key(name)
        exact = [c for c in self._by_key.get(key, []) + self._by_key.get(normalize_name(name), [])
                 if c in candidates]
        if exact:
            return list(dict.fromkeys(exact))
        if key.startswith("LYON") and LYON in {self._rows[c].get("commune_insee") for c in candidates}:
            return []  # "Lyon 12e" is not an arrondissement: do not guess one by spelling
        scored = []
        for other, code, _ in self._names:
            if code in candidates:
                ratio = difflib.SequenceMatcher(None, key, other).ratio()
                if ratio >= FUZZY_CUTOFF:
                    scored.append((ratio, code))
        if not scored:
            return []
        best = max(r for r, _ in scored)
        return list(dict.fromkeys(c for r, c in scored if r == best))

    def match(self, postal_code=None, name=None, code_insee=None) -> LookupResult:
        """Place one location (a row of a hospital export).

        Rules, in order:

        1. **INSEE code** (current, old, or Lyon refined to an arrondissement
           by postal code or name). An unknown code of a department outside
           the territory is rejected; an unknown or malformed one falls back
           to the postal code and name.
        2. **Postal code + name** among the communes of that postal code
           (article/accents/ST-blind, old commune names included, then a close
           spelling).
        3. **Name** alone when the postal code does not fit it (or is unknown
           in a department of the territory, e.g. a CEDEX code, or missing).
        4. **Postal code** alone.

        Several candidates left: ``ambiguous=True``, most populous first (see
        the module's ambiguity rule). Nothing fits: ``units=[]`` and ``note``
        gives the reason.

        Parameters
        ----------
        postal_code, name, code_insee : str, int or None
            The location as given; any may be missing.

        Returns
        -------
        LookupResult
        """
        if not _clean_code(postal_code) and not _is_missing(name):
            # "69003 LYON" or "Lyon (69003)" typed in the town column.
            embedded = _EMBEDDED_POSTAL_CODE.match(str(name))
            if embedded:
                postal_code = embedded.group(1) or embedded.group(4)
                name = embedded.group(2) or embedded.group(3)
        has_name = bool(normalize_name(name))
        notes: list[str] = []
        given_code = _clean_code(code_insee)
        if given_code:
            code = normalize_insee_code(given_code)
            units = self.by_code(code) if code else []
            if units:
                if len(units) == 1:
                    note = "" if units[0] == code else f"ancienne commune {code} → {units[0]}"
                    return self._result(units, "code_insee", note)
                refined = [u for u in self.by_postal_code(postal_code) if u in units]
                if not refined and has_name:
                    refined = self._name_among(name, units)
                if refined:
                    return self._result(refined, "code_insee", "arrondissement de Lyon par code postal ou nom")
                return self._result(units, "code_insee", "arrondissement de Lyon inconnu")
            if code and _department_of_code(code) not in self.departements:
                return LookupResult([], None, False, f"commune hors territoire (code INSEE {code})")
            notes.append(f"code INSEE {'inconnu' if code else 'mal formé'} ({given_code}) ignoré")
            if not (_clean_code(postal_code) or has_name):
                return LookupResult([], None, False,
                                    f"code INSEE {'inconnu' if code else 'mal formé'} ({given_code})")

        raw_cp = _clean_code(postal_code)
        cp = normalize_postal_code(raw_cp)
        candidates = self._by_postal.get(cp, []) if cp else []
        if raw_cp and cp is None:
            notes.append(f"code postal mal formé ({raw_cp}) ignoré")
        elif cp and not candidates:
            if _department_of_code(cp) not in self.departements:
                return LookupResult([], None, False, f"commune hors territoire (code postal {cp})")
            notes.append(f"code postal inconnu ({cp})")

        if candidates and has_name:
            found = self._name_among(name, candidates)
            if found:
                return self._result(found, "postal_code+name", "; ".join(notes))
            notes.append(f"nom « {name} » absent du code postal {cp}")
        if has_name:
            # A postal code of the territory narrows the name search to its department(s).
            departements = None
            if candidates:
                departements = {self._rows[c]["departement"] for c in candidates}
            elif cp and not candidates:
                departements = {_department_of_code(cp)}
            found = self.by_name(name, departements)
            if found:
                return self._result(found, "name", "; ".join(notes))
        if candidates:
            return self._result(candidates, "postal_code", "; ".join(notes))
        if has_name:
            reason = "commune introuvable"
            if notes:
                reason += f" ({'; '.join(notes)})"
            return LookupResult([], None, False, reason)
        if cp and not candidates:
            return LookupResult([], None, False, f"code postal inconnu ({cp})")
        if raw_cp:
            return LookupResult([], None, False, f"code postal mal formé ({raw_cp})")
        return LookupResult([], None, False, "aucune localisation")


def gazetteer(territory=None) -> Gazetteer:
    """The gazetteer of a territory, built once per territory (a view of :class:`geo.territory.Territory`).

    Parameters
    ----------
    territory : Territory, path or None
        The territory (default: the process-wide committed one), or its directory.
    """
    from geo.territory import as_territory

    t = as_territory(territory)
    return t.view("gazetteer", lambda: Gazetteer(t.units))
