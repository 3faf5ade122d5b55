"""The place resolver on the committed territory: the issue's examples, every input form, and a property
test over random communes and the variants people type (never a wrong commune without a flag)."""
from __future__ import annotations

import doctest
import importlib.util
import random
import sys
import time
from pathlib import Path

import pytest

from geo import resolver as resolver_module
from geo.lookup import gazetteer
from geo.resolver import (AMBIGUOUS, CORRECTED, FOUND, NOT_FOUND, resolve, resolve_fields, resolve_many,
                          resolver)

BENCH = Path(__file__).resolve().parent.parent / "bench" / "resolver.py"


def test_doctests():
    failures, _ = doctest.testmod(resolver_module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


# -- the examples ---------------------------------------------------------------------------
def test_69290_is_an_insee_code_and_a_postal_code_so_it_asks():
    r = resolve("69290")
    assert r.status == AMBIGUOUS and r.reason == "places.insee_or_postal" and r.code is None
    assert r.params == {"number": "69290", "insee": 1, "postal": 4}
    reasons = {c.code: c.reason for c in r.candidates}
    assert reasons == {"69290": "places.insee_code", "69069": "places.postal_code", "69094": "places.postal_code",
                       "69154": "places.postal_code", "69205": "places.postal_code"}
    assert [c.name for c in r.candidates][:2] == ["Saint-Priest", "Craponne"]
    assert sum(c.confidence for c in r.candidates) == pytest.approx(1, abs=0.01)


def test_69290_with_a_name_is_certain():
    assert resolve("69290 Craponne").code == "69069"
    assert resolve("Craponne (69290)").status == FOUND
    assert resolve("69290 Saint-Priest").code == "69290"
    assert resolve("St Genis les Ollieres 69290").code == "69205"


def test_anecy_suggests_annecy_but_does_not_apply_it_alone():
    """Annecy and Ancy are both one letter away: the hub chooses, Annecy first."""
    r = resolve("Anecy")
    assert r.status == AMBIGUOUS and r.reason == "places.close_spellings"
    assert r.codes[:2] == ["74010", "69008"] and r.candidates[0].reason == "places.close_spelling"


def test_a_close_spelling_with_no_rival_is_corrected():
    r = resolve("Villeurbane")
    assert r.status == CORRECTED and r.code == "69266" and r.reason == "places.close_spelling"
    assert 0.8 < r.confidence < 1


def test_le_puy_is_le_puy_en_velay():
    r = resolve("Le Puy")
    assert r.status == CORRECTED and r.code == "43157" and r.reason == "places.short_name"


@pytest.mark.parametrize("text, code", [("69800", "69290"), ("74000", "74010")])
def test_postal_code_typed_as_a_commune(text, code):
    assert resolve(text).code == code
    assert resolve_fields(name=text).code == code  # in the town column of a list


def test_69123_is_lyon_without_arrondissement():
    r = resolve("69123")
    assert r.status == AMBIGUOUS and r.reason == "places.lyon_without_arrondissement"
    assert sorted(r.codes) == [f"6938{i}" for i in range(1, 10)]
    assert resolve("Lyon").reason == "places.lyon_without_arrondissement"
    # with a postal code the arrondissement is known
    assert resolve_fields(code_insee="69123", postal_code="69008").code == "69388"


@pytest.mark.parametrize("text", ["Lyon 8e", "Lyon 8", "lyon 08", "Lyon 8ème", "LYON 8EME ARRONDISSEMENT",
                                  "69008 Lyon", "Lyon (69008)", "69388"])
def test_lyon_arrondissement_spellings(text):
    r = resolve(text)
    assert (r.status, r.code) == (FOUND, "69388"), text


def test_69008_alone_is_lyon_8e_or_ancy():
    r = resolve("69008")
    assert r.status == AMBIGUOUS and r.codes == ["69388", "69008"]


def test_lyon_12e_is_not_guessed():
    r = resolve("Lyon 12e")
    assert r.status == NOT_FOUND and r.reason == "places.unknown_arrondissement" and not r.candidates


# -- forms of input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, code, reason", [
    ("St Genis les Ollieres", "69205", "places.name"),
    ("ste foy les lyon", "69202", "places.name"),
    ("SAINTE FOY LES LYON", "69202", "places.name"),
    ("St Étienne", "42218", "places.name"),
    ("chambery", "73065", "places.name"),
    ("Bourg en Bresse", "01053", "places.name"),
    ("Le Puy-en-Velay", "43157", "places.name"),        # the article people add
    ("Jarnioux", "69114", "places.former_commune"),     # delegated commune -> Porte des Pierres Dorées
    ("69101", "69114", "places.former_commune"),        # its INSEE code
    ("42218", "42218", "places.insee_code"),
    ("38100 Grenoble", "38185", "places.code_and_name"),
    ("1000 Bourg-en-Bresse", "01053", "places.code_and_name"),  # leading zero lost by a spreadsheet
])
def test_forms_people_type(text, code, reason):
    r = resolve(text)
    assert (r.code, r.reason) == (code, reason), (text, r)


def test_name_borne_by_two_communes_asks_and_a_department_decides():
    r = resolve("St Priest")
    assert r.status == AMBIGUOUS and r.reason == "places.name_shared" and set(r.codes) == {"69290", "07288"}
    assert resolve("Saint-Priest (07)").code == "07288"


