"""Routing referrals: where a patient lives -> unit -> sector -> referent social worker and group.

The hub position receives a referral (a commune or a postal code and a town)
and must pass it to the right referent, together with the local partners. A
:class:`Routing` holds what that needs, computed once: the sector plan (unit
-> sector), who holds each sector (referent, group) and, for every unit, the
nearest partner of each type. Routing a row is then a dictionary look-up, so a
list of several thousand referrals takes well under a second once read.

Nothing here is stored: a routed list is returned to the caller, who writes it
where the user asked (``secteurs route --out``) or offers it for download.

Public names
------------
Routing
    Plan, people and nearest partners; :meth:`Routing.route` for one referral,
    :meth:`Routing.unit` for one unit.
Referral
    One routed referral (unit, sector, referent, group, or why not).
route_file, RoutedBatch
    Route every row of a CSV/XLSX list, read exactly as the patient import
    reads hospital exports (:func:`geo.patients.read_table`,
    :func:`geo.patients.place_rows`): the user's columns as uploaded plus
    :func:`added_columns`; the rows that could not be placed with reasons.
read_plan_people
    A plan file ``code_insee,sector`` with optional ``referent`` and
    ``groupe`` columns.
nearest_partners
    The nearest partner of each type for every unit, from the directory
    (CPTS and HAD whose zone covers the unit first).
summary_text
    The plain-text summary of one referral the hub copies into a message.
suggest, unit_label
    Units for what a user types (name, postal code, INSEE code or
    "69003 Lyon"), and how to show one in a list.

Who holds a sector
------------------
Plans proposed from a workers table name each sector after its worker, so the
**referent is the sector's name** unless the plan file has a ``referent``
column. The **group** comes from a ``groupe`` (or ``group``) column of the
plan file, else from a workers table (:class:`geo.sectors.team.Team`) whose
names match the referents or the sectors, else it is left empty.
"""
from __future__ import annotations

import dataclasses
import io
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from geo.lookup import LookupResult, gazetteer
from geo.patients import LOCATION_ROLES, cell_text, place_rows, read_table

__all__ = [
    "Routing", "Referral", "RoutedBatch", "route_file", "read_plan_people", "nearest_partners",
    "summary_text", "added_columns", "suggest", "unit_label", "BASE_COLUMNS", "DEFAULT_TYPES",
]

#: Columns added to every routed row before the partners' (then ``remarque`` last).
BASE_COLUMNS = ("code_insee", "sector", "referent", "groupe")
#: Partner types routed by default (the directory's types; ``AUTRE`` is left out).
DEFAULT_TYPES = ("CPTS", "HAD", "ERC", "PSY", "DAC", "SSIAD", "CCAS")
#: Why a row placed in a unit still cannot be routed.
NOT_IN_PLAN = "commune absente du plan de secteurs"
#: Suffix given to a user's column whose name is one of the added columns.
USER_SUFFIX = " (fichier)"

_PLAN_REFERENT = ("referent", "referente", "referent(e)", "assistante sociale", "assistant social", "as", "nom")
_PLAN_GROUP = ("groupe", "group", "equipe", "team")


def added_columns(types=DEFAULT_TYPES) -> list[str]:
    """Columns a routed row gets: ``code_insee, sector, referent, groupe``, ``<type>, <type>_km``..., ``remarque``.

    Examples
    --------
    >>> added_columns(["HAD", "CPTS"])
    ['code_insee', 'sector', 'referent', 'groupe', 'had', 'had_km', 'cpts', 'cpts_km', 'remarque']
    """
    columns = list(BASE_COLUMNS)
    for type_ in types:
        columns += [type_.lower(), f"{type_.lower()}_km"]
    return columns + ["remarque"]


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(text.strip().lower().replace("_", " ").split())


