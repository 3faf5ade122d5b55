"""Sign-in through a real OpenID Connect provider, end to end in Debian's Chromium.

The test starts node's ``oidc-provider`` (``tests/oidc/provider.js``, installed
by ``.ci/run`` with npm) and ``secteurs app --address 0.0.0.0 --auth oidc``
with a ``secrets.toml`` naming that provider, then drives Chromium through
the real redirects: the app shows only its sign-in page, the provider's form
signs the person in, Streamlit's ``/oauth2callback`` exchanges the code, and
the app maps the e-mail to an account of the database and its role. An
identity without an account sees no page. A second test signs in with a local
account (``--auth local``) in the browser.
"""
from __future__ import annotations

import secrets as random_secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from served_app import free_port, secteurs_command, served_app, start, stop, wait_url

ROOT = Path(__file__).resolve().parents[2]
OIDC_DIR = ROOT / "tests" / "oidc"
CHROMIUM = Path("/usr/bin/chromium")
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (.ci/run installs it)"),
    pytest.mark.skipif(NODE is None, reason="node is absent"),
    pytest.mark.skipif(not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir(),
                       reason="oidc-provider is not installed: npm ci --prefix tests/oidc (.ci/run does it)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
CLIENT_ID, CLIENT_SECRET = "secteurs", "client-secret-" + random_secrets.token_hex(8)
PASSWORD = "mot de passe assez long"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """oidc-provider on a free port; yields (issuer URL, the app's port it redirects to)."""
    port, app_port = free_port(), free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    proc = start([NODE, str(OIDC_DIR / "provider.js"), str(port), CLIENT_ID, CLIENT_SECRET,
                   f"http://localhost:{app_port}/oauth2callback"], log, cwd=OIDC_DIR)
    issuer = f"http://localhost:{port}"
    try:
        wait_url(issuer + "/.well-known/openid-configuration", proc, 60, log)
        yield issuer, app_port
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def oidc_app(provider, tmp_path_factory):
    """``secteurs app --address 0.0.0.0 --auth oidc`` with one enrolled account (alice, cadre)."""
    issuer, port = provider
    folder = tmp_path_factory.mktemp("oidc-app")
    db = folder / "secteurs.sqlite"
    enrolled = subprocess.run(secteurs_command() + ["users", "add", "alice@chu.test", "--role", "cadre", "--sso",
                                             "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert enrolled.returncode == 0, enrolled.stderr
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{random_secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        'client_kwargs = { prompt = "login" }\n', encoding="utf-8")
    with served_app(db, "--address", "0.0.0.0", "--auth", "oidc", "--secrets", str(secrets_file), port=port) as url:
        yield url, issuer


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def _local_only(context, *origins: str) -> list[str]:
    """Abort and record every request that leaves the app and the provider (fonts of the provider's page...)."""
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(tuple(o.rstrip("/") + "/" for o in origins)) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return blocked


def _idle(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)


def _sign_in_at_provider(page, issuer: str, login: str) -> None:
    page.wait_for_url(f"{issuer}/**", timeout=60_000)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")


def _nav_labels(page) -> list[str]:
    links = page.locator("[data-testid=stSidebarNavLink], [data-testid=stTopNavLink]")
    return [links.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(links.count())]


def test_enrolled_person_signs_in_through_the_provider(oidc_app, browser):
    url, issuer = oidc_app
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    _local_only(context, url, issuer)
    page = context.new_page()
    page.goto(url)
    _idle(page)
    # before sign-in: the sign-in page only, no navigation, no figure
    page.get_by_role("button", name="Se connecter").wait_for(timeout=60_000)
    assert _nav_labels(page) == []
    assert page.locator("[data-testid=stMetric]").count() == 0
    page.goto(url + "couverture")  # a page's address does not get round the gate
    _idle(page)
    assert page.locator("[data-testid=stMetric]").count() == 0
    page.get_by_role("button", name="Se connecter").click()

    _sign_in_at_provider(page, issuer, "alice")
    page.wait_for_url(url + "**", timeout=60_000)
    page.get_by_text("Connecté(e) :").wait_for(timeout=120_000)
    _idle(page)
    assert "rôle cadre" in page.locator("[data-testid=stSidebar]").inner_text()
    assert page.locator("h1").first.inner_text().strip() == "Accueil"
    assert set(_nav_labels(page)) == {"Accueil", "Secteurs", "Partenaires", "Orientation", "Couverture",
                                      "Fiche secteur", "Journal"}  # the audit trail is a cadre's page
    context.close()


def test_identity_without_an_account_sees_no_page(oidc_app, browser):
    url, issuer = oidc_app
    context = browser.new_context(locale="fr-FR")
    _local_only(context, url, issuer)
    page = context.new_page()
    page.goto(url)
    _idle(page)
    page.get_by_role("button", name="Se connecter").click()
    _sign_in_at_provider(page, issuer, "mallory")
    page.wait_for_url(url + "**", timeout=60_000)
    page.get_by_text("aucun compte secteurs actif").wait_for(timeout=120_000)
    assert "mallory@chu.test" in page.locator("[data-testid=stAlertContentError]").inner_text()
    assert _nav_labels(page) == []
    assert page.locator("[data-testid=stMetric]").count() == 0
    context.close()


@pytest.fixture(scope="module")
def local_app(tmp_path_factory):
    """``secteurs app --address 0.0.0.0 --auth local`` with one account (odile, équipe)."""
    folder = tmp_path_factory.mktemp("local-app")
    db = folder / "secteurs.sqlite"
    added = subprocess.run(secteurs_command() + ["users", "add", "odile", "--role", "equipe", "--name", "Odile Martin",
                                          "--password-stdin", "--db", str(db)],
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    with served_app(db, "--address", "0.0.0.0", "--auth", "local") as url:
        yield url


def test_local_account_signs_in_in_the_browser(local_app, browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    blocked = _local_only(context, local_app)
    page = context.new_page()
    page.goto(local_app)
    _idle(page)
    assert _nav_labels(page) == []
    page.get_by_label("Identifiant").fill("odile")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for(timeout=60_000)
    page.get_by_label("Identifiant").fill("odile")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Connecté(e) : Odile Martin").wait_for(timeout=120_000)
    _idle(page)
    assert page.locator("h1").first.inner_text().strip() == "Accueil"
    assert "Partenaires" in _nav_labels(page)
    assert blocked == [], blocked[:5]
    context.close()
