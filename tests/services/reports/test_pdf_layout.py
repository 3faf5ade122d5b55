"""The PDF documents checked by looking: pages rendered to PNG (pdftoppm) and words with their positions
(pdftotext -bbox, Debian's poppler-utils): no word of a table heading is cut, text stays inside the page,
titles are whole, French order, phones and e-mails on one line, legends for every map symbol.
"""
from __future__ import annotations

import html
import itertools
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.collation import french_sorted

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                                reason="poppler-utils (pdftoppm, pdftotext) is not installed")

SECTOR = "S14-108"          # the 60 km square of Lyon (see conftest)
#: Accented names given to some squares: the report must sort them as a French reader does.
NAMES = {"S14-109": "Zoé Martin", "S14-107": "Élodie Bernard", "S13-108": "Fabrice Dubois",
         "S15-108": "Émile Laurent", "S13-107": "Amélie Roux", "S15-107": "Eddy Petit"}
MM = 72 / 25.4


def words(pdf: Path) -> list[dict]:
    """Every word of every page: text, page number (1-based), box in points, page size."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                         text=True).stdout
    found = []
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, flags=re.S)
    for number, (width, height, body) in enumerate(pages, start=1):
        for x0, y0, x1, y1, text in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                                               r'yMax="([\d.]+)">(.*?)</word>', body):
            found.append({"page": number, "text": html.unescape(text), "box": tuple(map(float, (x0, y0, x1, y1))),
                          "size": (float(width), float(height))})
    return found


def lines(found: list[dict]) -> list[str]:
    """Words grouped into printed lines (same page, same baseline), left to right."""
    rows = {}
    for w in found:
        rows.setdefault((w["page"], round(w["box"][3], 0)), []).append(w)
    return [" ".join(w["text"] for w in sorted(row, key=lambda w: w["box"][0])) for _, row in sorted(rows.items())]


def assert_inside_page(found: list[dict], margin_mm: float = 6) -> None:
    margin = margin_mm * MM
    bad = [w for w in found if w["box"][0] < margin or w["box"][1] < margin
           or w["box"][2] > w["size"][0] - margin or w["box"][3] > w["size"][1] - margin]
    assert not bad, bad[:5]


def assert_pages_render_with_blank_edges(pdf: Path, folder: Path, pages: int) -> None:
    """Each page renders to a PNG whose outer 5 mm are blank (nothing drawn off the page)."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(folder / "page")], check=True)
    images = sorted(folder.glob("page-*.png"))
    assert len(images) == pages
    edge = round(5 / 25.4 * 60)
    for path in images:
        pixels = np.asarray(Image.open(path).convert("L"))
        assert pixels.min() < 100, path                       # something is printed
        strips = [pixels[:edge], pixels[-edge:], pixels[:, :edge], pixels[:, -edge:]]
        assert all(s.min() > 245 for s in strips), path


# -- the ARS report ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ars_report(report_files, square_plan):
    """The ARS report of the demo counts on the squares plan, some squares named with accents."""
    from geo.database import connect
    from geo.patients import read_counts
    from geo.territory import load_units
    from services.reports import build_ars_report, compute_coverage, partner_inputs

    partners, zones, demo = partner_inputs(connect(report_files["db"]))
    plan = square_plan.assign(sector=square_plan["sector"].replace(NAMES))
    coverage = compute_coverage(load_units(), partners, zones, read_counts(report_files["patients"]), plan)
    return build_ars_report(coverage, demo=demo, plan_label="plan.csv")


@pytest.fixture(scope="module")
def ars_pdf(ars_report, tmp_path_factory):
    path = tmp_path_factory.mktemp("ars_layout") / "ars_couverture.pdf"
    path.write_bytes(ars_report.pdf_bytes())
    return path


def test_ars_headings_are_whole_words(ars_pdf):
    found = words(ars_pdf)
    texts = {w["text"] for w in found}
    for word in ("Population", "Communes", "Patients", "Département", "Total", "Puy-de-Dôme", "Haute-Savoie",
                 "Haute-Loire", "Secteur", "Critère", "%", "population", "Acc.", "km"):
        assert word in texts, word
    # a cut word leaves a fragment: no printed word is a proper piece of a heading word
    pieces = {"Populatio", "Tot", "Puy-de-Dôm", "Départemen", "Commune", "Patient", "Haute-Savoi"}
    assert not pieces & texts, pieces & texts