# -- who holds a sector ---------------------------------------------------------------------------
def read_plan_people(path) -> pd.DataFrame:
    """Read a plan file: ``code_insee, sector`` and, when the file has them, ``referent`` and ``groupe``.

    Parameters
    ----------
    path : str or path
        CSV with a header ``code_insee,sector`` (``secteur`` accepted; ``,``
        or ``;``; ``#`` comment lines), optionally ``referent`` (or
        ``référente``, ``nom``) and ``groupe`` (or ``group``, ``équipe``).

    Returns
    -------
    DataFrame
        ``code_insee``, ``sector`` and the optional columns found, as text.

    Raises
    ------
    geo.sectors.problem.SectorError
        Missing ``code_insee`` or ``sector`` column.
    """
    from geo.sectors.io import read_plan

    frame = read_plan(path)
    raw = pd.read_csv(Path(path), comment="#", dtype=str, sep=None, engine="python")
    by_key = {_key(c): c for c in raw.columns}
    for role, aliases in (("referent", _PLAN_REFERENT), ("groupe", _PLAN_GROUP)):
        column = next((by_key[a] for a in aliases if a in by_key), None)
        if column is not None:
            frame[role] = raw[column].fillna("").str.strip().to_numpy()
    return frame


def _first_nonempty(frame: pd.DataFrame, column: str) -> dict[str, str]:
    if column not in frame.columns:
        return {}
    values = frame[["sector", column]].fillna("")
    values = values[values[column].astype(str).str.strip() != ""]
    return dict(values.drop_duplicates("sector").itertuples(index=False))


# -- nearest partners per unit ----------------------------------------------------------------------
def nearest_partners(conn, types=DEFAULT_TYPES, places=None) -> dict[str, dict[str, tuple[str, float]]]:
    """The nearest partner of each type for every unit: ``{type: {code_insee: (name, km)}}``.

    One batch k-d tree query per type (:func:`partners.nearest_for_units`).
    For the zone types (CPTS, HAD) a partner whose zone covers the unit is
    preferred to a nearer one that does not (the nearest covering one when
    several do), as :func:`partners.local_services` lists them.

    Parameters
    ----------
    conn : sqlite3.Connection
        The database holding the partner directory.
    types : sequence of str
        Partner types (:data:`partners.PARTNER_TYPES` keys).
    places : partners.Places, optional
        The territory (the committed one by default).

    Returns
    -------
    dict
        Distances are straight lines from the unit's reference point, in km.
    """
    import partners
    from partners.model import ZONE_TYPES
    from partners.places import default_places, to_lambert93

    places = places or default_places()
    result: dict[str, dict[str, tuple[str, float]]] = {}
    for type_ in types:
        frame = partners.nearest_for_units(conn, type_, k=1, places=places)
        best = {code: (str(name), float(km)) for code, name, km in
                frame[["code_insee", "name", "distance_km"]].itertuples(index=False)}
        if type_ in ZONE_TYPES:
            zones = partners.zone_memberships(conn, types=[type_]).dropna(subset=["lon", "lat"])
            rows = [r for r in zones[["code_insee", "name", "lon", "lat"]].itertuples(index=False, name=None)
                    if r[0] in places.index]
            if rows:
                xy = to_lambert93(np.array([[r[2], r[3]] for r in rows], dtype=float))
                origin = places.reference_xy[[places.index[r[0]] for r in rows]]
                km = np.round(np.hypot(*(xy - origin).T) / 1000.0, 2)
                covering: dict[str, tuple[str, float]] = {}
                for (code, name, _, _), d in zip(rows, km):
                    if code not in covering or d < covering[code][1]:
                        covering[code] = (str(name), float(d))
                best.update(covering)
        result[type_] = best
    return result


