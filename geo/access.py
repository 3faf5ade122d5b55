"""Who may do what: the roles, the actions and the one check every write goes through.

It lives in the ground layer, beside :mod:`geo.errors` and :mod:`geo.database`,
because every layer's writes call it: the partner directory (``partners``), the
sector store (``geo.sectors``), the workspace, accounts and backups (``services``).
Each of those functions calls :func:`require_acting` before it changes or
exports anything, so a page that forgot to hide a button still refuses.

Roles are cumulative for the team (*lecture* < *équipe* < *cadre* < *admin*);
*ARS* is apart: it sees only the masked coverage views and their exports.
:data:`PERMISSIONS` is the table, as data; :func:`require` is the check,
raising a coded :class:`AccessError` (``access.forbidden``) that the pages
and the CLI render in French.

The user acting in the current thread is :func:`acting_user`: the pages set
it at the start of each script run (:func:`act_as`); anywhere else it is the
local user who runs the process, with every right (the CLI, scripts, the app
on localhost), or in an app served with sign-in the person signed in to the
browser session (:func:`resolve_users_with`), else nobody.

Examples
--------
>>> reader = User("ines", "lecture")
>>> allowed(reader, "partners.view"), allowed(reader, "partners.edit")
(True, False)
>>> require(User("odile", "cadre"), "plans.publish")
>>> require(User("ars", "ARS"), "coverage.unmasked")
Traceback (most recent call last):
...
geo.access.AccessError: access.forbidden (role='ARS', action='coverage.unmasked')
"""
from __future__ import annotations

import contextvars
import getpass
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from geo.errors import SecteursError

#: Every action a role may be given, with what it lets a person do (French, shown in lists).
ACTIONS: dict[str, str] = {
    "home.view": "voir l'accueil (patients par commune)",
    "sectors.view": "voir les secteurs",
    "partners.view": "consulter l'annuaire des partenaires",
    "routing.single": "orienter une demande",
    "coverage.view": "voir la couverture (chiffres masqués)",
    "coverage.unmasked": "voir la couverture sans masquage (effectifs de 1 à 10)",
    "fiche.view": "voir et imprimer la fiche d'un secteur",
    "partners.edit": "modifier, importer et supprimer des partenaires",
    "routing.list": "orienter une liste de demandes",
    "plans.propose": "proposer et redessiner des secteurs",
    "plans.save": "enregistrer une version de plan",
    "plans.publish": "publier un plan",
    "patients.import": "importer les effectifs de patients",
    "demo.purge": "supprimer les données de démonstration",
    "users.manage": "gérer les comptes",
    "data.backup": "sauvegarder et restaurer la base",
    "audit.view": "consulter et exporter le journal des modifications et des exports",
}

_LECTURE = frozenset({"home.view", "sectors.view", "partners.view", "routing.single",
                      "coverage.view", "coverage.unmasked", "fiche.view"})
_EQUIPE = _LECTURE | {"partners.edit", "routing.list"}
_CADRE = _EQUIPE | {"plans.propose", "plans.save", "plans.publish", "patients.import", "demo.purge",
                    "audit.view"}

#: Role -> the actions it may do. The one place rights are decided.
PERMISSIONS: dict[str, frozenset[str]] = {
    "lecture": _LECTURE,
    "équipe": frozenset(_EQUIPE),
    "cadre": frozenset(_CADRE),
    "admin": frozenset(_CADRE | {"users.manage", "data.backup"}),
    "ARS": frozenset({"coverage.view"}),
}
ROLES: tuple[str, ...] = tuple(PERMISSIONS)

#: Spellings accepted on the command line for each role (no accent, any case).
_ROLE_ALIASES = {"lecture": "lecture", "equipe": "équipe", "équipe": "équipe", "cadre": "cadre",
                 "admin": "admin", "ars": "ARS"}


class AccessError(SecteursError):
    """A person lacks a right, or an account cannot be used (codes ``access.*``)."""


@dataclass(frozen=True)
class User:
    """A person acting in the app or the CLI.

    Attributes
    ----------
    login
        Account name (local account) or e-mail (identity provider).
    role
        One of :data:`ROLES`.
    name
        Name shown in pages and history (the login when empty).
    """

    login: str
    role: str
    name: str = ""

    @property
    def label(self) -> str:
        """What history and pages show for this person."""
        return self.name or self.login


def local_user() -> User:
    """The person running the CLI or the app on localhost: every right."""
    try:
        login = getpass.getuser()
    except Exception:  # no login name in some containers
        login = "local"
    return User(login, "admin", login)


def normalise_role(text: str) -> str:
    """The role named by ``text`` (``equipe``, ``ars`` accepted), else ``access.unknown_role``."""
    role = _ROLE_ALIASES.get(str(text).strip().lower())
    if role is None:
        raise AccessError("access.unknown_role", role=str(text), roles=list(ROLES))
    return role


def allowed(user: User, action: str) -> bool:
    """Whether ``user`` may do ``action`` (an unknown action is a programming error)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return action in PERMISSIONS.get(user.role, frozenset())


def require(user: User, action: str) -> None:
    """Raise ``access.forbidden`` unless ``user`` may do ``action``."""
    if not allowed(user, action):
        raise AccessError("access.forbidden", role=user.role, action=action)


_ACTING: contextvars.ContextVar[User | None] = contextvars.ContextVar("secteurs_acting_user", default=None)


#: Who acts where no :func:`act_as` block is open: the local user (CLI, app on localhost),
#: or, in an app served with sign-in, whoever the resolver finds (:func:`resolve_users_with`).
_RESOLVER: dict = {"resolve": None}
NOBODY = User("", "")


def resolve_users_with(resolver: Callable[[], User | None]) -> None:
    """In this process, outside :func:`act_as`, the acting user is ``resolver()`` (``None``: nobody).

    A served app registers the function that reads the browser session's
    sign-in, so that widget callbacks (which run before the page's script)
    act as the signed-in person too, and anything else acts with no right.
    """
    _RESOLVER["resolve"] = resolver


def acting_user() -> User:
    """The user acting in this thread: :func:`act_as`, else the resolver's, else the local user."""
    user = _ACTING.get()
    if user is not None:
        return user
    resolve = _RESOLVER["resolve"]
    if resolve is None:
        return local_user()
    try:
        return resolve() or NOBODY
    except Exception:  # outside a browser session (a background thread): no right
        return NOBODY


def require_acting(action: str) -> None:
    """:func:`require` for the user acting in this thread (what services call)."""
    require(acting_user(), action)


@contextmanager
def act_as(user: User):
    """Run a block as ``user`` (a page's script run, a test)."""
    token = _ACTING.set(user)
    try:
        yield user
    finally:
        _ACTING.reset(token)
