"""The app served with local accounts (``--auth local``), run with AppTest on the real pages.

Nothing but the sign-in form before sign-in; a wrong password is refused in
French; each role then sees its pages, with what it may not do disabled, and
the ARS role lands on Couverture with the ARS mode forced on.
"""
from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.database import connect
from services import accounts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from apptest_helpers import MAIN, assert_no_error, partner_tab  # noqa: E402

def _texts(at: AppTest) -> str:
    parts = [t.value for t in at.title] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def test_without_sign_in_only_the_sign_in_page(local_auth, new_account, sign_in):
    at = AppTest.from_file(str(MAIN), default_timeout=180).run()
    assert_no_error(at)
    assert [t.value for t in at.title] == ["secteurs"]
    assert [w.label for w in at.text_input] == ["Identifiant", "Mot de passe"]
    assert not at.metric and not at.dataframe and not at.tabs  # no figure, no table, no page
    assert "Accueil" not in _texts(at)


def test_wrong_password_is_refused_in_french(local_auth, new_account, sign_in):
    login = new_account("lecture")
    at = sign_in(login, password="pas le bon mot de passe")
    assert [e.value for e in at.error] == ["Identifiant ou mot de passe incorrect."]
    assert [t.value for t in at.title] == ["secteurs"]


def test_lecture_sees_the_directory_but_cannot_change_it(local_auth, new_account, sign_in):
    at = sign_in(new_account("lecture"))
    assert_no_error(at)
    assert at.title[0].value == "Accueil"
    assert any("rôle lecture" in c.value for c in at.sidebar.caption)
    at.switch_page("views/partenaires.py").run()
    assert_no_error(at)
    partner_tab(at, "Annuaire")
    assert at.button(key="partenaires_undo").disabled
    assert all(b.disabled for b in at.button if b.label == "Enregistrer")


def test_equipe_may_change_the_directory(local_auth, new_account, sign_in):
    at = sign_in(new_account("équipe"))
    at.switch_page("views/partenaires.py").run()
    assert_no_error(at)
    partner_tab(at, "Annuaire")
    assert not at.button(key="partenaires_undo").disabled


@pytest.fixture(scope="module")
def plan_csv(units) -> bytes:
    """A TEST plan: 60 km squares."""
    import pandas as pd

    from geo.territory import reference_points

    labels = [f"S{int(x // 60000):02d}-{int(y // 60000):03d}" for x, y in reference_points(units)]
    return pd.DataFrame({"code_insee": units["code_insee"], "sector": labels}).to_csv(index=False).encode("utf-8")


def test_ars_lands_on_couverture_with_the_ars_mode_forced(local_auth, plan_csv, new_account, sign_in):
    at = sign_in(new_account("ARS"), AppTest.from_file(str(MAIN), default_timeout=300).run())
    assert_no_error(at)
    assert at.title[0].value == "Couverture"
    at.selectbox(key="couverture_plan_choice").select("Fichier plan.csv").run()
    at.file_uploader(key="couverture_plan_file").set_value(("plan.csv", plan_csv, "text/csv")).run()
    assert_no_error(at)
    toggle = at.toggle(key="couverture_ars")
    assert toggle.value is True and toggle.disabled
    assert any("Mode ARS" in i.value for i in at.info)
    assert not any("Effectifs réels" in w.value for w in at.warning)


def test_resolver_is_put_back_after_each_test():
    from geo.access import ACTIONS, acting_user, allowed

    assert all(allowed(acting_user(), a) for a in ACTIONS)


def test_sign_out_returns_to_the_sign_in_page(local_auth, new_account, sign_in):
    at = sign_in(new_account("cadre"))
    assert at.title[0].value == "Accueil"
    at.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == ["secteurs"]


def test_accounts_page_for_admin_only(local_auth, new_account, sign_in, account_password):
    at = sign_in(new_account("cadre"))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/comptes.py")  # not a page of this session: cadre does not manage accounts
    admin = new_account("admin")
    at = sign_in(admin)
    at.switch_page("views/comptes.py").run()
    assert_no_error(at)
    assert at.title[0].value == "Comptes"
    listed = at.dataframe[0].value
    changed = listed.loc[listed["Identifiant"] == admin, "Modifié (heure de Paris)"].iloc[0]
    assert re.fullmatch(r"\d\d/\d\d/20\d\d à \d\d:\d\d", changed), changed  # as the Journal shows times
    new_login = f"nouveau-{uuid.uuid4().hex[:6]}"
    form = {w.label: w for w in at.text_input}
    form["Identifiant (pour l'établissement : l'adresse e-mail)"].input(new_login)
    form["Mot de passe"].input("court")
    form["Mot de passe (encore)"].input("court")
    next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert any("trop court" in e.value for e in at.error)
    form = {w.label: w for w in at.text_input}
    form["Identifiant (pour l'établissement : l'adresse e-mail)"].input(new_login)
    form["Mot de passe"].input(account_password)
    form["Mot de passe (encore)"].input(account_password)
    at.selectbox[0].select("équipe")
    next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert_no_error(at)
    assert any(new_login in s.value for s in at.success)
    conn = connect()
    try:
        assert accounts.authenticate(conn, new_login, account_password).role == "équipe"
    finally:
        conn.close()
    # the admin cannot lock themselves out
    at.selectbox(key="comptes_chosen").select(admin).run()
    assert at.button(key="comptes_toggle").disabled
