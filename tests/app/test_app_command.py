"""``secteurs app``: the command line it runs and the database it passes on."""
from __future__ import annotations

import subprocess

from app.cli import app_command, build_parser


def test_streamlit_command_is_headless_on_the_given_port():
    command = app_command.streamlit_command(8642)
    assert command[1:3] == ["-m", "app.serve"]
    assert command[3].endswith("main.py")
    assert "--server.headless=true" in command and "--server.port=8642" in command
    assert "--browser.gatherUsageStats=false" in command


def test_db_option_reaches_the_server(monkeypatch, tmp_path):
    seen = {}

    class FakeServer:
        def __init__(self, command, env):
            seen.update(command=command, env=env)

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeServer)
    monkeypatch.setattr(app_command.signal, "signal", lambda *args: None)  # keep pytest's handlers
    args = build_parser().parse_args(["app", "--port", "8643", "--db", str(tmp_path / "x.sqlite")])
    assert args.handler(args) == 0
    assert seen["env"]["SECTEURS_DB"] == str((tmp_path / "x.sqlite").resolve())
    assert "--server.port=8643" in seen["command"]
