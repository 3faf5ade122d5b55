"""Hostile names reach every page as plain text (AppTest, real pages, a database of their own).

A partner, the workers (hence the sectors), the current plan version and the
counts file are named with markdown that would load a remote image
(``![x](http://h.example/...)``), raw HTML and Streamlit's colour syntax. On
every page each text Streamlit renders as markdown (bodies, headings, alerts,
captions, labels, help) must hold them escaped: no markdown link or image
survives, and no ``<img`` reaches a block that allows HTML.
"""
from __future__ import annotations

import os
import re

import pandas as pd
import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from apptest_helpers import MAIN, assert_no_error, pages_on_database, partner_tab

HOSTILE = "![x](http://h.example/i.png) <img src=http://h.example/j.png> **gras** :red[rouge]"
#: Markdown link or image target not escaped (plain_md writes "\](\(" for "](").
UNESCAPED_LINK = re.compile(r"(?<!\\)\]\((?=http)")
#: Proto fields Streamlit renders as markdown.
MARKDOWN_FIELDS = {"body", "label", "help"}


def _markdown_texts(proto, allow_html=False):
    """(text, html allowed) of every markdown-rendered string field of a protobuf message, recursively."""
    allow_html = allow_html or bool(getattr(proto, "allow_html", False))
    for field, value in proto.ListFields():
        if isinstance(value, Message):
            yield from _markdown_texts(value, allow_html)
        elif isinstance(value, str):
            if field.name in MARKDOWN_FIELDS:
                yield value, allow_html
        elif not isinstance(value, (bytes, int, float, bool)):  # a repeated field
            for item in value:
                if isinstance(item, Message):
                    yield from _markdown_texts(item, allow_html)


def _page_texts(at: AppTest) -> list[tuple[str, bool]]:
    texts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.extend(_markdown_texts(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return texts


def _assert_plain(at: AppTest, page: str) -> None:
    texts = _page_texts(at)
    tables = " ".join(d.value.to_string() for d in at.dataframe)
    reached = [t for t, _ in texts if "gras" in t] or "gras" in tables
    assert reached, f"{page}: the hostile names do not reach the page (the test would prove nothing)"
    assert not [t for t, _ in texts if UNESCAPED_LINK.search(t)], page
    assert not [t for t, html in texts if html and "<img" in t], page


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, units):
    """The app on a database of its own where everything a person names is hostile."""
    import partners
    from geo.access import act_as, local_user
    from geo.sectors.team import Team
    from partners.model import Partner
    from services import workspace
    from services.storage import open_database

    db = tmp_path_factory.mktemp("hostile") / "secteurs.sqlite"
    departement = units["departement"].astype(str)
    names = (f"{HOSTILE} Rhône", f"=cmd|' /C calc'!A0 {HOSTILE}")
    plan = pd.DataFrame({"code_insee": units["code_insee"],
                         "sector": [names[0] if d == "69" else names[1] for d in departement]})
    conn = open_database(db)
    with act_as(local_user()):
        partners.save_partner(conn, Partner(type="CCAS", name=f"CCAS {HOSTILE}", code_insee="69383",
                                            notes=HOSTILE), author=f"Auteur {HOSTILE}")
        workspace.set_team(conn, Team(names, (1.0, 1.0), groups=(f"Groupe {HOSTILE}", "Région")))
        workspace.set_counts(conn, pd.DataFrame({"code_insee": ["69383", "01053", "69029"],
                                                 "patients": [30, 12, 4]}), f"{HOSTILE}.csv")
        workspace.save_version(conn, f"Plan {HOSTILE}", plan)
    conn.close()
    with pages_on_database(db):
        yield AppTest.from_file(str(MAIN), default_timeout=300).run()


@pytest.mark.parametrize("page", ["accueil", "secteurs", "partenaires", "orientation", "couverture",
                                  "fiche_secteur", "journal"])
def test_every_page_shows_hostile_names_as_plain_text(hostile_app, page):
    at = hostile_app
    at.switch_page(f"views/{page}.py").run()
    assert_no_error(at)
    if page == "orientation":
        at.text_input(key="orientation_query").input("69003 Lyon").run()
    if page == "partenaires":  # the commune's partners, then the hostile partner's form and history
        at.text_input(key="partenaires_query").input("69003 Lyon").run()
        assert_no_error(at)
        _assert_plain(at, page)
        partner_tab(at, "Annuaire")   # the page's tabs are lazy: the form is drawn when its tab is open
        box = at.selectbox(key="partenaires_selected")
        box.set_value(1).run()  # the hostile partner, the first of its database
    assert_no_error(at)
    _assert_plain(at, page)


def test_sector_sheet_html_escapes_hostile_names(hostile_app):
    """The print-friendly sheet (HTML) escapes every name: no tag of the names, no markdown left to a renderer."""
    from geo.access import act_as, local_user
    from services import workspace
    from services.reports.fiche import build_sheet
    from services.storage import open_database

    conn = open_database(os.environ["SECTEURS_DB"])
    with act_as(local_user()):
        record = workspace.current_plan(conn)
        sheet = build_sheet(conn, record, record.team.names[0], team=record.team, with_map=False)
    conn.close()
    page = sheet.html()
    assert "h.example" in page and "<img src=http://h.example" not in page
    assert "&lt;img src=http://h.example/j.png&gt;" in page
