"""CPU seconds one page view costs the machine: the server's and Chromium's (load-independent).

Usage: ``python bench/page_cost.py [--rounds 3] [--root PATH]``

Serves the app as ``bench/sessions.py`` does (``--auth local``, a current
plan on the FICTITIOUS demo patients), signs one person in with Debian's
Chromium, then opens Orientation, Partenaires, Fiche secteur and Accueil in
turn, ``--rounds`` times (after one view of each, not counted, that
warms the caches). For each view it adds up the CPU time (user +
system, from ``/proc``) the server's processes and Chromium's processes
spent from the click until the page is drawn and quiet (its script done and
no CPU used for a moment: the map's units drawn).

Why: ``bench/sessions.py`` times 12 people on a machine shared with other
work, so its seconds move with the load. CPU seconds do not: with 12 people
opening a page at once on 2 cores, the last page cannot be ready before about
``12 x (cost of a page) / 2`` seconds, whatever else is done. The <= 2 s
target of issue 15 needs a page view of about 0.33 CPU seconds (server and
browser together).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sessions  # noqa: E402  (bench/sessions.py: the same server, accounts and pages)

TICKS = os.sysconf("SC_CLK_TCK")
#: CPU seconds per second below which a process tree counts as quiet.
QUIET = 0.05


def _tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system, children reaped included) of ``root_pid`` and its descendants."""
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        cpu[pid] = sum(int(f) for f in fields[11:15]) / TICKS  # utime stime cutime cstime
    total, todo = 0.0, [root_pid]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(children.get(pid, ()))
    return total


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    if int(stat.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                pass
    return found


async def _quiet(roots: list[int], budget: float = 60.0) -> None:
    """Wait until the process trees use (nearly) no CPU for half a second."""
    deadline = time.monotonic() + budget
    last = sum(map(_tree_cpu, roots))
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = sum(map(_tree_cpu, roots))
        if now - last < QUIET * 0.5:
            return
        last = now


async def _run(url: str, login: str, server_pid: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    from playwright.async_api import async_playwright

    costs: dict[str, list[tuple[float, float]]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=sessions.CHROMIUM, args=sessions.BROWSER_ARGS)
        page = await sessions._sign_in(browser, url, login)
        # Chromium runs under playwright's driver, a child of this process (as is the server)
        driver = [pid for pid in _children(os.getpid()) if pid != server_pid]

        def chromium() -> float:
            return sum(_tree_cpu(pid) for pid in driver)

        await _quiet([server_pid, *driver])
        for label, title in sessions.PAGES:   # a first view of each page warms the caches: not counted
            await sessions._open(page, label, title)
            await _quiet([server_pid, *driver])
        for _ in range(rounds):
            for label, title in sessions.PAGES:
                server, browser_cpu = _tree_cpu(server_pid), chromium()
                await sessions._open(page, label, title)
                await _quiet([server_pid, *driver])
                costs.setdefault(label, []).append((_tree_cpu(server_pid) - server, chromium() - browser_cpu))
        await browser.close()
    return costs


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each page is opened (default 3)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="secteurs-page-cost-"))
    db = folder / "bench.sqlite"
    login = sessions._prepare(db, 1)[0]
    port = sessions.served_app.free_port()
    proc = sessions._start_app(db, port, args.root.resolve(), folder / "app.log", folder / "run_times.tsv")
    print(f"serving {args.root} on 127.0.0.1:{port}; load average {os.getloadavg()[0]:.2f} "
          "(CPU seconds hardly depend on it)")
    try:
        costs = asyncio.run(_run(f"http://127.0.0.1:{port}/", login, proc.pid, args.rounds))
    finally:
        sessions.served_app.stop(proc)
    print(f"{'page':<16}{'server CPU':>12}{'Chromium CPU':>14}{'total':>9}   (medians, n={args.rounds})")
    totals = []
    for label, values in costs.items():
        server = statistics.median(s for s, _ in values)
        browser = statistics.median(b for _, b in values)
        totals.append(server + browser)
        print(f"{label:<16}{server:>10.2f} s{browser:>12.2f} s{server + browser:>7.2f} s   each: "
              + ", ".join(f"{s:.2f}+{b:.2f}" for s, b in values))
    mean = statistics.mean(totals)
    print(f"mean page view {mean:.2f} CPU s: 12 people at once on 2 cores need at least {12 * mean / 2:.1f} s")


if __name__ == "__main__":
    main()
