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
    (CPTS and HAD whose zone covers the unit first), optionally filtered
    (:class:`services.partner_filter.PartnerFilter`: labels, psychologists
    of the psycho-oncology network only).
summary_text
    The plain-text summary of one referral the hub copies into a message.
suggest, unit_label
    Units for what a user types (name, postal code, INSEE code or
    "69003 Lyon"), and how to show one in a list.

Places
------
Every place, typed at the desk or read from a list, goes through
:mod:`geo.resolver`, so the same text gets the same answer in both. A row
whose place is **ambiguous** is never routed to a guessed commune: it gets its
candidates, and a sector only when all of them lie in the same sector (the
referent is then certain even though the commune is not).

Messages
--------
Reasons and statuses are codes (``places.*``, ``routing.*``); the French
sentences are in ``app.messages``. :class:`Routing` turns them into text with
its ``explain`` function (``app.messages.render_code`` in the app and the CLI;
without it the codes themselves are written).

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
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from geo.access import require_acting
from geo.lookup import gazetteer
from geo.reading import write_bytes
from geo.safe_export import safe_frame
from geo.patients import LOCATION_ROLES, cell_text, place_rows, read_table
from geo.resolver import AMBIGUOUS, Resolution, resolve, resolve_fields
from geo.territory import Territory
from services.partner_filter import NO_FILTER, PartnerFilter

__all__ = [
    "Routing", "Referral", "RoutedBatch", "route_file", "read_plan_people", "nearest_partners",
    "summary_text", "added_columns", "suggest", "unit_label", "BASE_COLUMNS", "DEFAULT_TYPES",
    "NOT_IN_PLAN", "AMBIGUOUS_SECTORS", "SAME_SECTOR", "plain_explain",
]

#: Columns added to every routed row before the partners' (then ``remarque`` last).
BASE_COLUMNS = ("code_insee", "sector", "referent", "groupe")
#: Partner types routed by default (the directory's types; ``AUTRE`` is left out).
DEFAULT_TYPES = ("CPTS", "HAD", "ERC", "PSY", "DAC", "SSIAD", "CCAS")
#: Why a row placed in a unit still cannot be routed (a code of ``app.messages.routing``).
NOT_IN_PLAN = "routing.not_in_plan"
#: Why an ambiguous row is not routed: its candidates lie in different sectors.
AMBIGUOUS_SECTORS = "routing.ambiguous_sectors"
#: The remark of an ambiguous row whose candidates all lie in one sector.
SAME_SECTOR = "routing.same_sector"

Explain = Callable[[str, dict], str]


def plain_explain(code: str, params: dict) -> str:
    """The default ``explain``: the code and its parameters as they are (no catalogue in this layer)."""
    return code + (f" {params}" if params else "")
#: Suffix given to a user's column whose name is one of the added columns.
USER_SUFFIX = " (fichier)"

_PLAN_REFERENT = ("referent", "referente", "referent(e)", "assistante sociale", "assistant social", "as", "nom")
_PLAN_GROUP = ("groupe", "group", "equipe", "team")


def added_columns(types=DEFAULT_TYPES) -> list[str]:
    """Columns a routed row gets: ``statut``, ``code_insee, sector, referent, groupe``, ``<type>, <type>_km``...,
    ``candidats``, ``remarque``.

    Examples
    --------
    >>> added_columns(["HAD", "CPTS"])
    ['statut', 'code_insee', 'sector', 'referent', 'groupe', 'had', 'had_km', 'cpts', 'cpts_km', 'candidats', 'remarque']
    """
    columns = ["statut", *BASE_COLUMNS]
    for type_ in types:
        columns += [type_.lower(), f"{type_.lower()}_km"]
    return columns + ["candidats", "remarque"]


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(text.strip().lower().replace("_", " ").split())