# -- one referral -----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Referral:
    """One referral routed.

    Attributes
    ----------
    lookup : LookupResult
        How the location was placed (candidates, method, note).
    code_insee : str
        The unit ("" when the location could not be placed).
    sector, referent, groupe : str
        "" when the unit is not in the plan (then ``reason`` says so).
    partners : dict
        ``{type: (name, km)}``, the nearest partner of each routed type.
    reason : str
        Why the referral could not be routed ("" when it was).
    """

    lookup: LookupResult
    code_insee: str = ""
    commune: str = ""
    sector: str = ""
    referent: str = ""
    groupe: str = ""
    partners: dict = dataclasses.field(default_factory=dict)
    reason: str = ""

    @property
    def routed(self) -> bool:
        return not self.reason

    @property
    def remark(self) -> str:
        """The note shown with the row: the reason, or how an ambiguous/old location was placed."""
        if self.reason:
            return self.reason
        note = self.lookup.note
        if self.lookup.ambiguous:
            candidates = len(self.lookup.units)
            note = "; ".join(filter(None, [f"ambigu : {candidates} communes possibles, la plus peuplée retenue",
                                           note]))
        return note


@dataclasses.dataclass
class Routing:
    """Everything a referral is routed with.

    Attributes
    ----------
    sectors : dict
        ``{code_insee: sector}``.
    referents, groups : dict
        ``{sector: referent}``, ``{sector: groupe}`` (a sector absent from
        ``referents`` is its own referent).
    partners : dict
        ``{type: {code_insee: (name, km)}}`` (:func:`nearest_partners`).
    types : tuple of str
        Partner types routed, in column order.
    warnings : list of str
        What the plan or the people table lacked (French).

    Examples
    --------
    >>> plan = pd.DataFrame({"code_insee": ["69383"], "sector": ["Alice"]})
    >>> routing = Routing.from_plan(plan, types=())
    >>> r = routing.route(postal_code="69003", name="Lyon")
    >>> r.code_insee, r.sector, r.referent
    ('69383', 'Alice', 'Alice')
    """

    sectors: dict[str, str]
    referents: dict[str, str] = dataclasses.field(default_factory=dict)
    groups: dict[str, str] = dataclasses.field(default_factory=dict)
    partners: dict[str, dict[str, tuple[str, float]]] = dataclasses.field(default_factory=dict)
    types: tuple[str, ...] = DEFAULT_TYPES
    warnings: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def from_plan(cls, plan: pd.DataFrame, team=None, partners=None, types=DEFAULT_TYPES) -> "Routing":
        """A routing from a plan table and, optionally, a workers table and the nearest partners.

        Parameters
        ----------
        plan : DataFrame
            ``code_insee, sector`` and optional ``referent``, ``groupe`` (see
            :func:`read_plan_people`).
        team : geo.sectors.team.Team, optional
            Gives the group of each referent (or sector) by name.
        partners : dict, optional
            :func:`nearest_partners` output; without it no partner is routed.
        types : sequence of str
            Partner types (column order).

        Raises
        ------
        ValueError
            The plan lacks ``code_insee`` or ``sector``, or gives one unit two sectors.
        """
        missing = [c for c in ("code_insee", "sector") if c not in plan.columns]
        if missing:
            raise ValueError(f"plan: missing column(s) {missing}; got {list(plan.columns)}")
        frame = plan.copy()
        frame["code_insee"] = frame["code_insee"].astype(str).str.strip().str.zfill(5)
        frame["sector"] = frame["sector"].fillna("").astype(str).str.strip()
        frame = frame[frame["sector"] != ""]
        clash = frame.drop_duplicates(["code_insee", "sector"])["code_insee"].duplicated()
        if clash.any():
            codes = frame.drop_duplicates(["code_insee", "sector"]).loc[clash, "code_insee"]
            raise ValueError(f"plan: {int(clash.sum())} unit(s) have two sectors: {', '.join(codes.head(10))}")
        sectors = dict(zip(frame["code_insee"], frame["sector"]))
        referents = _first_nonempty(frame, "referent")
        groups = _first_nonempty(frame, "groupe")
        warnings: list[str] = []
        g = gazetteer()
        unknown = [c for c in sectors if c not in g]
        if unknown:
            warnings.append(f"{len(unknown)} code(s) du plan ne sont pas des communes du territoire "
                            f"({', '.join(unknown[:5])}{'…' if len(unknown) > 5 else ''})")
        uncovered = len(g) - (len(sectors) - len(unknown))
        if uncovered > 0:
            warnings.append(f"{uncovered} commune(s) du territoire n'ont pas de secteur dans le plan")
        if team is not None and team.groups is not None:
            by_name = dict(zip(team.names, team.groups))
            for sector in sorted(set(sectors.values())):
                if sector in groups:
                    continue
                referent = referents.get(sector, sector)
                group = by_name.get(referent, by_name.get(sector))
                if group:
                    groups[sector] = group
            orphans = sorted(set(sectors.values()) - set(groups))
            if orphans:
                warnings.append(f"secteur(s) sans groupe dans la liste des référents : {', '.join(orphans[:10])}")
        partners = partners or {}
        types = tuple(t for t in types)
        return cls(sectors, referents, groups, partners, types, warnings)

    def unit(self, code: str, lookup: LookupResult | None = None) -> Referral:
        """Route a known unit code."""
        lookup = lookup or LookupResult([code], "code_insee")
        g = gazetteer()
        name = str(g.unit(code)["nom"]) if code in g else ""
        sector = self.sectors.get(code, "")
        found = {t: self.partners[t][code] for t in self.types if code in self.partners.get(t, {})}
        if not sector:
            return Referral(lookup, code, name, partners=found, reason=NOT_IN_PLAN)
        return Referral(lookup, code, name, sector, self.referents.get(sector, sector), self.groups.get(sector, ""),
                        found)

    def route(self, postal_code=None, name=None, code_insee=None) -> Referral:
        """Route one referral given as the hub receives it (any of the three may be missing)."""
        return self._route(gazetteer().match(postal_code=postal_code, name=name, code_insee=code_insee))

    def _route(self, lookup: LookupResult) -> Referral:
        if not lookup.placed:
            return Referral(lookup, reason=lookup.note or "commune introuvable")
        return self.unit(lookup.unit, lookup)

    def values(self, referral: Referral) -> list:
        """The :func:`added_columns` values of a routed referral (partners' names and km)."""
        values = [referral.code_insee, referral.sector, referral.referent, referral.groupe]
        for type_ in self.types:
            name, km = referral.partners.get(type_, ("", np.nan))
            values += [name, km]
        return values + [referral.remark]


