"""Server CPU time and bytes of one page run, per page, for a warm session (load-independent figures).

Usage: ``python bench/page_cpu.py [--runs 5] [--profile PAGE] [--top 25]``

Runs the app's entry script with Streamlit's AppTest (no browser, no
server) on a throw-away database holding a current plan (11 sectors
proposed on the FICTITIOUS demo patients), like ``bench/sessions.py``. Each
page is opened once to warm the process-wide caches and this session, then
opened ``--runs`` more times from another page (what a click on the sidebar
does): for each, the CPU time of the process (``time.process_time``: the
script's thread and nothing else runs) and the bytes of the messages the
script sends to the browser (the serialized ``ForwardMsg`` protos). The
last column is a page's first run in a new session (the process warm).
AppTest keeps Streamlit's full garbage collection after each run, which the
server started by ``secteurs app`` skips: these figures include it.

Why CPU time: Streamlit runs every session's script in a thread of ONE
process, so the scripts of 12 sessions share the GIL. With 12 people
opening a page at once, the last one waits for about 12 x the CPU time of a
page: the <= 2 s target of issue 15 needs a page of about 0.1-0.15 s.

``--profile PAGE`` (file name in app/views/, e.g. ``fiche_secteur``) prints
the ``--top`` functions by cumulative time of one warm run of that page.
"""
from __future__ import annotations

import argparse
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAIN = ROOT / "app" / "main.py"
RUN_PROFILE_ENV = "SECTEURS_RUN_PROFILE"  # see app/run_times.py
#: Pages measured (files of app/views/); each is opened from the next one.
PAGES = ("accueil", "orientation", "partenaires", "fiche_secteur", "couverture", "secteurs")


def _prepare(db: Path) -> None:
    """A current plan (11 sectors on the FICTITIOUS demo patients) in a new database."""
    import pandas as pd

    from geo.paths import demo_dir
    from geo.sectors.propose import propose
    from services import workspace
    from services.storage import open_database

    conn = open_database(db)
    try:
        counts = pd.read_csv(demo_dir() / "patients_demo.csv", comment="#", dtype={"code_insee": str})
        plan = propose(counts[["code_insee", "patients"]], 11, seed=0)
        workspace.save_version(conn, "Banc d'essai (démo fictive)", plan, demo=True)
    finally:
        conn.close()


class _Sent:
    """Counts the bytes of the messages each run sends (wraps AppTest's message parsing)."""

    def __init__(self):
        import streamlit.testing.v1.local_script_runner as runner

        self.bytes = 0
        self._runner = runner
        self._parse = runner.parse_tree_from_messages

        def parse(messages):
            self.bytes = sum(m.ByteSize() for m in messages)
            return self._parse(messages)

        runner.parse_tree_from_messages = parse


def _server_like() -> None:
    """Make AppTest keep compiled scripts between runs, as the server does (AppTest makes a new
    ScriptCache per run, so every run would pay the compilation and Streamlit's magic pass)."""
    import streamlit.testing.v1.app_test as app_test

    cache = app_test.ScriptCache()
    app_test.ScriptCache = lambda: cache


def _open(at, page: str):
    return at.switch_page(f"views/{page}.py").run()


def measure(pages, runs: int) -> dict[str, dict]:
    from streamlit.testing.v1 import AppTest

    sent = _Sent()
    at = AppTest.from_file(str(MAIN), default_timeout=600).run()
    for page in pages:  # warm: process-wide caches, then this session's
        _open(at, page)
        assert not at.exception, (page, [e.message for e in at.exception])
    figures = {}
    for page in pages:
        cpu, wall, size = [], [], []
        other = pages[(pages.index(page) + 1) % len(pages)]
        for _ in range(runs):
            _open(at, other)
            started_cpu, started = time.process_time(), time.perf_counter()
            _open(at, page)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
            size.append(sent.bytes)
            assert not at.exception, (page, [e.message for e in at.exception])
        figures[page] = {"cpu": cpu, "wall": wall, "bytes": size}
    return figures


def first_visits(pages, runs: int) -> dict[str, list[float]]:
    """CPU time of a page opened for the first time in a new session (the process is warm)."""
    from streamlit.testing.v1 import AppTest

    warm = AppTest.from_file(str(MAIN), default_timeout=600).run()
    for page in pages:
        _open(warm, page)
    cpu: dict[str, list[float]] = {}
    for _ in range(runs):
        for page in pages:
            at = AppTest.from_file(str(MAIN), default_timeout=600)
            # AppTest's own scan of installed components (seconds) is not the app's: reuse the warm one's
            at._bidi_component_manager = warm._bidi_component_manager
            if page != "accueil":  # a new session starts on Accueil
                at.run()
            started = time.process_time()
            _open(at, page)
            cpu.setdefault(page, []).append(time.process_time() - started)
            assert not at.exception, (page, [e.message for e in at.exception])
    return cpu


def profile(page: str, top: int, first: bool = False) -> str:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(MAIN), default_timeout=600).run()
    _open(at, page)
    _open(at, "accueil" if page != "accueil" else "orientation")
    if first:
        warm, at = at, AppTest.from_file(str(MAIN), default_timeout=600)
        at._bidi_component_manager = warm._bidi_component_manager
        if page != "accueil":
            at.run()
    folder = Path(tempfile.mkdtemp(prefix="secteurs-page-profile-"))
    os.environ[RUN_PROFILE_ENV] = str(folder)  # app.run_times profiles the script's thread
    try:
        _open(at, page)
    finally:
        del os.environ[RUN_PROFILE_ENV]
    out = io.StringIO()
    pstats.Stats(*map(str, folder.glob("*.prof")), stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs per page (default 5)")
    parser.add_argument("--pages", nargs="*", default=list(PAGES), help="pages (files of app/views/)")
    parser.add_argument("--profile", help="a page to profile (file of app/views/, e.g. fiche_secteur)")
    parser.add_argument("--first", action="store_true",
                        help="with --profile: the page's first run in a new session")
    parser.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="secteurs-page-cpu-"))
    os.environ["SECTEURS_DB"] = str(folder / "bench.sqlite")
    os.environ.pop("SECTEURS_AUTH", None)  # localhost mode: the local user, no sign-in
    _prepare(Path(os.environ["SECTEURS_DB"]))
    _server_like()
    print(f"load average {os.getloadavg()[0]:.2f} (CPU time does not depend on it; wall time does)")
    if args.profile:
        print(profile(args.profile, args.top, args.first))
        return
    figures = measure(list(args.pages), args.runs)
    first = first_visits(list(args.pages), args.runs)
    print(f"{'page':<16}{'CPU median':>12}{'CPU max':>10}{'wall median':>13}{'sent':>12}"
          f"{'1st visit CPU':>15}   (n={args.runs})")
    for page, f in figures.items():
        print(f"{page:<16}{statistics.median(f['cpu']):>10.3f} s{max(f['cpu']):>8.3f} s"
              f"{statistics.median(f['wall']):>11.3f} s{statistics.median(f['bytes']) / 1024:>9.0f} KB"
              f"{statistics.median(first[page]):>13.3f} s")


if __name__ == "__main__":
    main()