# -- who holds a sector ---------------------------------------------------------------------------
def read_plan_people(source, filename: str | None = None) -> pd.DataFrame:
    """Read a plan file: ``code_insee, sector`` and, when the file has them, ``referent`` and ``groupe``.

    Parameters
    ----------
    source : str, path, bytes or uploaded file
        A plan file read by :func:`geo.sectors.io.read_plan_record` (CSV with
        ``code_insee,sector`` — ``secteur`` accepted; ``,`` or ``;``; ``#``
        comment lines —, XLSX, GeoPackage, GeoJSON), optionally with
        ``referent`` (or ``référente``, ``nom``) and ``groupe`` (or
        ``group``, ``équipe``).
    filename : str, optional
        The file's name when ``source`` is bytes or an upload.

    Returns
    -------
    DataFrame
        ``code_insee``, ``sector`` and the optional columns found, as text.

    Raises
    ------
    geo.sectors.problem.SectorError
        Missing ``code_insee`` or ``sector`` column.
    """
    from geo.sectors.io import read_plan_record

    frame = read_plan_record(source, filename).frame
    return frame[[c for c in ("code_insee", "sector", "referent", "groupe") if c in frame.columns]].copy()


def _first_nonempty(frame: pd.DataFrame, column: str) -> dict[str, str]:
    if column not in frame.columns:
        return {}
    values = frame[["sector", column]].fillna("")
    values = values[values[column].astype(str).str.strip() != ""]
    return dict(values.drop_duplicates("sector").itertuples(index=False))


