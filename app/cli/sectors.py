"""``secteurs propose`` and ``secteurs plan metrics|rebalance|save|use|list|compare|export``.

Without ``--patients`` (or ``--workers``, or the plan file for ``plan metrics``)
the commands use the team workspace of ``--db``: its counts, its team, its
current plan version.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from app.cli import add_db_argument
from geo.errors import SecteursError


def register(subparsers) -> None:
    propose = subparsers.add_parser("propose", help="proposer des secteurs (un par assistante sociale) à partir des effectifs de patients")
    who = propose.add_mutually_exclusive_group()
    who.add_argument("--sectors", type=int, help="nombre de secteurs égaux (nommés S01, S02...)")
    who.add_argument("--workers", type=Path, help="workers.csv : name/nom, fte/etp, group/groupe, base (INSEE) "
                                                  "(par défaut : l'équipe de l'espace de travail)")
    propose.add_argument("--patients", type=Path, help="fichier d'effectifs code_insee,patients (par défaut : ceux de l'espace de travail)")
    add_db_argument(propose)
    propose.add_argument("--out", type=Path, required=True, help="fichier plan à écrire (code_insee,sector)")
    propose.add_argument("--from", dest="previous", type=Path,
                         help="plan actuel : garder le plus de patients possible dans leur secteur")
    propose.add_argument("--locks", type=Path, help="fichier comme un plan, code_insee,sector, des unités verrouillées dans un secteur")
    propose.add_argument("--metrics", type=Path, help="écrire aussi les mesures en JSON")
    propose.add_argument("--seed", type=int, default=0, help="graine aléatoire (par défaut 0)")
    propose.add_argument("--tolerance", type=float, default=0.02, help="tolérance d'équilibre (par défaut 0.02 = ±2 %%)")
    _base_mode_argument(propose)
    propose.set_defaults(handler=_propose)

    plan = subparsers.add_parser("plan", help="mesurer, réparer et versionner les plans de secteurs")
    actions = plan.add_subparsers(dest="action", metavar="ACTION", required=True)

    metrics = actions.add_parser("metrics", help="afficher les mesures d'un plan en JSON")
    metrics.add_argument("plan", type=Path, nargs="?", help="fichier plan (par défaut : la version courante de l'espace de travail)")
    metrics.add_argument("--patients", type=Path, help="fichier d'effectifs (par défaut : ceux de l'espace de travail)")
    metrics.add_argument("--workers", type=Path, help="workers.csv (cibles selon l'ETP, bases ; par défaut : "
                                                      "l'équipe de la version du plan)")
    metrics.add_argument("--tolerance", type=float, default=None, help="par défaut : celle de la version, sinon 0.02")
    add_db_argument(metrics)
    _base_mode_argument(metrics)
    metrics.set_defaults(handler=_metrics)

    rebalance = actions.add_parser("rebalance", help="rétablir la contiguïté et l'équilibre après des retouches à la main")
    rebalance.add_argument("plan", type=Path)
    rebalance.add_argument("--patients", type=Path, help="fichier d'effectifs (par défaut : ceux de l'espace de travail)")
    rebalance.add_argument("--workers", type=Path)
    add_db_argument(rebalance)
    rebalance.add_argument("--lock", action="append", default=[], metavar="CODE",
                           help="code INSEE qui ne doit pas changer de secteur (répétable)")
    rebalance.add_argument("--out", type=Path, required=True)
    rebalance.add_argument("--tolerance", type=float, default=None, help="par défaut 0.02")
    _base_mode_argument(rebalance)
    rebalance.set_defaults(handler=_rebalance)

    save = actions.add_parser("save", help="enregistrer un fichier plan comme version suivante d'un plan nommé (devient la version courante)")
    save.add_argument("name")
    save.add_argument("plan", type=Path)
    save.add_argument("--patients", type=Path, help="effectifs enregistrés avec le plan (pour les mesures et la comparaison ; "
                                                    "par défaut : ceux de l'espace de travail)")
    save.add_argument("--workers", type=Path, help="l'équipe gardée avec la version (par défaut : l'équipe de l'espace "
                                                   "de travail quand ses noms sont les secteurs du plan)")
    save.add_argument("--note", default="")
    save.add_argument("--tolerance", type=float, default=None, help="tolérance d'équilibre (par défaut 0.02)")
    add_db_argument(save)
    save.set_defaults(handler=_save)

    use = actions.add_parser("use", help="faire d'une version enregistrée le plan courant de l'espace de travail")
    use.add_argument("name")
    use.add_argument("--version", type=int, help="par défaut : la dernière")
    add_db_argument(use)
    use.set_defaults(handler=_use)

    listing = actions.add_parser("list", help="lister les plans enregistrés et leurs versions")
    listing.add_argument("name", nargs="?")
    add_db_argument(listing)
    listing.set_defaults(handler=_list)

    compare = actions.add_parser("compare", help="comparer deux versions d'un plan enregistré")
    compare.add_argument("name")
    compare.add_argument("old", type=int, help="numéro de version")
    compare.add_argument("new", type=int, help="numéro de version")
    compare.add_argument("--other", help="nom du plan qui contient NEW (par défaut : le même plan)")
    add_db_argument(compare)
    compare.set_defaults(handler=_compare)

    export = actions.add_parser("export", help="écrire une version enregistrée dans un fichier plan",
                                description="Selon l'extension de --out : .csv code_insee,sector (relu par toutes les "
                                            "commandes) ; .xlsx, .gpkg, .geojson pour les personnes et QGIS (code "
                                            "INSEE, commune, département, secteur, référent, groupe, patients).")
    export.add_argument("name", nargs="?", help="par défaut : le plan courant de l'espace de travail")
    export.add_argument("--version", type=int)
    export.add_argument("--out", type=Path, required=True)
    add_db_argument(export)
    export.set_defaults(handler=_export)


def _base_mode_argument(parser) -> None:
    parser.add_argument("--base-mode", choices=("centre", "inside"), default="centre",
                        help="communes de base des assistantes sociales : 'centre' = centre fixe de chaque secteur (distances "
                             "mesurées depuis lui ; par défaut), 'inside' = seulement dans le secteur, centre libre")


def _print(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _team(args, conn=None):
    from geo.sectors.io import read_team
    from geo.sectors.team import Team

    if getattr(args, "workers", None):
        if not Path(args.workers).exists():
            raise SecteursError("files.missing", file=args.workers)
        team = read_team(args.workers)
        _notes(team)
        return team
    if getattr(args, "sectors", None) is not None:
        return Team.of_size(args.sectors)
    from app.cli._inputs import database
    from services import workspace

    team = workspace.current_team(conn or database(args))
    if team is None:
        raise SecteursError("workspace.no_team")
    return team


def _counts(args):
    from app.cli._inputs import counts, database

    if getattr(args, "patients", None):
        return counts(args, None)[0]
    return counts(args, database(args))[0]


def _notes(team) -> None:
    """Tell what reading the team table decided (e.g. a base "Lyon" taken as Lyon 8e), on stderr."""
    import sys

    from app.messages import render_code

    for code, params in team.notes:
        print(f"note : {render_code(code, params)}", file=sys.stderr)


def _propose(args) -> int:
    from geo.sectors import io
    from geo.sectors.propose import changes, propose

    if args.sectors is not None and args.sectors < 1:
        raise SecteursError("cli.bad_sectors", value=args.sectors)
    counts = _counts(args)
    previous = io.read_plan(args.previous) if args.previous else None
    locked = None
    if args.locks:
        frame = io.read_plan(args.locks)
        locked = dict(zip(frame["code_insee"], frame["sector"]))
    plan = propose(counts, _team(args), tolerance=args.tolerance, seed=args.seed, locked=locked, previous=previous,
                   base_mode=args.base_mode)
    io.write_plan(plan, args.out)
    metrics = plan.metrics()
    if previous is not None:
        report = changes(previous, plan)
        report.pop("moved_codes")
        metrics["plan"]["from"] = report
    if args.metrics:
        args.metrics.parent.mkdir(parents=True, exist_ok=True)
        args.metrics.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {k: metrics["plan"][k] for k in ("sectors", "max_deviation", "mean_km", "contiguous",
                                                "groups_contiguous", "seconds")}
    if previous is not None:
        summary["from"] = metrics["plan"]["from"]
    summary["out"] = str(args.out)
    _print(summary)
    return 0


def _record(args):
    """The plan of the positional file, else the workspace's current version (with its team)."""
    from app.cli._inputs import database, plan_record

    conn = None if args.plan else database(args)
    return plan_record(args, conn)


