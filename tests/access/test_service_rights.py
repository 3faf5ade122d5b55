"""Roles x actions, called on the services themselves (not through pages): each refuses without the right.

Every write and every export of patient-derived figures is listed below with the
right it needs, and so are the views guarded beyond their page: one referral at the
desk (``routing.single``) and the coverage with true counts (``coverage.unmasked``,
refused to the ARS role). For each role the call is made as that person
(:func:`geo.access.act_as`, as a page's script run does): without the right it
raises ``access.forbidden`` naming the action and the database is left exactly
as it was; with the right it goes through the check (and, for the calls marked
``runs``, does its work on a real database).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from geo.access import PERMISSIONS, AccessError, User, act_as, local_user

#: The file of a real partner import (the committed test template: 3 partners created, 3 rows rejected).
PARTNER_FILE = Path(__file__).resolve().parents[1] / "partners" / "data" / "partenaires_manuels.csv"
PASSWORD = "mot de passe assez long"
#: A small plan over three communes (a sector store and a route list need no more).
PLAN = pd.DataFrame({"code_insee": ["69383", "69381", "01053"], "sector": ["Alice", "Alice", "Bruno"]})


class World:
    """A real database with one partner, a saved plan, an account and a backup (a copy of ``template``)."""

    def __init__(self, tmp_path: Path, template: Path):
        from services.storage import open_database

        self.tmp = tmp_path
        self.db_path = tmp_path / "secteurs.sqlite"
        shutil.copyfile(template, self.db_path)
        shutil.copyfile(template, tmp_path / "copie.sqlite")
        self.backup = tmp_path / "copie.sqlite"
        self.conn = open_database(self.db_path)
        self.partner = self.conn.execute("SELECT min(id) FROM partners").fetchone()[0]
        self.last_coverage = None

    @staticmethod
    def make(path: Path) -> Path:
        """The template database, made once as the local user (argon2 and the territory are slow)."""
        import partners
        from partners.model import Partner
        from services import accounts, workspace
        from services.storage import open_database

        conn = open_database(path)
        with act_as(local_user()):
            partners.save_partner(conn, Partner(type="CCAS", name="CCAS de Lyon 3e", code_insee="69383"),
                                  author="test")
            workspace.save_version(conn, "Plan test", PLAN, demo=True, make_current=False)
            accounts.add_user(conn, "agent", "lecture", password=PASSWORD, name="Agent")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return path

    def coverage(self):
        """The coverage of :data:`PLAN` with true counts (a fresh one: nothing derived from it yet)."""
        from services.reports.run import coverage_for

        self.last_coverage = coverage_for(self.conn, PLAN, _counts())
        return self.last_coverage

    def fingerprint(self) -> dict:
        """Every table's rows (what a refused call must leave untouched)."""
        tables = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                  "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: sorted(repr(tuple(r)) for r in self.conn.execute(f'SELECT * FROM "{t}"')) for t in tables}


def _routing():
    from services.routing import Routing

    return Routing.from_plan(PLAN, types=())


def _referrals(w: World) -> Path:
    path = w.tmp / "demandes.csv"
    path.write_text("code_insee;ville\n69383;Lyon\n01053;Bourg-en-Bresse\n", encoding="utf-8")
    return path


def _counts() -> pd.DataFrame:
    return pd.DataFrame({"code_insee": ["69383", "01053"], "patients": [14, 3]})


def _team():
    from geo.sectors.team import Team

    return Team(("Alice", "Bruno"), (1.0, 0.8))


def _save_partner(w):
    import partners
    from partners.model import Partner

    return partners.save_partner(w.conn, Partner(type="CCAS", name="CCAS de Bron", code_insee="69029"))


def _undo(w):
    import partners

    return partners.undo(w.conn)


def _redo(w):
    import partners

    partners.undo(w.conn)
    return partners.redo(w.conn)