# -- nearest partners per unit ----------------------------------------------------------------------
def nearest_partners(conn, types=DEFAULT_TYPES, places=None,
                     territory=None, partner_filter: PartnerFilter = NO_FILTER) -> dict[str, dict[str, tuple[str, float]]]:
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
        The partners' view of the territory (default: that of ``territory``).
    territory : geo.territory.Territory, optional
        The territory (the process-wide committed one by default).
    partner_filter : PartnerFilter, optional
        Labels every partner must carry, psychologists of the network only (default: every partner).

    Returns
    -------
    dict
        Distances are straight lines from the unit's reference point, in km.
    """
    import partners
    from partners.model import ZONE_TYPES
    from partners.places import places_of, to_lambert93

    places = places or places_of(territory)
    result: dict[str, dict[str, tuple[str, float]]] = {}
    for type_ in types:
        frame = partners.nearest_for_units(conn, type_, k=1, places=places, **partner_filter.options())
        best = {code: (str(name), float(km)) for code, name, km in
                frame[["code_insee", "name", "distance_km"]].itertuples(index=False)}
        if type_ in ZONE_TYPES:
            zones = partners.zone_memberships(conn, types=[type_]).dropna(subset=["lon", "lat"])
            if partner_filter.active:
                kept = partners.list_partners(conn, type=type_, labels=partner_filter.labels_for(type_))["id"]
                zones = zones[zones["partner_id"].isin(kept)]
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
    resolution : geo.resolver.Resolution
        How the place was read (status, reason, ranked candidates).
    code_insee, commune : str
        The unit and its name ("" when the place is ambiguous or not found).
    sector, referent, groupe : str
        "" when the referral cannot be routed (then ``reason`` says why). An
        ambiguous place whose candidates all lie in one sector gets that
        sector, with no unit.
    partners : dict
        ``{type: (name, km)}``, the nearest partner of each routed type.
    reason : str
        Why the referral could not be routed, as a code (``places.*``,
        :data:`NOT_IN_PLAN`, :data:`AMBIGUOUS_SECTORS`); "" when it was.
    reason_params : dict
        The reason's parameters.
    """

    resolution: Resolution
    code_insee: str = ""
    commune: str = ""
    sector: str = ""
    referent: str = ""
    groupe: str = ""
    partners: dict = dataclasses.field(default_factory=dict)
    reason: str = ""
    reason_params: dict = dataclasses.field(default_factory=dict)

    @property
    def routed(self) -> bool:
        return not self.reason

    @property
    def status(self) -> str:
        """The place's status (:data:`geo.resolver.STATUSES`)."""
        return self.resolution.status


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
    explain : callable
        ``explain(code, params) -> str``: the sentence of a reason or status
        code (``app.messages.render_code``; :func:`plain_explain` by default).
    territory : geo.territory.Territory or None
        The territory places are resolved in (None: the process-wide committed one).
    partner_filter : PartnerFilter
        The filter ``partners`` was computed with (said in summaries and reports).

    Examples
    --------
    >>> plan = pd.DataFrame({"code_insee": ["69383"], "sector": ["Alice"]})
    >>> routing = Routing.from_plan(plan, types=())
    >>> r = routing.route("69003 Lyon")
    >>> r.code_insee, r.sector, r.referent
    ('69383', 'Alice', 'Alice')
    """

    sectors: dict[str, str]
    referents: dict[str, str] = dataclasses.field(default_factory=dict)
    groups: dict[str, str] = dataclasses.field(default_factory=dict)
    partners: dict[str, dict[str, tuple[str, float]]] = dataclasses.field(default_factory=dict)
    types: tuple[str, ...] = DEFAULT_TYPES
    warnings: list[str] = dataclasses.field(default_factory=list)
    explain: Explain = plain_explain
    territory: Territory | None = None
    partner_filter: PartnerFilter = NO_FILTER

    @classmethod
    def from_plan(cls, plan, team=None, partners=None, types=DEFAULT_TYPES,
                  explain: Explain | None = None, territory=None,
                  partner_filter: PartnerFilter = NO_FILTER) -> "Routing":
        """A routing from a plan and, optionally, a workers table and the nearest partners.

        Parameters
        ----------
        plan : PlanRecord or DataFrame
            A record (its team gives the groups), or a table ``code_insee,
            sector`` and optional ``referent``, ``groupe`` (see
            :func:`read_plan_people`).
        team : geo.sectors.team.Team, optional
            Gives the group of each referent (or sector) by name (default: the record's team).
        partners : dict, optional
            :func:`nearest_partners` output; without it no partner is routed.
        types : sequence of str
            Partner types (column order).
        explain : callable, optional
            ``explain(code, params) -> str`` for reasons and statuses
            (``app.messages.render_code``); :func:`plain_explain` by default.
        partner_filter : PartnerFilter, optional
            The filter ``partners`` was computed with (:func:`nearest_partners`).

        Raises
        ------
        ValueError
            The plan lacks ``code_insee`` or ``sector``, or gives one unit two sectors.
        """
        from geo.sectors.record import PlanRecord, plan_frame

        if isinstance(plan, PlanRecord) and team is None:
            team = plan.team
        frame = plan_frame(plan)
        sectors = dict(zip(frame["code_insee"], frame["sector"]))
        referents = _first_nonempty(frame, "referent")
        groups = _first_nonempty(frame, "groupe")
        warnings: list[str] = []
        g = gazetteer(territory)
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
        return cls(sectors, referents, groups, partners, types, warnings, explain or plain_explain, territory,
                   partner_filter)

    def unit(self, code: str, resolution: Resolution | None = None) -> Referral:
        """Route a known unit code (picked by the user among candidates, or resolved).

        Raises
        ------
        geo.access.AccessError
            ``access.forbidden``: the person acting may not route a referral (``routing.single``).
        """
        require_acting("routing.single")
        return self._unit(code, resolution)

    def _unit(self, code: str, resolution: Resolution | None = None) -> Referral:
        resolution = resolution or resolve_fields(code_insee=code, territory=self.territory)
        g = gazetteer(self.territory)
        name = str(g.unit(code)["nom"]) if code in g else ""
        sector = self.sectors.get(code, "")
        found = {t: self.partners[t][code] for t in self.types if code in self.partners.get(t, {})}
        if not sector:
            return Referral(resolution, code, name, partners=found, reason=NOT_IN_PLAN)
        return Referral(resolution, code, name, sector, self.referents.get(sector, sector),
                        self.groups.get(sector, ""), found)

    def route(self, text=None, *, postal_code=None, name=None, code_insee=None) -> Referral:
        """Route one referral: free text as typed at the desk, or the fields of a list row.

        ``route("69290 Craponne")`` reads the text as :func:`geo.resolver.resolve`
        does; ``route(postal_code=..., name=..., code_insee=...)`` as
        :func:`geo.resolver.resolve_fields` reads a row.

        Raises
        ------
        geo.access.AccessError
            ``access.forbidden``: the person acting may not route a referral (``routing.single``).
        """
        require_acting("routing.single")
        if text is not None:
            return self._referral(resolve(text, territory=self.territory))
        return self._referral(resolve_fields(code_insee=code_insee, postal_code=postal_code, name=name,
                                            territory=self.territory))

    def referral(self, resolution: Resolution) -> Referral:
        """Route a resolved place: its unit, or for an ambiguous place the sector all candidates share.

        Raises
        ------
        geo.access.AccessError
            ``access.forbidden``: the person acting may not route a referral (``routing.single``).
        """
        require_acting("routing.single")
        return self._referral(resolution)

    def _referral(self, resolution: Resolution) -> Referral:
        # unchecked: route_file checks ``routing.list`` once for the whole list
        if resolution.resolved:
            return self._unit(resolution.code, resolution)
        if resolution.status == AMBIGUOUS:
            sectors = {self.sectors.get(code, "") for code in resolution.codes}
            if len(sectors) == 1 and "" not in sectors:
                sector = sectors.pop()
                return Referral(resolution, sector=sector, referent=self.referents.get(sector, sector),
                                groupe=self.groups.get(sector, ""))
            return Referral(resolution, reason=AMBIGUOUS_SECTORS,
                            reason_params={"count": len(resolution.codes)})
        return Referral(resolution, reason=resolution.reason, reason_params=resolution.params)

    def reason_text(self, referral: Referral) -> str:
        """Why a referral was not routed, in the words of :attr:`explain` ("" when it was)."""
        return self.explain(referral.reason, referral.reason_params) if referral.reason else ""

    def remark(self, referral: Referral) -> str:
        """The note shown with a referral: why it was not routed, else why this commune (or sector)."""
        if referral.reason and referral.reason != AMBIGUOUS_SECTORS:
            return self.reason_text(referral)
        why = self.explain(referral.resolution.reason, referral.resolution.params)
        if referral.resolution.status == AMBIGUOUS:
            extra = (self.reason_text(referral) if referral.reason
                     else self.explain(SAME_SECTOR, {"sector": referral.sector}))
            return f"{why} ; {extra}"
        return why

    def reject_reason(self, referral: Referral, cells=()) -> str:
        """Why a referral was not routed, without quoting the row's ``cells`` (for reject lists).

        A shifted row can hold a name or a phone number in its location columns: whatever the
        reason quotes of them becomes "…" (the status alone when nothing else is left).
        """
        text = self.reason_text(referral)
        for cell in sorted({str(c).strip() for c in cells if len(str(c).strip()) >= 2}, key=len, reverse=True):
            text = re.sub(re.escape(cell), "…", text, flags=re.IGNORECASE)
        return text if text.strip(" …«»()") else self.status_text(referral)

    def status_text(self, referral: Referral) -> str:
        """``trouvée``, ``corrigée``, ``ambiguë`` or ``introuvable`` (through :attr:`explain`)."""
        return self.explain(f"places.status.{referral.status}", {})

    def values(self, referral: Referral) -> list:
        """The :func:`added_columns` values of a routed referral (partners' names and km)."""
        values = [self.status_text(referral), referral.code_insee, referral.sector, referral.referent,
                  referral.groupe]
        for type_ in self.types:
            name, km = referral.partners.get(type_, ("", np.nan))
            values += [name, km]
        candidates = "" if referral.resolution.resolved else candidates_text(referral.resolution)
        return values + [candidates, self.remark(referral)]


def candidates_text(resolution: Resolution, limit: int = 12) -> str:
    """``"69069 Craponne ; 69094 Grézieu-la-Varenne ; …"``: a resolution's candidates in one cell."""
    shown = [f"{c.code} {c.name}" for c in resolution.candidates[:limit]]
    more = len(resolution.candidates) - limit
    return " ; ".join(shown) + (f" ; … (+{more})" if more > 0 else "")


# -- a list of referrals --------------------------------------------------------------------------
@dataclasses.dataclass
class RoutedBatch:
    """A routed list.

    Attributes
    ----------
    frame : DataFrame
        Every non-blank row in file order: the user's columns (as text, as
        uploaded; a column named like an added one gets :data:`USER_SUFFIX`)
        then :func:`added_columns` (``statut`` always; the others empty for
        the rows not routed; ``candidats`` for ambiguous places).
    unplaced : DataFrame
        ``row`` (line of the file) and ``reason`` (no cell of the row),
        nothing else: rows not found, outside the plan, or ambiguous between
        communes of different sectors.
    summary : dict
        ``rows``, ``routed`` (rows with a sector), ``ambiguous`` (routed or
        not), ``unplaced``, ``blank_rows``, ``reasons`` (counts per reason
        code), the columns recognised and how the file was read.
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
        text = safe_frame(self.frame).to_csv(index=False, sep=delimiter, decimal=decimal, lineterminator="\n")
        return ("\ufeff" + text).encode("utf-8")

    def to_xlsx_bytes(self) -> bytes:
        """An XLSX workbook: the routed rows, then a sheet of the rows not placed."""
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            safe_frame(self.frame).to_excel(writer, sheet_name="orientation", index=False)
            safe_frame(self.unplaced).to_excel(writer, sheet_name="non placées", index=False)
        return buffer.getvalue()

    def write(self, path) -> Path:
        """Write the routed rows: XLSX for ``.xlsx``, else CSV (:meth:`to_csv_bytes`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_xlsx_bytes() if path.suffix.lower() in (".xlsx", ".xlsm") else self.to_csv_bytes()
        return write_bytes(path, data)

    def report(self, examples: int = 20) -> str:
        """A French text report: totals, then the rows not placed with their reasons."""
        s = self.summary
        lines = [f"Lignes : {s['rows']} ; orientées : {s['routed']} ; non placées : {s['unplaced']} ; "
                 f"ambiguës (à vérifier, voir « candidats ») : {s['ambiguous']}"]
        if s.get("partner_filter"):
            lines.append(f"Partenaires filtrés : {s['partner_filter']}")
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
    require_acting("routing.list")
    table = read_table(source, filename)
    header = [cell_text(h) for h in table.header]
    g = gazetteer(routing.territory)
    rows: list[list] = []
    unplaced: list[dict] = []
    reasons: Counter = Counter()
    width = len(header)
    blank = ambiguous = 0
    cache: dict[int, tuple[Referral, list]] = {}
    for number, cells, given, resolution in place_rows(table, g):
        if given is None:
            blank += 1
            continue
        cached = cache.get(id(resolution))
        if cached is None:
            referral = routing._referral(resolution)
            cached = cache[id(resolution)] = (referral, routing.values(referral))
        referral, values = cached
        texts = [cell_text(c) for c in cells]
        width = max(width, len(texts))
        rows.append((texts, values))
        if not referral.routed:
            # Row number and reason only: a shifted row can carry identifiers in its location columns.
            unplaced.append({"row": number, "reason": routing.reject_reason(referral, given.values())})
            reasons[referral.reason] += 1
        if referral.status == AMBIGUOUS:
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
    unplaced_frame = pd.DataFrame(unplaced, columns=["row", "reason"])
    summary = {
        "rows": len(rows), "routed": len(rows) - len(unplaced), "ambiguous": ambiguous,
        "unplaced": len(unplaced), "blank_rows": blank, "reasons": dict(reasons.most_common()),
        "header_row": table.header_row,
        "columns": {role: header[index] for role, index in sorted(table.columns.items(), key=lambda x: x[1])
                    if role in LOCATION_ROLES},
        "added": added,
        "partner_filter": routing.partner_filter.describe(),
        **table.info,
    }
    return RoutedBatch(frame, unplaced_frame, summary)


# -- what a user types -----------------------------------------------------------------------------
def suggest(text, limit: int = 10, territory=None) -> list[str]:
    """Units for what a user types, most likely first: the resolver's answer or candidates.

    A name (case, accents, hyphens, "ST"/"STE", old commune names do not
    matter), a postal code, an INSEE code, or a postal code and a name
    together ("69003 Lyon", "Lyon (69003)"); see :func:`geo.resolver.resolve`.

    Examples
    --------
    >>> suggest("ste foy les lyon")[:1], suggest("69003 lyon")
    (['69202'], ['69383'])
    """
    return resolve(text, territory=territory).codes[:limit]


def unit_label(code: str, territory=None) -> str:
    """``"Lyon 3e Arrondissement (69003) — 69"``: name, postal code(s), department."""
    g = gazetteer(territory)
    if code not in g:
        return str(code)
    unit = g.unit(code)
    postal = [c.strip() for c in str(unit.get("codes_postaux") or "").split(",") if c.strip()]
    shown = ", ".join(postal[:2]) + ("…" if len(postal) > 2 else "")
    return f"{unit['nom']} ({shown or code}) — {unit['departement']}"


# -- the summary the hub copies ---------------------------------------------------------------------
def summary_text(referral: Referral, services: pd.DataFrame | None = None, type_labels: dict | None = None,
                 explain: Explain | None = None, *, full: bool = True,
                 partner_filter: PartnerFilter = NO_FILTER) -> str:
    """The plain-text summary of one referral (French), to paste into a message or a file.

    Parameters
    ----------
    referral : Referral
    services : DataFrame, optional
        :func:`partners.local_services` rows (``type, name, distance_km,
        covers, phone, email``...); without it the routed nearest partners.
    type_labels : dict, optional
        French label of each type (``partners.PARTNER_TYPES``).
    explain : callable, optional
        ``explain(code, params)`` for the reasons (``app.messages.render_code``).
    full : bool
        True: every partner of ``services``. False: the short summary the hub
        copies: the covering (else nearest) CPTS and HAD, the nearest
        psychologist (PSY) and cancer resource centre (ERC), with phone.
    partner_filter : PartnerFilter, optional
        The filter ``services`` (or the routed partners) were chosen with: a
        filtered type names it in its heading (the network for psychologists
        under "réseau seulement"), and a last line says which filter was used.

    Returns
    -------
    str
    """
    explain = explain or plain_explain
    labels = type_labels or {}
    if not referral.code_insee and not referral.sector:
        return f"Orientation impossible : {explain(referral.reason, referral.reason_params)}"
    resolution = referral.resolution
    if referral.code_insee:
        lines = [f"Commune : {referral.commune} ({referral.code_insee})"]
    else:
        lines = [f"Commune : à préciser parmi {candidates_text(resolution)}"]
    if resolution.status != "found":
        lines.append(f"Remarque : {explain(resolution.reason, resolution.params)}")
    if referral.routed:
        lines.append(f"Secteur : {referral.sector}")
        lines.append(f"Référent·e : {referral.referent}")
        if referral.groupe:
            lines.append(f"Groupe : {referral.groupe}")
    else:
        lines.append(f"Secteur : aucun ({explain(referral.reason, referral.reason_params)})")
    if services is not None and len(services):
        shown = services if full else _short_services(services)
        lines.append("Partenaires :")
        for type_, group in shown.groupby("type", sort=False):
            lines.append(f"  {labels.get(type_, type_)} ({type_}){_type_note(partner_filter, type_)} :")
            for row in group.to_dict("records"):
                extra = []
                if row.get("covers") is True:
                    extra.append("zone couvrant la commune")
                for field in (("phone", "email") if full else ("phone",)):
                    if row.get(field):
                        extra.append(str(row[field]))
                km = _km(row.get("distance_km"))
                lines.append(f"    - {row['name']} — {km}" + (f" — {' ; '.join(extra)}" if extra else ""))
        if partner_filter.network_only and "PSY" not in set(services["type"]):
            lines.append(f"  {labels.get('PSY', 'PSY')} (PSY){_type_note(partner_filter, 'PSY')} : "
                         "aucun membre du réseau dans l'annuaire")
    elif referral.partners:
        lines.append("Partenaires les plus proches :")
        for type_, (name, km) in referral.partners.items():
            if full or type_ in SHORT_SUMMARY_TYPES:
                lines.append(f"  {labels.get(type_, type_)} ({type_}){_type_note(partner_filter, type_)} : "
                             f"{name} — {_km(km)}")
    if partner_filter.active and (services is not None and len(services) or referral.partners):
        lines.append(f"Partenaires filtrés : {partner_filter.describe()}")
    return "\n".join(lines)


def _type_note(partner_filter: PartnerFilter, type_: str) -> str:
    note = partner_filter.type_note(type_)
    return f" — {note}" if note else ""


#: Partner types of the short summary, in its order.
SHORT_SUMMARY_TYPES = ("CPTS", "HAD", "PSY", "ERC")


def _short_services(services: pd.DataFrame) -> pd.DataFrame:
    """One partner per type of :data:`SHORT_SUMMARY_TYPES`: a covering one first, else the nearest."""
    rows = []
    for type_ in SHORT_SUMMARY_TYPES:
        group = services[services["type"] == type_]
        if not len(group):
            continue
        if "covers" in group.columns and (group["covers"] == True).any():  # noqa: E712 (object column)
            group = group[group["covers"] == True]  # noqa: E712
        if "distance_km" in group.columns:
            group = group.sort_values("distance_km", kind="stable")
        rows.append(group.head(1))
    return pd.concat(rows) if rows else services.head(0)


def _km(value) -> str:
    try:
        return f"{float(value):.1f} km".replace(".", ",")
    except (TypeError, ValueError):
        return ""
