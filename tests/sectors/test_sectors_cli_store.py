"""``secteurs propose`` / ``secteurs plan ...`` and the versioned plan store."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from app.cli import main
from geo.paths import demo_dir

DEMO = str(demo_dir() / "patients_demo.csv")


def test_cli_propose_writes_every_unit_once(tmp_path, context, capsys):
    out, metrics = tmp_path / "plan.csv", tmp_path / "metrics.json"
    assert main(["propose", "--sectors", "6", "--patients", DEMO, "--out", str(out),
                 "--metrics", str(metrics), "--seed", "3"]) == 0
    plan = pd.read_csv(out, dtype=str)
    assert list(plan.columns) == ["code_insee", "sector"]
    assert len(plan) == context.n and plan["code_insee"].is_unique
    assert set(plan["sector"]) == {f"S0{i}" for i in range(1, 7)}
    data = json.loads(metrics.read_text())
    assert data["plan"]["contiguous"] and data["plan"]["max_deviation"] <= 0.02
    summary = json.loads(capsys.readouterr().out)
    assert summary["sectors"] == 6

    # metrics of the written plan, recomputed from the file
    assert main(["plan", "metrics", str(out), "--patients", DEMO]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["plan"]["mean_km"] == pytest.approx(data["plan"]["mean_km"])

    # re-sectoring from it with a workers table (French headers, ; separator)
    workers = tmp_path / "workers.csv"
    workers.write_text("Nom;ETP;Groupe\nS01;1;\nS02;1;\nS03;1;\nS04;0,5;\nS05;1;\nS06;1;\nS07;1;\n",
                       encoding="utf-8")
    out2 = tmp_path / "plan2.csv"
    assert main(["propose", "--workers", str(workers), "--patients", DEMO, "--out", str(out2),
                 "--from", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["from"]["patients_kept"] > summary["from"]["patients_changed"]
    assert set(pd.read_csv(out2, dtype=str)["sector"]) == {f"S0{i}" for i in range(1, 8)}


def test_cli_reports_bad_input(tmp_path, capsys):
    counts = tmp_path / "counts.csv"
    counts.write_text("code_insee,patients\n01001,2\n01002,1\n", encoding="utf-8")
    code = main(["propose", "--sectors", "3", "--patients", str(counts), "--out", str(tmp_path / "p.csv")])
    assert code == 2
    assert "3 secteurs demandés, mais seulement 2 communes ont des patients" in capsys.readouterr().err


def test_store_versions_and_compare(plan11, db_path):
    from geo.database import connect
    from geo.sectors import store
    from geo.sectors.propose import rebalance

    conn = connect(db_path)
    assert store.save_plan(conn, "équipe 2026", plan11, note="first") == 1
    ctx = plan11.context
    i = next(i for i in range(ctx.n) if ctx.patients[i] >= 2 and any(
        plan11.assignment[j] != plan11.assignment[i] for j in ctx.nbrs[i]))
    j = next(j for j in ctx.nbrs[i] if plan11.assignment[j] != plan11.assignment[i])
    edited, moves = rebalance(plan11.flip({ctx.codes[i]: plan11.names[plan11.assignment[j]]}), [ctx.codes[i]])
    assert store.save_plan(conn, "équipe 2026", edited) == 2
    listing = store.list_plans(conn, "équipe 2026")
    assert [r["version"] for r in listing] == [1, 2] and listing[0]["note"] == "first"
    assert listing[0]["units"] == ctx.n and listing[0]["sectors"] == 11

    diff = store.compare_plans(conn, "équipe 2026", 1, 2)
    changed = (edited.assignment != plan11.assignment)
    assert diff["units_moved"] == int(changed.sum()) == len(moves) + 1
    assert diff["patients_changing_referent"] == int(ctx.patients[changed].sum())
    assert {m["code_insee"] for m in diff["moves"]} == set(ctx.codes[changed])
    delta = diff["metric_deltas"]["mean_km"]
    assert delta["delta"] == pytest.approx(edited.metrics()["plan"]["mean_km"] - plan11.metrics()["plan"]["mean_km"])
    frame = store.load_plan(conn, "équipe 2026")
    assert frame.attrs["version"] == 2 and len(frame) == ctx.n

    from geo.sectors.problem import SectorError
    with pytest.raises(SectorError) as error:
        store.load_plan(conn, "équipe 2026", 7)
    assert error.value.code == "plans.no_such_version" and error.value.params["versions"] == [1, 2]


def test_cli_save_list_compare(tmp_path, plan11, db_path, capsys):
    from geo.sectors.io import write_plan

    first = write_plan(plan11, tmp_path / "a.csv")
    second = tmp_path / "b.csv"
    frame = plan11.to_frame()
    frame.loc[frame["code_insee"] == "69381", "sector"] = "S01" if plan11.sector_of("69381") != "S01" else "S02"
    frame.to_csv(second, index=False)
    for path in (first, second):
        assert main(["plan", "save", "base", str(path), "--patients", DEMO, "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["plan", "list", "--db", str(db_path)]) == 0
    assert [r["version"] for r in json.loads(capsys.readouterr().out)] == [1, 2]
    assert main(["plan", "compare", "base", "1", "2", "--db", str(db_path)]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["units_moved"] == 1
    assert diff["patients_changing_referent"] == int(plan11.context.patients[plan11.context.position["69381"]])


def test_importing_sectors_pulls_no_optional_dependency():
    code = ("import sys, geo.sectors, geo.sectors.propose, geo.sectors.store, app.cli.sectors; "
            "bad = [m for m in ('streamlit', 'gerrychain', 'spopt', 'folium') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_refuses_zero_sectors_and_a_missing_team_in_french(tmp_path, capsys):
    out = str(tmp_path / "p.csv")
    assert main(["propose", "--sectors", "0", "--patients", DEMO, "--out", out]) == 2
    assert "il faut au moins 1 secteur" in capsys.readouterr().err
    assert main(["propose", "--workers", str(tmp_path / "absent.csv"), "--patients", DEMO, "--out", out]) == 2
    err = capsys.readouterr().err
    assert "absent.csv" in err and "introuvable" in err
