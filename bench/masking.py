"""ARS masking benchmark: what the report publishes, on the demo counts and on thin samples.

Run it from the repository root::

    python bench/masking.py            # demo + samples of 40, 300, 608 and 1,350 patients
    python bench/masking.py --quick    # 40 and 608 only, no multi-release run

For each set of counts, every table the ARS report publishes together
(commune classes, 12 departments, the sectors of an 11-sector plan proposed by
the engine on the demo counts, department x sector, the white-zone cells of
each criterion with the FICTITIOUS demo directory, the region) is masked

* by the optimiser (:func:`services.coverage.protect_counts`, this branch), and
* by the previous rule (``services/coverage/masking.py`` as of commit
  ``504cc61``, loaded from git: communes published exactly with ``< 11``,
  greedy secondary suppression),

and the script prints, per report, how many cells were published (figure),
masked (``< 11``), put in commune classes and suppressed (``s``), the region,
department and sector totals that stay published, whether each pattern passes
the new audit (protection interval p = 2, jointly with earlier releases), and the
time. Then three reports of the 608-patient sample with three plans (seeds 0,
1, 2 of the engine, "Variante (graine)") are made one after the other through
the release register's logic (each audited with the earlier ones), and the
same three made independently are attacked jointly.

Samples are drawn without replacement from the 1,350 fictitious demo
referrals (``numpy`` multivariate hypergeometric, seed 2026): reproducible.
Timings are wall time on a shared machine.
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OLD_COMMIT = "504cc61"
TARGET = {"patients": 608, "departements": 10, "secteurs": 8}


def thin_sample(counts: pd.Series, n: int, seed: int = 2026) -> pd.Series:
    """``n`` referrals drawn without replacement from ``counts`` (per-commune), reproducibly."""
    if n >= counts.sum():
        return counts[counts > 0]
    draw = np.random.default_rng(seed).multivariate_hypergeometric(counts.to_numpy(), n)
    out = pd.Series(draw, index=counts.index, name="patients")
    return out[out > 0]


def old_masking():
    """The masking module as it was before this work (from git), or None when git cannot give it."""
    try:
        source = subprocess.run(["git", "show", f"{OLD_COMMIT}:services/coverage/masking.py"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "old_masking.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_masking", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def inputs():
    """Units, the demo counts, an 11-sector plan per seed, the white-zone flags with the demo directory."""
    import partners
    from geo.database import connect
    from geo.patients import read_counts
    from geo.sectors.propose import propose
    from geo.territory import load_units
    from services.reports import compute_coverage, partner_inputs

    units = load_units()
    demo = read_counts(ROOT / "data" / "demo" / "patients_demo.csv")
    counts = demo.set_index("code_insee")["patients"]
    plans = {seed: propose(demo, 11, seed=seed).to_frame() for seed in (0, 1, 2)}
    conn = connect(Path(tempfile.mkdtemp()) / "bench.sqlite")
    partners.ensure_demo_directory(conn)
    frame, zones, _ = partner_inputs(conn)
    coverage = compute_coverage(units, frame, zones, demo, plans[0])
    return units, counts, plans, coverage.flags


def groupings_for(plan: pd.DataFrame, flags, old: bool = False) -> dict:
    from services.coverage import white_zone_groupings

    white = white_zone_groupings(flags)
    if old:      # the previous rule published both cells of each criterion
        white = {k: v.fillna("hors zone blanche") for k, v in white.items()}
    return {"departement": "departement", "secteur": plan.set_index("code_insee")["sector"], **white}


def describe(cells: pd.DataFrame, threshold: int = 10) -> dict:
    """Figures of a pattern's cells (``level``, ``display`` columns)."""
    def status(level):
        part = cells[cells["level"] == level]["display"].astype(str)
        return {"shown": int(part.str.fullmatch(r"\d+").sum()), "primary": int((part == "< 11").sum()),
                "secondary": int((part == "s").sum()), "n": int(len(part))}
    display = cells["display"].astype(str)
    is_unit = cells["level"] == "unit"
    return {
        "figures": int(display.str.fullmatch(r"\d+").sum()), "masked": int((display == "< 11").sum()),
        "classes": int((is_unit & display.str.contains(" à |plus de")).sum()),
        "suppressed": int((display == "s").sum()), "region": status("total"),
        "departements": status("departement"), "secteurs": status("secteur"),
    }


