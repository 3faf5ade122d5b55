"""Comptes: the accounts of the app served on the network (admin role only).

The same operations as ``secteurs users``: list, create (password or the
hospital's identity provider), change role, disable or enable, set a new
password. Every change is checked again with :func:`app.auth.require`.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import resources
from app.auth import current_user, require
from app.messages import render
from services import accounts
from geo.access import ROLES, AccessError
from partners.history import french_datetime

require("users.manage")
conn = resources.connection()
me = current_user()

st.title("Comptes")
st.caption("Qui peut se connecter, avec quel rôle. Les mots de passe ne sont jamais affichés ni conservés "
           "en clair ; un compte « établissement » se connecte par le fournisseur d'identité de l'hôpital.")
if "comptes_flash" in st.session_state:
    kind, text = st.session_state.pop("comptes_flash")
    getattr(st, kind)(text)


def _done(text: str) -> None:
    st.session_state["comptes_flash"] = ("success", text)
    st.rerun()


rows = accounts.list_users(conn)
if rows:
    st.dataframe(pd.DataFrame([{
        "Identifiant": r["login"], "Nom": r["name"], "Rôle": r["role"],
        "État": ("actif" if r["active"] else "désactivé") + (", bloqué" if r["locked"] else ""),
        "Connexion": "mot de passe" if r["password"] else "établissement",
        "Modifié (heure de Paris)": french_datetime(r["updated_at"])} for r in rows]), hide_index=True)

create, change = st.tabs(["Nouveau compte", "Modifier un compte"])
with create:
    with st.form("comptes_new", clear_on_submit=True):
        login = st.text_input("Identifiant (pour l'établissement : l'adresse e-mail)")
        name = st.text_input("Nom affiché")
        role = st.selectbox("Rôle", ROLES, index=0)
        sso = st.checkbox("Connexion par l'établissement (sans mot de passe)")
        first = st.text_input("Mot de passe", type="password")
        second = st.text_input("Mot de passe (encore)", type="password")
        submitted = st.form_submit_button("Créer le compte", type="primary")
    if submitted:
        require("users.manage")
        try:
            if not sso and first != second:
                raise AccessError("access.password_mismatch")
            user = accounts.add_user(conn, login, role, password=None if sso else first, name=name)
        except AccessError as exc:
            st.error(render(exc))
        else:
            _done(f"Compte « {user.login} » créé (rôle {user.role}).")

with change:
    if not rows:
        st.info("Aucun compte.")
    else:
        chosen = st.selectbox("Compte", [r["login"] for r in rows], key="comptes_chosen")
        row = next(r for r in rows if r["login"] == chosen)
        own = me is not None and me.login.lower() == chosen.lower()
        if own:
            st.caption("C'est votre compte : vous ne pouvez ni le désactiver ni lui retirer le rôle admin.")
        columns = st.columns(3)
        new_role = columns[0].selectbox("Rôle", ROLES, index=ROLES.index(row["role"]) if row["role"] in ROLES else 0,
                                        key=f"comptes_role_{chosen}", disabled=own)
        if columns[0].button("Changer le rôle", key="comptes_set_role", disabled=own or new_role == row["role"]):
            require("users.manage")
            accounts.set_role(conn, chosen, new_role)
            _done(f"« {chosen} » : rôle {new_role}.")
        label = "Désactiver" if row["active"] else "Activer"
        if columns[1].button(label, key="comptes_toggle", disabled=own):
            require("users.manage")
            accounts.set_active(conn, chosen, not row["active"])
            _done(f"Compte « {chosen} » {'désactivé' if row['active'] else 'activé'}.")
        with columns[2].form("comptes_passwd", clear_on_submit=True):
            first = st.text_input("Nouveau mot de passe", type="password")
            second = st.text_input("Encore", type="password")
            if st.form_submit_button("Changer le mot de passe"):
                require("users.manage")
                try:
                    if first != second:
                        raise AccessError("access.password_mismatch")
                    accounts.set_password(conn, chosen, first)
                except AccessError as exc:
                    st.error(render(exc))
                else:
                    _done(f"Mot de passe de « {chosen} » changé ; ses sessions ouvertes sont fermées.")
