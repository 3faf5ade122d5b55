"""Partenaires page: uploads are read from memory (no temporary file), the network's list included.

One AppTest session on the real territory: an Annuaire Santé extract uploaded with the network's
members' list is previewed then imported (only the members, labelled), the members' list uploaded
alone labels them (already done), and a wrong network list gives a French error naming the file.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import assert_no_error as _ok, partner_tab

DATA = Path(__file__).resolve().parents[1] / "partners" / "data"
RPPS = DATA / "PS_LibreAcces_Personne_activite_202403110839.txt"
#: Two members of the network: one psychologist of the extract by RPPS number, one unknown one.
LISTING = b"rpps;nom\n10000000017;\n10000000041;\n"


@pytest.fixture(scope="module")
def app(partenaires_app) -> AppTest:
    """The Partenaires page of tests/app/conftest.py, with an author for the history."""
    partenaires_app.text_input(key="partenaires_author").input("Testeur").run()
    return partner_tab(partenaires_app, "Importer")   # every upload of this module is in that tab


def _temporary_files() -> set:
    folder = Path(tempfile.gettempdir())
    return {p.name for p in folder.iterdir() if p.name.startswith("tmp")}


def test_rpps_extract_with_the_network_list_is_imported_from_the_uploads(app):
    import partners
    from geo.database import connect

    conn = connect()
    network = partners.read_network(LISTING, filename="reseau.csv")
    expected = partners.preview_import(conn, RPPS, "rpps", network=network)
    assert expected.created == 2  # the member works in two communes; the other psychologists are left out
    assert expected.skipped["not_in_network"] > 0
    before_files = _temporary_files()
    app.selectbox(key="partenaires_import_format").select("rpps").run()
    app.file_uploader(key="partenaires_import_file").set_value((RPPS.name, RPPS.read_bytes(), "text/plain")).run()
    app.file_uploader(key="partenaires_import_network").set_value(("reseau.csv", LISTING, "text/csv")).run()
    _ok(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["À créer"] == str(expected.created)
    app.button(key="partenaires_import_commit").click().run()
    _ok(app)
    assert any("2 créés" in s.value for s in app.success)
    table = partners.list_partners(conn, include_demo=False)
    assert list(table["rpps"]) == ["10000000017"] * 2 and set(table["labels"]) == {partners.NETWORK_LABEL}
    assert _temporary_files() <= before_files  # no upload copied to a temporary folder
    conn.close()


def test_network_list_upload_tags_the_members(app):
    app.file_uploader(key="partenaires_network_file").set_value(("reseau.csv", LISTING, "text/csv")).run()
    app.button(key="partenaires_network_tag").click().run()
    _ok(app)
    assert any("0 psychologues étiquetés, 2 l'étaient déjà, 1 membres absents" in s.value for s in app.success), \
        [s.value for s in app.success]


def test_a_network_list_without_its_columns_is_refused_in_french(app):
    app.file_uploader(key="partenaires_network_file").set_value(("liste.csv", b"a;b\n1;2\n", "text/csv")).run()
    app.button(key="partenaires_network_tag").click().run()
    errors = [e.value for e in app.error]
    assert errors and errors[0].startswith("liste.csv : ") and "rpps" in errors[0] and "network" not in errors[0]


def test_a_row_of_an_unknown_type_is_rejected_in_french(app):
    """The preview's reason of a row whose type is not a partner type (its message once failed to render)."""
    app.selectbox(key="partenaires_import_format").select("csv").run()
    app.file_uploader(key="partenaires_import_file").set_value(
        ("liste.csv", "type;nom;code_insee\nEHPAD;Maison test;69383\n".encode("utf-8"), "text/csv")).run()
    _ok(app)
    assert {m.label: m.value for m in app.metric}["Rejetés"] == "1"
    rows = next(d.value for d in app.dataframe if "Motif" in d.value.columns and "Signalements" in d.value.columns)
    assert rows["Motif"].tolist() == ["type de partenaire « EHPAD » inconnu ; types possibles : CPTS, HAD, ERC, PSY, "
                                      "DAC, SSIAD, CCAS, AUTRE"]
