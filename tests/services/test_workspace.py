"""The team workspace: counts imported once, the team, plan versions with their team; the CLI defaults to it."""
from __future__ import annotations

import re

import io
import json
import sqlite3

import pandas as pd
import pytest

from geo.errors import SecteursError
from geo.paths import demo_dir
from geo.sectors.team import Team
from services import workspace
from services.storage import open_database

#: A hospital export with identifying columns the workspace must never keep.
SECRET = "Zorglubovitch"
EXPORT = ("Nom;Prénom;Date de naissance;NIR;CP;Ville;Année\n"
          f"{SECRET};Jeanne;01/02/1950;2500169123456;69003;Lyon;2024\n"
          f"{SECRET}ski;Paul;03/04/1960;1600438123456;38000;Grenoble;2025\n"
          "Martin;Marie;05/06/1970;2700542123456;42000;Saint-Étienne;2025\n"
          "Petit;Léa;07/08/1980;2800775123456;75013;Paris;2025\n").encode("utf-8")


@pytest.fixture
def conn(db_path):
    connection = open_database(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def department_team(units) -> Team:
    """One worker per department (AS 01 ... AS 74), two groups: Lyon (69) and Région."""
    deps = sorted(units["departement"].astype(str).unique())
    return Team(tuple(f"AS {d}" for d in deps), (1.0,) * len(deps),
                tuple("Lyon" if d == "69" else "Région" for d in deps))


@pytest.fixture(scope="module")
def department_plan(units) -> pd.DataFrame:
    return pd.DataFrame({"code_insee": units["code_insee"].astype(str),
                         "sector": "AS " + units["departement"].astype(str)})


def _stored_bytes(path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_open_database_names_every_schema_in_order(db_path):
    from geo.database import connect

    bare = connect(db_path, schemas=[])
    assert [r[0] for r in bare.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == []
    bare.close()
    conn = open_database(db_path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
    order = [tables.index(t) for t in ("partners", "sector_plans", "workspace_team", "workspace_counts")]
    assert order == sorted(order)


def test_counts_are_imported_once_as_counts_only(conn, db_path):
    assert workspace.current_counts(conn) is None and workspace.counts_info(conn) is None
    result, info = workspace.import_counts(conn, EXPORT, "export_2025.csv")
    counts = workspace.current_counts(conn)
    assert counts.set_index("code_insee")["patients"].to_dict() == {"38185": 1, "42218": 1, "69383": 1}
    assert (info.filename, info.period, info.patients, info.units, info.rejected, info.demo) == \
        ("export_2025.csv", "2024–2025", 3, 3, 1, False)
    assert workspace.counts_info(conn) == info
    assert "export_2025.csv (3 patients, 2024–2025, importé le" in info.label
    stored = _stored_bytes(db_path)
    for text in (SECRET, "Jeanne", "1950", "2500169123456", "Paris"):
        assert text.encode() not in stored, text
    # a file where no line can be placed changes nothing
    with pytest.raises(SecteursError) as error:
        workspace.import_counts(conn, b"CP;Ville\n99999;Nulle-Part\n", "vide.csv")
    assert error.value.code == "workspace.nothing_placed"
    assert workspace.counts_info(conn) == info
    # the demo export says it is fictitious, and so does the workspace
    _, demo = workspace.import_counts(conn, demo_dir() / "export_hopital_demo.csv")
    assert demo.demo and "démo fictive" in demo.label and demo.filename == "export_hopital_demo.csv"
    workspace.clear_counts(conn)
    assert workspace.current_counts(conn) is None


def test_team_round_trip(conn):
    assert workspace.current_team(conn) is None
    team = Team(("Alice", "Béa", "Chloé"), (1.0, 0.8, 0.5), ("A", "B", "A"), ("69383", None, "42218"))
    workspace.set_team(conn, team)
    assert workspace.current_team(conn) == team
    workspace.set_team(conn, Team(("Dan",), (1.0,)))
    assert workspace.current_team(conn) == Team(("Dan",), (1.0,))


def test_versions_keep_team_tolerance_and_counts(conn, department_plan, department_team):
    workspace.import_counts(conn, EXPORT, "export.csv")
    assert workspace.current_plan(conn) is None
    v1 = workspace.save_version(conn, "Plan 2026", department_plan, team=department_team, tolerance=0.05)
    assert v1 == 1
    record = workspace.current_plan(conn)
    assert (record.name, record.version, record.tolerance) == ("Plan 2026", 1, 0.05)
    assert record.team == department_team and record.groups["AS 69"] == "Lyon" and record.groups["AS 01"] == "Région"
    assert record.counts().set_index("code_insee")["patients"].to_dict() == {"38185": 1, "42218": 1, "69383": 1}
    assert record.counts_label.startswith("export.csv (3 patients")
    # a second version without a team gets the workspace team when its names are the sectors
    workspace.set_team(conn, department_team)
    moved = department_plan.copy()
    moved.loc[moved["code_insee"] == "01053", "sector"] = "AS 69"
    assert workspace.save_version(conn, "Plan 2026", moved) == 2
    assert workspace.current_plan(conn).version == 2 and workspace.current_plan(conn).team == department_team
    workspace.set_current(conn, "Plan 2026", 1)
    assert workspace.current_plan(conn).version == 1
    with pytest.raises(SecteursError) as error:
        workspace.set_current(conn, "Plan 2026", 9)
    assert error.value.code == "plans.no_such_version"


def test_an_older_database_gets_the_new_columns(db_path, department_plan):
    old = sqlite3.connect(db_path)
    old.executescript("""
        CREATE TABLE sector_plans (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL,
            created_at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', metrics TEXT, UNIQUE (name, version));
        CREATE TABLE sector_plan_units (plan_id INTEGER NOT NULL REFERENCES sector_plans(id) ON DELETE CASCADE,
            code_insee TEXT NOT NULL, sector TEXT NOT NULL, patients INTEGER, PRIMARY KEY (plan_id, code_insee));
        INSERT INTO sector_plans VALUES (1, 'ancien', 1, '2025-01-01T00:00:00+00:00', '', NULL);
    """)
    old.executemany("INSERT INTO sector_plan_units VALUES (1, ?, ?, NULL)",
                    department_plan.itertuples(index=False))
    old.commit()
    old.close()
    conn = open_database(db_path)
    record = workspace.current_plan(conn)
    assert (record.name, record.version, record.team, record.counts()) == ("ancien", 1, None, None)
    assert len(record.frame) == len(department_plan)


def test_plan_exports_for_people_read_back(units, department_plan, department_team):
    from geo.sectors import export
    from geo.sectors.io import read_plan_record
    from geo.sectors.record import PlanRecord

    counts = pd.DataFrame({"code_insee": ["69383", "01053"], "patients": [4, 2]})
    frame = department_plan.assign(patients=department_plan["code_insee"].map(
        counts.set_index("code_insee")["patients"]).fillna(0))
    record = PlanRecord(frame, team=department_team)
    csv = export.people_csv(record, units)
    assert csv.startswith("\ufeff".encode()) and b"\r\n" in csv
    header = csv.decode("utf-8-sig").splitlines()[0]
    assert header == "Code INSEE;Commune;Département;Secteur;Référent·e;Groupe;Patients"
    assert "69383;Lyon 3e Arrondissement;69;AS 69;AS 69;Lyon;4" in csv.decode("utf-8-sig")
    for data, name in ((csv, "secteurs.csv"), (export.people_xlsx(record, units), "secteurs.xlsx"),
                       (export.people_geojson(record, units), "secteurs.geojson"),
                       (export.people_geopackage(record, units), "secteurs.gpkg")):
        back = read_plan_record(data, name)
        assert back.frame[["code_insee", "sector"]].equals(record.frame[["code_insee", "sector"]]), name
        assert back.groups == record.groups, name
        assert back.counts().set_index("code_insee")["patients"].to_dict() == {"01053": 2, "69383": 4}, name
    import geopandas as gpd

    layers = gpd.read_file(io.BytesIO(export.people_geopackage(record, units)), layer="secteurs")
    assert len(layers) == 12 and set(layers.columns) >= {"secteur", "referent", "groupe", "patients", "geometry"}


def test_plan_reader_accepts_bytes_uploads_and_names_errors(tmp_path):
    from geo.sectors.io import read_plan_record
    from geo.sectors.problem import SectorError

    text = "# un plan\nCode INSEE;Secteur;Référente;Groupe\n1053;AS 01;Alice;A\n69383;AS 69;;B\n"
    path = tmp_path / "plan.csv"
    path.write_bytes(text.encode("cp1252"))

    class Upload(io.BytesIO):
        name = "plan.csv"

    frames = [read_plan_record(path).frame, read_plan_record(text.encode("utf-8"), "plan.csv").frame,
              read_plan_record(Upload(text.encode("utf-8-sig"))).frame]
    for frame in frames:
        assert frame.to_dict("list") == {"code_insee": ["01053", "69383"], "sector": ["AS 01", "AS 69"],
                                         "referent": ["Alice", ""], "groupe": ["A", "B"]}
    with pytest.raises(SectorError) as error:
        read_plan_record(b"code;zone\n1;2\n", "p.csv")
    assert error.value.code == "plans.missing_columns" and error.value.params["file"] == "p.csv"
    with pytest.raises(SectorError) as error:
        read_plan_record(b"code_insee,sector\n69383,A\n69383,B\n", "p.csv")
    assert error.value.code == "plans.unit_in_two_sectors" and error.value.params["codes"] == ["69383"]


def test_cli_works_from_the_workspace(tmp_path, capsys, department_plan, department_team):
    from app.cli import main

    db = tmp_path / "ws.sqlite"
    export_path = demo_dir() / "export_hopital_demo.csv"
    assert main(["patients", "import", str(export_path), "--db", str(db)]) == 0
    assert "espace de travail : export_hopital_demo.csv (2\u202f660 patients" in capsys.readouterr().err
    assert main(["patients", "show", "--db", str(db)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["patients"] == 2660 and shown["demo"] and shown["period"] == "2024–2025"

    workers = tmp_path / "workers.csv"
    workers.write_text("nom;etp;groupe\n" + "".join(f"{n};1;{g}\n" for n, g in
                                                   zip(department_team.names, department_team.groups)),
                       encoding="utf-8")
    assert main(["team", "set", str(workers), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["team", "show", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)[0] == {"nom": "AS 01", "etp": 1.0, "groupe": "Région", "base": None}

    plan_path = tmp_path / "plan.csv"
    department_plan.to_csv(plan_path, index=False)
    assert main(["plan", "save", "Plan 2026", str(plan_path), "--db", str(db)]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert saved["version"] == 1 and saved["team"] and saved["patients"].startswith("export_hopital_demo.csv")

    # plan metrics, route and the sector sheet without --plan / --patients
    assert main(["plan", "metrics", "--db", str(db)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["plan"]["patients"] == 2660 and metrics["plan"]["sectors"] == 12
    assert metrics["sectors"][0]["sector"] == "AS 01"
    referrals = tmp_path / "liste.csv"
    referrals.write_text("CP;Ville\n69003;Lyon\n42000;Saint-Étienne\n", encoding="utf-8")
    routed = tmp_path / "routed.csv"
    assert main(["route", str(referrals), "--out", str(routed), "--db", str(db)]) == 0
    assert "plan : Plan 2026 — version 1" in capsys.readouterr().err
    frame = pd.read_csv(routed, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert frame[["sector", "groupe"]].values.tolist() == [["AS 69", "Lyon"], ["AS 42", "Région"]]
    out = tmp_path / "plan.xlsx"
    assert main(["plan", "export", "--out", str(out), "--db", str(db)]) == 0
    people = pd.read_excel(out, dtype=str)
    lyon3 = people.loc[people["Code INSEE"] == "69383"].iloc[0]
    assert lyon3["Groupe"] == "Lyon" and int(lyon3["Patients"]) > 0
    sheet = tmp_path / "fiche.html"
    assert main(["report", "fiche", "--sector", "AS 69", "--out", str(tmp_path / "fiche.pdf"), "--html", str(sheet),
                 "--db", str(db)]) == 0
    capsys.readouterr()
    page = sheet.read_text(encoding="utf-8")
    assert re.search(r"Groupe\s?:\s?Lyon", page.replace("\u00a0", " ").replace("\u202f", " ")) and "Plan 2026 — version 1" in page and "fictif" in page.lower()
    # without a workspace plan the error says what to do
    empty = tmp_path / "empty.sqlite"
    assert main(["route", str(referrals), "--out", str(routed), "--db", str(empty)]) == 2
    assert "aucun plan de secteurs dans l'espace de travail" in capsys.readouterr().err