def test_ars_text_inside_pages_and_pages_render(ars_pdf, tmp_path):
    from pypdf import PdfReader

    found = words(ars_pdf)
    assert_inside_page(found)
    assert_pages_render_with_blank_edges(ars_pdf, tmp_path, len(PdfReader(ars_pdf).pages))


def flat_text(pdf: Path) -> str:
    """The text in drawing order (pypdf), whitespace collapsed: a title wrapped on two lines reads whole."""
    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(pdf).pages))


def test_ars_map_titles_are_whole(ars_pdf):
    text = flat_text(ars_pdf)
    assert "Zones blanches (hors zone CPTS ; PSY à plus de 30 km ; ERC à plus de 60 km)" in text
    assert "Secteurs et référent·es" in text and "Distance au plus proche ERC (vol d'oiseau)" in text


def test_ars_sectors_in_french_order(ars_pdf):
    text = flat_text(ars_pdf)
    section = text[text.index("4. Par secteur"):text.index("5. Patients par département")]
    positions = [section.index(name) for name in french_sorted(NAMES.values())]
    assert positions == sorted(positions), french_sorted(NAMES.values())
    assert french_sorted(NAMES.values())[:3] == ["Amélie Roux", "Eddy Petit", "Élodie Bernard"]


def test_ars_every_map_symbol_has_a_legend(ars_report):
    from services.reports._ars_maps import coverage_map_images

    images = coverage_map_images(ars_report)
    assert len(images) >= 13
    for title, image in images.items():
        assert image.symbols and set(image.symbols) <= set(image.legend), (title, image.symbols, image.legend)
        assert not image.outside, title
    sectors = images["Secteurs et référent·es"]
    assert set(NAMES.values()) <= set(sectors.legend)


def test_section_titles_never_end_a_page(ars_pdf, sheet_pdf):
    """A section title is followed by its content on the same page (no heading alone at a page foot)."""
    from services.reports._ars_pdf import SECTIONS
    from services.reports.fiche import SHEET_SECTIONS

    for pdf, titles in ((ars_pdf, SECTIONS), (sheet_pdf, SHEET_SECTIONS)):
        found = words(pdf)
        for title in titles:
            first, second = title.split()[:2]
            heads = [w for w, nxt in zip(found, found[1:]) if w["text"] == first and nxt["text"] == second]
            assert heads, title
            head = heads[0]
            below = [w for w in found if w["page"] == head["page"] and w["box"][1] > head["box"][3] + 2
                     and w["box"][3] < head["size"][1] - 20 * MM]
            assert len(below) >= 3, title


# -- the sector sheet -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sheet(report_files, square_plan):
    from geo.database import connect
    from services.reports.fiche import build_sheet

    counts = pd.read_csv(report_files["patients"], comment="#", dtype={"code_insee": str})
    plan = square_plan.assign(sector=square_plan["sector"].replace(NAMES))
    return build_sheet(connect(report_files["db"]), plan, SECTOR, patients=counts, demo_patients=True)


@pytest.fixture(scope="module")
def sheet_pdf(sheet, tmp_path_factory):
    path = tmp_path_factory.mktemp("fiche_layout") / "fiche.pdf"
    path.write_bytes(sheet.pdf_bytes())
    return path


def test_sheet_page_one_is_the_wall_version(sheet, sheet_pdf):
    from pypdf import PdfReader

    from services.reports.fiche import SHEET_SECTIONS

    found = words(sheet_pdf)
    first = " ".join(lines([w for w in found if w["page"] == 1]))
    for needle in (SHEET_SECTIONS[0], SHEET_SECTIONS[1], SHEET_SECTIONS[2], "Partenaires clés", "Poste flux/pivot",
                   "Référent·e :", "Groupe :"):
        assert needle in first, needle
    for name in sheet.neighbours["secteur"]:
        assert name in first, name
    assert len(PdfReader(sheet_pdf).pages[0].images) == 1          # the map
    key = sheet.key_partners
    assert {"CPTS", "HAD", "ERC", "DAC", "PSY"} <= set(key["type"])
    assert (key["type"] == "PSY").sum() == 3 and (key["type"] == "ERC").sum() == 1


