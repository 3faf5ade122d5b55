"""Export a plan: for people (French Excel CSV, XLSX) and for QGIS (GeoJSON, GeoPackage), and ``code_insee,sector``.

People's exports (:func:`people_csv`, :func:`people_xlsx`,
:func:`people_geojson`, :func:`people_geopackage`) carry the same fields, one
row per unit of the territory: code INSEE, commune, département, secteur,
référent, groupe, patients. The CSV is for French Excel (``;``, UTF-8 with
BOM); every export is read back by :func:`geo.sectors.io.read_plan_record`.

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

from geo.access import require_acting
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
    from geo.sectors.record import plan_frame

    frame = plan.to_frame() if hasattr(plan, "to_frame") else plan_frame(plan)[["code_insee", "sector"]]
    return safe_frame(frame.sort_values("code_insee")).to_csv(index=False).encode("utf-8")


# -- exports for people (Excel, QGIS) -------------------------------------------------------------------
#: Fields of the people's exports: (column of :func:`people_frame`, header in CSV/XLSX).
PEOPLE_FIELDS = (("code_insee", "Code INSEE"), ("commune", "Commune"), ("departement", "Département"),
                 ("secteur", "Secteur"), ("referent", "Référent·e"), ("groupe", "Groupe"),
                 ("patients", "Patients"))


def people_frame(plan, units: gpd.GeoDataFrame, *, team=None) -> gpd.GeoDataFrame:
    """One row per unit of ``units``: code_insee, commune, departement, secteur, referent, groupe, patients.

    Parameters
    ----------
    plan : PlanRecord, Plan or plan frame
        Units outside the plan get an empty sector; patients are the plan's
        counts (0 where it has none, empty when it carries no counts).
    units : GeoDataFrame
        The territory (:func:`geo.territory.load_units`).
    team : Team, optional
        Gives the groups when ``plan`` is not a record carrying its team.
    """
    require_acting("sectors.view")

    from geo.sectors.record import PlanRecord, plan_frame

    record = plan if isinstance(plan, PlanRecord) else PlanRecord(plan_frame(plan), team=team)
    if team is not None and record.team is None:
        record = record.replace(team=team)
    people = record.people().set_index("code_insee")
    codes = units["code_insee"].astype(str)
    frame = gpd.GeoDataFrame({
        "code_insee": codes.to_numpy(),
        "commune": units["nom"].astype(str).to_numpy() if "nom" in units.columns else "",
        "departement": units["departement"].astype(str).to_numpy() if "departement" in units.columns else "",
        "secteur": people["sector"].reindex(codes).fillna("").to_numpy(),
        "referent": people["referent"].reindex(codes).fillna("").to_numpy(),
        "groupe": people["groupe"].reindex(codes).fillna("").to_numpy(),
    }, geometry=units.geometry.reset_index(drop=True).to_numpy(), crs=units.crs)
    counts = record.counts()
    if counts is not None or "patients" in record.frame.columns:
        per = (counts.set_index("code_insee")["patients"] if counts is not None else pd.Series(dtype="int64"))
        frame["patients"] = per.reindex(codes).fillna(0).astype("int64").to_numpy()
    else:
        frame["patients"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    return frame


def _people_table(plan, units, team) -> pd.DataFrame:
    frame = pd.DataFrame(people_frame(plan, units, team=team).drop(columns="geometry"))
    # spreadsheets run a cell starting with = + - @ as a formula: names are neutralised
    return safe_frame(frame.rename(columns=dict(PEOPLE_FIELDS)).sort_values("Code INSEE", ignore_index=True))


def people_csv(plan, units: gpd.GeoDataFrame, *, team=None) -> bytes:
    """The plan for French Excel: ``;``-separated, UTF-8 with BOM, French headers (:data:`PEOPLE_FIELDS`)."""
    text = _people_table(plan, units, team).to_csv(index=False, sep=";", lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def people_xlsx(plan, units: gpd.GeoDataFrame, *, team=None) -> bytes:
    """The plan as an XLSX workbook (sheet ``secteurs``, French headers, codes kept as text)."""
    import io

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _people_table(plan, units, team).to_excel(writer, sheet_name="secteurs", index=False)
    return buffer.getvalue()


def _people_sectors(units_frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    inside = units_frame[units_frame["secteur"] != ""]
    rows, shapes = [], []
    for sector, part in inside.groupby("secteur", sort=True):
        rows.append({"secteur": sector, "referent": part["referent"].iloc[0], "groupe": part["groupe"].iloc[0],
                     "communes": int(len(part)),
                     "patients": int(part["patients"].fillna(0).sum()) if part["patients"].notna().any() else None})
        shapes.append(shapely.union_all(part.geometry.to_numpy()))
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=["secteur", "referent", "groupe", "communes", "patients"]),
                            geometry=shapes, crs=units_frame.crs)


def people_geojson(plan, units: gpd.GeoDataFrame, *, team=None) -> bytes:
    """The units with their sector, referent, group and patients as GeoJSON (EPSG:4326)."""
    frame = people_frame(plan, units, team=team).to_crs(WGS84)
    return frame.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")


def people_geopackage(plan, units: gpd.GeoDataFrame, *, team=None) -> bytes:
    """A GeoPackage: layer ``communes`` (the :data:`PEOPLE_FIELDS`) and ``secteurs`` (units dissolved), EPSG:4326."""
    frame = people_frame(plan, units, team=team)
    with tempfile.TemporaryDirectory(prefix="secteurs-export-") as tmp:
        path = Path(tmp) / "plan.gpkg"
        frame.to_crs(WGS84).to_file(path, layer=UNITS_LAYER, driver="GPKG")
        _people_sectors(frame).to_crs(WGS84).to_file(path, layer=SECTORS_LAYER, driver="GPKG",
                                                     promote_to_multi=True)
        return path.read_bytes()


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
