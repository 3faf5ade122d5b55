"""Export a plan: CSV (``code_insee,sector``), GeoJSON and GeoPackage (opens in QGIS).

Everything is returned as bytes (nothing is written in the source tree); the
GeoPackage goes through a temporary file, as GDAL needs a path for several layers.

Layers
------
communes   one feature per unit: code_insee, nom, departement, epci_nom, sector, patients
secteurs   one feature per sector (units dissolved): sector, target, load, deviation,
           patients, units, mean_km, max_km, contiguous
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.safe_export import safe_frame

#: CRS of the GeoJSON export (RFC 7946) and of the GeoPackage layers.
WGS84 = "EPSG:4326"
#: Layer names in the GeoPackage.
UNITS_LAYER, SECTORS_LAYER = "communes", "secteurs"


def _check_units(plan, units: gpd.GeoDataFrame) -> None:
    if len(units) != plan.context.n:
        raise ValueError(f"units has {len(units)} rows; the plan has {plan.context.n} units")
    codes = units["code_insee"].astype(str).to_numpy()
    if not np.array_equal(codes, plan.context.codes):
        raise ValueError("units must be the plan's territory, in the same order (load_units())")


def plan_csv(plan) -> bytes:
    """``code_insee,sector``, every unit once in code order (readable by ``secteurs plan``)."""
    return safe_frame(plan.to_frame()).to_csv(index=False).encode("utf-8")


def units_frame(plan, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per unit with its sector and patients (EPSG:4326)."""
    _check_units(plan, units)
    names = np.array(plan.names, dtype=object)
    columns = [c for c in ("code_insee", "nom", "departement", "epci_nom") if c in units.columns]
    frame = gpd.GeoDataFrame(units[columns].reset_index(drop=True),
                             geometry=units.geometry.reset_index(drop=True), crs=units.crs)
    frame.insert(len(columns), "sector", names[plan.assignment])
    frame.insert(len(columns) + 1, "patients", plan.context.patients.astype(int))
    return frame.to_crs(WGS84)


def sectors_frame(plan, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per sector, its units dissolved, with its metrics (EPSG:4326)."""
    from geo.sectors.edit import sector_table

    _check_units(plan, units)
    geoms = units.geometry.to_numpy()
    shapes = [shapely.union_all(geoms[plan.assignment == s]) for s in range(plan.k)]
    table = sector_table(plan)
    table["load"] = table["load"].round(3)
    table["target"] = table["target"].round(3)
    table["deviation"] = table["deviation"].round(5)
    table["mean_km"] = table["mean_km"].round(2)
    table["max_km"] = table["max_km"].round(2)
    return gpd.GeoDataFrame(table, geometry=shapes, crs=units.crs).to_crs(WGS84)


def plan_geojson(plan, units: gpd.GeoDataFrame, *, dissolve: bool = False) -> bytes:
    """A GeoJSON FeatureCollection (EPSG:4326): the units with their sector, or the dissolved sectors."""
    frame = sectors_frame(plan, units) if dissolve else units_frame(plan, units)
    return frame.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")


def plan_geopackage(plan, units: gpd.GeoDataFrame) -> bytes:
    """A GeoPackage with two layers, ``communes`` and ``secteurs`` (EPSG:4326)."""
    with tempfile.TemporaryDirectory(prefix="secteurs-export-") as tmp:
        path = Path(tmp) / "plan.gpkg"
        units_frame(plan, units).to_file(path, layer=UNITS_LAYER, driver="GPKG")
        sectors_frame(plan, units).to_file(path, layer=SECTORS_LAYER, driver="GPKG", promote_to_multi=True)
        return path.read_bytes()


def moves_csv(moves: pd.DataFrame) -> bytes:
    """A moves table (``code_insee, nom, from, to, patients``) as CSV bytes."""
    return safe_frame(moves).to_csv(index=False).encode("utf-8")