def test_postal_code_shared_lists_every_commune():
    r = resolve("26400")
    assert r.status == AMBIGUOUS and r.reason == "places.postal_code_shared"
    assert len(r.codes) == r.params["count"] == len(gazetteer().by_postal_code("26400"))


def test_code_and_name_that_disagree_keep_both_readings():
    r = resolve("38000 Lyon")
    assert r.status == AMBIGUOUS and r.reason == "places.code_name_disagree"
    assert "38185" in r.codes and "69383" in r.codes


@pytest.mark.parametrize("text, reason", [("75013 Paris", "places.outside_territory"),
                                          ("Atlantis", "places.unknown_name"), ("", "places.empty"),
                                          ("   ", "places.empty"), (None, "places.empty"),
                                          ("42999", "places.unknown_code")])
def test_not_found_says_why(text, reason):
    r = resolve(text)
    assert (r.status, r.reason, r.code, r.confidence) == (NOT_FOUND, reason, None, 0.0)


@pytest.mark.parametrize("fields, status, reason", [
    (("ABC", "", ""), NOT_FOUND, "places.malformed_insee"),
    (("69999", "", ""), NOT_FOUND, "places.unknown_insee"),
    (("75056", "", ""), NOT_FOUND, "places.outside_territory"),
    (("", "690", ""), NOT_FOUND, "places.malformed_postal_code"),
    (("", "42999", ""), NOT_FOUND, "places.unknown_postal_code"),
    (("", "69290", ""), AMBIGUOUS, "places.postal_code_shared"),   # the column says postal code
    (("69290", "", ""), FOUND, "places.insee_code"),               # the column says INSEE code
    (("", "", "69290"), AMBIGUOUS, "places.insee_or_postal"),      # a town column: read as typed
    (("", "69640", "JARNIOUX"), FOUND, "places.code_and_name"),
])
def test_fields_of_a_row(fields, status, reason):
    r = resolve_fields(*fields)
    assert (r.status, r.reason) == (status, reason), (fields, r)


def test_every_reason_has_a_french_message():
    from app.messages import CATALOGUE
    from app.messages.places import candidate_reason, status_label, why

    texts = ["69290", "Anecy", "Le Puy", "Bourg", "Thiel", "69123", "Lyon 12e", "38000 Lyon", "St Priest",
             "Saint-Priest (07)", "Villeurbane", "Jarnioux", "75013 Paris", "Atlantis", "", "42999", "69290 Craponne"]
    results = [resolve(t) for t in texts] + [resolve_fields("ABC"), resolve_fields("69999"),
                                             resolve_fields(postal_code="690"), resolve_fields(postal_code="42999")]
    for r in results:
        assert r.reason in CATALOGUE, r.reason
        assert why(r) and "{" not in why(r) and status_label(r.status)
        for c in r.candidates:
            assert c.reason in CATALOGUE and candidate_reason(c)


# -- lists: the same answers as single entry ----------------------------------------------------------
def test_batch_gives_the_same_answers_as_single_entry():
    texts = ["69290", "Anecy", "Le Puy", "69800", "Lyon 8e", "69290", None, "Atlantis", "St Priest"]
    batch = resolve_many(texts)
    assert [(r.status, r.codes) for r in batch] == [(resolve(t).status, resolve(t).codes) for t in texts]
    assert batch[0] is batch[5]  # each distinct text once


# -- property: never a wrong commune without a flag -----------------------------------------------------
def _bench():
    spec = importlib.util.spec_from_file_location("bench_resolver", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_communes_and_variants_are_never_wrong_without_a_flag(seed):
    """Random communes typed the bench's ways (codes, postal codes, spellings, typos, former names, Lyon)."""
    bench = _bench()
    inputs, _ = bench.build_inputs(seed=seed, typos=2)
    sample = random.Random(seed).sample(inputs, 1500)
    outcomes = {"right": 0, "flagged": 0, "flagged_without": 0, "not_found": 0, "wrong": 0}
    wrong = []
    for text, expected, variant in sample:
        r = resolve(text)
        kind = bench.classify(r, expected)
        outcomes[kind] += 1
        if kind == "wrong":
            wrong.append((text, variant, expected, r.code))
    assert not wrong
    assert (outcomes["right"] + outcomes["flagged"]) / len(sample) >= 0.98, outcomes


def test_typos_of_random_communes_are_never_applied_when_another_commune_is_as_close():
    """Every 'corrected' answer on a typo has no other commune within one edit of the best."""
    from rapidfuzz.distance import OSA

    from geo.lookup import _name_key

    bench = _bench()
    rng = random.Random(5)
    g = gazetteer()
    index = resolver()
    for code in rng.sample(g.codes, 300):
        typo = bench._typo(str(g.unit(code)["nom"]), rng)
        r = resolve(typo)
        if r.status == CORRECTED and r.reason == "places.close_spelling":
            key = _name_key(typo)
            distances = sorted(min(OSA.distance(key, k) for k in index._keys_of(c)) for c in g.codes)
            assert distances[1] >= distances[0] + 2, typo


def test_resolving_is_fast_enough_for_lists():
    """Not a timing budget (bench/resolver.py measures it): a sanity check that 2,000 inputs take well under 5 s."""
    bench = _bench()
    inputs, _ = bench.build_inputs(seed=1, typos=1)
    texts = [t for t, _, _ in random.Random(1).sample(inputs, 2000)]
    index = resolver()
    start = time.perf_counter()
    for text in texts:
        index.resolve(text)
    assert time.perf_counter() - start < 5
