"""``secteurs users add|passwd|disable|enable|role|list``: the accounts of the database.

Passwords are typed twice at a prompt (never on the command line, where
``ps`` and the shell history would keep them), or read from standard input
with ``--password-stdin`` for scripts. The CLI acts as the local user who
runs it: whoever can run it on the server can manage accounts.
"""
from __future__ import annotations

import csv
import getpass
import json
import sys
from contextlib import closing

from app.cli import add_db_argument
from geo.access import ROLES, AccessError

ROLE_HELP = "rôle : " + ", ".join(ROLES) + " (equipe et ars acceptés)"


def register(subparsers) -> None:
    users = subparsers.add_parser("users", help="les comptes de l'application servie sur le réseau (--auth local/oidc)")
    actions = users.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="créer un compte")
    add.add_argument("login", help="identifiant du compte (avec --sso : l'adresse e-mail que donne le fournisseur d'identité)")
    add.add_argument("--role", required=True, help=ROLE_HELP)
    add.add_argument("--name", default="", help="nom affiché dans les pages et l'historique")
    add.add_argument("--sso", action="store_true",
                     help="connexion par le fournisseur d'identité seulement (--auth oidc) : pas de mot de passe")
    add.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    add_db_argument(add)
    add.set_defaults(handler=_add)

    pwd = actions.add_parser("passwd", help="changer le mot de passe (lève un blocage, ferme les sessions ouvertes)")
    pwd.add_argument("login")
    pwd.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    add_db_argument(pwd)
    pwd.set_defaults(handler=_passwd)

    for name, help_text, active in (("disable", "désactiver un compte (ferme ses sessions)", False),
                                    ("enable", "réactiver un compte désactivé", True)):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("login")
        add_db_argument(sub)
        sub.set_defaults(handler=_set_active, active=active)

    role = actions.add_parser("role", help="donner un autre rôle à un compte")
    role.add_argument("login")
    role.add_argument("role", help=ROLE_HELP)
    add_db_argument(role)
    role.set_defaults(handler=_role)

    lst = actions.add_parser("list", help="lister les comptes (jamais leurs mots de passe)")
    lst.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_db_argument(lst)
    lst.set_defaults(handler=_list)


def _database(args):
    """The database of ``--db``, closed at the end of the ``with`` block."""
    from services.storage import open_database

    return closing(open_database(args.db))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Mot de passe (encore) : ") != first:
        raise AccessError("access.password_mismatch")
    return first


def _add(args) -> int:
    from services.accounts import add_user

    password = None if args.sso else _read_password(args.password_stdin)
    with _database(args) as conn:
        user = add_user(conn, args.login, args.role, password=password, name=args.name)
    print(f"compte « {user.login} » créé, rôle {user.role}" + (" (connexion par l'établissement)" if args.sso else ""))
    return 0


def _passwd(args) -> int:
    from services.accounts import set_password

    password = _read_password(args.password_stdin)
    with _database(args) as conn:
        set_password(conn, args.login, password)
    print(f"mot de passe de « {args.login} » changé")
    return 0


def _set_active(args) -> int:
    """``users disable`` and ``users enable`` (``args.active`` says which)."""
    from services.accounts import set_active

    with _database(args) as conn:
        set_active(conn, args.login, args.active)
    print(f"compte « {args.login} » {'activé' if args.active else 'désactivé'}")
    return 0


def _role(args) -> int:
    from services.accounts import set_role

    with _database(args) as conn:
        set_role(conn, args.login, args.role)
    print(f"compte « {args.login} » : rôle {args.role}")
    return 0


def _list(args) -> int:
    from services.accounts import list_users

    with _database(args) as conn:
        rows = list_users(conn)
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif args.format == "csv":
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            from geo.safe_export import safe_dicts

            writer.writerows(safe_dicts(rows))
    else:
        for r in rows:
            state = "actif" if r["active"] else "désactivé"
            if r["locked"]:
                state += ", bloqué"
            how = "mot de passe" if r["password"] else "établissement"
            print(f"{r['login']:<32} {r['role']:<8} {state:<18} {how:<14} {r['name']}")
        if not rows:
            print("aucun compte")
    return 0
