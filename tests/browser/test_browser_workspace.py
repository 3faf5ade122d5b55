"""The whole path through the team workspace, in Debian's Chromium, offline.

The team is set once (``secteurs team set``, two groups); on Secteurs the
hospital export is imported (the FICTITIOUS demo export), sectors are
proposed for that team and the version is saved. Then Couverture, Fiche
secteur, Orientation and the ARS PDF use those counts and that version, with
its team's groups, and each page says which counts and which version it shows.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from served_app import secteurs_command, served_app
from test_browser import (CHROMIUM, UNITS, _assert_no_error, _downloaded_pdf_text,  # noqa: F401
                          _open_page, _prepared_pdf_button, _wait_for_units, _wait_idle, browser_page, screenshots)

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")]

EXPORT = Path(__file__).resolve().parents[2] / "data" / "demo" / "export_hopital_demo.csv"
#: The team: 11 workers, two groups.
TEAM = [(f"AS {i}", "Métropole" if i <= 4 else "Région") for i in range(1, 12)]
VERSION = "Plan équipe — version 1"
COUNTS = re.compile(r"export_hopital_demo\.csv \(2\s660 patients, 2024–2025")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``secteurs app`` on a database whose workspace already has the team (``secteurs team set``)."""
    folder = tmp_path_factory.mktemp("workspace")
    db = folder / "secteurs.sqlite"
    workers = folder / "equipe.csv"
    workers.write_text("nom;etp;groupe\n" + "".join(f"{n};1;{g}\n" for n, g in TEAM), encoding="utf-8")
    subprocess.run(secteurs_command() + ["team", "set", str(workers), "--db", str(db)], check=True,
                   capture_output=True)
    with served_app(db) as url:
        yield url


def _caption(page, pattern) -> str:
    found = page.locator("[data-testid=stCaptionContainer]").filter(has_text=pattern)
    found.first.wait_for(state="attached", timeout=60_000)  # may sit in a collapsed expander or another tab
    return found.first.text_content()


def _show(page, caption: str) -> None:
    """Scroll the page's caption into view (the screenshot shows what the page says it uses)."""
    page.locator("[data-testid=stCaptionContainer]").filter(has_text=caption).first.evaluate(
        "e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)


def test_import_once_then_every_page_uses_the_counts_and_the_team(browser_page, server, screenshots, tmp_path):
    page = browser_page.page
    # -- Secteurs: import the export, propose for the workspace team, save the version ------------
    _open_page(page, server, "secteurs")
    uploader = page.locator("[data-testid=stFileUploader]").filter(has_text="Export patients de l'hôpital")
    if not uploader.first.is_visible():  # the panel "Patients" may open folded
        page.get_by_text(re.compile(r"^Patients$")).first.click()
    uploader.locator("input[type=file]").set_input_files(str(EXPORT))
    page.get_by_text("Comptages de l'espace de travail").wait_for(timeout=120_000)
    _wait_idle(page)
    _assert_no_error(page, "Secteurs après l'import")
    page.get_by_text("Équipe (tableau)").click()
    _wait_idle(page)
    page.get_by_role("button", name="Proposer").click()
    _wait_for_units(page, timeout_ms=240_000)
    _wait_idle(page, timeout_ms=240_000)
    _assert_no_error(page, "Secteurs après « Proposer »")
    page.get_by_role("tab", name="Versions").click()
    name = page.get_by_label("Nom", exact=True)
    name.fill("Plan équipe")
    name.press("Enter")
    _wait_idle(page)
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Version 1 de « Plan équipe » enregistrée").wait_for(timeout=60_000)
    _wait_idle(page)
    assert "équipe enregistrée avec la version" in _caption(page, "Version courante")
    _show(page, "Version courante")
    page.screenshot(path=str(screenshots / "workspace_secteurs.png"), full_page=True)

    # -- Couverture: the workspace counts and the current version, then the ARS PDF -----------------
    _open_page(page, server, "couverture")
    page.get_by_text("Rapport pour l'ARS", exact=True).wait_for(timeout=240_000)
    _wait_idle(page, timeout_ms=240_000)
    _assert_no_error(page, "Couverture")
    shown = _caption(page, "Plan :")
    assert VERSION in shown and COUNTS.search(shown), shown
    text = _downloaded_pdf_text(page, _prepared_pdf_button(page, "Rapport ARS (PDF)"), tmp_path / "ars.pdf")
    flat = " ".join(text.split())
    assert "export_hopital_demo.csv" in flat and "Plan équipe" in flat and "AS 11" in flat, flat[-1500:]
    assert "FICTIVES" in flat or "fictiv" in flat.lower()
    _show(page, "Plan :")
    page.screenshot(path=str(screenshots / "workspace_couverture.png"), full_page=True)

    # -- Fiche secteur: the sheet of the version, with the referent's group ------------------------
    _open_page(page, server, "fiche-secteur")
    button = page.get_by_role("button", name="Fiche (PDF)")
    button.wait_for(timeout=180_000)
    _wait_idle(page)
    _assert_no_error(page, "Fiche secteur")
    shown = _caption(page, "Plan :")
    assert VERSION in shown and COUNTS.search(shown), shown
    metrics = {m.locator("[data-testid=stMetricLabel]").inner_text().strip():
               m.locator("[data-testid=stMetricValue]").inner_text().strip()
               for m in page.locator("[data-testid=stMetric]").all()}
    sector = metrics["Référent·e"]
    assert metrics["Groupe"] == dict(TEAM)[sector], metrics
    sheet = " ".join(_downloaded_pdf_text(page, button, tmp_path / "fiche.pdf").split())
    flat_sheet = " ".join(sheet.replace("\u00a0", " ").replace("\u202f", " ").split())
    assert f"Groupe : {dict(TEAM)[sector]}" in flat_sheet, flat_sheet[:600]
    _show(page, "Plan :")
    page.screenshot(path=str(screenshots / "workspace_fiche.png"), full_page=True)

    # -- Orientation: the hub's desk routes with the version's team (groups) ------------------------
    _open_page(page, server, "orientation")
    shown = _caption(page, "Plan :")
    assert VERSION in shown and "équipe enregistrée avec la version" in shown and COUNTS.search(shown), shown
    box = page.get_by_label("Commune ou code postal")
    box.fill("Lyon 3e")  # a number alone may be both an INSEE and a postal code: the desk would ask
    box.press("Enter")
    summary = page.locator("[data-testid=stCode]").filter(has_text="Référent·e").first  # the short summary
    summary.wait_for(timeout=60_000)
    _wait_idle(page)
    _assert_no_error(page, "Orientation")
    text = summary.inner_text()
    referent = re.search(r"Référent·e : (AS \d+)", text).group(1)
    assert f"Groupe : {dict(TEAM)[referent]}" in text, text
    page.screenshot(path=str(screenshots / "workspace_orientation.png"), full_page=True)

    # -- Accueil: the imported counts, not the demo sample ------------------------------------------
    page.goto(server)
    _wait_idle(page)
    assert COUNTS.search(_caption(page, "Patients :"))
    assert browser_page.blocked == [], f"requests off localhost: {browser_page.blocked[:5]}"
