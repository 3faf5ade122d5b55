"""What every AppTest of the pages shares (imported by name: conftest modules are ambiguous across folders)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from streamlit.testing.v1 import AppTest

#: The app's entry script.
MAIN = Path(__file__).resolve().parents[2] / "app" / "main.py"


def assert_no_error(at: AppTest) -> None:
    """The page ran without an exception and shows no error box."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def partner_tab(at: AppTest, label: str) -> AppTest:
    """Open the Partenaires page's tab ``label`` (« Trouver », « Annuaire », « Importer ») and run.

    The page's tabs are lazy (``app.ui.lazy_tabs``): only the open one runs,
    as when a person clicks its title.
    """
    if at.session_state["partenaires_tabs"] != label:
        at.session_state["partenaires_tabs"] = label
        at.run()
    return at


def form_key(at: AppTest, field: str) -> str:
    """The key of a partner form's field (it depends on the partner shown and on the form round)."""
    partner_tab(at, "Annuaire")
    keys = [w.key for w in at.text_input if w.key and w.key.startswith("pf_") and w.key.endswith(f"_{field}")]
    assert len(keys) == 1, keys
    return keys[0]


def fill_form(at: AppTest, **values) -> AppTest:
    """Type ``values`` into the partner form's fields and submit it."""
    partner_tab(at, "Annuaire")
    for field, value in values.items():
        at.text_input(key=form_key(at, field)).input(value)
    at.get("form_submit_button")[0].click().run()
    return at


@contextmanager
def pages_on_database(db, **env):
    """Run the pages on the database ``db`` (and the environment ``env``) until the block ends.

    The pages share one connection per process (``app.resources.connection``, a
    cached resource): the caches are cleared on the way in and out, so that the
    page tests after this block open the session's database again.
    """
    import streamlit as st
    from pytest import MonkeyPatch

    with MonkeyPatch.context() as patch:
        patch.setenv("SECTEURS_DB", str(db))
        for name, value in env.items():
            patch.setenv(name, value)
        st.cache_resource.clear()
        st.cache_data.clear()
        try:
            yield patch
        finally:
            st.cache_resource.clear()
            st.cache_data.clear()


def page_with_plan_file(page: str, plan_csv: bytes | None, *, timeout: float = 300) -> AppTest:
    """A fresh session on ``app/views/<page>.py`` with "Fichier plan.csv" chosen and ``plan_csv`` uploaded (if given)."""
    prefix = page.split("_")[0]  # the pages' widget keys: fiche_…, orientation_…, couverture_…
    at = AppTest.from_file(str(MAIN), default_timeout=timeout).run()
    at.switch_page(f"views/{page}.py").run()
    at.selectbox(key=f"{prefix}_plan_choice").select("Fichier plan.csv").run()
    if plan_csv is not None:
        at.file_uploader(key=f"{prefix}_plan_file").set_value(("plan.csv", plan_csv, "text/csv")).run()
    return at


def map_data(at) -> dict:
    """What the page's map component was given on the last run (files, partners, paint, view)."""
    import json

    found = [e for e in at.get("bidi_component") if e.proto.component_name == "secteurs_map"]
    assert len(found) == 1, f"{len(found)} maps on the page"
    return json.loads(found[0].proto.json)
