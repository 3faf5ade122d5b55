"""Run-time state goes to --db / $SECTEURS_DB / per-user directories, never into the source tree."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from geo.paths import resolve_db_path

REPO = Path(__file__).resolve().parent.parent


def _tree_snapshot() -> dict[str, float]:
    return {str(p.relative_to(REPO)): p.stat().st_mtime for p in REPO.rglob("*")
            if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts
            and ".pytest_cache" not in p.parts and not p.name.endswith(".egg-info")
            and "egg-info" not in str(p)}


def test_db_path_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("SECTEURS_DB", str(tmp_path / "env.sqlite"))
    assert resolve_db_path(tmp_path / "cli.sqlite") == tmp_path / "cli.sqlite"
    assert resolve_db_path(None) == tmp_path / "env.sqlite"
    monkeypatch.delenv("SECTEURS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_db_path(None) == tmp_path / "xdg" / "secteurs" / "secteurs.sqlite"


def test_cli_writes_caches_in_user_dirs_not_in_the_source_tree(tmp_path):
    before = _tree_snapshot()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECTEURS_")}
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-m", "app.cli", "territory", "info"], env=env,
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert '"units": 4033' in result.stdout
    assert list((tmp_path / "cache" / "secteurs").glob("adjacency-*.npy"))
    assert _tree_snapshot() == before
