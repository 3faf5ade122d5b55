"""The per-run timing hook (app/run_times.py): one line per script run when asked, nothing otherwise."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN, assert_no_error as _ok


def test_each_run_appends_its_page_and_times(tmp_path, monkeypatch):
    log = tmp_path / "runs.tsv"
    monkeypatch.setenv("SECTEURS_RUN_TIMES", str(log))
    at = AppTest.from_file(str(MAIN), default_timeout=300).run()
    at.switch_page("views/orientation.py").run()
    _ok(at)
    rows = [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()]
    assert [row[2] for row in rows] == ["accueil", "orientation"]
    for ended, session, _page, wall, cpu in rows:
        assert float(ended) > 0 and len(session) == 8 and float(wall) >= float(cpu) * 0.5 >= 0


def test_profiles_are_dumped_where_asked(tmp_path, monkeypatch):
    import pstats

    monkeypatch.setenv("SECTEURS_RUN_PROFILE", str(tmp_path))
    AppTest.from_file(str(MAIN), default_timeout=300).run()
    dumped = list(tmp_path.glob("accueil-*.prof"))
    assert len(dumped) == 1
    assert any("accueil.py" in str(key[0]) for key in pstats.Stats(str(dumped[0])).stats)


def test_nothing_is_written_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SECTEURS_RUN_TIMES", raising=False)
    monkeypatch.delenv("SECTEURS_RUN_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)
    AppTest.from_file(str(MAIN), default_timeout=300).run()
    assert list(tmp_path.iterdir()) == []
