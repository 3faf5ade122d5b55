"""Team cases of the sector benchmark (issue 10): FTE, groups, base communes, locks, 11 -> 12 workers.

Each case runs ``secteurs propose`` in a fresh process (the CLI path a team lead
uses, timed end to end) on the committed territory and the fictitious demo
patients, then is measured in-process: the largest deviation from the FTE
share, contiguity of sectors and groups, mean distance to each sector's
medoid and to the workers' bases, and a reference without contiguity:

* without bases, the balanced p-median heuristic (HiGHS transport LP +
  medoid moves, FTE targets, ±2 %, fractional assignment, best of 8 starts);
* with bases, the exact fixed-base balanced transport LP (HiGHS), each
  worker's load within ±2 % of their FTE share: a lower bound of the mean
  distance to the bases of any plan within tolerance.

For 11 -> 12 workers from the current plan, the share of patients changing
referent is printed next to its least value for the sectors the new sector
touches (a min-cost flow on the sector graph: ``referent_change_bound``).

The team tables are committed fictitious fixtures (``tests/data/team_2026*.csv``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TEAM = DATA / "team_2026.csv"
TEAM_LYON = DATA / "team_2026_lyon.csv"
LOCKS = DATA / "locks_2026.csv"
#: The 12th worker joining the team of ``team_2026.csv`` (fictitious).
NEW_WORKER = "Léa;1;Sud-Ouest;Roanne"
TOLERANCE = 0.02


def _write_variants(tmp: Path) -> dict[str, Path]:
    """Team tables derived from the fixture: FTE only, FTE + groups, the team plus a 12th worker."""
    lines = [ln for ln in TEAM.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    rows = [ln.split(";") for ln in lines[1:]]
    out = {}
    out["fte"] = tmp / "team_fte.csv"
    out["fte"].write_text("nom;etp\n" + "\n".join(f"{r[0]};{r[1]}" for r in rows) + "\n", encoding="utf-8")
    out["groups"] = tmp / "team_groups.csv"
    out["groups"].write_text("nom;etp;groupe\n" + "\n".join(f"{r[0]};{r[1]};{r[2]}" for r in rows) + "\n",
                             encoding="utf-8")
    out["twelve"] = tmp / "team_12.csv"
    out["twelve"].write_text("\n".join(lines) + "\n" + NEW_WORKER + "\n", encoding="utf-8")
    return out


def _cli(args: list[str], tmp: Path, name: str) -> tuple[dict, Path, float, str]:
    """Run ``secteurs propose ...``; returns (metrics, plan path, wall seconds, stderr)."""
    plan, metrics = tmp / f"{name}.csv", tmp / f"{name}.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "app.cli", "propose", *args, "--out", str(plan), "--metrics", str(metrics)]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return {"error": done.stderr.strip()}, plan, seconds, done.stderr
    return json.loads(metrics.read_text()), plan, seconds, done.stderr


def _reference(context, team, base_mode: str | None) -> tuple[str, float]:
    """The no-contiguity reference: fixed-base LP bound with bases, balanced p-median without."""
    from geo.sectors.pmedian import BalancedPMedian, fixed_base_bound
    from geo.sectors.propose import build_problem

    problem = build_problem(context, team, tolerance=TOLERANCE)
    if base_mode == "centre" and (problem.bases >= 0).all():
        return "fixed-base LP bound", fixed_base_bound(problem)["mean_km"]
    bare = problem.replace(bases=None, anchors=None, locked=None)
    method = BalancedPMedian(seed=0, restarts=8).solve(bare)
    return "balanced p-median", float(method.info_["mean_km"])


def _measure(context, plan_path: Path, team, base_mode: str) -> dict:
    from geo.sectors.edit import team_plan_from_frame
    from geo.sectors.io import read_plan
    from geo.sectors.plan import plan_from_frame

    frame = read_plan(plan_path)
    if team is None:
        plan = plan_from_frame(context, frame, tolerance=TOLERANCE)
    else:
        plan = team_plan_from_frame(context, frame, team, TOLERANCE, base_mode)
    medoid = plan.with_assignment(plan.assignment)
    if plan.fixed_bases.max() >= 0:
        from geo.sectors.plan import Plan
        medoid = Plan(context, plan.assignment, plan.names, plan.targets, None, TOLERANCE)
    return {"max_dev": plan.max_deviation, "contiguous": plan.is_contiguous,
            "groups_contiguous": plan.groups_contiguous if plan.groups is not None else None,
            "mean_km_medoid": medoid.mean_distance,
            "mean_km_base": plan.mean_distance if plan.fixed_bases.max() >= 0 else None}


def run_team_cases(patients: Path, tmp: Path) -> list[dict]:
    """One row per team case (see the module docstring)."""
    from geo.sectors.context import build_context
    from geo.sectors.io import read_counts
    from geo.sectors.propose import changes
    from geo.sectors.team import Team, read_workers

    tmp.mkdir(parents=True, exist_ok=True)
    context = build_context(read_counts(patients))
    teams = _write_variants(tmp)
    common = ["--patients", str(patients), "--tolerance", str(TOLERANCE)]
    cases = [
        ("equal (11 sectors)", ["--sectors", "11"], None, None),
        ("FTE", ["--workers", str(teams["fte"])], teams["fte"], None),
        ("FTE + 2 groups", ["--workers", str(teams["groups"])], teams["groups"], None),
        ("FTE + groups + spread bases", ["--workers", str(TEAM)], TEAM, "centre"),
        ("  spread bases inside (centre free)", ["--workers", str(TEAM), "--base-mode", "inside"], TEAM, "inside"),
        ("FTE + groups + Lyon bases", ["--workers", str(TEAM_LYON)], TEAM_LYON, "centre"),
        ("  Lyon bases inside (centre free)", ["--workers", str(TEAM_LYON), "--base-mode", "inside"], TEAM_LYON,
         "inside"),
        ("FTE + groups + bases + locks", ["--workers", str(TEAM), "--locks", str(LOCKS)], TEAM, "centre"),
    ]
    rows, plans = [], {}
    for name, args, team_file, mode in cases:
        print(f"team case: {name.strip()} ...", flush=True)
        metrics, plan_path, seconds, _ = _cli(args + common, tmp, f"case{len(rows)}")
        row = {"case": name, "seconds": seconds}
        if "error" in metrics:
            row["error"] = metrics["error"]
            rows.append(row)
            continue
        team = read_workers(team_file) if team_file else Team.of_size(11)
        row.update(_measure(context, plan_path, team if team_file else None, mode or "centre"))
        row["reference"], row["reference_km"] = _reference(context, team, mode)
        plans[name] = plan_path
        rows.append(row)
    for name, start, team_file in (("11 -> 12 equal, from current plan", "equal (11 sectors)", None),
                                   ("11 -> 12 team, from current plan", "FTE + groups + spread bases",
                                    teams["twelve"])):
        if start not in plans:
            continue
        print(f"team case: {name} ...", flush=True)
        who = ["--workers", str(team_file)] if team_file else ["--sectors", "12"]
        metrics, plan_path, seconds, _ = _cli(who + common + ["--from", str(plans[start])], tmp, f"case{len(rows)}")
        row = {"case": name, "seconds": seconds}
        if "error" in metrics:
            row["error"] = metrics["error"]
        else:
            team = read_workers(team_file) if team_file else None
            row.update(_measure(context, plan_path, team, "centre"))
            from geo.sectors.io import read_plan
            from geo.sectors.plan import plan_from_frame
            new = plan_from_frame(context, read_plan(plan_path), tolerance=TOLERANCE)
            moved = changes(read_plan(plans[start]), new)
            row["referent_changes"] = moved["patients_changed"] / moved["patients"]
            # least share for the sectors the new one touches (min-cost flow on the sector graph)
            row["referent_bound"] = metrics["plan"].get("referent_change_bound")
        rows.append(row)
    return rows


def _f(value, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def team_table(rows: list[dict]) -> str:
    head = (f"{'case':36} {'max dev':>8} {'contig.':>7} {'groups':>6} {'km medoid':>9} {'km base':>8} "
            f"{'reference km':>12} {'vs ref':>7} {'changes':>8} {'bound':>6} {'seconds':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['case']:36} refused: {r['error']}")
            continue
        km = r["mean_km_base"] if r.get("mean_km_base") is not None else r["mean_km_medoid"]
        gap = (km / r["reference_km"] - 1) * 100 if r.get("reference_km") else None
        groups = {None: "-", True: "yes", False: "NO"}[r.get("groups_contiguous")]
        lines.append(
            f"{r['case']:36} {100 * r['max_dev']:7.2f}% {'yes' if r['contiguous'] else 'NO':>7} {groups:>6} "
            f"{r['mean_km_medoid']:9.2f} {_f(r.get('mean_km_base'), '8.2f'):>8} "
            f"{_f(r.get('reference_km'), '12.2f'):>12} {_f(gap, '+6.1f'):>6}% "
            f"{_f(None if 'referent_changes' not in r else 100 * r['referent_changes'], '7.1f'):>7}% "
            f"{_f(None if r.get('referent_bound') is None else 100 * r['referent_bound'], '5.1f'):>5}% "
            f"{r['seconds']:7.1f}")
    return "\n".join(lines)


def team_targets(rows: list[dict]) -> list[tuple[str, bool, str]]:
    """The issue's targets for the team cases, each (name, met, figures)."""
    out = []
    for r in rows:
        if "error" in r:
            out.append((r["case"].strip(), False, "refused"))
            continue
        ok = r["max_dev"] <= TOLERANCE + 1e-9 and r["contiguous"] and r.get("groups_contiguous") is not False
        figures = f"max dev {100 * r['max_dev']:.2f} %, {r['seconds']:.1f} s"
        if "referent_changes" in r:
            met = ok and r["referent_changes"] <= 0.12
            bound = r.get("referent_bound")
            bound = "" if bound is None else f", least {100 * bound:.1f} % for the sectors the new one touches"
            out.append((r["case"].strip(), met, figures + f", {100 * r['referent_changes']:.1f} % change referent "
                                                          f"(target <= 12 %{bound})"))
            continue
        km = r["mean_km_base"] if r.get("mean_km_base") is not None else r["mean_km_medoid"]
        gap = km / r["reference_km"] - 1
        if "inside" in r["case"]:
            # the softer base option has no distance target in the issue: every sector must reach its
            # worker's base, so bases clustered in Lyon give wedges that no free p-median resembles
            out.append((r["case"].strip(), ok and r["seconds"] <= 30.0,
                        figures + f" (target <= 30 s), {100 * gap:+.1f} % vs {r['reference']} (information)"))
            continue
        with_bases = r.get("mean_km_base") is not None
        limit, seconds = (0.15, 30.0) if with_bases else (0.05, 10.0)
        met = ok and gap <= limit and r["seconds"] <= seconds
        out.append((r["case"].strip(), met, figures + f", {100 * gap:+.1f} % vs {r['reference']} "
                                                      f"(target <= {100 * limit:.0f} %, <= {seconds:.0f} s)"))
    return out
