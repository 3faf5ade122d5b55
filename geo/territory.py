"""The territory: sector units (communes, Lyon's arrondissements) and departments.

Public functions
----------------
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


@functools.lru_cache(maxsize=4)
def _load_units_cached(directory: str) -> gpd.GeoDataFrame:
    frames = [pyogrio.read_dataframe(path, layer=LAYER) for path in territory_files(Path(directory))]
    units = pd.concat(frames, ignore_index=True)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=frames[0].crs).to_crs(WGS84)
    units = units.sort_values("code_insee", ignore_index=True)
    for column in ("codes_postaux", "anciennes_communes", "epci_code", "epci_nom"):
        units[column] = units[column].fillna("")
    units["population"] = units["population"].astype("int64")
    return units


def load_units(directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """All sector units, EPSG:4326.

    Columns: ``code_insee``, ``nom``, ``unit_type`` (COM or ARM; not ``type``, which GeoDataFrame reserves for geometry types), ``commune_insee``
    (Lyon for its arrondissements), ``departement``, ``epci_code``,
    ``epci_nom``, ``population``, ``codes_postaux`` (comma separated),
    ``anciennes_communes`` (``code:name:type`` joined by ``|``), ``mairie_lon``,
    ``mairie_lat``, ``point_source`` (mairie, village, interior),
    ``geometry_quality`` (source, rebuilt_from_delegated, approximate, missing)
    and ``geometry``. The frame is shared: copy it before changing it.
    """
    return _load_units_cached(str(Path(directory or departements_dir()).resolve()))


def load_departements(directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """One outline per department (EPSG:4326) with its population and unit count."""
    units = load_units(directory)
    outlines = units.dissolve(by="departement", aggfunc={"population": "sum", "code_insee": "count"})
    outlines = outlines.rename(columns={"code_insee": "units"}).reset_index()
    outlines["nom"] = outlines["departement"].map(DEPARTEMENT_NAMES).fillna(outlines["departement"])
    return outlines[["departement", "nom", "population", "units", "geometry"]]


def reference_points(units: gpd.GeoDataFrame | None = None) -> np.ndarray:
    """Reference point of each unit (town hall, else a point inside), Lambert-93 x/y, shape (n, 2)."""
    units = load_units() if units is None else units
    points = gpd.GeoSeries(gpd.points_from_xy(units["mairie_lon"], units["mairie_lat"]), crs=WGS84)
    xy = points.to_crs(LAMBERT93).get_coordinates().to_numpy()
    return xy


def units_lambert93(units: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The units projected to Lambert-93 (for areas and perimeters)."""
    units = load_units() if units is None else units
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
