"""Time every script run of the server (a debugging aid for the speed with many sessions).

With ``$SECTEURS_RUN_TIMES`` set to a file path, each run of ``app/main.py``
appends one tab-separated line to it: the time it ended (epoch seconds),
the session (a short hash, not the id), the page's URL path, the run's wall
time and the CPU time of the run's thread (``time.thread_time``: what this
run cost the server, whatever the other sessions did meanwhile). Wall time
far above CPU time means the run waited: for the GIL held by other
sessions' scripts, for the database, or for a cache another run was filling.
Unset (the default), nothing is measured nor written.

With ``$SECTEURS_RUN_PROFILE`` set to a directory, each run is also
profiled (:mod:`cProfile`, the run's thread only) and the statistics are
dumped there as ``<page>-<time>.prof`` (read them with :mod:`pstats`).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time

#: Environment variable naming the file the run times are appended to.
RUN_TIMES_ENV = "SECTEURS_RUN_TIMES"
#: Environment variable naming the directory each run's profile is dumped to.
RUN_PROFILE_ENV = "SECTEURS_RUN_PROFILE"
_WRITE = threading.Lock()


def _session() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session_id = getattr(ctx, "session_id", "") or ""
    return hashlib.sha256(session_id.encode()).hexdigest()[:8]


@contextlib.contextmanager
def timed_run(page_of):
    """Time the enclosed script run; ``page_of()`` names the page once the run is over."""
    path = os.environ.get(RUN_TIMES_ENV, "").strip()
    folder = os.environ.get(RUN_PROFILE_ENV, "").strip()
    if not path and not folder:
        yield
        return
    profiler = None
    if folder:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        try:
            page = str(page_of() or "-")
        except Exception:  # noqa: BLE001 - a name for a log line must never break the page
            page = "-"
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(os.path.join(folder, f"{page}-{time.time():.3f}.prof"))
        if path:
            line = f"{time.time():.3f}\t{_session()}\t{page}\t{wall:.4f}\t{cpu:.4f}\n"
            with _WRITE, open(path, "a", encoding="utf-8") as out:
                out.write(line)
