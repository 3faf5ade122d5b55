"""A corrupted database file: every page says so in French, with no traceback."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN


@pytest.fixture
def corrupt_db(tmp_path, monkeypatch):
    from app import resources

    path = tmp_path / "corrupt.sqlite"
    path.write_bytes(b"not a database at all " * 200)
    monkeypatch.setenv("SECTEURS_DB", str(path))
    resources.connection.clear()  # the shared connection of other tests points at another file
    yield path
    resources.connection.clear()


@pytest.mark.parametrize("page", ["accueil", "partenaires", "orientation", "couverture", "fiche_secteur"])
def test_a_corrupt_database_gives_a_french_message(corrupt_db, page):
    at = AppTest.from_file(str(MAIN), default_timeout=180)
    at.run()
    if page != "accueil":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "abîmée" in errors and "Traceback" not in errors
    assert corrupt_db.read_bytes().startswith(b"not a database")  # nothing written over it
