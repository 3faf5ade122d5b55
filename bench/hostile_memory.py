"""Peak memory of the commands of the issue-15 probe on a 200 MB single-line file, with the default limits.

Usage: ``python bench/hostile_memory.py [--mb 200]``. Each command runs in its own process; the
figure is that process's peak resident memory (``ru_maxrss`` of the child) next to the same command
on a small valid file, so the cost of the hostile file is the difference. Before the bounded
readers, these commands reached 8 GB (MemoryError, std::bad_alloc). Timings and memory are those of
a shared machine.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNTS = ROOT / "data" / "demo" / "patients_demo.csv"

DRIVER = r"""
import resource, sys
from app.cli import main
code = main(sys.argv[1:])
print(f"{code} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}", file=sys.__stdout__)
"""


def _run(argv: list[str], env: dict) -> tuple[int, float, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", DRIVER, *argv], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    code, peak = done.stdout.strip().splitlines()[-1].split()
    return int(code), float(peak), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        huge = tmp / "one_line.csv"
        with open(huge, "wb") as handle:
            block = b"a" * (1 << 20)
            for _ in range(args.mb):
                handle.write(block)
        from geo.territory import load_units

        codes = sorted(load_units()["code_insee"])
        plan = tmp / "plan.csv"
        plan.write_text("code_insee,sector\n" + "".join(f"{c},S{i % 3}\n" for i, c in enumerate(codes)),
                        encoding="utf-8")
        workers = tmp / "workers.csv"
        workers.write_text("nom,etp\nS0,1\nS1,1\nS2,1\n", encoding="utf-8")
        referrals = tmp / "liste.csv"
        referrals.write_text("Code INSEE\n69383\n", encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               "SECTEURS_DB": str(tmp / "bench.sqlite")}
        commands = {
            "route": lambda f: ["route", str(f), "--plan", str(plan), "--out", str(tmp / "o.xlsx")],
            "plan metrics": lambda f: ["plan", "metrics", str(f), "--patients", str(COUNTS)],
            "plan metrics --workers": lambda f: ["plan", "metrics", str(plan), "--patients", str(COUNTS),
                                                 "--workers", str(f)],
            "propose --workers": lambda f: ["propose", "--workers", str(f), "--patients", str(COUNTS),
                                            "--out", str(tmp / "p.csv")],
            "propose --locks": lambda f: ["propose", "--sectors", "3", "--patients", str(COUNTS), "--locks", str(f),
                                          "--out", str(tmp / "p.csv")],
            "partners import rpps": lambda f: ["partners", "import", str(f), "--format", "rpps", "--author", "b"],
            "patients import": lambda f: ["patients", "import", str(f), "--out", str(tmp / "c.csv")],
        }
        valid = {"route": referrals, "plan metrics": plan, "plan metrics --workers": workers}
        print(f"{'command':<22}{'hostile exit':>13}{'peak MB':>9}{'s':>7}{'valid peak MB':>15}")
        for name, make in commands.items():
            code, peak, seconds = _run(make(huge), env)
            base = f"{_run(make(valid[name]), env)[1]:>15.0f}" if name in valid else f"{'':>15}"
            print(f"{name:<22}{code:>13}{peak:>9.0f}{seconds:>7.1f}{base}")
        print(f"(file: {args.mb} MB on one line; limits {os.environ.get('SECTEURS_MAX_FILE_MB', '64')} MB per file, "
              f"{os.environ.get('SECTEURS_MAX_LINE_KB', '1024')} KB per line)")


if __name__ == "__main__":
    main()