# -- a list of referrals --------------------------------------------------------------------------
@dataclasses.dataclass
class RoutedBatch:
    """A routed list.

    Attributes
    ----------
    frame : DataFrame
        Every non-blank row in file order: the user's columns (as text, as
        uploaded; a column named like an added one gets :data:`USER_SUFFIX`)
        then :func:`added_columns` (empty for the rows not routed).
    unplaced : DataFrame
        ``row`` (line of the file), ``reason`` and the location fields given,
        nothing else.
    summary : dict
        ``rows``, ``routed``, ``ambiguous``, ``unplaced``, ``blank_rows``,
        ``reasons``, the columns recognised and how the file was read.
    """

    frame: pd.DataFrame
    unplaced: pd.DataFrame
    summary: dict

    @property
    def km_columns(self) -> list[str]:
        return [c for c in self.frame.columns[-len(self.summary["added"]):] if c.endswith("_km")]

    def to_csv_bytes(self, delimiter: str | None = None) -> bytes:
        """CSV in UTF-8 with BOM (Excel opens it); the file's own delimiter by default, decimal comma with ``;``."""
        delimiter = delimiter or self.summary.get("delimiter") or ";"
        decimal = "," if delimiter != "," else "."
        text = self.frame.to_csv(index=False, sep=delimiter, decimal=decimal, lineterminator="\n")
        return ("\ufeff" + text).encode("utf-8")

    def to_xlsx_bytes(self) -> bytes:
        """An XLSX workbook: the routed rows, then a sheet of the rows not placed."""
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            self.frame.to_excel(writer, sheet_name="orientation", index=False)
            self.unplaced.to_excel(writer, sheet_name="non placées", index=False)
        return buffer.getvalue()

    def write(self, path) -> Path:
        """Write the routed rows: XLSX for ``.xlsx``, else CSV (:meth:`to_csv_bytes`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_xlsx_bytes() if path.suffix.lower() in (".xlsx", ".xlsm") else self.to_csv_bytes()
        path.write_bytes(data)
        return path

    def report(self, examples: int = 20) -> str:
        """A French text report: totals, then the rows not placed with their reasons."""
        s = self.summary
        lines = [f"Lignes : {s['rows']} ; orientées : {s['routed']} (dont ambiguës : {s['ambiguous']}) ; "
                 f"non placées : {s['unplaced']}"]
        for row in self.unplaced.head(examples).itertuples(index=False):
            fields = " ".join(str(getattr(row, c)) for c in LOCATION_ROLES
                              if c in self.unplaced.columns and str(getattr(row, c)))
            lines.append(f"  ligne {row.row} : {row.reason}" + (f" ({fields})" if fields else ""))
        if len(self.unplaced) > examples:
            lines.append(f"  ... et {len(self.unplaced) - examples} autres")
        return "\n".join(lines)


ProgressCallback = Callable[[int], None]


def route_file(source, routing: Routing, filename: str | None = None, *,
               progress: ProgressCallback | None = None) -> RoutedBatch:
    """Route every row of a list of referrals (CSV or XLSX, read as the patient import reads exports).

    Parameters
    ----------
    source : str, path or file-like
        The list; it needs a location column (code INSEE, code postal, ville...).
    routing : Routing
    filename : str, optional
        The file's name when ``source`` is file-like.
    progress : callable, optional
        Called with the number of rows processed every 10,000 rows and at the end.

    Returns
    -------
    RoutedBatch

    Raises
    ------
    geo.patients.PatientFileError
        Empty or unreadable file, no location column.
    """
    table = read_table(source, filename)
    header = [cell_text(h) for h in table.header]
    location = [role for role in LOCATION_ROLES if role in table.columns]
    g = gazetteer()
    rows: list[list] = []
    unplaced: list[dict] = []
    reasons: Counter = Counter()
    width = len(header)
    blank = ambiguous = 0
    cache: dict[int, Referral] = {}
    for number, cells, given, lookup in place_rows(table, g):
        if given is None:
            blank += 1
            continue
        referral = cache.get(id(lookup))
        if referral is None:
            referral = cache[id(lookup)] = routing._route(lookup)
        texts = [cell_text(c) for c in cells]
        width = max(width, len(texts))
        rows.append((texts, routing.values(referral)))
        if not referral.routed:
            unplaced.append({"row": number, "reason": referral.reason, **given})
            reasons[referral.reason.split(" (")[0]] += 1
        elif lookup.ambiguous:
            ambiguous += 1
        if progress and len(rows) % 10_000 == 0:
            progress(len(rows))
    if progress:
        progress(len(rows))

    added = added_columns(routing.types)
    user = [name or f"colonne {i + 1}" for i, name in enumerate(header + [""] * (width - len(header)))]
    user = [f"{name}{USER_SUFFIX}" if name in added else name for name in user]
    user_frame = pd.DataFrame([t + [""] * (width - len(t)) for t, _ in rows], columns=range(width), dtype=object)
    added_frame = pd.DataFrame([v for _, v in rows], columns=added)
    for column in added:
        if column.endswith("_km"):
            added_frame[column] = pd.to_numeric(added_frame[column], errors="coerce").astype(float)
    frame = pd.concat([user_frame, added_frame], axis=1)
    frame.columns = user + added
    unplaced_frame = pd.DataFrame(unplaced, columns=["row", "reason", *location])
    summary = {
        "rows": len(rows), "routed": len(rows) - len(unplaced), "ambiguous": ambiguous,
        "unplaced": len(unplaced), "blank_rows": blank, "reasons": dict(reasons.most_common()),
        "header_row": table.header_row,
        "columns": {role: header[index] for role, index in sorted(table.columns.items(), key=lambda x: x[1])
                    if role in LOCATION_ROLES},
        "added": added,
        **table.info,
    }
    return RoutedBatch(frame, unplaced_frame, summary)


# -- what a user types -----------------------------------------------------------------------------
def suggest(text, limit: int = 10) -> list[str]:
    """Units matching what a user types, best first.

    A name (case, accents, hyphens, "ST"/"STE", old commune names do not
    matter), a postal code or its beginning, an INSEE code, or a postal code
    and a name together ("69003 Lyon", "Lyon (69003)").

    Examples
    --------
    >>> suggest("ste foy les lyon")[:1], suggest("69003 lyon")
    (['69202'], ['69383'])
    """
    g = gazetteer()
    found = g.search(text, limit)
    if found or not str(text or "").strip():
        return found
    return g.match(name=str(text)).units[:limit]


def unit_label(code: str) -> str:
    """``"Lyon 3e Arrondissement (69003) — 69"``: name, postal code(s), department."""
    g = gazetteer()
    if code not in g:
        return str(code)
    unit = g.unit(code)
    postal = [c.strip() for c in str(unit.get("codes_postaux") or "").split(",") if c.strip()]
    shown = ", ".join(postal[:2]) + ("…" if len(postal) > 2 else "")
    return f"{unit['nom']} ({shown or code}) — {unit['departement']}"


# -- the summary the hub copies ---------------------------------------------------------------------
def summary_text(referral: Referral, services: pd.DataFrame | None = None, type_labels: dict | None = None) -> str:
    """The plain-text summary of one referral (French), to paste into a message or a file.

    Parameters
    ----------
    referral : Referral
    services : DataFrame, optional
        :func:`partners.local_services` rows (``type, name, distance_km,
        covers, phone, email``...); without it the routed nearest partners.
    type_labels : dict, optional
        French label of each type (``partners.PARTNER_TYPES``).

    Returns
    -------
    str
    """
    labels = type_labels or {}
    if not referral.code_insee:
        return f"Orientation impossible : {referral.reason}"
    lines = [f"Commune : {referral.commune} ({referral.code_insee})"]
    if referral.lookup.ambiguous or referral.lookup.note:
        lines.append(f"Remarque : {referral.remark}")
    if referral.routed:
        lines.append(f"Secteur : {referral.sector}")
        lines.append(f"Référent·e : {referral.referent}")
        if referral.groupe:
            lines.append(f"Groupe : {referral.groupe}")
    else:
        lines.append(f"Secteur : aucun ({referral.reason})")
    if services is not None and len(services):
        lines.append("Partenaires :")
        for type_, group in services.groupby("type", sort=False):
            lines.append(f"  {labels.get(type_, type_)} ({type_}) :")
            for row in group.to_dict("records"):
                extra = []
                if row.get("covers") is True:
                    extra.append("zone couvrant la commune")
                for field in ("phone", "email"):
                    if row.get(field):
                        extra.append(str(row[field]))
                km = _km(row.get("distance_km"))
                lines.append(f"    - {row['name']} — {km}" + (f" — {' ; '.join(extra)}" if extra else ""))
    elif referral.partners:
        lines.append("Partenaires les plus proches :")
        for type_, (name, km) in referral.partners.items():
            lines.append(f"  {labels.get(type_, type_)} ({type_}) : {name} — {_km(km)}")
    return "\n".join(lines)


def _km(value) -> str:
    try:
        return f"{float(value):.1f} km".replace(".", ",")
    except (TypeError, ValueError):
        return ""
