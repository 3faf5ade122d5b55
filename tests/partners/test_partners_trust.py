"""Edits that can be trusted: versions (stale edits refused), undo/redo, the demo purge, demo vs real
partners, labels, and the reads other layers use instead of SQL."""
from __future__ import annotations

import pytest

from partners.model import DEMO_SOURCE, NETWORK_LABEL, Partner
from partners.query import covering, local_services, nearest
from partners.store import (StaleEditError, count_demo_partners, covering_counts, delete_partner, directory_stamp,
                            get_partner, has_real_partners, list_partners, partner_history, purge_demo, redo,
                            save_partner, undo, zone_memberships)
from partners.validation import ValidationError


def _demo(conn, places, name, type_="CPTS", code="69383", **kw):
    return save_partner(conn, Partner(type=type_, name=name, code_insee=code, source=DEMO_SOURCE,
                                      key=f"DEMO:{type_}:{name}", **kw), author="démo", places=places).partner


def _real(conn, places, name, type_="CPTS", code="69383", **kw):
    return save_partner(conn, Partner(type=type_, name=name, code_insee=code, source="saisie", **kw),
                        author="alice", places=places).partner


def test_every_write_raises_the_version_and_a_stale_edit_is_refused(conn, places):
    first = _real(conn, places, "CCAS de Lyon 3e", "CCAS")
    assert first.version == 1
    # two users open the same form at version 1
    alice = first.replace(phone="04 72 11 22 33")
    bob = first.replace(notes="fermé le lundi")
    saved = save_partner(conn, alice, author="alice", places=places, expected_version=first.version)
    assert saved.partner.version == 2 and get_partner(conn, first.id).version == 2
    with pytest.raises(StaleEditError) as stale:
        save_partner(conn, bob, author="bob", places=places, expected_version=first.version)
    assert stale.value.code == "partners.stale_edit"
    assert stale.value.params["author"] == "alice" and stale.value.params["current"] == 2
    assert get_partner(conn, first.id).notes == "" and get_partner(conn, first.id).phone == "04 72 11 22 33"
    # the same edit made on the fresh state goes through
    fresh = get_partner(conn, first.id)
    assert save_partner(conn, fresh.replace(notes="fermé le lundi"), author="bob", places=places,
                        expected_version=fresh.version).action == "updated"


def test_undo_and_redo_change_the_version_so_an_open_form_is_stale(conn, places):
    partner = _real(conn, places, "CCAS de Lyon 3e", "CCAS")
    edited = save_partner(conn, partner.replace(phone="0472112233"), author="a", places=places).partner
    undo(conn, author="b")
    after_undo = get_partner(conn, partner.id)
    assert after_undo.phone == "" and after_undo.version > edited.version
    # the form still showing the undone value cannot re-apply it silently
    with pytest.raises(StaleEditError):
        save_partner(conn, edited, author="a", places=places, expected_version=edited.version)
    done = redo(conn, author="b")
    assert done["action"] == "update" and get_partner(conn, partner.id).phone == "04 72 11 22 33"
    with pytest.raises(ValidationError) as nothing:
        redo(conn)
    assert nothing.value.code == "partners.nothing_to_redo"
    undo(conn)  # the redo is the latest change: undo takes it back
    assert get_partner(conn, partner.id).phone == ""


def test_stale_delete_and_deleted_partner(conn, places):
    partner = _real(conn, places, "CCAS de Lyon 3e", "CCAS")
    save_partner(conn, partner.replace(notes="x"), author="a", places=places)
    with pytest.raises(StaleEditError):
        delete_partner(conn, partner.id, expected_version=partner.version)
    current = get_partner(conn, partner.id)
    delete_partner(conn, partner.id, expected_version=current.version)
    with pytest.raises(StaleEditError) as gone:
        save_partner(conn, current.replace(notes="y"), places=places, expected_version=current.version)
    assert gone.value.code == "partners.stale_deleted"