def test_sheet_phones_and_emails_on_one_line(sheet, sheet_pdf):
    printed = lines(words(sheet_pdf))
    contacts = pd.concat([sheet.key_partners, sheet.partners_in, sheet.partners_around, sheet.zones])
    assert len(contacts) > 10
    for phone, email in zip(contacts["phone"], contacts["email"]):
        assert any(phone in line and email in line for line in printed), (phone, email)


def test_sheet_text_inside_pages_and_pages_render(sheet_pdf, tmp_path):
    from pypdf import PdfReader

    assert_inside_page(words(sheet_pdf))
    assert_pages_render_with_blank_edges(sheet_pdf, tmp_path, len(PdfReader(sheet_pdf).pages))


def test_sheet_communes_in_columns_and_french_order(sheet, sheet_pdf):
    table = sheet.communes_table()
    assert list(table["Commune"]) == french_sorted(table["Commune"])
    found = words(sheet_pdf)
    start = min(w["page"] for w in found if w["text"] == "7.")
    headers = [w for w in found if w["text"] == "Commune" and w["page"] >= start]
    pages = {w["page"] for w in headers}
    assert pages
    for page in pages:
        on_page = sorted({round(w["box"][0]) for w in headers if w["page"] == page})
        assert len(on_page) >= 2, page                  # side-by-side blocks, not one narrow column
    width = max(w["box"][2] for w in found if w["page"] in pages) - min(w["box"][0] for w in found
                                                                       if w["page"] in pages)
    assert width > 0.6 * (210 - 24) * MM


