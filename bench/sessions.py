"""Twelve people signed in at once: time to get a page, and a referral answered while someone proposes.

Usage: ``python bench/sessions.py [--sessions 12] [--rounds 3] [--pace 10] [--work-minutes 2] [--root PATH]``

Starts ``secteurs app --address 127.0.0.1 --auth local`` on a throw-away
database holding ``--sessions`` local accounts (role *cadre*) and a current
plan (11 sectors proposed on the FICTITIOUS demo patients), then drives
Debian's Chromium (``/usr/bin/chromium``) with one playwright context per
person:

1. every person signs in (not timed: argon2 is slow on purpose);
2. ``--rounds`` times, all of them open a page at the same moment (the
   sidebar link of Orientation, Partenaires, Fiche secteur or Accueil in
   turn): the time from the click to the page's title with its script done;
3. for ``--work-minutes``, they work at a person's pace: each opens the next
   page, reads it for a while (uniform between half and one and a half
   times ``--pace`` seconds, a seeded draw per person) and opens another;
   the time to each page is measured as in 2 (the rounds are the worst
   case: twelve clicks in the same instant);
4. one person clicks *Proposer* on Secteurs; while the proposal computes,
   another person asks Orientation for a commune (time to the sector shown)
   and the others open a page again (time to each page).

Target (issue 15): each page in <= 2 s with 12 sessions on 2 cores. The
machine running this may be shared: other processes inflate the figures,
so the load average is printed at the start and at the end. The server
writes each script run's time (``$SECTEURS_RUN_TIMES``, app/run_times.py):
per page, the run's CPU time and its time in the server are printed for the
rounds, the working pace and the proposal; ``bench/page_cost.py`` gives the CPU seconds a
page view costs the server and Chromium, which do not depend on the load.
``--root`` serves another checkout (e.g. one that proposes in the page's
thread) to compare.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as ``python bench/sessions.py`` from the checkout, no PYTHONPATH needed
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import served_app  # noqa: E402  (tests/served_app.py: starts and stops the app as the browser tests do)
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "mot de passe du banc d'essai"
#: Pages every person opens in turn (sidebar label, title drawn).
PAGES = [("Orientation", "Orientation"), ("Partenaires", "Partenaires"), ("Fiche secteur", "Fiche secteur"),
         ("Accueil", "Accueil")]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
#: Milliseconds before a wait fails.
TIMEOUT = 180_000
#: Communes the desk asks for (each resolves to one unit: no pick needed).
QUERIES = ("Lyon 3e", "Villeurbanne", "42000", "Annecy", "Chambéry", "Bron", "Valence")


def _prepare(db: Path, sessions: int) -> list[str]:
    """Accounts and a current plan in a new database (in this process, with this checkout's code)."""
    import pandas as pd

    from geo.paths import demo_dir
    from geo.sectors.propose import propose
    from services import accounts, workspace
    from services.storage import open_database

    conn = open_database(db)
    try:
        logins = [f"bench{i + 1:02d}" for i in range(sessions)]
        for login in logins:
            accounts.add_user(conn, login, "cadre", password=PASSWORD, name=f"Banc {login[-2:]}")
        counts = pd.read_csv(demo_dir() / "patients_demo.csv", comment="#", dtype={"code_insee": str})
        plan = propose(counts[["code_insee", "patients"]], 11, seed=0)
        workspace.save_version(conn, "Banc d'essai (démo fictive)", plan, demo=True)
    finally:
        conn.close()
    return logins


def _start_app(db: Path, port: int, root: Path, log: Path, run_times: Path) -> subprocess.Popen:
    """``secteurs app --auth local`` of checkout ``root`` on ``port``, once it answers (as the browser tests start it)."""
    env = {**os.environ, "PYTHONPATH": str(root), "SECTEURS_DB": str(db), "SECTEURS_RUN_TIMES": str(run_times)}
    proc = served_app.start([sys.executable, "-m", "app.cli", "app", "--address", "127.0.0.1", "--port", str(port),
                             "--auth", "local", "--db", str(db)], log, cwd=root, env=env)
    served_app.wait_url(f"http://127.0.0.1:{port}/_stcore/health", proc, 240, log)
    return proc


async def _sign_in(browser, url: str, login: str):
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_label("Identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.get_by_text("Connecté(e) :").wait_for(timeout=TIMEOUT)
    await page.wait_for_selector(IDLE, timeout=TIMEOUT)
    return page


async def _open(page, label: str, title: str) -> float:
    """Seconds from the click on the sidebar link to the page's title drawn and its script done."""
    started = time.perf_counter()
    await page.locator("[data-testid=stSidebarNav] a", has_text=label).first.click()
    await page.locator("h1", has_text=title).first.wait_for(timeout=TIMEOUT)
    await page.wait_for_selector(IDLE, timeout=TIMEOUT)
    return time.perf_counter() - started


async def _referral(page, query: str) -> float:
    """Seconds from typing a commune in Orientation to its sector shown."""
    box = page.get_by_label("Commune ou code postal")
    metric = page.locator("[data-testid=stMetricLabel]", has_text="Secteur").first
    await box.fill("")
    await box.press("Enter")
    await metric.wait_for(state="detached", timeout=TIMEOUT)  # the previous answer is gone
    await page.wait_for_selector(IDLE, timeout=TIMEOUT)
    started = time.perf_counter()
    await box.fill(query)
    await box.press("Enter")
    await metric.wait_for(timeout=TIMEOUT)
    await page.wait_for_selector(IDLE, timeout=TIMEOUT)
    return time.perf_counter() - started


def _line(name: str, values: list[float], target: float | None = None) -> str:
    text = (f"{name:<46} median {statistics.median(values):6.2f} s   max {max(values):6.2f} s   "
            f"(n={len(values)})")
    if target is not None:
        within = sum(v <= target for v in values)
        text += f"   {within}/{len(values)} <= {target:g} s"
    return text


async def _work(page, person: int, pace: float, until: float) -> list[float]:
    """One person opening a page after another, reading each for a while, until ``until`` (perf_counter)."""
    import random

    draw = random.Random(person)
    times = []
    await asyncio.sleep(draw.uniform(0, pace))   # people do not start together
    turn = person
    while time.perf_counter() < until:
        times.append(await _open(page, *PAGES[turn % len(PAGES)]))
        turn += 1
        await asyncio.sleep(draw.uniform(0.5 * pace, 1.5 * pace))
    return times


async def _run(url: str, logins: list[str], rounds: int, pace: float = 10.0,
               work_minutes: float = 2.0) -> dict[str, list[float]]:
    """Drive the sessions; returns the epoch times of the rounds and of the proposal."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        started = time.perf_counter()
        pages = []
        for login in logins:  # one after another: sign-in hashes are slow on purpose
            pages.append(await _sign_in(browser, url, login))
        print(f"{len(pages)} sessions signed in in {time.perf_counter() - started:.1f} s (argon2, not a target)")

        together: list[float] = []
        per_page: dict[str, list[float]] = {}
        windows = {"rounds": [time.time()]}
        for r in range(rounds):
            chosen = [PAGES[(r + i) % len(PAGES)] for i in range(len(pages))]
            times = await asyncio.gather(*(_open(page, *which) for page, which in zip(pages, chosen)))
            together.extend(times)
            for (label, _), seconds in zip(chosen, times):
                per_page.setdefault(label, []).append(seconds)
            print(_line(f"round {r + 1}: {len(pages)} pages opened at once", list(times), 2.0))
        for label, values in per_page.items():
            print(_line(f"  {label}", values, 2.0))
        windows["rounds"].append(time.time())

        if work_minutes > 0:
            windows["working pace"] = [time.time()]
            until = time.perf_counter() + 60 * work_minutes
            worked = await asyncio.gather(*(_work(page, i, pace, until) for i, page in enumerate(pages)))
            windows["working pace"].append(time.time())
            pace_times = [t for person in worked for t in person]
            print(_line(f"working pace: a page every {pace:g} s on average each", pace_times, 2.0))
            ordered = sorted(pace_times)
            print(f"{'':<46} 95th percentile {ordered[int(0.95 * (len(ordered) - 1))]:6.2f} s")

        # one proposes; meanwhile a referral and the others' pages
        proposer, desk, others = pages[0], pages[1], pages[2:]
        await _open(proposer, "Secteurs", "Secteurs")
        await _open(desk, "Orientation", "Orientation")
        await _referral(desk, "Grenoble")  # warm the page once
        await proposer.get_by_text("Proposer un découpage ou charger une version").first.click()
        click = time.perf_counter()
        await proposer.get_by_role("button", name="Proposer", exact=True).click()
        await proposer.get_by_text("Calcul du découpage").first.wait_for(timeout=60_000)
        referrals, during = [], []
        for query in QUERIES:
            referrals.append(await _referral(desk, query))
            if len(others):
                during.extend(await asyncio.gather(*(_open(page, *PAGES[(len(referrals) + i) % len(PAGES)])
                                                     for i, page in enumerate(others))))
        running_at_end = await proposer.get_by_text("Découpage proposé en").count() == 0
        await proposer.get_by_text("Découpage proposé en").first.wait_for(timeout=900_000)
        proposal = time.perf_counter() - click
        windows["proposal"] = [time.time() - proposal, time.time()]
        await browser.close()

    print()
    print(_line(f"all rounds: a page with {len(pages)} sessions", together, 2.0))
    print(_line("referral answered while a proposal computes", referrals, 2.0))
    if during:
        print(_line(f"pages of {len(others)} others during the proposal", during, 2.0))
    print(f"{'the proposal (click to result shown)':<46} {proposal:6.1f} s"
          + ("" if running_at_end else "   (it ended before the last referral: fewer measured during it)"))
    return windows


def _server_side(run_times: Path, since: float, until: float) -> list[str]:
    """Per page, the server's time and CPU time of the script runs between ``since`` and ``until``
    (what ``app/run_times.py`` wrote: a server that predates it writes nothing)."""
    if not run_times.exists():
        return ["(no run times: the served checkout does not write $SECTEURS_RUN_TIMES)"]
    per_page: dict[str, list[tuple[float, float]]] = {}
    for line in run_times.read_text(encoding="utf-8").splitlines():
        ended, _session, page, wall, cpu = line.split("\t")
        if since <= float(ended) <= until:
            per_page.setdefault(page, []).append((float(wall), float(cpu)))
    lines = []
    for page, runs in sorted(per_page.items()):
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        lines.append(f"  {page:<16} runs {len(runs):3d}   CPU median {statistics.median(cpus):5.3f} s "
                     f"max {max(cpus):5.3f} s   in the server median {statistics.median(walls):5.2f} s "
                     f"max {max(walls):5.2f} s")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12, help="people signed in at once (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="times every person opens a page together")
    parser.add_argument("--pace", type=float, default=10.0,
                        help="seconds a person reads a page before the next, on average (default 10)")
    parser.add_argument("--work-minutes", type=float, default=2.0,
                        help="minutes of work at that pace (default 2; 0 skips it)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="secteurs-sessions-"))
    db = folder / "bench.sqlite"
    logins = _prepare(db, args.sessions)
    port = served_app.free_port()
    log = folder / "app.log"
    print(f"serving {args.root} on 127.0.0.1:{port} (--auth local), {os.cpu_count()} cores, log {log}")
    run_times = folder / "run_times.tsv"
    proc = _start_app(db, port, args.root.resolve(), log, run_times)
    print(f"load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min)")
    try:
        windows = asyncio.run(_run(f"http://127.0.0.1:{port}/", logins, args.rounds, args.pace, args.work_minutes))
    finally:
        served_app.stop(proc)
    print(f"load average at end   {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min)")
    for name, (since, until) in windows.items():
        print(f"script runs in the server during the {name} (CPU: the run's thread; the rest is waiting):")
        print("\n".join(_server_side(run_times, since, until)))


if __name__ == "__main__":
    main()
