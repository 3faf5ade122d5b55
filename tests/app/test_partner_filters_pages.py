"""Orientation and Fiche secteur with "Psychologues : réseau seulement" and labels (AppTest, real territory).

The pages run on a database of their own holding a small TEST directory of real (non-demo)
partners: a psychologist in Sainte-Foy-lès-Lyon who is not a member of the psycho-oncology
network, and one in Villeurbanne who is. With the option the member is proposed although the
other is nearer; without it, nothing changes.
"""
from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import assert_no_error as _ok, page_with_plan_file
from partners.model import NETWORK_LABEL, Partner

NEAR = "Psychologue proche non membre (test)"
MEMBER = "Psychologue du réseau (test)"
CONVENTION_HAD = "HAD sous convention (test)"


@pytest.fixture(scope="module", autouse=True)
def own_database(tmp_path_factory):
    """A database with the TEST directory, for this module's pages only."""
    from partners.store import save_partner
    from services.storage import open_database

    path = tmp_path_factory.mktemp("filter_pages") / "secteurs.sqlite"
    conn = open_database(path)
    for partner in (Partner(type="PSY", name=NEAR, code_insee="69202", phone="0478000001"),
                    Partner(type="PSY", name=MEMBER, code_insee="69266", phone="0478000002",
                            labels=(NETWORK_LABEL,)),
                    Partner(type="HAD", name="HAD sans convention (test)", code_insee="69383"),
                    Partner(type="HAD", name=CONVENTION_HAD, code_insee="69387", labels=("convention",))):
        save_partner(conn, partner, author="test")
    conn.close()
    old = os.environ.get("SECTEURS_DB")
    os.environ["SECTEURS_DB"] = str(path)
    _forget_database()
    yield path
    if old is None:
        os.environ.pop("SECTEURS_DB", None)
    else:
        os.environ["SECTEURS_DB"] = old
    _forget_database()


def _forget_database() -> None:
    """The app keeps one connection per process (``st.cache_resource``): drop it so that the pages
    open ``$SECTEURS_DB`` as it is now, here and in the modules that run after this one."""
    from app import resources

    resources.connection.clear()
    resources.nearest_by_unit.clear()


@pytest.fixture(scope="module")
def orientation(department_plan_csv) -> AppTest:
    at = page_with_plan_file("orientation", department_plan_csv, timeout=180)
    at.text_input(key="orientation_query").input("Sainte-Foy-lès-Lyon").run()
    return at


def test_network_only_chooses_the_member_and_its_absence_changes_nothing(orientation):
    at = orientation
    _ok(at)
    assert not any("démonstration" in w.value for w in at.warning)  # real partners only
    summary = at.code[0].value
    assert NEAR in summary and MEMBER not in summary and NETWORK_LABEL not in summary
    assert not any("Partenaires filtrés" in c.value for c in at.caption)

    at.toggle(key="orientation_filter_network_only").set_value(True).run()
    _ok(at)
    summary = at.code[0].value
    assert MEMBER in summary and NEAR not in summary
    assert f"(PSY) — {NETWORK_LABEL} :" in summary
    assert "Partenaires filtrés : psychologues membres du réseau" in summary
    assert MEMBER in at.code[1].value and NEAR not in at.code[1].value  # the full list too
    assert any("Partenaires filtrés" in c.value for c in at.caption)
    assert any("1 psychologue(s) membre(s) du réseau" in c.value for c in at.caption)

    at.toggle(key="orientation_filter_network_only").set_value(False).run()
    _ok(at)
    assert NEAR in at.code[0].value and MEMBER not in at.code[0].value


def test_list_routing_uses_the_option(orientation):
    at = orientation
    listing = "Dossier;Code INSEE\nA1;69202\n".encode("utf-8")
    at.file_uploader(key="orientation_list").set_value(("liste.csv", listing, "text/csv")).run()
    _ok(at)
    assert at.dataframe[-1].value.loc[0, "psy"] == NEAR
    at.toggle(key="orientation_filter_network_only").set_value(True).run()
    _ok(at)
    assert at.dataframe[-1].value.loc[0, "psy"] == MEMBER
    assert any("Colonnes des partenaires filtrées" in c.value for c in at.caption)
    at.toggle(key="orientation_filter_network_only").set_value(False).run()


def test_a_label_filters_the_summary(orientation):
    at = orientation
    labels = at.multiselect(key="orientation_filter_labels")
    assert "convention" in labels.options and NETWORK_LABEL in labels.options
    labels.set_value(["convention"]).run()
    _ok(at)
    summary = at.code[0].value
    assert CONVENTION_HAD in summary and "HAD sans convention" not in summary and NEAR not in summary
    at.multiselect(key="orientation_filter_labels").set_value([]).run()


def test_fiche_secteur_with_network_only(department_plan_csv):
    at = page_with_plan_file("fiche_secteur", department_plan_csv, timeout=300)
    at.selectbox(key="fiche_sector").select("S69").run()
    _ok(at)
    key = at.dataframe[-1].value
    assert set(key.loc[key["Type"] == "PSY", "Nom"]) == {NEAR, MEMBER}
    assert any("tout l'annuaire (aucun filtre)" in c.value for c in at.caption)

    at.toggle(key="fiche_filter_network_only").set_value(True).run()
    _ok(at)
    key = at.dataframe[-1].value
    psy = key[key["Type"] == "PSY"]
    assert psy["Nom"].tolist() == [MEMBER] and psy["Pourquoi"].str.contains(NETWORK_LABEL).all()
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert any("Partenaires filtrés : psychologues membres du réseau" in c for c in captions)
    assert not any(NEAR in str(frame.value.to_dict()) for frame in at.dataframe)


def test_network_members_of_a_directory_without_psychologists():
    """A directory with no PSY at all (a real one before its first RPPS import) counts 0, not a crash."""
    import pandas as pd

    from app.partner_filter_picker import network_members

    directory = pd.DataFrame({"type": ["CCAS", "HAD"], "labels": [None, "Réseau"]})
    assert network_members(directory) == 0
