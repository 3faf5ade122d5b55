"""Where a partner is: its sector unit, its position, inside or outside the territory.

:class:`Places` wraps the territory (``geo.territory``) and the commune
gazetteer (``geo.lookup``) for the partner directory: resolve an INSEE or
postal code to today's sector unit, find the unit under a point, give a unit's
reference point (Lambert-93) and tell whether a partner lies outside the 12
departments.
"""
from __future__ import annotations

import functools

import numpy as np
import shapely

from geo.projections import LAMBERT93, WGS84

#: A point this close to a unit (metres) counts as inside it (slivers between communes).
POINT_TOLERANCE_M = 100.0


class Resolution(tuple):
    """``(code, note, error)``: the unit code ("" if none), an informative note, an error message.

    ``error_code`` and ``params`` name the error for the French catalogue; ``params["candidates"]``
    lists the units a name or code could mean, to offer them.
    """

    __slots__ = ()

    def __new__(cls, code: str = "", note: str = "", error: str = "", error_code: str = "", params=None):
        return super().__new__(cls, (code, note, error, error_code, dict(params or {})))

    code = property(lambda self: self[0])
    note = property(lambda self: self[1])
    error = property(lambda self: self[2])
    error_code = property(lambda self: self[3])
    params = property(lambda self: self[4])


