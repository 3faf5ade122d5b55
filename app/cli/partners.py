"""``secteurs partners import|list|nearest|covering|services|history|undo|delete|template|demo``."""
from __future__ import annotations

import json
import sys

from app.cli import CommandError, add_db_argument

FORMATS = ("finess", "rpps", "zones", "csv")


def register(subparsers) -> None:
    partners = subparsers.add_parser("partners", help="the partner directory (CPTS, HAD, ERC, PSY, DAC, SSIAD, CCAS)")
    actions = partners.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", help="import a FINESS, Annuaire Santé, zone or template file")
    imp.add_argument("file", help="the file to import")
    imp.add_argument("--format", required=True, choices=FORMATS, help="file format")
    imp.add_argument("--report", help="write rejected rows and warnings to this CSV file")
    imp.add_argument("--author", help="recorded in the history (default: $SECTEURS_AUTHOR or the login)")
    imp.add_argument("--categories", help="FINESS categories to import, e.g. 127,604,606,354 (the default)")
    imp.add_argument("--outside", choices=("flag", "skip"), default=None,
                     help="partners outside the 12 departments: import them flagged outside_territory, or skip "
                          "them (default: flag, except skip for rpps)")
    add_db_argument(imp)
    imp.set_defaults(handler=_import)

    lst = actions.add_parser("list", help="list the partners")
    lst.add_argument("--type", help="only this type (or comma-separated types)")
    _add_output(lst)
    add_db_argument(lst)
    lst.set_defaults(handler=_list)

    near = actions.add_parser("nearest", help="the N nearest partners of a type from a commune or a point")
    where = near.add_mutually_exclusive_group(required=True)
    where.add_argument("--commune", help="INSEE code of the patient's commune")
    where.add_argument("--postal-code", help="postal code of the patient's commune")
    where.add_argument("--lonlat", help="WGS84 position as LON,LAT (write --lonlat=-1.55,47.2 for a negative longitude)")
    near.add_argument("--type", required=True, help="partner type (CPTS, HAD, ERC, PSY, DAC, SSIAD, CCAS, AUTRE)")
    near.add_argument("--k", type=int, default=5, help="how many partners (default 5)")
    _add_output(near)
    add_db_argument(near)
    near.set_defaults(handler=_nearest)

    cov = actions.add_parser("covering", help="the CPTS and HAD whose zones include a commune")
    cov.add_argument("--commune", required=True, help="INSEE code")
    _add_output(cov)
    add_db_argument(cov)
    cov.set_defaults(handler=_covering)

    svc = actions.add_parser("services", help="every type of partner for a patient's commune (covering first)")
    svc.add_argument("--commune", required=True, help="INSEE code")
    svc.add_argument("--k", type=int, default=3, help="partners per type (default 3)")
    _add_output(svc)
    add_db_argument(svc)
    svc.set_defaults(handler=_services)

    hist = actions.add_parser("history", help="the change history, newest first")
    hist.add_argument("--id", type=int, help="only this partner")
    hist.add_argument("--limit", type=int, default=50, help="at most this many changes (default 50, 0: all)")
    hist.add_argument("--full", action="store_true", help="include the before/after JSON")
    _add_output(hist)
    add_db_argument(hist)
    hist.set_defaults(handler=_history)

    und = actions.add_parser("undo", help="undo a change (default: the latest one not yet undone)")
    und.add_argument("--change", type=int, help="history id of the change to undo")
    und.add_argument("--author", help="recorded in the history")
    add_db_argument(und)
    und.set_defaults(handler=_undo)

    dele = actions.add_parser("delete", help="delete a partner (undo brings it back)")
    dele.add_argument("id", type=int, help="partner id")
    dele.add_argument("--author", help="recorded in the history")
    add_db_argument(dele)
    dele.set_defaults(handler=_delete)

    tpl = actions.add_parser("template", help="write the empty partner template (see partners/TEMPLATE.md)")
    tpl.add_argument("--out", required=True, help="template.csv or template.xlsx")
    tpl.set_defaults(handler=_template)

    demo = actions.add_parser("demo", help="load the FICTITIOUS demo directory (idempotent)")
    demo.add_argument("--seed", type=int, default=None, help="random seed (default: the fixed demo seed)")
    add_db_argument(demo)
    demo.set_defaults(handler=_demo)


