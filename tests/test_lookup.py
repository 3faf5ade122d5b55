"""Commune look-ups on the real committed territory."""
from __future__ import annotations

import pytest

from geo.lookup import (LookupResult, gazetteer, normalize_insee_code, normalize_name,
                        normalize_postal_code)

LYON_ARRONDISSEMENTS = [f"6938{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def g():
    return gazetteer()


@pytest.mark.parametrize("text, expected", [
    ("St-Étienne", "SAINT ETIENNE"),
    ("saint etienne", "SAINT ETIENNE"),
    ("L'Abergement-Clémenciat", "L ABERGEMENT CLEMENCIAT"),
    ("L’ABERGEMENT CLEMENCIAT", "L ABERGEMENT CLEMENCIAT"),
    ("Ste-Foy-lès-Lyon", "SAINTE FOY LES LYON"),
    ("  Bourg   en-Bresse. ", "BOURG EN BRESSE"),
    ("LYON CEDEX 03", "LYON"),
    ("Puy-en-Velay (Le)", "LE PUY EN VELAY"),
    ("Villefranche s/ Saône", "VILLEFRANCHE SUR SAONE"),
    ("Œuilly", "OEUILLY"),
    ("Stella", "STELLA"),  # ST only as a whole word
    (None, ""),
    (float("nan"), ""),
])
def test_normalize_name(text, expected):
    assert normalize_name(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("1000", "01000"), (1000, "01000"), ("1000.0", "01000"), (1000.0, "01000"),
    ("69003", "69003"), (" 69 003 ", "69003"),
    ("690", None), ("ABCDE", None), ("", None), (None, None), ("690031", None), (1000.5, None),
])
def test_normalize_postal_code(value, expected):
    assert normalize_postal_code(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("1001", "01001"), (1001, "01001"), ("69123", "69123"), ("2a004", "2A004"),
    ("6912", "06912"), ("abc", None), ("691234", None), (None, None),
])
def test_normalize_insee_code(value, expected):
    assert normalize_insee_code(value) == expected


def test_by_code(g):
    assert g.by_code("42218") == ["42218"]
    assert g.by_code("69101") == ["69114"]  # Jarnioux, delegated commune of Porte des Pierres Dorées
    assert g.by_code("69114") == ["69114"]  # an old code equal to today's is today's unit
    assert g.by_code("69123") == LYON_ARRONDISSEMENTS
    assert g.by_code("1001") == ["01001"]  # lost leading zero
    assert g.by_code("75056") == []
    assert g.by_code("nonsense") == []


def test_by_postal_code(g):
    assert g.by_postal_code("69003") == ["69383"]
    for i in range(1, 10):
        assert g.by_postal_code(f"6900{i}") == [f"6938{i}"]
    assert g.by_postal_code(1000) == ["01053", "01344"]  # Bourg-en-Bresse, Saint-Denis-lès-Bourg
    assert "42218" in g.by_postal_code("42100")
    assert g.by_postal_code("75013") == []


@pytest.mark.parametrize("query, expected", [
    ("st etienne", "42218"),
    ("Saint-Étienne", "42218"),
    ("ST ETIENNE", "42218"),
    ("l'abergement clemenciat", "01001"),
    ("Abergement-Clémenciat", "01001"),
    ("jarnioux", "69114"),  # an old commune name leads to today's unit
    ("villeurbanne", "69266"),
    ("le puy en velay", "43157"),
    ("lyon 3e", "69383"),
    ("69003", "69383"),
])
def test_search_finds_first(g, query, expected):
    assert g.search(query)[0] == expected


def test_search_prefix_and_limit(g):
    found = g.search("saint gen", limit=5)
    assert len(found) == 5
    assert all(normalize_name(g.unit(c)["nom"]).startswith("SAINT GEN") for c in found)
    assert g.search("") == []
    assert g.search("zzzzzz") == []


def test_unit(g):
    row = g.unit("42218")
    assert row["nom"] == "Saint-Étienne" and row["departement"] == "42"
    assert row["population"] > 170_000 and "42100" in row["codes_postaux"]
    with pytest.raises(KeyError, match="69123"):
        g.unit("69123")


@pytest.mark.parametrize("args, unit, method, ambiguous", [
    (dict(code_insee="42218"), "42218", "code_insee", False),
    (dict(code_insee="69101"), "69114", "code_insee", False),
    (dict(code_insee="69123", postal_code="69008"), "69388", "code_insee", False),
    (dict(code_insee="69123"), "69383", "code_insee", True),  # most populous arrondissement
    (dict(postal_code="42000", name="ST ETIENNE"), "42218", "postal_code+name", False),
    (dict(postal_code="1000", name="bourg en bresse"), "01053", "postal_code+name", False),
    (dict(postal_code="1400", name="L'ABERGEMENT-CLEMENCIAT"), "01001", "postal_code+name", False),
    (dict(postal_code="69640", name="Jarnioux"), "69114", "postal_code+name", False),
    (dict(postal_code="69003", name="LYON"), "69383", "postal_code+name", False),
    (dict(postal_code="69100", name="Vileurbanne"), "69266", "postal_code+name", False),  # misspelt
    (dict(postal_code="69400", name="Villefranche s/ Saône"), "69264", "postal_code+name", False),
    (dict(name="69003 LYON"), "69383", "postal_code+name", False),  # postal code typed in the town
    (dict(name="Chambéry (73000)"), "73065", "postal_code+name", False),
    (dict(postal_code="69003"), "69383", "postal_code", False),
    (dict(postal_code="26400"), None, "postal_code", True),
    (dict(name="Villeurbanne"), "69266", "name", False),
    (dict(postal_code="69373", name="LYON CEDEX 08"), "69383", "name", True),
    (dict(code_insee="69999", postal_code="42000", name="St-Étienne"), "42218", "postal_code+name", False),
])
def test_match_places(g, args, unit, method, ambiguous):
    result = g.match(**args)
    assert isinstance(result, LookupResult)
    assert result.placed and result.method == method and result.ambiguous == ambiguous
    if unit:
        assert result.unit == unit
    if ambiguous:
        populations = [g.unit(c)["population"] for c in result.units]
        assert populations == sorted(populations, reverse=True)


def test_match_shared_postal_code_takes_most_populous(g):
    result = g.match(postal_code="26400")
    assert len(result.units) == len(g.by_postal_code("26400")) > 1
    assert result.unit == max(result.units, key=lambda c: g.unit(c)["population"])


@pytest.mark.parametrize("args, reason", [
    (dict(), "aucune localisation"),
    (dict(code_insee="75056"), "hors territoire"),
    (dict(code_insee="69999"), "code INSEE inconnu"),
    (dict(code_insee="ABC"), "code INSEE mal formé"),
    (dict(postal_code="75013", name="Paris"), "hors territoire"),
    (dict(postal_code="6900", name="Nice"), "hors territoire"),  # 06900 after the zero is restored
    (dict(postal_code="42999"), "code postal inconnu"),
    (dict(postal_code="690"), "code postal mal formé"),
    (dict(name="Atlantis"), "commune introuvable"),
])
def test_match_rejects(g, args, reason):
    result = g.match(**args)
    assert not result.placed and result.unit is None and result.method is None
    assert reason in result.note
