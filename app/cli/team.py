"""``secteurs team set|show``: the team of the workspace (names, FTE, groups, base communes)."""
from __future__ import annotations

import json
from pathlib import Path

from app.cli import add_db_argument


def register(subparsers) -> None:
    team = subparsers.add_parser("team", help="définir ou afficher l'équipe de l'espace de travail (workers.csv)")
    actions = team.add_subparsers(dest="action", metavar="ACTION", required=True)

    set_ = actions.add_parser("set", help="faire d'un fichier des assistantes sociales l'équipe de l'espace de travail",
                              description="workers.csv (ou .xlsx) : une ligne par assistante sociale, nom (ou name), "
                                          "etp (ou fte), et si besoin groupe et base (code INSEE de la commune "
                                          "de base). Pages et commandes donnent ensuite le groupe de chaque secteur.")
    set_.add_argument("file", type=Path)
    add_db_argument(set_)
    set_.set_defaults(handler=_set)

    show = actions.add_parser("show", help="afficher l'équipe de l'espace de travail en JSON")
    add_db_argument(show)
    show.set_defaults(handler=_show)


def _as_json(team) -> list[dict]:
    groups = team.groups or (None,) * len(team)
    bases = team.bases or (None,) * len(team)
    return [{"nom": n, "etp": f, "groupe": g, "base": b} for n, f, g, b in zip(team.names, team.fte, groups, bases)]


def _set(args) -> int:
    from app.cli._inputs import database
    from app.cli._inputs import team as read
    from services import workspace

    args.workers = args.file
    team = read(args)
    workspace.set_team(database(args), team)
    print(json.dumps(_as_json(team), indent=2, ensure_ascii=False))
    return 0


def _show(args) -> int:
    from app.cli._inputs import database
    from services import workspace

    conn = database(args)
    team = workspace.current_team(conn)
    if team is None:
        from geo.errors import SecteursError

        raise SecteursError("workspace.no_team")
    print(json.dumps(_as_json(team), indent=2, ensure_ascii=False))
    return 0
