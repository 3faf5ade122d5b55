"""The SQLite store: create, update, history, delete and undo, duplicates, concurrent writers."""
from __future__ import annotations

import json
import multiprocessing

import pytest

from partners.model import Partner
from partners.store import (DuplicateError, count_partners, delete_partner, get_partner, list_partners,
                            partner_history, save_partner, set_communes, undo)


def ccas(name="CCAS de Lyon 3e", code="69383", **kw):
    return Partner(type="CCAS", name=name, code_insee=code, **kw)


def test_create_update_unchanged_and_history(conn, places):
    created = save_partner(conn, ccas(phone="0472112233"), author="alice", places=places)
    assert created.action == "created" and created.partner.phone == "04 72 11 22 33"
    assert created.partner.precision == "town_hall" and not created.partner.outside_territory
    edited = created.partner.replace(phone="+33 4 72 99 99 99", notes="accueil le matin")
    updated = save_partner(conn, edited, author="bob", places=places)
    assert updated.action == "updated" and updated.id == created.id
    again = save_partner(conn, edited, author="bob", places=places)
    assert again.action == "unchanged"
    history = partner_history(conn, created.id)
    assert list(history["action"]) == ["update", "create"]
    assert list(history["author"]) == ["bob", "alice"]
    change = history.iloc[0]
    assert json.loads(change["before"])["phone"] == "04 72 11 22 33"
    assert json.loads(change["after"])["phone"] == "04 72 99 99 99"
    assert change["at"] >= history.iloc[1]["at"]


def test_delete_then_undo_restores_the_same_partner(conn, places):
    partner = save_partner(conn, ccas(), author="alice", places=places).partner
    set_communes(conn, partner.id, ["69383", "69382"], author="alice")
    delete_partner(conn, partner.id, author="bob", reason="fermé")
    assert get_partner(conn, partner.id) is None and count_partners(conn) == 0
    result = undo(conn, author="carol")
    assert result["action"] == "delete" and result["partner_id"] == partner.id
    restored = get_partner(conn, partner.id)
    assert restored.name == partner.name and restored.communes == ("69382", "69383")
    history = partner_history(conn, partner.id)
    assert list(history["action"]) == ["undo", "delete", "update", "create"]
    assert history.iloc[1]["undone_by"] == history.iloc[0]["id"]


def test_undo_refuses_when_the_partner_changed_since(conn, places, expect_error):
    partner = save_partner(conn, ccas(), author="a", places=places).partner
    first = partner_history(conn).iloc[0]["id"]
    save_partner(conn, partner.replace(notes="nouveau"), author="b", places=places)
    with expect_error(f"cannot undo change #{first} (create of partner #{partner.id}): the partner changed since",
                      exact=True):
        undo(conn, int(first))
    undo(conn)  # the update
    undo(conn, int(first))  # now the create
    assert count_partners(conn) == 0
    with expect_error(f"change #{first} was already undone"):
        undo(conn, int(first))


def test_duplicates_are_named(conn, places, expect_error):
    save_partner(conn, Partner(type="HAD", name="HAD Soins et Santé", finess="690000880", code_insee="69383"),
                 author="a", places=places)
    with pytest.raises(DuplicateError, match=r"FINESS 690000880 of 'HAD bis' already belongs to partner #1 "
                                             r"'HAD Soins et Santé'"):
        save_partner(conn, Partner(type="HAD", name="HAD bis", key="MANUEL:1", finess="690000880",
                                   code_insee="69383"), author="a", places=places)
    result = save_partner(conn, Partner(type="SSIAD", name="HAD Soins et Santé", code_insee="69383"),
                          author="a", places=places)
    assert result.action == "created"
    assert any("likely duplicate: 'HAD Soins et Santé' (SSIAD) has the same name and commune 69383 as partner #1"
               in i.message for i in result.issues)


def test_unknown_commune_and_bad_fields_are_refused(conn, places, expect_error):
    with expect_error("unknown commune: INSEE code 69999"):
        save_partner(conn, ccas(code="69999"), author="a", places=places)
    with expect_error("phone '12'"):
        save_partner(conn, ccas(phone="12"), author="a", places=places)
    assert count_partners(conn) == 0 and len(partner_history(conn)) == 0


