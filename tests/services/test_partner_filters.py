"""Labels and "réseau seulement" where the hub works: list routing, the summary, the sector sheet, the CLI.

A small TEST directory of real (non-demo) partners around Lyon: a psychologist in Sainte-Foy-lès-Lyon
who is not a member of the psycho-oncology network, one in Villeurbanne who is, and two HAD, one of
them under convention.
"""
from __future__ import annotations

import pandas as pd
import pytest

from app.messages import render_code
from partners.model import NETWORK_LABEL, Partner
from services.partner_filter import NO_FILTER, PartnerFilter
from services.routing import Routing, nearest_partners, route_file, summary_text

#: Sainte-Foy-lès-Lyon, where the patient lives.
HOME = "69202"
NEAR = "Psychologue proche non membre (test)"
MEMBER = "Psychologue du réseau (test)"
PLAIN_HAD = "HAD sans convention (test)"
CONVENTION_HAD = "HAD sous convention (test)"


def add_test_directory(conn) -> None:
    """The TEST partners (used by the page tests too)."""
    from partners.store import save_partner

    for partner in (Partner(type="PSY", name=NEAR, code_insee=HOME, phone="0478000001"),
                    Partner(type="PSY", name=MEMBER, code_insee="69266", phone="0478000002",
                            labels=(NETWORK_LABEL,)),
                    Partner(type="HAD", name=PLAIN_HAD, code_insee="69383"),
                    Partner(type="HAD", name=CONVENTION_HAD, code_insee="69387", labels=("convention",))):
        save_partner(conn, partner, author="test")


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    from services.storage import open_database

    conn = open_database(tmp_path_factory.mktemp("filters") / "partners.sqlite")
    add_test_directory(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def plan(units):
    return pd.DataFrame({"code_insee": units["code_insee"], "sector": "AS " + units["departement"].astype(str)})


def test_the_member_is_chosen_over_a_nearer_non_member_only_when_asked(directory):
    every = nearest_partners(directory)
    network = nearest_partners(directory, partner_filter=PartnerFilter(network_only=True))
    assert every["PSY"][HOME][0] == NEAR and every["PSY"][HOME][1] < network["PSY"][HOME][1]
    assert network["PSY"][HOME][0] == MEMBER
    assert set(name for name, _ in network["PSY"].values()) == {MEMBER}
    # other types are not affected by "réseau seulement"
    assert network["HAD"] == every["HAD"]
    # no option: nothing is filtered out (both psychologists are someone's nearest)
    assert {name for name, _ in every["PSY"].values()} == {NEAR, MEMBER}
    assert nearest_partners(directory, partner_filter=NO_FILTER) == every


def test_a_label_filters_every_type(directory):
    every = nearest_partners(directory)
    convention = nearest_partners(directory, partner_filter=PartnerFilter(labels=("Convention",)))
    assert every["HAD"]["69383"][0] == PLAIN_HAD
    assert {name for name, _ in convention["HAD"].values()} == {CONVENTION_HAD}
    assert convention["PSY"] == {}  # no psychologist carries the label


def test_filter_helpers():
    both = PartnerFilter(labels=("convention",), network_only=True)
    assert both.labels_for("PSY") == ("convention", NETWORK_LABEL) and both.labels_for("HAD") == ("convention",)
    frame = pd.DataFrame({"type": ["PSY", "PSY", "HAD"], "labels": [NETWORK_LABEL, "", ""]})
    assert PartnerFilter(network_only=True).keep(frame).index.tolist() == [0, 2]
    assert NO_FILTER.keep(frame) is frame and NO_FILTER.describe() == ""
    assert "réseau psycho-oncologie" in both.describe() and "« convention »" in both.describe()


def test_list_routing_with_and_without_the_option(directory, plan, tmp_path):
    listing = tmp_path / "liste.csv"
    listing.write_text("Dossier;CP;Ville\nA1;69110;Sainte-Foy-lès-Lyon\n", encoding="utf-8")
    chosen = PartnerFilter(network_only=True)
    network = Routing.from_plan(plan, partners=nearest_partners(directory, partner_filter=chosen),
                                explain=render_code, partner_filter=chosen)
    every = Routing.from_plan(plan, partners=nearest_partners(directory), explain=render_code)
    routed = route_file(listing, network)
    plain = route_file(listing, every)
    assert routed.frame.loc[0, "psy"] == MEMBER and plain.frame.loc[0, "psy"] == NEAR
    assert routed.frame.loc[0, "had"] == plain.frame.loc[0, "had"]
    assert "Partenaires filtrés : psychologues membres du réseau" in routed.report()
    assert "filtrés" not in plain.report()


def test_the_summary_names_the_network(directory, plan):
    import partners

    chosen = PartnerFilter(network_only=True)
    routing = Routing.from_plan(plan, explain=render_code, partner_filter=chosen)
    referral = routing.route(HOME)
    services = partners.local_services(directory, HOME, k=3, **chosen.options())
    short = summary_text(referral, services, partners.PARTNER_TYPES, render_code, full=False, partner_filter=chosen)
    assert f"(PSY) — {NETWORK_LABEL} :" in short and MEMBER in short and NEAR not in short
    assert "Partenaires filtrés : psychologues membres du réseau" in short
    services = partners.local_services(directory, HOME, k=3)
    plain = summary_text(referral, services, partners.PARTNER_TYPES, render_code, full=False)
    assert NEAR in plain and NETWORK_LABEL not in plain and "filtrés" not in plain
    # the option on an empty network says so instead of leaving psychologists out silently
    none = summary_text(referral, services[services["type"] != "PSY"], partners.PARTNER_TYPES, render_code,
                        partner_filter=chosen)
    assert "aucun membre du réseau" in none


def test_the_sheet_says_which_filter(directory, plan):
    from services.reports.fiche import build_sheet

    sector = "AS 69"
    filtered = build_sheet(directory, plan, sector, with_map=False, partner_filter=PartnerFilter(network_only=True))
    every = build_sheet(directory, plan, sector, with_map=False)
    psy = filtered.key_partners[filtered.key_partners["type"] == "PSY"]
    assert psy["name"].tolist() == [MEMBER] and psy["why"].str.endswith(f"— {NETWORK_LABEL}").all()
    assert set(every.key_partners.loc[every.key_partners["type"] == "PSY", "name"]) == {NEAR, MEMBER}
    assert NEAR not in set(filtered.partners_in["name"]) and NEAR in set(every.partners_in["name"])
    assert "Partenaires filtrés : psychologues membres du réseau" in filtered.html()
    assert "Partenaires : tout l&#x27;annuaire (aucun filtre)" in every.html()  # escaped apostrophe
    # a label narrows every type of the sheet
    convention = build_sheet(directory, plan, sector, with_map=False,
                             partner_filter=PartnerFilter(labels=["convention"]))
    assert set(convention.partners_in["name"]) == {CONVENTION_HAD}


def test_cli_route_and_fiche_options(directory, plan, tmp_path, capsys):
    from app.cli import main

    db = directory.execute("PRAGMA database_list").fetchone()[2]
    plan_file = tmp_path / "plan.csv"
    plan.to_csv(plan_file, index=False)
    listing = tmp_path / "liste.csv"
    listing.write_text("Dossier;Code INSEE\nA1;69202\n", encoding="utf-8")
    out = tmp_path / "routed.csv"
    assert main(["route", str(listing), "--plan", str(plan_file), "--out", str(out), "--db", db,
                 "--network-only"]) == 0
    routed = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str)
    assert routed.loc[0, "psy"] == MEMBER
    assert "partenaires : psychologues membres du réseau" in capsys.readouterr().err
    assert main(["route", str(listing), "--plan", str(plan_file), "--out", str(out), "--db", db]) == 0
    assert pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str).loc[0, "psy"] == NEAR

    html = tmp_path / "fiche.html"
    assert main(["report", "fiche", "--plan", str(plan_file), "--sector", "AS 69", "--out",
                 str(tmp_path / "fiche.pdf"), "--html", str(html), "--db", db, "--network-only",
                 "--label", "réseau psycho-oncologie"]) == 0
    page = html.read_text(encoding="utf-8")
    assert "Partenaires filtrés" in page and MEMBER in page and NEAR not in page
