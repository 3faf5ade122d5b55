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
    propose = subparsers.add_parser("propose", help="propose sectors (one per worker) from patient counts")
    who = propose.add_mutually_exclusive_group()
    who.add_argument("--sectors", type=int, help="number of equal sectors (named S01, S02, ...)")
    who.add_argument("--workers", type=Path, help="workers.csv: name/nom, fte/etp, group/groupe, base (INSEE) "
                                                  "(default: the workspace team)")
    propose.add_argument("--patients", type=Path, help="counts file code_insee,patients (default: the workspace's)")
    add_db_argument(propose)
    propose.add_argument("--out", type=Path, required=True, help="plan file to write (code_insee,sector)")
    propose.add_argument("--from", dest="previous", type=Path,
                         help="current plan: keep as many patients as possible with their sector")
    propose.add_argument("--locks", type=Path, help="plan-like file code_insee,sector of units locked to a sector")
    propose.add_argument("--metrics", type=Path, help="also write the metrics as JSON")
    propose.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    propose.add_argument("--tolerance", type=float, default=0.02, help="balance tolerance (default 0.02 = ±2%%)")
    _base_mode_argument(propose)
    propose.set_defaults(handler=_propose)

    plan = subparsers.add_parser("plan", help="measure, repair and version sector plans")
    actions = plan.add_subparsers(dest="action", metavar="ACTION", required=True)

    metrics = actions.add_parser("metrics", help="print a plan's metrics as JSON")
    metrics.add_argument("plan", type=Path, nargs="?", help="plan file (default: the workspace's current version)")
    metrics.add_argument("--patients", type=Path, help="counts file (default: the workspace's counts)")
    metrics.add_argument("--workers", type=Path, help="workers.csv (targets from FTE, bases; default: the "
                                                      "plan version's team)")
    metrics.add_argument("--tolerance", type=float, default=None, help="default: the version's, else 0.02")
    add_db_argument(metrics)
    _base_mode_argument(metrics)
    metrics.set_defaults(handler=_metrics)

    rebalance = actions.add_parser("rebalance", help="restore contiguity and balance after hand edits")
    rebalance.add_argument("plan", type=Path)
    rebalance.add_argument("--patients", type=Path, help="counts file (default: the workspace's counts)")
    rebalance.add_argument("--workers", type=Path)
    add_db_argument(rebalance)
    rebalance.add_argument("--lock", action="append", default=[], metavar="CODE",
                           help="INSEE code that must not move (repeatable)")
    rebalance.add_argument("--out", type=Path, required=True)
    rebalance.add_argument("--tolerance", type=float, default=None, help="default 0.02")
    _base_mode_argument(rebalance)
    rebalance.set_defaults(handler=_rebalance)

    save = actions.add_parser("save", help="save a plan file as the next version of a named plan (made current)")
    save.add_argument("name")
    save.add_argument("plan", type=Path)
    save.add_argument("--patients", type=Path, help="counts to snapshot with the plan (for metrics and compare; "
                                                    "default: the workspace's counts)")
    save.add_argument("--workers", type=Path, help="the team kept with the version (default: the workspace "
                                                   "team when its names are the plan's sectors)")
    save.add_argument("--note", default="")
    save.add_argument("--tolerance", type=float, default=None, help="balance tolerance (default 0.02)")
    add_db_argument(save)
    save.set_defaults(handler=_save)

    use = actions.add_parser("use", help="make a saved version the workspace's current plan")
    use.add_argument("name")
    use.add_argument("--version", type=int, help="default: the latest")
    add_db_argument(use)
    use.set_defaults(handler=_use)

    listing = actions.add_parser("list", help="list saved plans and versions")
    listing.add_argument("name", nargs="?")
    add_db_argument(listing)
    listing.set_defaults(handler=_list)

    compare = actions.add_parser("compare", help="compare two versions of a saved plan")
    compare.add_argument("name")
    compare.add_argument("old", type=int, help="version number")
    compare.add_argument("new", type=int, help="version number")
    compare.add_argument("--other", help="name of the plan holding NEW (default: the same plan)")
    add_db_argument(compare)
    compare.set_defaults(handler=_compare)

    export = actions.add_parser("export", help="write a saved version as a plan file",
                                description="By the suffix of --out: .csv code_insee,sector (read back by every "
                                            "command); .xlsx, .gpkg, .geojson for people and QGIS (code INSEE, "
                                            "commune, département, secteur, référent, groupe, patients).")
    export.add_argument("name", nargs="?", help="default: the workspace's current plan")
    export.add_argument("--version", type=int)
    export.add_argument("--out", type=Path, required=True)
    add_db_argument(export)
    export.set_defaults(handler=_export)


def _base_mode_argument(parser) -> None:
    parser.add_argument("--base-mode", choices=("centre", "inside"), default="centre",
                        help="workers' base communes: 'centre' = each sector's fixed centre (distances measured "
                             "from it; default), 'inside' = only inside the worker's sector, centre free")


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