def test_outside_territory_flag(conn, places):
    paris = save_partner(conn, Partner(type="ERC", name="ERC Paris", code_insee="75115", lon=2.29, lat=48.84),
                         author="a", places=places).partner
    lyon = save_partner(conn, Partner(type="ERC", name="ERC Lyon", code_insee="69123", postal_code="69008",
                                      lon=4.8707, lat=45.7355), author="a", places=places).partner
    assert paris.outside_territory and not lyon.outside_territory
    assert lyon.code_insee == "69388" and lyon.precision == "address"
    frame = list_partners(conn)
    assert list(frame.columns[:8]) == ["id", "type", "name", "finess", "code_insee", "lon", "lat", "outside_territory"]
    assert frame.set_index("name").loc["ERC Paris", "outside_territory"]


# ---------------------------------------------------------------- concurrent writers

def _writer(db_path: str, worker: int, count: int) -> None:
    from geo.database import connect
    from partners.store import save_checked, transaction

    conn = connect(db_path)
    codes = ["69381", "69382", "69383", "01451", "38185", "42218", "63113"]
    for i in range(count):
        partner = Partner(type="PSY", name=f"Cabinet fictif {worker}-{i}", code_insee=codes[i % len(codes)],
                          lon=4.85, lat=45.75, precision="commune")
        transaction(conn, lambda c, p=partner: save_checked(c, p, author=f"worker{worker}"))
    for i in range(count):
        partner = Partner(type="PSY", name=f"Cabinet fictif {worker}-{i}", code_insee=codes[i % len(codes)],
                          lon=4.85, lat=45.75, precision="commune", notes=f"mis à jour par {worker}")
        transaction(conn, lambda c, p=partner: save_checked(c, p, author=f"worker{worker}"))
    conn.close()


def test_concurrent_writers_lose_nothing(conn, db_path):
    workers, count = 4, 60
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_writer, args=(str(db_path), w, count)) for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    frame = list_partners(conn)
    assert len(frame) == workers * count
    assert frame["notes"].str.startswith("mis à jour par").all()
    history = partner_history(conn)
    assert len(history) == 2 * workers * count
    assert history.groupby("action").size().to_dict() == {"create": workers * count, "update": workers * count}
    assert history.groupby("author").size().eq(2 * count).all()


def _importer(db_path: str, path: str, worker: int) -> None:
    import traceback
    from pathlib import Path

    try:
        from geo.database import connect
        from partners.importer import import_partners

        conn = connect(db_path)
        import_partners(conn, path, "finess", author=f"importer{worker}", batch_size=2)
        conn.close()
    except BaseException:
        Path(db_path).with_name(f"importer{worker}.err").write_text(traceback.format_exc())
        raise


def test_concurrent_imports_of_the_same_file_create_each_partner_once(conn, db_path):
    from partner_files import FINESS_2019

    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_importer, args=(str(db_path), str(FINESS_2019), w)) for w in range(3)]
    for process in processes:
        process.start()
    for worker, process in enumerate(processes):
        process.join(120)
        error = db_path.with_name(f"importer{worker}.err")
        assert process.exitcode == 0, error.read_text() if error.exists() else f"exit code {process.exitcode}"
    frame = list_partners(conn)
    assert len(frame) == 4 and frame["finess"].is_unique  # the 2 far establishments are set aside
    history = partner_history(conn)
    assert list(history["action"]) == ["create"] * 4


def test_commune_level_position_follows_an_edited_commune(conn, places):
    saved = save_partner(conn, ccas(name="CCAS test", code="69383"), author="a", places=places).partner
    moved = save_partner(conn, saved.replace(code_insee="69266", commune=""), author="a", places=places)
    assert moved.partner.code_insee == "69266" and moved.partner.commune == "Villeurbanne"
    assert (moved.partner.lon, moved.partner.lat) == tuple(round(v, 6) for v in places.reference_lonlat("69266"))
    assert not moved.issues
