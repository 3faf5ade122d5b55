"""Neighbouring partners across the border, networks' members' lists, a SYNTHETIC national
Annuaire Santé extract, town names alone, the readable history and the partner messages."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from partners.importer import RPPS_WITHOUT_NETWORK_MAX, import_partners
from partners.model import NETWORK_LABEL, Partner
from partners.preview import preview_import
from partners.query import nearest
from partners.store import get_partner, list_partners, partner_history, save_partner, undo
from partners.validation import ValidationError

ROOT = Path(__file__).resolve().parents[2]

#: Template rows: Mâcon (Saône-et-Loire, across the Saône from the Ain), Nevers (Nièvre, 24 km from
#: the Allier), Paris (far), and one in Lyon.
BORDER_ROWS = """type;nom;code_insee;lon;lat;telephone
HAD;HAD de Mâcon (test);71270;4,8295;46,3069;03 85 00 00 00
SSIAD;SSIAD de Nevers (test);58194;3,1596;46,9896;
HAD;HAD de Paris (test);75115;2,2935;48,8417;
HAD;HAD de Lyon (test);69383;4,8570;45,7600;
"""


@pytest.fixture
def border_file(tmp_path):
    path = tmp_path / "frontiere.csv"
    path.write_text(BORDER_ROWS, encoding="utf-8")
    return path


def test_neighbours_are_kept_and_found_far_ones_set_aside(conn, places, border_file):
    preview = preview_import(conn, border_file, "csv", places=places)
    rows = preview.frame().set_index("name")
    assert rows.loc["HAD de Mâcon (test)", "action"] == "created" and rows.loc["HAD de Mâcon (test)", "flags"] == "neighbour"
    assert rows.loc["SSIAD de Nevers (test)", "flags"] == "neighbour" and 15 < rows.loc["SSIAD de Nevers (test)", "border_km"] < 40
    assert rows.loc["HAD de Paris (test)", "action"] == "set_aside" and rows.loc["HAD de Paris (test)", "flags"] == "far"
    assert rows.loc["HAD de Lyon (test)", "flags"] == ""
    assert len(list_partners(conn)) == 0  # a preview writes nothing
    report = import_partners(conn, border_file, "csv", places=places)
    assert (report.created, report.neighbours, report.set_aside) == (3, 2, 1)
    table = list_partners(conn).set_index("name")
    assert table.loc["HAD de Mâcon (test)", "neighbour"] and table.loc["HAD de Mâcon (test)", "outside_territory"]
    assert not table.loc["HAD de Lyon (test)", "neighbour"]
    # Replonges (01) sits across the Saône from Mâcon: the neighbour is its nearest HAD
    assert nearest(conn, "HAD", commune="01320", k=1, places=places).iloc[0]["name"] == "HAD de Mâcon (test)"
    # a shorter distance turns Nevers into a far partner
    near = preview_import(conn, border_file, "csv", places=places, neighbour_km=10)
    assert set(near.frame().query("action == 'set_aside'")["name"]) == {"SSIAD de Nevers (test)", "HAD de Paris (test)"}


def test_network_list_tags_members_by_rpps_or_name_and_commune(conn, places, tmp_path):
    from partners.network import read_network, tag_network

    member = save_partner(conn, Partner(type="PSY", name="Claire Martin", code_insee="69383", rpps="10001045367"),
                          author="a", places=places).partner
    by_name = save_partner(conn, Partner(type="PSY", name="Jean-Paul Durand", code_insee="38185"),
                           author="a", places=places).partner
    other = save_partner(conn, Partner(type="PSY", name="Paul Durand", code_insee="38185"), author="a",
                         places=places).partner
    listing = tmp_path / "reseau.csv"
    listing.write_text("rpps;nom;prenom;commune;code_postal\n10001045367;;;;\n;DURAND;Jean-Paul;Grenoble;38000\n"
                       ";INCONNU;Zoé;Lyon 3e Arrondissement;69003\n12345;;;;\n;;;Lyon;\n", encoding="utf-8")
    network = read_network(listing, places=places)
    assert len(network.members) == 3 and [r for r, _ in network.rejects] == [5, 6]
    assert network.rejects[0][1].code == "partners.rpps_length"
    report = tag_network(conn, network, author="alice")
    assert sorted(report.tagged) == sorted([member.id, by_name.id]) and len(report.not_found) == 1
    assert get_partner(conn, member.id).labels == (NETWORK_LABEL,) and get_partner(conn, other.id).labels == ()
    again = tag_network(conn, network, author="alice")
    assert again.tagged == [] and sorted(again.already) == sorted([member.id, by_name.id])
    undo(conn)  # the tagging was one change
    assert get_partner(conn, member.id).labels == () and get_partner(conn, by_name.id).labels == ()


def test_synthetic_national_extract_imports_the_network_not_every_psychologist(conn, places, tmp_path, units):
    from partners.io.synthetic_rpps import write_extract, write_network_list

    extract = tmp_path / "PS_LibreAcces_Personne_activite_202411300000.txt"
    made = write_extract(extract, lines=40_000, territory_psychologists=RPPS_WITHOUT_NETWORK_MAX + 200, units=units)
    assert made["psychologists"] > len(made["territory"])
    with pytest.raises(ValidationError) as refused:
        import_partners(conn, extract, "rpps", places=places)
    assert refused.value.code == "partners.rpps_needs_network"
    assert len(list_partners(conn)) == 0
    listing = tmp_path / "reseau.csv"
    members = write_network_list(listing, made["territory"], members=40)
    report = import_partners(conn, extract, "rpps", places=places, network=listing)
    table = list_partners(conn, type="PSY")
    assert report.created == len(table) == 40 and report.rejected == 0
    assert report.skipped["not_in_network"] == made["psychologists"] - 40
    assert (table["labels"] == NETWORK_LABEL).all()
    assert set(table["rpps"]) == {m[0] for m in members}
    # the same extract again: nothing changes
    assert import_partners(conn, extract, "rpps", places=places, network=listing).unchanged == 40


def test_a_town_name_alone_is_enough_when_unique(conn, places):
    saved = save_partner(conn, Partner(type="CCAS", name="CCAS test", commune="Vénissieux"), author="a",
                         places=places).partner
    assert saved.code_insee == "69259"
    with pytest.raises(ValidationError) as several:
        save_partner(conn, Partner(type="CCAS", name="CCAS test 2", commune="Saint-Priest"), places=places)
    assert several.value.code == "partners.name_several_units"
    assert set(several.value.params["candidates"]) == {"69290", "07288"}


def test_history_is_readable(conn, places):
    from app.messages import render_code
    from partners.history import french_datetime, readable_history

    partner = save_partner(conn, Partner(type="CCAS", name="CCAS de Lyon 3e", code_insee="69383"), author="alice",
                           places=places).partner
    save_partner(conn, partner.replace(phone="0472112233", labels=("convention",)), author="bob", places=places)
    history = readable_history(conn, partner.id)
    latest = history.iloc[0]
    assert latest["author"] == "bob" and latest["action"] == "update"
    assert latest["changes"] == [("phone", "", "04 72 11 22 33"), ("labels", "", "convention")]
    assert re.fullmatch(r"\d\d/\d\d/\d{4} à \d\d:\d\d", latest["when"])
    assert latest["when"] == french_datetime(partner_history(conn, partner.id).iloc[0]["at"])
    assert french_datetime("2026-01-15T23:30:00+00:00") == "16/01/2026 à 00:30"  # Paris is UTC+1 in winter
    assert "modifiée par bob le" in render_code("partners.stale_edit", {"id": 1, "name": "x", "author": "bob",
                                                                        "at": "2026-01-15T23:30:00+00:00"})


def _partner_codes() -> dict[str, str]:
    """Every ``partners.*`` code written as a string constant in the partner package."""
    found = {}
    for path in (ROOT / "partners").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"partners(\.[a-z_]+)+", node.value):
                found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_partner_code_has_a_french_message():
    from app.messages import CATALOGUE

    from geo.access import ACTIONS

    codes = _partner_codes()
    assert len(codes) > 40
    # "partners.edit" in require_acting(...) names a right (geo.access.ACTIONS), not a message code
    missing = {c: where for c, where in codes.items() if c not in CATALOGUE and c not in ACTIONS}
    assert not missing, missing
    # and the reasons rows are left out, the preview's actions and flags
    from partners.importer import ROW_ACTIONS, ROW_FLAGS

    for code in ([f"partners.action.{a}" for a in ROW_ACTIONS] + [f"partners.flag.{f}" for f in ROW_FLAGS]
                 + [f"partners.skip.{s}" for s in ("other_category", "other_profession", "outside_territory",
                                                   "not_in_network")]):
        assert code in CATALOGUE, code