class Places:
    """The territory as the partner directory needs it.

    Parameters
    ----------
    territory
        A :class:`geo.territory.Territory` (default: the process-wide committed one), or a frame of
        sector units (then a territory of its own, e.g. a test subset). Prefer :func:`places_of`,
        which keeps one :class:`Places` per territory.
    """

    def __init__(self, territory=None):
        from geo.territory import Territory, as_territory, reference_points

        if territory is None or isinstance(territory, Territory):
            self.territory = as_territory(territory)
            self.units = self.territory.units
            self.reference_xy = self.territory.reference_xy
        else:
            self.territory = None
            self.units = territory
            self.reference_xy = reference_points(self.units)
        self.codes = self.units["code_insee"].to_numpy()
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.departements = frozenset(self.units["departement"])
        self.mairie_lonlat = self.units[["mairie_lon", "mairie_lat"]].to_numpy(dtype=float)
        self.names = self.units["nom"].to_numpy()
        self.town_hall = (self.units["point_source"] == "mairie").to_numpy()
        self._gazetteer = None

    # -- gazetteer --------------------------------------------------------------
    @property
    def gazetteer(self):
        """The territory's gazetteer (``geo.lookup.gazetteer``: old codes, postal codes, names)."""
        if self._gazetteer is None:
            from geo.lookup import gazetteer

            self._gazetteer = gazetteer(self.territory)
        return self._gazetteer

    def by_code(self, code: str) -> list[str]:
        """Today's units for an INSEE code (old delegated codes and Lyon 69123 included)."""
        if code in self.index:
            return [code]
        return [c for c in self.gazetteer.by_code(code) if c in self.index]

    def by_postal_code(self, postal_code: str) -> list[str]:
        """Units served by a postal code."""
        return [c for c in self.gazetteer.by_postal_code(postal_code) if c in self.index]

    # -- resolution -------------------------------------------------------------
    def in_departements(self, code: str) -> bool:
        """True when an INSEE code belongs to one of the territory's departments."""
        return bool(code) and code[:2] in self.departements

    def resolve(self, code_insee: str = "", postal_code: str = "", name: str = "") -> Resolution:
        """Today's sector unit for a commune given by code, postal code and/or name.

        Parameters
        ----------
        code_insee
            INSEE code (old or current; 69123 is narrowed with the postal code).
        postal_code, name
            Used when the code is missing, or to choose among Lyon's arrondissements.

        Returns
        -------
        Resolution
            ``code`` is a unit code, or the code as given for a commune outside
            the territory's departments; ``error`` is set when the commune is
            unknown or ambiguous.
        """
        if code_insee:
            if code_insee in self.index:
                return Resolution(code_insee)
            if not self.in_departements(code_insee):
                return Resolution(code_insee, "outside the territory's departments")
            candidates = self.by_code(code_insee)
            if len(candidates) > 1 and postal_code:
                narrowed = [c for c in candidates if c in set(self.by_postal_code(postal_code))]
                candidates = narrowed or candidates
            if len(candidates) == 1:
                return Resolution(candidates[0], f"INSEE code {code_insee} is now {candidates[0]}")
            if candidates:
                return Resolution("", "", f"INSEE code {code_insee} covers {len(candidates)} units "
                                          f"({', '.join(candidates[:9])}); give the postal code or the position",
                                  "partners.code_several_units", {"code": code_insee, "candidates": candidates})
            return Resolution("", "", f"unknown commune: INSEE code {code_insee} is not a commune of "
                                      f"departement {code_insee[:2]}", "partners.unknown_code",
                              {"code": code_insee, "departement": code_insee[:2]})
        if postal_code:
            result = self.gazetteer.match(postal_code, name or "")
            units = [c for c in result.units if c in self.index]
            if len(units) == 1:
                return Resolution(units[0], result.note or "")
            if len(units) > 1:
                return Resolution("", "", f"postal code {postal_code} {name!r} matches {len(units)} communes "
                                          f"({', '.join(units[:6])}); give the INSEE code",
                                  "partners.postal_several_units",
                                  {"postal_code": postal_code, "name": name or "", "candidates": units})
            if postal_code[:2] not in self.departements:
                return Resolution("", "outside the territory's departments")
            return Resolution("", "", f"unknown commune: postal code {postal_code} {name!r}",
                              "partners.unknown_postal_code", {"postal_code": postal_code, "name": name or ""})
        if name and str(name).strip():
            units = [c for c in communes_named(name, self.gazetteer) if c in self.index]
            if len(units) == 1:
                return Resolution(units[0], f"commune {name!r} is {units[0]}")
            if len(units) > 1:
                return Resolution("", "", f"commune {name!r} matches {len(units)} communes "
                                          f"({', '.join(units[:6])}); give the postal code or the INSEE code",
                                  "partners.name_several_units", {"name": name, "candidates": units})
            return Resolution("", "", f"unknown commune: {name!r} is not a commune of the territory",
                              "partners.unknown_name", {"name": name})
        return Resolution("", "", "no commune: give code_insee, or postal_code and commune name",
                          "partners.no_commune", {})

    # -- points -----------------------------------------------------------------
    @functools.cached_property
    def _tree(self):
        from geo.territory import units_lambert93

        geoms = units_lambert93(self.territory or self.units).geometry.to_numpy()
        return shapely.STRtree(geoms), geoms

    def locate(self, lonlat: np.ndarray) -> np.ndarray:
        """The unit code under each WGS84 point ("" outside the territory).

        Parameters
        ----------
        lonlat
            Array of shape (n, 2).

        Returns
        -------
        numpy.ndarray
            Object array of unit codes.
        """
        xy = to_lambert93(np.asarray(lonlat, dtype=float).reshape(-1, 2))
        points = shapely.points(xy)
        tree, geoms = self._tree
        result = np.full(len(points), "", dtype=object)
        hits_p, hits_g = tree.query(points, predicate="intersects")
        result[hits_p] = self.codes[hits_g]
        missing = np.flatnonzero(result == "")
        if len(missing):
            near_p, near_g = tree.query_nearest(points[missing], max_distance=POINT_TOLERANCE_M)
            result[missing[near_p]] = self.codes[near_g]
        return result

    def distance_km(self, lonlat: np.ndarray) -> np.ndarray:
        """Straight-line distance (km, Lambert-93) from each WGS84 point to the territory (0 inside).

        Examples
        --------
        >>> places = default_places()  # doctest: +SKIP
        >>> places.distance_km(np.array([[2.35, 48.85]]))  # Paris, about 180 km from the Allier  # doctest: +SKIP
        """
        xy = to_lambert93(np.asarray(lonlat, dtype=float).reshape(-1, 2))
        points = shapely.points(xy)
        tree, geoms = self._tree
        (query, nearest_geom), distances = tree.query_nearest(points, return_distance=True, all_matches=False)
        result = np.full(len(points), np.inf)
        result[query] = distances / 1000.0
        return result

    def locate_one(self, lon: float, lat: float) -> str:
        """The unit code under one point ("" outside the territory)."""
        return str(self.locate(np.array([[lon, lat]]))[0])

    def reference_point(self, code: str) -> np.ndarray:
        """Lambert-93 reference point (town hall, else interior point) of a unit."""
        return self.reference_xy[self.index[code]]

    def reference_lonlat(self, code: str) -> tuple[float, float]:
        """WGS84 reference point of a unit, and whether it is the town hall."""
        lon, lat = self.mairie_lonlat[self.index[code]]
        return float(lon), float(lat)

    def is_town_hall(self, code: str) -> bool:
        """True when the unit's reference point is its town hall."""
        return bool(self.town_hall[self.index[code]])

    def unit_name(self, code: str) -> str:
        """The unit's name ("" for a code outside the territory)."""
        return str(self.names[self.index[code]]) if code in self.index else ""


