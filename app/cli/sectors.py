"""``secteurs propose`` and ``secteurs plan metrics|rebalance|save|list|compare``."""
from __future__ import annotations

import json
from pathlib import Path

from app.cli import CommandError, add_db_argument


def register(subparsers) -> None:
    propose = subparsers.add_parser("propose", help="propose sectors (one per worker) from patient counts")
    who = propose.add_mutually_exclusive_group(required=True)
    who.add_argument("--sectors", type=int, help="number of equal sectors (named S01, S02, ...)")
    who.add_argument("--workers", type=Path, help="workers.csv: name/nom, fte/etp, group/groupe, base (INSEE)")
    propose.add_argument("--patients", type=Path, required=True, help="counts file code_insee,patients")
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
    metrics.add_argument("plan", type=Path)
    metrics.add_argument("--patients", type=Path, required=True)
    metrics.add_argument("--workers", type=Path, help="workers.csv (targets from FTE, bases)")
    metrics.add_argument("--tolerance", type=float, default=0.02)
    _base_mode_argument(metrics)
    metrics.set_defaults(handler=_metrics)

    rebalance = actions.add_parser("rebalance", help="restore contiguity and balance after hand edits")
    rebalance.add_argument("plan", type=Path)
    rebalance.add_argument("--patients", type=Path, required=True)
    rebalance.add_argument("--workers", type=Path)
    rebalance.add_argument("--lock", action="append", default=[], metavar="CODE",
                           help="INSEE code that must not move (repeatable)")
    rebalance.add_argument("--out", type=Path, required=True)
    rebalance.add_argument("--tolerance", type=float, default=0.02)
    _base_mode_argument(rebalance)
    rebalance.set_defaults(handler=_rebalance)

    save = actions.add_parser("save", help="save a plan file as the next version of a named plan")
    save.add_argument("name")
    save.add_argument("plan", type=Path)
    save.add_argument("--patients", type=Path, help="counts to snapshot with the plan (for metrics and compare)")
    save.add_argument("--workers", type=Path)
    save.add_argument("--note", default="")
    add_db_argument(save)
    save.set_defaults(handler=_save)

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

    export = actions.add_parser("export", help="write a saved version as a plan file")
    export.add_argument("name")
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


def _team(args):
    from geo.sectors.team import Team, read_workers

    if getattr(args, "workers", None):
        team = read_workers(args.workers)
        _notes(team)
        return team
    return Team.of_size(args.sectors)


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
        raise CommandError(f"--sectors must be >= 1, got {args.sectors}")
    counts = io.read_counts(args.patients)
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


def _load_plan(args):
    from geo.sectors import io
    from geo.sectors.context import build_context
    from geo.sectors.edit import team_plan_from_frame
    from geo.sectors.plan import plan_from_frame

    context = build_context(io.read_counts(args.patients))
    frame = io.read_plan(args.plan)
    if getattr(args, "workers", None):
        return team_plan_from_frame(context, frame, _team(args), args.tolerance,
                                    getattr(args, "base_mode", "centre"))
    return plan_from_frame(context, frame, tolerance=args.tolerance)


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
    from geo.database import connect
    from geo.sectors import io, store

    frame = io.read_plan(args.plan)
    counts = io.read_counts(args.patients) if args.patients else None
    metrics = None
    if counts is not None:
        args.tolerance = 0.02
        metrics = _load_plan(args).metrics()
    conn = connect(args.db)
    version = store.save_plan(conn, args.name, frame, counts=counts, metrics=metrics, note=args.note)
    _print({"name": args.name, "version": version})
    return 0


def _list(args) -> int:
    from geo.database import connect
    from geo.sectors import store

    _print(store.list_plans(connect(args.db), args.name))
    return 0


def _compare(args) -> int:
    from geo.database import connect
    from geo.sectors import store

    result = store.compare_plans(connect(args.db), args.name, args.old, args.new, other=args.other)
    _print(result)
    return 0


def _export(args) -> int:
    from geo.database import connect
    from geo.sectors import store

    frame = store.load_plan(connect(args.db), args.name, args.version)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame[["code_insee", "sector"]].to_csv(args.out, index=False)
    _print({"name": args.name, "units": int(len(frame)), "out": str(args.out)})
    return 0