def _load_plan(args, record=None):
    from geo.sectors.context import build_context
    from geo.sectors.edit import restore_plan

    record = record if record is not None else _record(args)
    if getattr(args, "patients", None) or record.counts() is None:
        counts = _counts(args)
    else:
        counts = record.counts()
    tolerance = args.tolerance if args.tolerance is not None else (record.tolerance or 0.02)
    team = record.team
    if team is not None and not set(record.sectors) <= set(team.names):
        team = None
    return restore_plan(build_context(counts), record.assignment, team, tolerance,
                        base_mode=getattr(args, "base_mode", "centre"))


def _metrics(args) -> int:
    _print(_load_plan(args).metrics())
    return 0


def _rebalance(args) -> int:
    from geo.sectors import io
    from geo.sectors.propose import rebalance

    plan = _load_plan(args)
    new, moves = rebalance(plan, args.lock)
    io.write_plan(new, args.out)
    _print({"moved_units": int(len(moves)), "moved_patients": int(moves["patients"].sum()),
            "max_deviation": round(new.max_deviation, 5), "contiguous": new.is_contiguous,
            "moves": moves.to_dict(orient="records"), "out": str(args.out)})
    return 0


def _save(args) -> int:
    from app.cli._inputs import counts as read_counts
    from app.cli._inputs import database, plan_record
    from services import workspace

    conn = database(args)
    record = plan_record(args, conn)
    counts, label, demo = read_counts(args, conn, required=False)
    if record.team is None:
        team = workspace.current_team(conn)
        if team is not None and set(record.sectors) <= set(team.names):
            record = record.replace(team=team)
    metrics = None
    if counts is not None:
        record = record.replace(frame=record.assignment.assign(
            patients=record.assignment["code_insee"].map(counts.set_index("code_insee")["patients"]).fillna(0)))
        from app.messages import render
        from geo.sectors.problem import SectorError

        try:
            metrics = _load_plan(args, record).metrics()
        except SectorError as exc:  # the version is still saved; compare then lacks metric deltas
            print(f"attention : indicateurs non enregistrés : {render(exc)}", file=sys.stderr)
    version = workspace.save_version(conn, args.name, record.replace(metrics=metrics), note=args.note,
                                     tolerance=args.tolerance if args.tolerance is not None else 0.02,
                                     counts_label=label, demo=demo)
    _print({"name": args.name, "version": version, "team": record.team is not None, "patients": label})
    return 0


def _use(args) -> int:
    from app.cli._inputs import database
    from services import workspace

    conn = database(args)
    workspace.set_current(conn, args.name, args.version)
    record = workspace.current_plan(conn)
    _print({"name": record.name, "version": record.version})
    return 0


def _list(args) -> int:
    from app.cli._inputs import database
    from geo.sectors import store

    _print(store.list_plans(database(args), args.name))
    return 0


def _compare(args) -> int:
    from app.cli._inputs import database
    from geo.sectors import store

    result = store.compare_plans(database(args), args.name, args.old, args.new, other=args.other)
    _print(result)
    return 0


def _export(args) -> int:
    from app.cli._inputs import database
    from geo.sectors import io, store
    from services import workspace

    conn = database(args)
    record = store.load_record(conn, args.name, args.version) if args.name else workspace.require_plan(conn)
    io.write_plan(record, args.out)
    _print({"name": record.name, "version": record.version, "units": int(len(record.frame)), "out": str(args.out)})
    return 0