#: (label, action it needs, call, whether it runs to the end here: False = past the check it meets a
#: deliberately incomplete argument, so that the test stays quick: a proposal, a report, a sheet).
CASES = [
    ("partners.save_partner", "partners.edit", _save_partner, True),
    ("partners.set_communes", "partners.edit",
     lambda w: __import__("partners").set_communes(w.conn, w.partner, ["69383", "69382"]), True),
    ("partners.delete_partner", "partners.edit", lambda w: __import__("partners").delete_partner(w.conn, w.partner),
     True),
    ("partners.undo", "partners.edit", _undo, True),
    ("partners.redo", "partners.edit", _redo, True),
    ("partners.label_partners", "partners.edit",
     lambda w: __import__("partners").label_partners(w.conn, [w.partner], "Réseau test"), True),
    ("partners.import_partners", "partners.edit",
     lambda w: __import__("partners").import_partners(w.conn, PARTNER_FILE, "csv"), True),
    ("partners.preview_import", "partners.edit",
     lambda w: __import__("partners").preview_import(w.conn, PARTNER_FILE, "csv"), True),
    ("partners.purge_demo", "demo.purge", lambda w: __import__("partners").purge_demo(w.conn), True),
    ("workspace.set_team", "plans.save", lambda w: _workspace().set_team(w.conn, _team()), True),
    ("workspace.save_version", "plans.save",
     lambda w: _workspace().save_version(w.conn, "Plan test", PLAN, demo=True), True),
    ("sectors.store.save_plan", "plans.save",
     lambda w: __import__("geo.sectors.store", fromlist=["save_plan"]).save_plan(w.conn, "Autre plan", PLAN), True),
    ("workspace.set_current", "plans.publish", lambda w: _workspace().set_current(w.conn, "Plan test"), True),
    ("proposals.propose_apart", "plans.propose",
     lambda w: __import__("services.proposals", fromlist=["x"]).propose_apart(_counts(), _team(), context=object(),
                                                                            previous=object()),
     False),
    ("workspace.set_counts", "patients.import",
     lambda w: _workspace().set_counts(w.conn, _counts(), "export.csv"), True),
    ("workspace.import_counts", "patients.import",
     lambda w: _workspace().import_counts(w.conn, b"code_insee;annee\n69383;2025\n01053;2025\n", "export.csv"), True),
    ("workspace.clear_counts", "patients.import", lambda w: _workspace().clear_counts(w.conn), True),
    ("accounts.add_user", "users.manage",
     lambda w: _accounts().add_user(w.conn, "nouveau", "équipe", password=PASSWORD), True),
    ("accounts.set_password", "users.manage",
     lambda w: _accounts().set_password(w.conn, "agent", "un autre mot de passe"), True),
    ("accounts.set_active", "users.manage", lambda w: _accounts().set_active(w.conn, "agent", False), True),
    ("accounts.set_role", "users.manage", lambda w: _accounts().set_role(w.conn, "agent", "cadre"), True),
    ("backup.backup", "data.backup", lambda w: _backup().backup(w.db_path, w.tmp / "autre.sqlite"), True),
    ("backup.restore", "data.backup", lambda w: _backup().restore(w.backup, w.db_path, confirmed=True), True),
    ("routing.route_file", "routing.list", lambda w: _routing_module().route_file(_referrals(w), _routing()), True),
    ("routing.Routing.route", "routing.single", lambda w: _routing().route("69003 Lyon"), True),
    ("routing.Routing.unit", "routing.single", lambda w: _routing().unit("69383"), True),
    ("routing.Routing.referral", "routing.single",
     lambda w: _routing().referral(__import__("geo.resolver", fromlist=["x"]).resolve("Bourg-en-Bresse")), True),
    ("unmasked.true_tables", "coverage.unmasked", lambda w: _unmasked().true_tables(w.coverage()), True),
    ("unmasked.true_patients", "coverage.unmasked", lambda w: _unmasked().true_patients(w.coverage()), True),
    ("export.people_csv", "sectors.view",
     lambda w: __import__("geo.sectors.export", fromlist=["x"]).people_csv(PLAN, _units()), True),
    ("reports.build_ars_report", "coverage.view",
     lambda w: __import__("services.reports.ars", fromlist=["x"]).build_ars_report(None), False),
    ("reports.build_sheet", "fiche.view",
     lambda w: __import__("services.reports.fiche", fromlist=["x"]).build_sheet(w.conn, None, "Alice"), False),
    ("audit.journal", "audit.view", lambda w: _audit().journal(w.conn), True),
]


def _workspace():
    from services import workspace

    return workspace


def _accounts():
    from services import accounts

    return accounts


def _backup():
    from services import backup

    return backup


def _routing_module():
    from services import routing

    return routing


def _audit():
    from services import audit

    return audit


def _unmasked():
    from services.reports import unmasked

    return unmasked


def _units():
    from geo.territory import load_units

    return load_units()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return World.make(tmp_path_factory.mktemp("rights") / "modele.sqlite")


@pytest.fixture
def world(tmp_path, template):
    w = World(tmp_path, template)
    yield w
    w.conn.close()


def test_every_right_that_guards_a_change_has_a_service_case():
    """Each action but the page views is exercised here on a service."""
    page_views = {"home.view", "partners.view"}
    from geo.access import ACTIONS

    assert set(ACTIONS) - page_views == {action for _, action, _, _ in CASES}


@pytest.mark.parametrize("role", sorted(PERMISSIONS))
@pytest.mark.parametrize("label,action,call,runs", CASES, ids=[c[0] for c in CASES])
def test_service_refuses_without_the_right(world, role, label, action, call, runs):
    before = world.fingerprint()
    user = User(f"x-{role}", role, f"Personne {role}")
    with act_as(user):
        if action not in PERMISSIONS[role]:
            with pytest.raises(AccessError) as refused:
                call(world)
            assert refused.value.code == "access.forbidden"
            assert refused.value.params == {"role": role, "action": action}
            assert world.fingerprint() == before, "a refused call changed the database"
            if action == "coverage.unmasked":
                assert world.last_coverage.memo == {}, "a refused call built the unmasked tables"
            return
        if runs:
            call(world)
        else:
            with pytest.raises(Exception) as past_the_check:
                call(world)
            assert not isinstance(past_the_check.value, AccessError), past_the_check.value


def test_allowed_changes_are_recorded_under_the_acting_person(world):
    """What a permitted call writes names the person acting, not the system user."""
    with act_as(User("odile", "cadre", "Odile Cadre")):
        _save_partner(world)
        _workspace().set_counts(world.conn, _counts(), "export.csv")
    authors = {r[0] for r in world.conn.execute("SELECT author FROM partner_history")}
    assert "Odile Cadre" in authors
    names = {r[0] for r in world.conn.execute("SELECT name FROM audit_log WHERE event = 'counts.import'")}
    assert names == {"Odile Cadre"}


def test_nobody_signed_in_can_do_nothing(world, monkeypatch):
    """In an app served with sign-in, a call outside any session (no resolver answer) has no right."""
    import geo.access

    monkeypatch.setitem(geo.access._RESOLVER, "resolve", lambda: None)
    before = world.fingerprint()
    for label, action, call, _ in CASES:
        with pytest.raises(AccessError) as refused:
            call(world)
        assert refused.value.params["action"] == action, label
    assert world.fingerprint() == before


def test_the_cli_acts_as_the_local_user_with_every_right(world):
    assert all(a in PERMISSIONS[local_user().role] for _, a, _, _ in CASES)
    saved = _save_partner(world)  # no act_as block: the local user
    assert saved.partner.updated_by == local_user().label
