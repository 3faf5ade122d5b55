"""A programming error on a page reads as a French sentence with a reference; the details go to the log.

Fault injection: the Accueil page's counts (``app.resources.counts_in_use``) raise a contract
error with English text and a server path; the page must show neither, and the log must hold both.
"""
from __future__ import annotations

import logging
import re

from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN


def test_a_programming_error_on_a_page_is_french_and_logged(monkeypatch, caplog):
    from app import resources

    def broken():
        raise ValueError("counts: expected columns code_insee, patients; got ['x'] (/srv/secteurs/db.sqlite)")

    monkeypatch.delenv("SECTEURS_DEBUG", raising=False)
    monkeypatch.setattr(resources, "counts_in_use", broken)
    with caplog.at_level(logging.ERROR, logger="secteurs"):
        at = AppTest.from_file(str(MAIN), default_timeout=180).run()
    assert not at.exception, [e.message for e in at.exception]  # no traceback drawn
    shown = [e.value for e in at.error]
    assert len(shown) == 1 and shown[0].startswith("erreur interne"), shown
    assert "expected" not in shown[0] and "/srv" not in shown[0]
    reference = re.search(r"référence ([0-9a-f]{6})", shown[0]).group(1)
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and "/srv/secteurs/db.sqlite" in logged[0].getMessage() and logged[0].exc_info