def _add_output(parser) -> None:
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    parser.add_argument("--out", help="write to this file instead of standard output")


def _connect(args):
    from app.cli._inputs import database

    return database(args)


def _emit(frame, args) -> int:
    if args.format == "json":
        text = json.dumps(json.loads(frame.to_json(orient="records", force_ascii=False)), indent=2,
                          ensure_ascii=False) + "\n"
    else:
        from geo.safe_export import safe_frame

        text = safe_frame(frame).to_csv(index=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _import(args) -> int:
    from partners.importer import import_partners

    conn = _connect(args)
    report = import_partners(conn, args.file, args.format, author=args.author, categories=args.categories,
                             outside=args.outside, report=args.report)
    counts = report.counts()
    print(f"created {counts['created']}, updated {counts['updated']}, unchanged {counts['unchanged']}, "
          f"rejected {counts['rejected']}")
    if report.outside_territory:
        print(f"outside the territory (imported, flagged outside_territory): {report.outside_territory}")
    for reason, count in sorted(report.skipped.items()):
        print(f"skipped ({reason}): {count}")
    if counts["warnings"]:
        print(f"warnings: {counts['warnings']}")
    if args.report:
        print(f"report of rejected rows and warnings: {args.report}")
    elif report.rejects:
        for item in sorted(report.rejects, key=lambda r: r.row)[:20]:
            print(f"  row {item.row} {item.level}: {item.reason}", file=sys.stderr)
        if len(report.rejects) > 20:
            print(f"  ... {len(report.rejects) - 20} more (use --report FILE)", file=sys.stderr)
    return 0


def _list(args) -> int:
    from partners.store import list_partners

    return _emit(list_partners(_connect(args), type=args.type), args)


def _nearest(args) -> int:
    from partners.query import nearest

    lonlat = None
    if args.lonlat:
        try:
            lon, lat = (float(v) for v in args.lonlat.split(","))
        except ValueError:
            raise CommandError(f"--lonlat {args.lonlat!r}: expected LON,LAT such as 4.85,45.75") from None
        lonlat = (lon, lat)
    frame = nearest(_connect(args), args.type, commune=args.commune, postal_code=args.postal_code,
                    lonlat=lonlat, k=args.k)
    if frame.attrs.get("note"):
        print(frame.attrs["note"], file=sys.stderr)
    return _emit(frame, args)


def _covering(args) -> int:
    from partners.query import covering

    return _emit(covering(_connect(args), args.commune), args)


def _services(args) -> int:
    from partners.query import local_services

    frame = local_services(_connect(args), args.commune, k=args.k)
    if frame.attrs.get("note"):
        print(frame.attrs["note"], file=sys.stderr)
    return _emit(frame, args)


def _history(args) -> int:
    from partners.store import partner_history

    frame = partner_history(_connect(args), args.id, limit=args.limit or None)
    if not args.full:
        frame = frame.drop(columns=["before", "after"])
    return _emit(frame, args)


def _undo(args) -> int:
    from partners.store import undo

    result = undo(_connect(args), args.change, author=args.author)
    print(f"undid change #{result['undone']} ({result['action']} of partner #{result['partner_id']}); "
          f"recorded as change #{result['history_id']}")
    return 0


def _delete(args) -> int:
    from partners.store import delete_partner

    change = delete_partner(_connect(args), args.id, author=args.author)
    print(f"deleted partner #{args.id} (change #{change}; `secteurs partners undo --change {change}` restores it)")
    return 0


def _template(args) -> int:
    from partners.io import write_template

    path = write_template(args.out)
    print(f"template written: {path} (columns documented in partners/TEMPLATE.md)")
    return 0


def _demo(args) -> int:
    from partners.demo import DEFAULT_SEED, load_demo_directory

    counts = load_demo_directory(_connect(args), seed=args.seed if args.seed is not None else DEFAULT_SEED)
    print(f"FICTITIOUS demo directory: created {counts['created']}, updated {counts['updated']}, "
          f"unchanged {counts['unchanged']}")
    return 0
