"""The fictitious demo directory and the ``secteurs partners`` commands."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
from partner_files import FINESS_2019, ZONES

from app.cli import main
from partners.demo import DEMO_SOURCE, build_demo_directory, ensure_demo_directory, load_demo_directory
from partners.model import PARTNER_TYPES
from partners.store import count_partners, delete_partner, list_partners


def test_demo_is_fictitious_seeded_and_contiguous(places, edges):
    demo = build_demo_directory(places=places)
    again = build_demo_directory(places=places)
    assert [p.to_dict() for p in demo] == [p.to_dict() for p in again]
    assert {p.type for p in demo} == set(PARTNER_TYPES) - {"AUTRE"}
    assert {p.code_insee[:2] for p in demo} == set(places.departements)
    for partner in demo:
        assert partner.source == DEMO_SOURCE and "FICTIF" in partner.notes
        assert "fictif" in partner.name or "fictive" in partner.name
        assert not (partner.finess or partner.rpps or partner.adeli)
        assert partner.phone.startswith("04 65 71") and partner.email.endswith("@example.org")
    from geo.adjacency import component_labels

    zoned = [p for p in demo if p.type in ("CPTS", "HAD")]
    disconnected = [p.name for p in zoned
                    if component_labels(edges, len(places.codes), [places.index[c] for c in p.communes])[0] > 1]
    assert len(disconnected) <= 2, disconnected  # only enclaves without a neighbour in their department
    for type_ in ("CPTS", "HAD"):
        covered = sorted(c for p in zoned if p.type == type_ for c in p.communes)
        assert covered == sorted(places.codes)  # zones of one type tile the territory


def test_ensure_demo_directory_only_fills_a_new_directory(conn, places):
    created = ensure_demo_directory(conn, places=places)
    assert created == count_partners(conn) > 300
    assert ensure_demo_directory(conn, places=places) == 0
    assert load_demo_directory(conn, places=places) == {"created": 0, "updated": 0, "unchanged": created}
    for partner_id in list_partners(conn)["id"]:
        delete_partner(conn, int(partner_id), author="t")
    assert ensure_demo_directory(conn, places=places) == 0 and count_partners(conn) == 0


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_list_nearest_history_undo(capsys, tmp_path):
    db = str(tmp_path / "cli.sqlite")
    report = tmp_path / "rejects.csv"
    code, out, _ = run(capsys, "partners", "import", str(FINESS_2019), "--format", "finess", "--db", db,
                       "--report", str(report), "--author", "alice")
    assert code == 0
    assert "créés 4, mis à jour 0, inchangés 0, rejetés 6" in out
    assert "mis de côté (hors du territoire, à plus de 60 km ou sans position ; --include-far CLÉ pour les importer) : 2" in out
    assert "FINESS:750001166" in out
    assert "laissés de côté (autres catégories FINESS) : 1" in out
    assert report.exists()
    code, out, _ = run(capsys, "partners", "import", str(FINESS_2019), "--format", "finess", "--db", db)
    assert "créés 0, mis à jour 0, inchangés 4, rejetés 6" in out
    run(capsys, "partners", "import", str(ZONES), "--format", "zones", "--db", db)

    code, out, _ = run(capsys, "partners", "list", "--db", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:8] == ["id", "type", "name", "finess", "code_insee", "lon", "lat", "outside_territory"]
    assert len(rows) == 4

    code, out, _ = run(capsys, "partners", "nearest", "--commune", "69383", "--type", "HAD", "--k", "2",
                       "--db", db, "--format", "json")
    found = json.loads(out)
    assert found[0]["finess"] == "690001128" and found[0]["covers"] is True and found[0]["distance_km"] < 2
    assert "distance_km" in found[0] and len(found) == 1  # the Paris HAD was set aside

    code, out, _ = run(capsys, "partners", "covering", "--commune", "69266", "--db", db, "--format", "json")
    assert sorted(p["finess"] for p in json.loads(out)) == ["690001128", "690001177"]

    had_id = str(found[0]["id"])
    code, out, _ = run(capsys, "partners", "delete", had_id, "--db", db, "--author", "bob")
    assert f"partenaire n° {had_id} supprimé" in out
    code, out, _ = run(capsys, "partners", "undo", "--db", db)
    assert f"(suppression, partenaire n° {had_id})" in out
    code, out, _ = run(capsys, "partners", "history", "--db", db, "--id", had_id)
    actions = [r["action"] for r in csv.DictReader(io.StringIO(out))]
    assert actions == ["undo", "delete", "update", "create"]

    code, _, err = run(capsys, "partners", "undo", "--change", "1", "--db", db)
    assert code == 2 and "impossible d'annuler la modification n° 1" in err


def test_cli_template_and_demo(capsys, tmp_path):
    db = str(tmp_path / "demo.sqlite")
    code, out, _ = run(capsys, "partners", "template", "--out", str(tmp_path / "modele.csv"))
    assert code == 0 and (tmp_path / "modele.csv").read_text(encoding="utf-8-sig").startswith("type;nom;")
    code, out, _ = run(capsys, "partners", "demo", "--db", db)
    assert code == 0 and "annuaire de DÉMONSTRATION (fictif) : créés" in out
    code, out, _ = run(capsys, "partners", "nearest", "--postal-code", "74000", "--type", "CCAS", "--k", "1",
                       "--db", db)
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["code_insee"] == "74010" and float(row["distance_km"]) < 0.01 and "fictif" in row["name"]
    code, out, _ = run(capsys, "partners", "services", "--commune", "69383", "--k", "1", "--db", db, "--format", "json")
    services = json.loads(out)
    assert {s["type"] for s in services} == {"CPTS", "HAD", "ERC", "PSY", "DAC", "SSIAD", "CCAS"}
    assert all("fictif" in s["name"] or "fictive" in s["name"] for s in services)
    code, _, err = run(capsys, "partners", "nearest", "--lonlat", "abc", "--type", "HAD", "--db", db)
    assert code == 2 and "attendu LON,LAT" in err
    np.testing.assert_equal(code, 2)


def test_cli_preview_purge_demo_redo_network_and_history(capsys, tmp_path, monkeypatch):
    db = str(tmp_path / "purge.sqlite")
    run(capsys, "partners", "demo", "--db", db)
    code, out, _ = run(capsys, "partners", "import", str(FINESS_2019), "--format", "finess", "--db", db, "--preview",
                       "--author", "alice")
    assert code == 0 and out.startswith("APERÇU (rien n'est enregistré)") and "créés 4" in out
    code, out, _ = run(capsys, "partners", "import", str(FINESS_2019), "--format", "finess", "--db", db,
                       "--include-far", "FINESS:750001166", "--author", "alice")
    assert "créés 5" in out and "mis de côté" in out and "`secteurs partners purge-demo` les supprime" in out
    # real partners exist: the demo is left out of lists unless asked for
    code, out, _ = run(capsys, "partners", "list", "--db", db, "--format", "json")
    assert {p["source"] for p in json.loads(out)} == {"FINESS (extraction etalab)"}
    code, out, _ = run(capsys, "partners", "list", "--db", db, "--format", "json", "--demo", "yes")
    assert len(json.loads(out)) > 300

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: confirmation needs --yes
    code, _, err = run(capsys, "partners", "purge-demo", "--db", db)
    assert code == 2 and "--yes" in err
    code, out, _ = run(capsys, "partners", "purge-demo", "--db", db, "--yes", "--author", "alice")
    assert code == 0 and "382 partenaires de DÉMONSTRATION (fictifs) supprimés" in out
    code, out, _ = run(capsys, "partners", "undo", "--db", db, "--author", "alice")
    assert "(suppression, 382 modifications)" in out
    code, out, _ = run(capsys, "partners", "redo", "--db", db, "--author", "alice")
    assert code == 0 and "rétabli : suppression (382 modification(s))" in out
    code, out, _ = run(capsys, "partners", "list", "--db", db, "--format", "json", "--demo", "yes")
    assert len(json.loads(out)) == 5

    code, out, _ = run(capsys, "partners", "history", "--db", db, "--limit", "1", "--format", "json")
    latest = json.loads(out)[0]
    assert latest["author"] == "alice" and " à " in latest["when"] and "name:" in latest["changes"]

    had = next(p for p in json.loads(run(capsys, "partners", "list", "--db", db, "--format", "json")[1])
               if p["finess"] == "690001128")
    listing = tmp_path / "reseau.csv"
    listing.write_text("rpps;nom;commune\n;Inconnue;Lyon 3e Arrondissement\n", encoding="utf-8")
    code, out, err = run(capsys, "partners", "network", str(listing), "--db", db, "--label", "convention")
    assert code == 0 and "0 psychologue(s) étiqueté(s)" in out and "1 membre(s) absent(s) de l'annuaire" in out
    assert had["labels"] == ""


def test_cli_import_prints_rejected_rows_in_french(capsys, tmp_path):
    """A template row with an unknown type is named by its row and rejected with the catalogue's sentence."""
    template = tmp_path / "partenaires.csv"
    template.write_text("type;nom;code_insee\nHAD;HAD Test (test);69383\nXYZ;Cabinet Inconnu (test);69383\n",
                        encoding="utf-8")
    code, out, err = run(capsys, "partners", "import", str(template), "--format", "csv",
                         "--db", str(tmp_path / "rows.sqlite"), "--author", "alice")
    assert code == 0 and "créés 1, mis à jour 0, inchangés 0, rejetés 1" in out
    line = next(text for text in err.splitlines() if text.strip().startswith("ligne"))
    assert line.startswith("  ligne 3 : rejetée : type de partenaire « XYZ » inconnu ; types possibles : CPTS")
    assert "unknown" not in err and "expected" not in err  # not the English line of the issue

    template.write_text("type;nom;code_insee\n;Sans Type (test);69383\n", encoding="utf-8")
    code, _, err = run(capsys, "partners", "import", str(template), "--format", "csv",
                       "--db", str(tmp_path / "rows.sqlite"), "--author", "alice", "--preview")
    assert code == 2 and "  ligne 2 : rejetée : type de partenaire «  » inconnu" in err
    assert "toutes rejetées" in err


def test_cli_import_names_every_error_of_a_row(capsys, tmp_path):
    """A row with two errors (unknown type, bad telephone) shows both, in French."""
    template = tmp_path / "partenaires.csv"
    template.write_text("type;nom;code_insee;telephone\nHAD;HAD Test (test);69383;\n"
                        "XYZ;Cabinet (test);69383;12\n", encoding="utf-8")
    code, _, err = run(capsys, "partners", "import", str(template), "--format", "csv",
                       "--db", str(tmp_path / "two.sqlite"), "--author", "alice")
    line = next(text for text in err.splitlines() if text.startswith("  ligne 3"))
    assert code == 0 and "type de partenaire « XYZ » inconnu" in line and " ; " in line
    assert "téléphone" in line.lower()