def test_sheet_map_has_a_legend_for_every_symbol_and_no_overlapping_names(sheet, units, square_plan):
    from geo.territory import load_units
    from services.reports.coverage_data import _plan_series
    from services.reports.fiche import sheet_map

    plan = square_plan.assign(sector=square_plan["sector"].replace(NAMES))
    sectors = _plan_series(plan, load_units())
    partners = pd.concat([sheet.partners_in, sheet.partners_around])
    image = sheet_map(units, sectors, SECTOR, sheet.neighbours, partners)
    assert set(image.symbols) <= set(image.legend) and len(image.legend) >= len(sheet.neighbours) + 1
    assert {"CPTS", "HAD", "Psychologue"} <= set(image.legend)
    assert not image.outside
    assert all(n in [t for t, _ in image.labels] for n in sheet.neighbours["secteur"]), image.dropped
    towns = [t for t, _ in image.labels if t not in set(sheet.neighbours["secteur"])]
    largest = sheet.communes.sort_values("population", ascending=False)["nom"].iloc[0]
    assert len(towns) >= 5 and largest in towns
    for (_, a), (_, b) in itertools.combinations(image.labels, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    w, h = image.size_px
    assert all(0 <= box[0] and box[2] <= w and 0 <= box[1] and box[3] <= h for _, box in image.labels)


def test_sheet_html_matches_and_escapes_every_text(sheet):
    from services.reports.fiche import SHEET_SECTIONS

    nasty = "<script>alert('x')</script> & Cie"
    neighbours = sheet.neighbours.assign(referent=nasty)
    key = sheet.key_partners.assign(name=nasty)
    page = replace(sheet, referent=nasty, hub=nasty, neighbours=neighbours, key_partners=key,
                   plan_label=nasty).html()
    assert "<script>" not in page and html.escape(nasty) in page
    for section in SHEET_SECTIONS:
        assert html.escape(section) in page
    assert "Partenaires clés" in page and page.count("<table class='t'>") >= 5
    assert "white-space: nowrap" in page and "td class='nowrap'>04" in page.replace("\u00a0", " ")


def test_numbers_in_french_format(ars_pdf, sheet_pdf):
    """Thousands are grouped (narrow no-break space) and decimals use a comma: no bare run of 4+ digits but years."""
    for pdf in (ars_pdf, sheet_pdf):
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
        bare = re.findall(r"(?<![\d/\u202f.,])\d{4,}(?![\d/])", text)
        assert not [n for n in bare if not re.fullmatch(r"(19|20)\d\d", n)], bare[:10]
        assert not re.search(r"\d\.\d", text.replace("n° ", "")), re.findall(r".{20}\d\.\d.{5}", text)[:5]


# -- the table and the palette on their own --------------------------------------------------------------------
def test_table_never_cuts_a_heading_word_even_when_narrow(tmp_path):
    from services.reports._pdf import Document

    doc = Document("essai")
    doc.add_page()
    columns = {f"Population municipale {i}": ["1\u202f234\u202f567"] for i in range(8)}
    columns.update({"Total": ["12"], "Puy-de-Dôme": ["3"], "Téléphone": ["04 65 71 02 32"]})
    doc.frame_table(pd.DataFrame(columns), size=8, nowrap=["Téléphone"])
    path = tmp_path / "t.pdf"
    path.write_bytes(doc.to_bytes())
    found = words(path)
    texts = [w["text"] for w in found]
    assert texts.count("Population") == 8 and texts.count("municipale") == 8
    assert "Total" in texts and "Puy-de-Dôme" in texts
    assert any("04 65 71 02 32" in line for line in lines(found))
    assert_inside_page(found)


def test_table_too_wide_is_an_error_with_a_code():
    from geo.errors import SecteursError
    from services.reports._pdf import Document

    doc = Document("essai")
    doc.add_page()
    with pytest.raises(SecteursError) as caught:
        doc.frame_table(pd.DataFrame({f"Colonneextrêmementlongue{i}": ["x"] for i in range(12)}), size=7)
    assert caught.value.code == "reports.table_too_wide"


def test_palette_distinct_and_partner_markers_read_on_every_fill():
    from geo.sectors.palette import SECTOR_PALETTE, colour_difference, relative_luminance, sector_colours
    from services.reports._maps import PARTNER_STYLES

    assert len(SECTOR_PALETTE) >= 12 and len(set(SECTOR_PALETTE)) == len(SECTOR_PALETTE)
    assert min(colour_difference(a, b) for a, b in itertools.combinations(SECTOR_PALETTE, 2)) >= 19
    assert min(colour_difference(a, b) for a, b in itertools.combinations(SECTOR_PALETTE[:11], 2)) >= 24
    markers = [m for m, _ in PARTNER_STYLES.values()]
    assert len(set(markers)) == len(markers)
    for _, colour in PARTNER_STYLES.values():
        for fill in SECTOR_PALETTE:
            contrast = (relative_luminance(fill) + 0.05) / (relative_luminance(colour) + 0.05)
            assert contrast >= 2, (colour, fill, contrast)
    names = ["Zoé", "Élodie", "Fabrice", "Amélie"]
    colours = sector_colours(names)
    assert colours == sector_colours(list(reversed(names)) + names)      # order and repeats do not matter
    assert colours["Amélie"] == SECTOR_PALETTE[0] and colours["Élodie"] == SECTOR_PALETTE[1]
    assert sector_colours(names, team=["Zoé", "Fabrice"])["Zoé"] == SECTOR_PALETTE[0]
    assert len(set(sector_colours([f"S{i}" for i in range(12)]).values())) == 12


def test_french_collation():
    from geo.collation import french_key

    assert french_sorted(["Zoé", "Élodie", "Fabrice", "Eddy", "émile"]) == ["Eddy", "Élodie", "émile", "Fabrice",
                                                                           "Zoé"]
    assert french_sorted(["Lyon 10e Arrondissement", "Lyon 2e Arrondissement"])[0] == "Lyon 2e Arrondissement"
    assert french_key("Œuvre") < french_key("Ouvrir") and french_key("côte") != french_key("cote")


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium is absent")
def test_sheet_html_prints_its_wall_page_on_one_a4_page(sheet, tmp_path):
    """Printed by Chromium, the HTML sheet's page 1 holds the contacts, key partners, map and neighbours."""
    from services.reports.fiche import SHEET_SECTIONS

    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "fiche.html"
    page_file.write_text(sheet.html(), encoding="utf-8")
    printed = tmp_path / "fiche_html.pdf"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.route("http*://**", lambda route: route.abort())          # nothing leaves the machine
        page.goto(page_file.as_uri())
        page.pdf(path=str(printed), prefer_css_page_size=True)
        browser.close()
    found = words(printed)
    first = " ".join(lines([w for w in found if w["page"] == 1]))
    for needle in (*SHEET_SECTIONS[:3], "Partenaires clés", "Poste flux/pivot"):
        assert needle in first, needle
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(printed)], check=True,
                            capture_output=True, text=True).stdout.splitlines()[2:]
    assert len(images) >= 1                                               # the map is on page 1
    assert SHEET_SECTIONS[6] not in first
    assert_inside_page(found, margin_mm=5)
