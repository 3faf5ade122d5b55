"""Everything the Couverture page and the ARS report show, computed once from the inputs.

:func:`compute_coverage` takes the territory, the partner directory (as
plain frames), the patient counts and a sector plan, and calls
:mod:`services.coverage` for distances, zone coverage, E2SFCA accessibility,
white zones and the tables by unit, department and sector. The result
(:class:`Coverage`) holds **true** patient counts: it never leaves the app
as is. :meth:`Coverage.protection` builds the one suppression pattern
shared by every published table (:func:`services.coverage.protect_counts` over
units, departments, sectors, department x sector and the white-zone
criteria); :mod:`services.reports.ars` publishes only through it.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["DEFAULT_MAX_KM", "DEFAULT_BORDER_KM", "DISTANCE_TYPES", "ACCESS_TYPES", "NO_SECTOR", "Coverage",
           "compute_coverage", "partner_inputs", "neighbouring_partners"]

#: White zone distances: a unit farther than this from the nearest partner of the type (km, straight line).
DEFAULT_MAX_KM: dict[str, float] = {"PSY": 30.0, "ERC": 60.0}
#: Partners outside the 12 departments count when they are this close (km, straight line) to a unit's reference
#: point: a patient near the border goes to the partner just across it (Mâcon, Roanne's neighbours, Nevers...).
DEFAULT_BORDER_KM = 60.0
#: Types whose nearest-partner distance is mapped and tabulated.
DISTANCE_TYPES = ("CPTS", "HAD", "ERC", "PSY", "DAC", "SSIAD", "CCAS")
#: Types with an E2SFCA accessibility index (their catchments are in services.coverage.DEFAULT_BANDS).
ACCESS_TYPES = ("PSY", "ERC")
#: Sector label of units the plan leaves out.
NO_SECTOR = "(hors plan)"


def partner_inputs(conn: sqlite3.Connection) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """The directory as :mod:`services.coverage` takes it.

    Returns
    -------
    (partners, zones, demo)
        ``partners``: ``id, type, name, lon, lat, capacity, outside_territory``
        (every positioned partner, neighbours across the region's border
        included; capacity 1); ``zones``: ``type, partner_id,
        code_insee`` (declared CPTS/HAD territories); ``demo``: whether the
        directory holds FICTITIOUS demo partners.
    """
    import partners as directory
    from partners.demo import DEMO_SOURCE

    table = directory.list_partners(conn)
    located = table.dropna(subset=["lon", "lat"])
    frame = pd.DataFrame({"id": located["id"].to_numpy(), "type": located["type"].to_numpy(),
                          "name": located["name"].to_numpy(), "lon": located["lon"].astype(float).to_numpy(),
                          "lat": located["lat"].astype(float).to_numpy(), "capacity": 1.0,
                          "outside_territory": located["outside_territory"].astype(bool).to_numpy()
                          if "outside_territory" in located.columns else False})
    zones = directory.zone_memberships(conn)[["type", "partner_id", "code_insee"]]
    demo = bool(len(table)) and bool((table["source"] == DEMO_SOURCE).any())
    return frame, zones, demo


def neighbouring_partners(partners: pd.DataFrame, points, border_km: float = DEFAULT_BORDER_KM) -> pd.Series:
    """Which partners the coverage counts: those within ``border_km`` of some unit's reference point.

    Every partner inside the territory is near its own commune's town hall;
    a partner across the border counts when a unit of the region is within
    ``border_km`` (straight line, Lambert-93), whatever its ``outside_territory``
    flag. Farther ones (a Paris HAD) would never be the nearest nor inside
    any catchment.

    Returns
    -------
    Series of bool, indexed like ``partners``.
    """
    from scipy.spatial import cKDTree

    from services.coverage._common import lonlat_to_lambert93

    if not (isinstance(border_km, (int, float)) and border_km >= 0):
        raise ValueError(f"border_km: expected a distance >= 0 in km, got {border_km!r}")
    if partners.empty:
        return pd.Series(False, index=partners.index)
    xy = lonlat_to_lambert93(partners["lon"].astype(float), partners["lat"].astype(float))
    distance, _ = cKDTree(points).query(xy, k=1)
    return pd.Series(distance / 1000.0 <= border_km, index=partners.index)


def _plan_series(plan, units: pd.DataFrame) -> pd.Series:
    from services.coverage import plan_series

    series = plan_series(plan, units).reindex(units["code_insee"].astype(str))
    return series.fillna(NO_SECTOR).astype(str).rename("secteur")


@dataclass
class Coverage:
    """Coverage figures of the territory for one plan, partner directory and patient counts.

    Attributes
    ----------
    units : DataFrame
        :func:`services.coverage.unit_table`: one row per unit (``code_insee``,
        ``nom``, ``departement``, ``population``, ``secteur``,
        ``patients`` (TRUE counts), ``distance_km_T``, ``covered_CPTS``,
        ``covered_HAD``, ``accessibility_PSY``, ``accessibility_ERC``).
    flags : DataFrame
        :func:`services.coverage.white_zones` with every unit (``only_white=False``).
    max_km : dict
        White-zone distances per type.
    bands : dict
        E2SFCA bands used per type (``(upper_km, weight)``).
    access_attrs : dict
        Per type: suppliers, supply, demand, per (from the accessibility frames).
    partners : DataFrame
        The partner positions used (neighbours across the border included).
    border_km : float
        Distance within which partners outside the territory count.
    neighbours : int
        Partners outside the 12 departments counted (flag ``outside_territory``).
    earlier : tuple of DataFrame
        Earlier releases of the same counts (:mod:`services.coverage.releases`)
        the masking is audited with.
    memo : dict
        Views derived from these figures, built once (:mod:`services.reports.unmasked`).
    """

    units: pd.DataFrame
    flags: pd.DataFrame
    max_km: dict
    bands: dict
    access_attrs: dict
    partners: pd.DataFrame
    types: tuple = DISTANCE_TYPES
    border_km: float = DEFAULT_BORDER_KM
    neighbours: int = 0
    earlier: tuple = field(default=(), repr=False)
    _protection: object = field(default=None, repr=False)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def plan(self) -> pd.Series:
        """code_insee -> sector."""
        return pd.Series(self.units["secteur"].to_numpy(), index=self.units["code_insee"].to_numpy(), name="secteur")

    @property
    def counts(self) -> pd.Series:
        """TRUE patients per unit (code_insee index)."""
        return pd.Series(self.units["patients"].to_numpy(), index=self.units["code_insee"].to_numpy(),
                         name="patients")

    def department_table(self) -> pd.DataFrame:
        from services.coverage import department_table

        return department_table(self.units)

    def sector_table(self) -> pd.DataFrame:
        from services.coverage import sector_table

        return sector_table(self.units)

    def cross_table(self) -> pd.DataFrame:
        from services.coverage import cross_table

        return cross_table(self.units)

    def white_units(self) -> pd.DataFrame:
        """The units in a white zone (at least one criterion), with their sector."""
        white = self.flags[self.flags["white"]].copy()
        white.insert(3, "secteur", self.plan.reindex(white["code_insee"]).to_numpy())
        return white

    def white_summary(self, by: str | None = None) -> pd.DataFrame:
        """Units, population, share and patients (TRUE) per criterion; ``by`` ``"departement"`` or ``"secteur"``."""
        from services.coverage import white_zone_summary

        if by == "secteur":
            return white_zone_summary(self.flags, by=self.plan.rename("secteur"))
        return white_zone_summary(self.flags, by=by)

    def protection(self):
        """The suppression pattern of every published table (computed once), audited with :attr:`earlier`.

        Published together: commune classes, departments, sectors,
        department x sector, the white-zone cells of each criterion, the region.

        Raises
        ------
        services.coverage.MaskingError
            ``masking.release_would_disclose`` when no pattern protects every
            masked cell jointly with the earlier releases.
        """
        if self._protection is None:
            from services.coverage import protect_counts, white_zone_groupings

            units = self.units[["code_insee", "departement"]]
            groupings = {"departement": "departement", "secteur": self.plan,
                         **white_zone_groupings(self.flags)}
            self._protection = protect_counts(self.counts, groupings, units=units,
                                              cross=[("departement", "secteur")], earlier=self.earlier)
        return self._protection

    def with_earlier(self, earlier) -> "Coverage":
        """The same figures, masked jointly with ``earlier`` releases of the same counts."""
        import dataclasses

        return dataclasses.replace(self, earlier=tuple(earlier), _protection=None, memo={})

    def fingerprint(self) -> str:
        """:func:`services.coverage.releases.counts_fingerprint` of the counts."""
        from services.coverage.releases import counts_fingerprint

        return counts_fingerprint(self.counts)

    def patient_map_layers(self) -> dict:
        """Masked patients for maps, per unit: French title -> Series code_insee -> displayed text.

        Communes are too small for most counts, so the maps colour each commune
        by the cell that holds it: ``"Patients par secteur"`` and ``"Patients par
        département et secteur"`` (figures, ``< 11`` or ``s``), and ``"Patients
        par commune (classes)"`` (``0 à 10``, ``11 à 20``...). Every text is
        what the published tables show.
        """
        protection = self.protection()
        return {"Patients par secteur": protection.unit_layer("secteur"),
                "Patients par département et secteur": protection.unit_layer(("departement", "secteur")),
                "Patients par commune (classes)": protection.display("unit")}


def compute_coverage(units: pd.DataFrame, partners: pd.DataFrame, zones: pd.DataFrame | Mapping, patients,
                     plan, *, max_km: Mapping[str, float] | None = None, types=DISTANCE_TYPES,
                     points=None, border_km: float = DEFAULT_BORDER_KM, earlier=()) -> Coverage:
    """Distances, zone coverage, E2SFCA accessibility and white zones for every unit.

    Parameters
    ----------
    units : DataFrame
        :func:`geo.territory.load_units`.
    partners : DataFrame
        ``type, lon, lat`` (``capacity``, ``id`` optional), e.g. from :func:`partner_inputs`.
    zones : DataFrame or mapping
        Declared territories, ``type, partner_id, code_insee`` (or ``{type: codes}``).
    patients : DataFrame or Series
        Patients per unit (``code_insee, patients``); absent units count 0.
    plan : DataFrame or Series
        ``code_insee, sector`` (or ``secteur``); units left out get
        :data:`NO_SECTOR`.
    max_km : mapping type -> km, optional
        White-zone distances (default :data:`DEFAULT_MAX_KM`).
    types : iterable of str
        Types whose nearest distance is computed.
    points : array (n, 2), optional
        The units' Lambert-93 reference points.
    border_km : float
        Partners (inside or outside the 12 departments) count when within
        this distance of a unit's reference point (:func:`neighbouring_partners`):
        distances, E2SFCA and white zones see the partners just across the
        region's border.
    earlier : sequence of DataFrame
        Earlier releases of the same counts, for the masking.

    Returns
    -------
    Coverage
    """
    import warnings

    from services.coverage import DEFAULT_BANDS, accessibility, nearest_distances, unit_table, white_zones, \
        zone_coverage
    from geo.territory import reference_points

    max_km = dict(DEFAULT_MAX_KM if max_km is None else max_km)
    points = reference_points(units) if points is None else points
    if isinstance(patients, pd.DataFrame):
        patients = patients.groupby(patients["code_insee"].astype(str))["patients"].sum()
    sectors = _plan_series(plan, units)
    partners = partners[neighbouring_partners(partners, points, border_km).to_numpy()].reset_index(drop=True)
    neighbours = int(partners["outside_territory"].astype(bool).sum()) if "outside_territory" in partners.columns \
        else 0
    distances = nearest_distances(units, partners, types=list(types), points=points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # zone codes outside the territory, types without partners
        coverage = zone_coverage(units, zones)
        access = [accessibility(units, partners, t, points=points) for t in ACCESS_TYPES]
    table = unit_table(units, patients=patients, distances=distances, coverage=coverage, accessibility=access,
                       plan=sectors)
    table = table.drop(columns=[c for c in table.columns if c.startswith("nearest_id_")])
    flags = white_zones(units, coverage=coverage, distances=distances, max_km=max_km, patients=patients,
                        only_white=False)
    attrs = {frame.attrs["partner_type"]: {k: frame.attrs[k] for k in ("suppliers", "supply", "demand", "per")}
             for frame in access}
    bands = {t: DEFAULT_BANDS[t] for t in ACCESS_TYPES}
    return Coverage(table, flags, max_km, bands, attrs, partners, tuple(types), float(border_km), neighbours,
                    tuple(earlier))
