"""Roles x actions: the table of rights, read row by row, and the check that enforces it."""
from __future__ import annotations

import doctest

import pytest

import geo.access as access
from app.messages import render
from geo.access import ACTIONS, PERMISSIONS, ROLES, AccessError, User, act_as, acting_user, allowed, require

#: What each role may do, written out independently of geo.access (issue 15).
EXPECTED = {
    "lecture": {"home.view", "sectors.view", "partners.view", "routing.single", "coverage.view",
                "coverage.unmasked", "fiche.view"},
    "équipe": {"home.view", "sectors.view", "partners.view", "routing.single", "coverage.view",
               "coverage.unmasked", "fiche.view", "partners.edit", "routing.list"},
    "cadre": {"home.view", "sectors.view", "partners.view", "routing.single", "coverage.view",
              "coverage.unmasked", "fiche.view", "partners.edit", "routing.list", "plans.propose",
              "plans.save", "plans.publish", "patients.import", "demo.purge", "audit.view"},
    "ARS": {"coverage.view"},
}
EXPECTED["admin"] = EXPECTED["cadre"] | {"users.manage", "data.backup"}


def test_every_role_is_in_the_table():
    assert set(ROLES) == set(EXPECTED) == {"lecture", "équipe", "cadre", "admin", "ARS"}


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_role_may_do_exactly_its_list(role, action):
    user = User("someone", role)
    if action in EXPECTED[role]:
        assert allowed(user, action)
        require(user, action)
    else:
        assert not allowed(user, action)
        with pytest.raises(AccessError) as caught:
            require(user, action)
        assert caught.value.code == "access.forbidden"
        assert caught.value.params == {"role": role, "action": action}
        assert role in render(caught.value)


def test_ars_never_sees_unmasked_figures_nor_team_pages():
    ars = User("ars", "ARS")
    assert {a for a in ACTIONS if allowed(ars, a)} == {"coverage.view"}


def test_unknown_role_has_no_right():
    assert not any(allowed(User("x", "stagiaire"), a) for a in ACTIONS)


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        allowed(User("x", "admin"), "partners.delete_everything")


@pytest.mark.parametrize("text,role", [("equipe", "équipe"), ("Équipe", "équipe"), ("ars", "ARS"),
                                       ("ADMIN", "admin"), (" cadre ", "cadre")])
def test_role_spellings(text, role):
    assert access.normalise_role(text) == role


def test_role_typo_is_a_coded_error():
    with pytest.raises(AccessError) as caught:
        access.normalise_role("superuser")
    assert caught.value.code == "access.unknown_role"


def test_acting_user_defaults_to_the_local_user_with_every_right():
    user = acting_user()
    assert all(allowed(user, a) for a in ACTIONS)


def test_act_as_scopes_the_acting_user():
    with act_as(User("ines", "lecture")):
        assert acting_user().login == "ines"
        with pytest.raises(AccessError):
            access.require_acting("partners.edit")
    access.require_acting("partners.edit")  # back to the local user


def test_permissions_are_frozen():
    assert all(isinstance(v, frozenset) for v in PERMISSIONS.values())


def test_doctests():
    assert doctest.testmod(access).failed == 0


def test_a_served_app_resolves_the_acting_user_from_the_session(monkeypatch):
    monkeypatch.setitem(access._RESOLVER, "resolve", lambda: User("odile", "cadre"))
    assert acting_user().login == "odile"
    monkeypatch.setitem(access._RESOLVER, "resolve", lambda: None)  # nobody signed in
    assert not any(allowed(acting_user(), a) for a in ACTIONS)

    def outside_a_session():
        raise RuntimeError("no script run context")

    monkeypatch.setitem(access._RESOLVER, "resolve", outside_a_session)
    with pytest.raises(AccessError):
        access.require_acting("coverage.view")
    with act_as(User("ines", "lecture")):  # an explicit block wins
        access.require_acting("coverage.view")
