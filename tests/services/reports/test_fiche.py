"""The sector sheet: PDF and HTML with every section, neighbours, partners with contacts, hub contact; CLI."""
from __future__ import annotations

import re

import pytest

from services.reports.fiche import DEFAULT_HUB_CONTACT, HUB_CONTACT_ENV, SHEET_SECTIONS

SECTOR = "S14-108"          # the 60 km square of Lyon (see conftest)


@pytest.fixture(scope="module")
def fiche_out(report_files, tmp_path_factory):
    from app.cli import main

    out = tmp_path_factory.mktemp("fiche")
    code = main(["report", "fiche", "--plan", str(report_files["plan"]), "--sector", SECTOR,
                 "--out", str(out / "fiche.pdf"), "--html", str(out / "fiche.html"),
                 "--patients", str(report_files["patients"]), "--db", str(report_files["db"])])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def sheet(report_files, square_plan):
    import pandas as pd

    from geo.database import connect
    from services.reports.fiche import build_sheet

    counts = pd.read_csv(report_files["patients"], comment="#", dtype={"code_insee": str})
    return build_sheet(connect(report_files["db"]), square_plan, SECTOR, patients=counts, demo_patients=True,
                       with_map=False)


def test_sheet_content(sheet, square_plan, units):
    members = square_plan[square_plan["sector"] == SECTOR]["code_insee"]
    assert sorted(sheet.communes["code_insee"]) == sorted(members)
    assert sheet.communes["population"].sum() == units.set_index("code_insee").loc[members, "population"].sum()
    assert sheet.referent == SECTOR                       # no referent column: the sector's name
    assert len(sheet.neighbours) >= 2 and SECTOR not in set(sheet.neighbours["secteur"])
    assert (sheet.neighbours["referent"] == sheet.neighbours["secteur"]).all()
    assert set(sheet.zones["type"]) == {"CPTS", "HAD"}    # the demo directory tiles the region
    assert len(sheet.partners_in) and sheet.partners_in["phone"].str.startswith("04 65 71").all()
    assert (sheet.partners_around["distance_km"] > 0).all()
    assert sheet.hub == DEFAULT_HUB_CONTACT and sheet.demo_partners and sheet.demo_patients


def test_neighbours_share_a_border(sheet, square_plan, edges, units):
    codes = units["code_insee"].to_numpy()
    sector_of = dict(zip(square_plan["code_insee"], square_plan["sector"]))
    pairs = {(sector_of[codes[a]], sector_of[codes[b]]) for a, b in edges}
    expected = {b for a, b in pairs if a == SECTOR and b != SECTOR} | {a for a, b in pairs if b == SECTOR and a != SECTOR}
    assert set(sheet.neighbours["secteur"]) == expected


def test_hub_contact_is_configurable(monkeypatch):
    from services.reports.fiche import hub_contact

    monkeypatch.setenv(HUB_CONTACT_ENV, "Poste pivot : poste 1234")
    assert hub_contact() == "Poste pivot : poste 1234"
    monkeypatch.setenv(HUB_CONTACT_ENV, "  ")
    assert hub_contact() == DEFAULT_HUB_CONTACT


def test_unknown_sector(report_files, square_plan):
    from geo.database import connect
    from services.reports.fiche import build_sheet

    from geo.errors import SecteursError

    with pytest.raises(SecteursError) as caught:
        build_sheet(connect(report_files["db"]), square_plan, "Nowhere", with_map=False)
    assert caught.value.code == "reports.unknown_sector" and caught.value.params["sector"] == "Nowhere"
    assert "S14-108" in caught.value.params["sectors"]


def test_pdf_read_back(fiche_out, sheet):
    from pypdf import PdfReader

    reader = PdfReader(fiche_out / "fiche.pdf")
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))
    for section in SHEET_SECTIONS:
        assert section in text, section
    assert f"Fiche du secteur {SECTOR}" in text
    assert DEFAULT_HUB_CONTACT in text
    assert "Données de démonstration fictives" in text and "(fictifs)" in text
    assert sum(len(page.images) for page in reader.pages) == 1
    for neighbour in sheet.neighbours["secteur"]:
        assert neighbour in text
    dense = text.replace(" ", "")           # table cells may wrap anywhere
    for row in sheet.partners_in.itertuples():
        assert row.phone.replace(" ", "") in dense and row.email in dense


def test_html_is_self_contained_and_printable(fiche_out, sheet):
    page = (fiche_out / "fiche.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    assert "data:image/png;base64," in page and "http" not in page.split("<body>")[1].replace("example.org", "")
    for section in SHEET_SECTIONS:
        assert section in page
    assert sheet.partners_in.iloc[0]["email"] in page


def test_cli_unknown_sector(report_files, tmp_path, capsys):
    from app.cli import main

    code = main(["report", "fiche", "--plan", str(report_files["plan"]), "--sector", "Nowhere",
                 "--out", str(tmp_path / "f.pdf"), "--db", str(report_files["db"])])
    assert code == 2 and not (tmp_path / "f.pdf").exists()
    assert "« Nowhere » n'est pas un secteur du plan" in capsys.readouterr().err