def test_demo_partners_are_left_out_once_real_ones_exist(conn, places):
    demo = _demo(conn, places, "CPTS (fictive) Lyon", communes=("69383", "69382"))
    assert not has_real_partners(conn)
    assert list(list_partners(conn)["id"]) == [demo.id] and bool(list_partners(conn)["demo"].iloc[0])
    real = _real(conn, places, "CPTS Lyon Centre", communes=("69383",))
    assert has_real_partners(conn)
    assert list(list_partners(conn)["id"]) == [real.id]
    assert set(list_partners(conn, include_demo=True)["id"]) == {demo.id, real.id}
    assert list(covering(conn, "69383", places=places)["id"]) == [real.id]
    assert set(covering(conn, "69383", places=places, include_demo=True)["id"]) == {demo.id, real.id}
    assert list(nearest(conn, "CPTS", commune="69382", k=5, places=places)["id"]) == [real.id]
    assert set(zone_memberships(conn)["partner_id"]) == {real.id}
    assert covering_counts(conn, ["69383", "69382"]) == {real.id: 1}
    assert covering_counts(conn, ["69383", "69382"], include_demo=True) == {real.id: 1, demo.id: 2}


def test_purge_demo_is_one_change_that_one_undo_takes_back(conn, places):
    demos = [_demo(conn, places, f"SSIAD (fictif) {i}", "SSIAD") for i in range(4)]
    real = _real(conn, places, "SSIAD de Lyon", "SSIAD")
    assert count_demo_partners(conn) == 4
    before = directory_stamp(conn)
    done = purge_demo(conn, author="alice")
    assert done["deleted"] == 4 and count_demo_partners(conn) == 0
    assert get_partner(conn, real.id) is not None and directory_stamp(conn) != before
    result = undo(conn, author="alice")
    assert result["count"] == 4
    assert count_demo_partners(conn) == 4 and all(get_partner(conn, d.id).name == d.name for d in demos)
    redo(conn, author="alice")
    assert count_demo_partners(conn) == 0 and get_partner(conn, real.id) is not None
    assert purge_demo(conn)["deleted"] == 0


def test_labels_filter_searches_and_network_only(conn, places):
    member = _real(conn, places, "Claire Martin", "PSY", "69383", rpps="10001045367", labels=[NETWORK_LABEL])
    other = _real(conn, places, "Paul Durand", "PSY", "69383")
    assert get_partner(conn, member.id).labels == (NETWORK_LABEL,)
    table = list_partners(conn, labels=[NETWORK_LABEL])
    assert list(table["id"]) == [member.id] and table["labels"].iloc[0] == NETWORK_LABEL
    assert set(nearest(conn, "PSY", commune="69383", places=places)["id"]) == {member.id, other.id}
    assert list(nearest(conn, "PSY", commune="69383", places=places, network_only=True)["id"]) == [member.id]
    services = local_services(conn, "69383", k=3, types=["PSY"], places=places, network_only=True)
    assert list(services["id"]) == [member.id]
    # a label change is an edit like any other: in the history, undone by undo
    save_partner(conn, get_partner(conn, other.id).replace(labels=("convention",)), author="a", places=places)
    assert get_partner(conn, other.id).labels == ("convention",)
    assert partner_history(conn, other.id).iloc[0]["action"] == "update"
    undo(conn)
    assert get_partner(conn, other.id).labels == ()


def test_labels_go_through_the_template_and_the_export(conn, places, tmp_path):
    from partners.export import export_bytes
    from partners.importer import import_partners

    listing = tmp_path / "liste.csv"
    listing.write_text("type;nom;code_insee;etiquettes\nPSY;Cabinet X (test);69383;Convention, réseau psycho-oncologie\n",
                       encoding="utf-8")
    assert import_partners(conn, listing, "csv", places=places).created == 1
    assert list(list_partners(conn, labels=["convention"])["name"]) == ["Cabinet X (test)"]
    exported = tmp_path / "export.csv"
    exported.write_bytes(export_bytes(conn, "csv"))
    assert "convention; réseau psycho-oncologie" in exported.read_text(encoding="utf-8-sig")
    again = import_partners(conn, exported, "csv", places=places)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
