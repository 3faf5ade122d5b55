"""Partenaires in Chromium: a partner list uploaded through the browser is previewed, then imported.

The upload reaches the readers as bytes (no temporary file on the server); the fixtures (a fresh
``secteurs app`` and an offline Chromium page) are those of ``test_browser.py``.
"""
from __future__ import annotations

from pathlib import Path

from test_browser import (_assert_no_error, _open_page, _wait_idle, browser_page, screenshots,  # noqa: F401
                          server)

TEMPLATE = Path(__file__).resolve().parents[1] / "partners" / "data" / "partenaires_manuels.csv"


def test_partner_list_uploaded_previewed_and_imported(browser_page, server, screenshots):  # noqa: F811
    page = browser_page.page
    _open_page(page, server, "partenaires")
    page.get_by_role("textbox", name="Votre nom (noté dans l'historique)").fill("Testeur navigateur")
    page.keyboard.press("Enter")
    _wait_idle(page)
    page.get_by_role("tab", name="Importer").click()
    page.locator("[data-testid=stSelectbox]").filter(has_text="Format").click()
    page.get_by_role("option", name="Modèle de saisie (CSV ou XLSX)").click()
    _wait_idle(page)
    page.locator("[data-testid=stFileUploader]").filter(has_text="Fichier à importer").locator(
        "input[type=file]").set_input_files(str(TEMPLATE))
    page.get_by_text("Aperçu de l'import de partenaires_manuels.csv").wait_for(timeout=60_000)
    _wait_idle(page)
    _assert_no_error(page, "Partenaires, aperçu de l'import")
    page.screenshot(path=str(screenshots / "partenaires_import_apercu.png"), full_page=True)
    page.get_by_role("button", name="Importer dans l'annuaire").click()
    page.get_by_text("Import de partenaires_manuels.csv : 3 créés").wait_for(timeout=60_000)
    _assert_no_error(page, "Partenaires, import")
    assert browser_page.blocked == [], f"requests off localhost: {browser_page.blocked[:5]}"