def locate_partner(partner, places: Places):
    """Resolve a checked partner's commune and position.

    The unit comes from the INSEE code (old codes and 69123 mapped to today's
    units), else from the postal code and commune name, else from the position.
    A partner without position gets its unit's reference point (precision
    ``commune``, or ``town_hall`` for a CCAS, which sits in the town hall).
    ``outside_territory`` is set from the point (point in polygon) or, without
    one, from the commune.

    Parameters
    ----------
    partner
        A :class:`~partners.model.Partner` already through
        :func:`partners.validation.check_partner`.
    places
        The territory.

    Returns
    -------
    tuple
        ``(partner, issues)``.
    """
    from partners.model import Issue

    issues = []
    resolution = places.resolve(partner.code_insee, partner.postal_code, partner.commune)
    code = resolution.code
    has_point = partner.lon is not None and partner.lat is not None
    under_point = places.locate_one(partner.lon, partner.lat) if has_point else ""
    if (has_point and partner.precision in ("commune", "town_hall") and code in places.index
            and under_point != code):
        # A position that only stood for the commune follows the commune when it changes.
        partner = partner.replace(lon=None, lat=None, precision="")
        has_point, under_point = False, ""
    if resolution.error:
        if not under_point:
            issues.append(Issue("error", "code_insee", resolution.error, resolution.error_code, resolution.params))
            return partner, issues
        code = under_point
        issues.append(Issue("warning", "code_insee",
                            f"{resolution.error}; commune taken from the position ({under_point})",
                            "partners.commune_from_position", {"error": resolution.error, "code": under_point}))
    elif not code and under_point:
        code = under_point
    elif has_point and not under_point and code in places.index:
        issues.append(Issue("warning", "lon",
                            f"position (lon {partner.lon:g}, lat {partner.lat:g}) is outside the territory but "
                            f"commune {code} {places.unit_name(code)} is inside; check the coordinates",
                            "partners.position_outside_commune_inside",
                            {"lon": partner.lon, "lat": partner.lat, "code": code, "name": places.unit_name(code)}))
    elif under_point and code in places.index and under_point != code:
        issues.append(Issue("warning", "lon",
                            f"position falls in {under_point} {places.unit_name(under_point)}, "
                            f"not in {code} {places.unit_name(code)}", "partners.position_other_commune",
                            {"under": under_point, "under_name": places.unit_name(under_point), "code": code,
                             "name": places.unit_name(code)}))
    changes = {"code_insee": code}
    if code in places.index:
        changes["commune"] = places.unit_name(code)
    if has_point:
        changes["precision"] = partner.precision or "address"
        changes["outside_territory"] = not under_point
        changes["border_km"] = 0.0 if under_point else round(
            float(places.distance_km(np.array([[partner.lon, partner.lat]]))[0]), 1)
    elif code in places.index:
        lon, lat = places.reference_lonlat(code)
        town_hall = partner.type == "CCAS" and places.is_town_hall(code)
        changes.update(lon=round(lon, 6), lat=round(lat, 6),
                       precision="town_hall" if town_hall else "commune", outside_territory=False, border_km=0.0)
    else:
        changes["outside_territory"] = True
        changes["border_km"] = None
        issues.append(Issue("warning", "lon", "no position: the partner will not appear in distance searches",
                            "partners.no_position", {}))
    if partner.communes is not None:
        known, unknown = [], []
        for c in partner.communes:
            units = places.by_code(c) if places.in_departements(c) else []
            if units:
                known.extend(units)
            else:
                unknown.append(c)
        if unknown:
            issues.append(Issue("warning", "communes", f"zone: unknown communes ignored: {', '.join(unknown[:10])}",
                                "partners.zone_unknown_communes", {"codes": unknown[:10]}))
        changes["communes"] = tuple(sorted(set(known)))
    return partner.replace(**changes), issues


def communes_named(name: str, gazetteer=None) -> list[str]:
    """The units whose name (or former name) is ``name``, most populous first.

    The one place the directory turns a bare town name into units, so that the shared place
    resolver can replace ``geo.lookup``'s gazetteer here alone.
    """
    if gazetteer is None:
        from geo.lookup import gazetteer as load

        gazetteer = load()
    return list(gazetteer.by_name(name))


def places_of(territory=None) -> Places:
    """The :class:`Places` of a territory (default: the committed one), built once per territory."""
    from geo.territory import as_territory

    t = as_territory(territory)
    return t.view("places", lambda: Places(t))


def default_places() -> Places:
    """The shared :class:`Places` of the committed territory (:func:`places_of` of the default territory)."""
    return places_of()


@functools.lru_cache(maxsize=4)
def _transformer(source: str, target: str):
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def to_lambert93(lonlat: np.ndarray) -> np.ndarray:
    """WGS84 lon/lat (n, 2) to Lambert-93 x/y (n, 2)."""
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    x, y = _transformer(WGS84, LAMBERT93).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def to_wgs84(xy: np.ndarray, crs: str = LAMBERT93) -> np.ndarray:
    """Projected x/y (n, 2) in ``crs`` to WGS84 lon/lat (n, 2)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = _transformer(crs, WGS84).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])
