"""The territory: sector units (communes, Lyon's arrondissements) and departments.

Public names
------------
Territory
    The territory and every view of it, built lazily and kept (pass it explicitly).
territory
    The process-wide :class:`Territory` (default: the committed department files).
as_territory
    A Territory as is, or the process-wide one of a directory.
load_units
    Every unit as a GeoDataFrame in EPSG:4326 (one row per sector unit).
load_departements
    The departments' outlines, dissolved from the units.
reference_points
    Each unit's reference point for distances, in Lambert-93.

``territory_info`` (the summary of ``secteurs territory info``) is in :mod:`geo.adjacency`, which it needs.
"""
from __future__ import annotations

import functools
import hashlib
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.paths import departements_dir
from geo.projections import LAMBERT93, WGS84

LAYER = "communes"


def territory_files(directory: Path | None = None) -> list[Path]:
    """The committed department files, in code order."""
    directory = Path(directory or departements_dir())
    files = sorted(directory.glob("*.gpkg"))
    if not files:
        raise FileNotFoundError(
            f"no department file (*.gpkg) in {directory}; "
            "build them with `secteurs territory build --departements 01,03,...`")
    return files


def territory_fingerprint(directory: Path | None = None) -> str:
    """A hash of the department files, used to key derived caches."""
    digest = hashlib.sha256()
    for path in territory_files(directory):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_units(directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """Read the department files into one frame (not cached: use :attr:`Territory.units`)."""
    files = territory_files(Path(directory) if directory else None)
    frames = [pyogrio.read_dataframe(path, layer=LAYER) for path in files]
    units = pd.concat(frames, ignore_index=True)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=frames[0].crs).to_crs(WGS84)
    units = units.sort_values("code_insee", ignore_index=True)
    for column in ("codes_postaux", "anciennes_communes", "epci_code", "epci_nom"):
        units[column] = units[column].fillna("")
    units["population"] = units["population"].astype("int64")
    return units


