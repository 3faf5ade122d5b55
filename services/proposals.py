"""Proposals off the server's threads: one worker process computes sector plans for every session.

Streamlit runs each browser session's script in a thread of one process.
:func:`geo.sectors.propose.propose` is long (tens of seconds) and spends much
of it in Python code holding the GIL, so a proposal run in a page's thread
slowed every other session of the server to a crawl (issue 15: with 12
sessions, 22 s to answer one referral while proposals ran). Here the proposal
runs in a separate process (:class:`concurrent.futures.ProcessPoolExecutor`
with one worker, started on first use): the page's thread only waits on a
future, which releases the GIL, so the desk stays responsive; proposals queue
one after another in that worker, leaving the other core to the server. The
worker runs at a lower priority (:data:`WORKER_NICENESS`): when the cores are
all busy, the pages' runs go before a proposal, which is long anyway.

Progress stages reach the waiting page through a queue the worker writes
``(job, stage)`` to, drained by one thread of the server.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as WaitTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from geo.access import require_acting

#: Stage reported while a proposal waits for the worker (another one is running).
QUEUED = "queued"
#: Stage reported when the worker starts a proposal.
STARTED = "started"
#: Added to the worker's niceness (Unix): the server's page runs come first.
WORKER_NICENESS = 10

_LOCK = threading.Lock()
_STATE: dict = {"pool": None, "queue": None}
_STAGES: dict[int, list[str]] = {}
_JOBS = itertools.count(1)


# -- in the worker process -----------------------------------------------------------------------------
_WORKER: dict = {}


def _init_worker(queue) -> None:
    _WORKER["queue"] = queue
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)


def _report(job: int, stage: str) -> None:
    queue = _WORKER.get("queue")
    if queue is not None:
        queue.put((job, stage))


def _propose_in_worker(job: int, counts, team, kwargs: dict):
    from geo.sectors.context import build_context
    from geo.sectors.propose import propose

    _report(job, STARTED)
    if "context" not in _WORKER:  # the territory's arrays, once per worker
        _WORKER["context"] = build_context(None)
    context = _WORKER["context"].with_counts(counts)
    plan = propose(None, team, context=context, progress=lambda stage: _report(job, stage), **kwargs)
    # a Plan holds its updaters (local functions): send back what rebuilds it
    return {"assignment": plan.assignment, "names": plan.names, "targets": plan.targets,
            "fixed_bases": plan.fixed_bases, "tolerance": plan.tolerance, "info": plan.info}


def _as_table(previous):
    """A previous Plan as the ``code_insee, sector`` table :func:`propose` also accepts (picklable)."""
    from geo.sectors.plan import Plan

    if not isinstance(previous, Plan):
        return previous
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"code_insee": previous.context.codes,
                         "sector": np.array(previous.names, dtype=object)[previous.assignment]})


# -- in the server -------------------------------------------------------------------------------------
def _drain(queue) -> None:
    while True:
        try:
            job, stage = queue.get()
        except (EOFError, OSError):  # the worker and its queue are gone
            return
        stages = _STAGES.get(job)
        if stages is not None:
            stages.append(stage)


def _pool() -> ProcessPoolExecutor:
    with _LOCK:
        if _STATE["pool"] is None:
            # spawn, not fork: forking a process that runs server threads can copy a held lock
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            _STATE["queue"] = queue
            _STATE["pool"] = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_init_worker,
                                                 initargs=(queue,))
            threading.Thread(target=_drain, args=(queue,), name="secteurs-proposal-progress", daemon=True).start()
        return _STATE["pool"]


def _reset(broken: ProcessPoolExecutor) -> None:
    with _LOCK:
        if _STATE["pool"] is broken:
            _STATE["pool"] = None


def propose_apart(counts, team, *, context=None, progress: Callable[[str], None] | None = None,
                  poll: float = 0.2, **kwargs):
    """:func:`geo.sectors.propose.propose` run in the worker process; same arguments and result.

    Parameters
    ----------
    counts : DataFrame
        ``code_insee, patients`` (the worker builds the territory's context once and applies them).
    team
        As :func:`~geo.sectors.propose.propose`.
    context : SectorContext, optional
        The territory with ``counts`` in this process, for the returned plan (default: built here).
    progress : callable, optional
        Called in the calling thread with each stage: :data:`QUEUED` while another proposal runs,
        :data:`STARTED`, then the engine's stages.
    poll : float
        Seconds between looks at the worker's progress.
    **kwargs
        ``tolerance``, ``seed``, ``locked``, ``previous``, ``department_penalty``, ...

    Returns
    -------
    geo.sectors.plan.Plan
        On ``context``, equal to the plan :func:`~geo.sectors.propose.propose` makes here.

    Raises
    ------
    geo.sectors.problem.SectorError
        As :func:`~geo.sectors.propose.propose` (carried back from the worker).
    """
    require_acting("plans.propose")

    from geo.sectors.context import build_context
    from geo.sectors.plan import Plan

    if context is None:
        context = build_context(None).with_counts(counts)
    if "previous" in kwargs:
        kwargs["previous"] = _as_table(kwargs["previous"])
    job = next(_JOBS)
    _STAGES[job] = []
    pool = _pool()
    try:
        future = pool.submit(_propose_in_worker, job, counts, team, kwargs)
        seen = 0
        if progress is not None:
            progress(QUEUED)
        while True:
            try:
                result = future.result(timeout=poll)  # waiting releases the GIL
                done = True
            except WaitTimeout:
                done = False
            stages = _STAGES[job]
            if progress is not None:
                for stage in stages[seen:]:
                    progress(stage)
            seen = len(stages)
            if done:
                return Plan(context, result["assignment"], result["names"], result["targets"],
                            result["fixed_bases"], result["tolerance"], info=result["info"])
    except BrokenProcessPool:
        _reset(pool)  # the next proposal starts a fresh worker
        raise
    finally:
        _STAGES.pop(job, None)


def shutdown() -> None:
    """Stop the worker process (tests, the end of a benchmark)."""
    with _LOCK:
        pool, _STATE["pool"] = _STATE["pool"], None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
