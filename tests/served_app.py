"""Start and stop real servers for the browser tests: ``secteurs app`` (and the test identity provider).

Imported by name (``from served_app import served_app``): ``tests/`` is on the
path of every test through ``tests/conftest.py``.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port free on localhost now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def secteurs_command() -> list[str]:
    """The ``secteurs`` console script (``python -m app.cli`` where it is not installed)."""
    return [shutil.which("secteurs")] if shutil.which("secteurs") else [sys.executable, "-m", "app.cli"]


def start(command: list[str], log: Path, **kwargs) -> subprocess.Popen:
    """Run ``command`` in its own process group, its output in ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)


def stop(proc: subprocess.Popen) -> None:
    """End ``proc`` and what it started (the CLI and the streamlit process)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_url(url: str, proc: subprocess.Popen, timeout: float, log: Path, poll: float = 0.3) -> None:
    """Until ``url`` answers 200 (asked every ``poll`` s); the log in the error if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(poll)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s:\n{log.read_text(errors='replace')}")


@contextmanager
def served_app(db: Path, *options: str, port: int | None = None, timeout: float = 180):
    """``secteurs app --port PORT --db DB [options]`` until the block ends; yields its base URL.

    Parameters
    ----------
    db : Path
        The database (its folder also gets ``app.log``).
    *options : str
        More arguments of ``secteurs app`` (``--address``, ``--auth``, ``--secrets``...).
    port : int, optional
        Default: a free port.
    timeout : float
        Seconds to wait for the health endpoint.
    """
    port = port or free_port()
    log = Path(db).with_name(f"app-{port}.log")
    proc = start(secteurs_command() + ["app", "--port", str(port), "--db", str(db), *options], log)
    url = f"http://localhost:{port}/"
    try:
        wait_url(url + "_stcore/health", proc, timeout, log)
        yield url
    finally:
        stop(proc)