class Territory:
    """The territory and every view of it, each built on first use and then kept.

    One object is passed explicitly (services, pages, CLI) instead of each
    module caching its own copy. Ground views (units, names, departments,
    EPCIs, reference points in both projections, Lambert-93 geometry) are
    :func:`functools.cached_property`; views built by other modules (the
    gazetteer, the resolver's index, the adjacency, the display geometry, the
    partners' places, the sector engine's arrays) are kept through
    :meth:`view` by the module that owns them (``geo.lookup.gazetteer(t)``,
    ``geo.resolver.resolver(t)``, ``geo.adjacency.unit_edges(t)``,
    ``geo.display.display_units(t)``, ``partners.places.places_of(t)``), so
    this module imports none of them.

    Parameters
    ----------
    directory : Path
        The department files (``*.gpkg``).

    Notes
    -----
    Frozen-ish: the views are shared and must not be changed (copy a frame
    before changing it). Building a view is serialised per view, so two
    threads (Streamlit sessions) asking at once build it once.
    """

    def __init__(self, directory: Path | str | None = None):
        set_ = super().__setattr__
        set_("directory", Path(directory or departements_dir()).resolve())
        set_("_views", {})
        set_("_locks", {})
        set_("_lock", threading.Lock())

    def __setattr__(self, name, value):
        # Frozen-ish: views are built by their properties or :meth:`view`, never assigned.
        raise AttributeError(f"Territory is read-only (cannot set {name!r})")

    @classmethod
    def load(cls, directory: Path | str | None = None) -> "Territory":
        """A new territory over ``directory`` (default: the committed one); files are read lazily.

        Raises ``FileNotFoundError`` at once when the directory has no department file.
        """
        territory = cls(directory)
        territory_files(territory.directory)
        return territory

    def __repr__(self) -> str:
        return f"Territory({str(self.directory)!r})"

    # -- views owned by other modules ---------------------------------------------------------------
    def view(self, key, build):
        """The view ``key``, built by ``build()`` the first time it is asked for, then kept.

        Parameters
        ----------
        key : hashable
            Names the view (e.g. ``"gazetteer"``); the owner module picks it.
        build : callable
            Builds the view; called at most once per territory (per thread-safe lock).
        """
        try:
            return self._views[key]
        except KeyError:
            pass
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._views:
                self._views[key] = build()
            return self._views[key]

    def built(self) -> list:
        """Names of the views built so far (ground views and :meth:`view` ones)."""
        ground = [name for name in _GROUND_VIEWS if name in self.__dict__]
        return ground + list(self._views)

    # -- ground views -------------------------------------------------------------------------------
    @functools.cached_property
    def fingerprint(self) -> str:
        """A hash of the department files (key of the derived caches on disk)."""
        return territory_fingerprint(self.directory)

    @functools.cached_property
    def units(self) -> gpd.GeoDataFrame:
        """Every sector unit, EPSG:4326 (columns of :func:`load_units`). Shared: copy before changing."""
        return read_units(self.directory)

    @functools.cached_property
    def codes(self) -> np.ndarray:
        """INSEE codes in row order (str)."""
        return self.units["code_insee"].astype(str).to_numpy()

    @functools.cached_property
    def position(self) -> dict[str, int]:
        """Row position of each unit code."""
        return {code: i for i, code in enumerate(self.codes.tolist())}

    @functools.cached_property
    def names(self) -> np.ndarray:
        """Unit names in row order."""
        return self.units["nom"].astype(str).to_numpy()

    @functools.cached_property
    def departements(self) -> list[str]:
        """Department codes of the territory, sorted."""
        return sorted(self.units["departement"].astype(str).unique().tolist())

    @functools.cached_property
    def departement_outlines(self) -> gpd.GeoDataFrame:
        """One outline per department (EPSG:4326) with its name, population and unit count."""
        outlines = self.units.dissolve(by="departement", aggfunc={"population": "sum", "code_insee": "count"})
        outlines = outlines.rename(columns={"code_insee": "units"}).reset_index()
        outlines["nom"] = outlines["departement"].map(DEPARTEMENT_NAMES).fillna(outlines["departement"])
        return outlines[["departement", "nom", "population", "units", "geometry"]]

    @functools.cached_property
    def epcis(self) -> pd.DataFrame:
        """EPCIs: ``epci_code, epci_nom, departement`` (of most of its units), ``units``; sorted by name."""
        table = self.units[self.units["epci_code"] != ""]
        grouped = table.groupby("epci_code", dropna=True)
        out = pd.DataFrame({"epci_nom": grouped["epci_nom"].first(),
                            "departement": grouped["departement"].agg(lambda s: s.mode().iloc[0]),
                            "units": grouped.size()}).reset_index()
        return out.sort_values(["epci_nom", "epci_code"], ignore_index=True)

    @functools.cached_property
    def reference_lonlat(self) -> np.ndarray:
        """Each unit's reference point (town hall, else a point inside), WGS84 lon/lat, shape (n, 2)."""
        return self.units[["mairie_lon", "mairie_lat"]].to_numpy(dtype=float)

    @functools.cached_property
    def reference_xy(self) -> np.ndarray:
        """Each unit's reference point in Lambert-93 x/y (metres), shape (n, 2)."""
        return _project_points(self.reference_lonlat)

    @functools.cached_property
    def label_points(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lat, lon)`` of a point per unit for labels: the reference point, else a point inside."""
        inside = self.units.geometry.representative_point()
        lon, lat = self.reference_lonlat[:, 0], self.reference_lonlat[:, 1]
        lat = np.where(np.isfinite(lat), lat, inside.y.to_numpy())
        lon = np.where(np.isfinite(lon), lon, inside.x.to_numpy())
        return lat, lon

    @functools.cached_property
    def units_lambert93(self) -> gpd.GeoDataFrame:
        """The units projected to Lambert-93 (areas, perimeters, distances). Shared: copy before changing."""
        return self.units.to_crs(LAMBERT93)


#: The ground views of :class:`Territory` (cached properties), for :meth:`Territory.built`.
_GROUND_VIEWS = ("fingerprint", "units", "codes", "position", "names", "departements", "departement_outlines",
                 "epcis", "reference_lonlat", "reference_xy", "label_points", "units_lambert93")


def _project_points(lonlat: np.ndarray) -> np.ndarray:
    points = gpd.GeoSeries(gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs=WGS84)
    return points.to_crs(LAMBERT93).get_coordinates().to_numpy()


@functools.lru_cache(maxsize=4)
def _territory_of(directory: str) -> Territory:
    return Territory(directory)


def territory(directory: Path | str | None = None) -> Territory:
    """The process-wide :class:`Territory` of ``directory`` (default: the committed territory).

    Built on first call (reading nothing until a view is asked for), then the same object.
    """
    return _territory_of(str(Path(directory or departements_dir()).resolve()))


def as_territory(territory_or_directory=None) -> Territory:
    """A :class:`Territory` as is, else the process-wide one of a directory (None: the committed one)."""
    if isinstance(territory_or_directory, Territory):
        return territory_or_directory
    return territory(territory_or_directory)


def load_units(directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """All sector units, EPSG:4326: :attr:`Territory.units` of :func:`territory`.

    Columns: ``code_insee``, ``nom``, ``unit_type`` (COM or ARM; not ``type``, which GeoDataFrame reserves for
    geometry types), ``commune_insee`` (Lyon for its arrondissements), ``departement``, ``epci_code``,
    ``epci_nom``, ``population``, ``codes_postaux`` (comma separated),
    ``anciennes_communes`` (``code:name:type`` joined by ``|``), ``mairie_lon``,
    ``mairie_lat``, ``point_source`` (mairie, village, interior),
    ``geometry_quality`` (source, rebuilt_from_delegated, approximate, missing)
    and ``geometry``. The frame is shared: copy it before changing it.
    """
    return as_territory(directory).units


def load_departements(directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """One outline per department (EPSG:4326) with its population and unit count."""
    return as_territory(directory).departement_outlines


def reference_points(units: gpd.GeoDataFrame | Territory | None = None) -> np.ndarray:
    """Reference point of each unit (town hall, else a point inside), Lambert-93 x/y, shape (n, 2).

    ``units``: a Territory or None (its cached points), or any frame with ``mairie_lon``/``mairie_lat``.
    """
    if units is None or isinstance(units, Territory):
        return as_territory(units).reference_xy
    default = territory()
    if "units" in default.__dict__ and units is default.units:
        return default.reference_xy
    return _project_points(units[["mairie_lon", "mairie_lat"]].to_numpy(dtype=float))


def units_lambert93(units: gpd.GeoDataFrame | Territory | None = None) -> gpd.GeoDataFrame:
    """The units projected to Lambert-93 (for areas and perimeters)."""
    if units is None or isinstance(units, Territory):
        return as_territory(units).units_lambert93
    default = territory()
    if "units" in default.__dict__ and units is default.units:
        return default.units_lambert93
    return units.to_crs(LAMBERT93)


#: Department names for labels (the units carry codes only).
DEPARTEMENT_NAMES = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence", "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes", "09": "Ariège", "10": "Aube",
    "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône", "14": "Calvados", "15": "Cantal",
    "16": "Charente", "17": "Charente-Maritime", "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud",
    "2B": "Haute-Corse", "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne",
    "25": "Doubs", "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard",
    "31": "Haute-Garonne", "32": "Gers", "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine",
    "36": "Indre", "37": "Indre-et-Loire", "38": "Isère", "39": "Jura", "40": "Landes",
    "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique", "45": "Loiret",
    "46": "Lot", "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse",
    "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise", "61": "Orne",
    "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales", "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône",
    "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie", "75": "Paris",
    "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres",
    "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse", "85": "Vendée",
    "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne", "90": "Territoire de Belfort",
    "91": "Essonne", "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis", "94": "Val-de-Marne",
    "95": "Val-d'Oise",
}
