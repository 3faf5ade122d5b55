"""What the sessions share (app.shared, the partner table, the sector sheet) follows every change.

Issue 15: twelve sessions must not each rebuild what is the same for all, but an
edit by one person must show to the others at their next run. A real partner is
added to the directory (the database every page reads) between two runs of two
sessions of the Fiche secteur and Accueil pages.
"""
from __future__ import annotations

import os
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from app import shared
from apptest_helpers import MAIN, assert_no_error as _ok, page_with_plan_file

WITNESS = "CCAS Témoin du cache partagé"


def test_shared_builds_once_per_key_even_when_asked_at_once():
    shared.clear()
    calls = []

    def build():
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to ask while the first builds
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(shared.shared("t", ("k", 1), build)))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1
    assert shared.shared("t", ("k", 2), build) is not results[0] and len(calls) == 2  # a new key builds afresh


def test_a_failed_build_is_not_kept():
    shared.clear()

    def broken():
        raise ValueError("no")

    with pytest.raises(ValueError):
        shared.shared("t", "x", broken)
    assert shared.shared("t", "x", lambda: 42) == 42


def test_digest_follows_content_not_identity(units):
    frame = units[["code_insee", "departement"]]
    assert shared.digest(frame) == shared.digest(frame.copy())
    changed = frame.copy()
    changed.loc[changed.index[0], "departement"] = "99"
    assert shared.digest(changed) != shared.digest(frame)
    assert shared.digest(None) != shared.digest(frame)


def _fiche(plan_csv: bytes) -> AppTest:
    at = page_with_plan_file("fiche_secteur", plan_csv, timeout=300)
    at.selectbox(key="fiche_sector").select("S69").run()
    _ok(at)
    return at


def _names_on_sheet(at: AppTest) -> set[str]:
    names = set()
    for frame in at.dataframe:
        value = frame.value
        if "Nom" in value.columns:
            names.update(value["Nom"].astype(str))
    return names


def _partners_metric(at: AppTest) -> str:
    return {m.label: m.value for m in at.metric}["Partenaires"]


@pytest.fixture
def witness_added():
    """Adds a real partner in Lyon 3e (as another person would), removes it afterwards."""
    import partners
    from partners.model import Partner
    from services.storage import open_database

    conn = open_database(os.environ["SECTEURS_DB"])
    added = []

    def add():
        result = partners.save_partner(conn, Partner(type="CCAS", name=WITNESS, code_insee="69383",
                                                     phone="04 72 00 00 00"), author="Test du cache")
        added.append(result.id)

    try:
        yield add
    finally:
        for partner_id in added:
            partners.delete_partner(conn, partner_id, author="Test du cache")
        conn.close()


def test_a_partner_added_by_someone_shows_on_the_others_next_run(department_plan_csv, witness_added):
    first, second = _fiche(department_plan_csv), _fiche(department_plan_csv)
    home = AppTest.from_file(str(MAIN), default_timeout=300).run()
    _ok(home)
    partners_before = _partners_metric(home)
    assert WITNESS not in _names_on_sheet(first)

    witness_added()

    first.run()  # the session that had the sheet: its next run reads the new directory
    _ok(first)
    assert WITNESS in _names_on_sheet(first)
    second.run()
    assert WITNESS in _names_on_sheet(second)
    third = _fiche(department_plan_csv)  # and a session opened afterwards
    assert WITNESS in _names_on_sheet(third)
    home.run()
    _ok(home)
    assert _partners_metric(home) != partners_before