def run(units, counts, plan, flags, *, old=None, earlier=()):
    from services.coverage import protect_counts, verify_no_disclosure

    base = units[["code_insee", "departement"]]
    start = time.perf_counter()
    if old is None:
        protection = protect_counts(counts, groupings_for(plan, flags), units=base,
                                    cross=[("departement", "secteur")], earlier=earlier)
        seconds = time.perf_counter() - start
        audit = verify_no_disclosure(protection)
        return protection, describe(protection.cells), seconds, audit.ok, protection.published()
    previous = old.protect_counts(counts, groupings_for(plan, flags, old=True), units=base,
                                  cross=[("departement", "secteur")])
    seconds = time.perf_counter() - start
    # what the previous rule published, audited with the new rule ("< 11" is 1-10, protection interval)
    from services.coverage import Protection

    as_new = Protection(previous.cells[["level", "key", "value", "status", "display"]], previous.membership,
                        previous.units, previous.lines, previous.levels, unit_values=previous.unit_values)
    try:
        ok = verify_no_disclosure(as_new).ok
    except ValueError:
        ok = False
    return previous, describe(previous.cells), seconds, ok, None


def _totals(part: dict) -> str:
    return f"{part['n'] - part['secondary']}/{part['n']} ({part['primary']} '< 11')"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 and 608 patients only, no multi-release run")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    t0 = time.perf_counter()
    units, demo, plans, flags = inputs()
    print(f"inputs (territory, 3 engine plans of 11 sectors, demo directory): {time.perf_counter() - t0:.1f} s")
    old = old_masking()
    sizes = [40, 608] if args.quick else [40, 300, 608, 1350]
    header = ("| patients | rule | figures | '< 11' | classes | 's' | region | departments published | "
              "sectors published | audit (p=2) | seconds |")
    print("\n" + header + "\n|" + "---|" * 11)
    ok_target = None
    for n in sizes:
        counts = thin_sample(demo, n)
        for rule in ("optimiser", "previous"):
            if rule == "previous" and old is None:
                continue
            try:
                _, figures, seconds, ok, _ = run(units, counts, plans[0], flags, old=old if rule == "previous" else None)
            except Exception as exc:                # the previous rule may give up on thin samples
                print(f"| {n} | {rule} | failed: {type(exc).__name__}: {str(exc)[:80]} |")
                continue
            audit = "pass" if ok else ("n/a" if ok is None else "FAIL")
            region = "shown" if figures["region"]["shown"] else ("'< 11'" if figures["region"]["primary"] else "s")
            print(f"| {n} | {rule} | {figures['figures']} | {figures['masked']} | {figures['classes']} | "
                  f"{figures['suppressed']} | {region} | {_totals(figures['departements'])} | "
                  f"{_totals(figures['secteurs'])} | {audit} | {seconds:.1f} |")
            if rule == "optimiser" and n == TARGET["patients"]:
                deps, secs = figures["departements"], figures["secteurs"]
                ok_target = (figures["region"]["shown"] == 1 and deps["n"] - deps["secondary"] >= TARGET["departements"]
                             and secs["n"] - secs["secondary"] >= TARGET["secteurs"])
    if ok_target is not None:
        print(f"\ntarget with {TARGET['patients']} patients (region shown, >= {TARGET['departements']}/12 departments "
              f"and >= {TARGET['secteurs']}/11 sectors not suppressed): {'MET' if ok_target else 'NOT MET'}")
    if args.quick:
        return 0 if ok_target in (True, None) else 1

    # three reports of the same counts with three plans
    from services.coverage import verify_no_disclosure

    counts = thin_sample(demo, TARGET["patients"])
    print(f"\nthree reports of the {TARGET['patients']}-patient sample, plans of seeds 0, 1, 2:")
    releases = []
    for seed in (0, 1, 2):
        protection, figures, seconds, ok, published = run(units, counts, plans[seed], flags, earlier=releases)
        releases.append(published)
        print(f"  seed {seed}, audited with {len(releases) - 1} earlier: {figures['figures']} figures, "
              f"{figures['masked']} '< 11', {figures['suppressed']} 's'; departments "
              f"{_totals(figures['departements'])}, sectors {_totals(figures['secteurs'])}; "
              f"joint audit {'pass' if ok else 'FAIL'}; {seconds:.1f} s")
    independent = []
    for seed in (0, 1, 2):
        independent.append(run(units, counts, plans[seed], flags)[4])
    last = run(units, counts, plans[2], flags)[0]
    joint = verify_no_disclosure(last, earlier=independent[:2])
    print(f"  the same three made independently (no register), audited together: "
          f"{'pass' if joint.ok else f'FAIL, {len(joint.disclosed)} cell(s) not protected'}")
    return 0 if ok_target else 1


if __name__ == "__main__":
    sys.exit(main())
