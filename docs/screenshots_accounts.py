"""Screenshots of the pages behind a sign-in (connexion, Journal, Comptes) for the README.

Usage: ``python docs/screenshots_accounts.py`` (Debian's Chromium, playwright's python package).
Serves the app with local accounts (``--auth local``) on a fresh database with four FICTITIOUS
accounts, signs in as the team lead (Journal) and as the admin (Comptes), and writes
``docs/screenshots/{connexion,journal,comptes}.png``. The other pages' screenshots come from the
browser tests (``SECTEURS_SCREENSHOTS=docs/screenshots python -m pytest tests/browser``).
"""
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from served_app import served_app, secteurs_command  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

db = Path(tempfile.mkdtemp()) / "secteurs.sqlite"
out = ROOT / "docs" / "screenshots"
PW = "un mot de passe assez long"
for login, role, name in (("c.durand", "cadre", "Claire Durand"), ("admin", "admin", "Service informatique"),
                          ("m.petit", "équipe", "Marc Petit"), ("ars.ara", "ARS", "ARS Auvergne-Rhône-Alpes")):
    subprocess.run(secteurs_command() + ["users", "add", login, "--role", role, "--name", name, "--password-stdin",
                                         "--db", str(db)], input=PW + "\n", text=True, check=True, capture_output=True)
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
with served_app(db, "--auth", "local") as url:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
        page.goto(url)
        page.get_by_label("Identifiant").wait_for(timeout=120000)
        page.wait_for_selector(IDLE, timeout=120000)
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / "connexion.png"))
        for login in ("c.durand", "admin"):
            page.get_by_label("Identifiant").fill(login)
            page.get_by_label("Mot de passe").fill(PW)
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_text("Connecté(e) :").wait_for(timeout=120000)
            page.wait_for_selector(IDLE, timeout=120000)
            label = "Journal" if login == "c.durand" else "Comptes"
            page.locator("[data-testid=stSidebarNav] a", has_text=label).first.click()
            page.locator("h1", has_text=label).first.wait_for(timeout=120000)
            page.wait_for_selector(IDLE, timeout=120000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / f"{label.lower()}.png"), full_page=True)
            page.get_by_role("button", name="Se déconnecter").click()
            page.get_by_label("Identifiant").wait_for(timeout=120000)
            page.wait_for_selector(IDLE, timeout=120000)
        b.close()
