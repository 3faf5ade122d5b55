"""``secteurs partners``: import, list, nearest, covering, services, history, undo, redo, delete, template,
demo, purge-demo, network."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from app.cli import add_db_argument
from geo.errors import SecteursError

FORMATS = ("finess", "rpps", "zones", "csv")


def register(subparsers) -> None:
    partners = subparsers.add_parser("partners", help="l'annuaire des partenaires (CPTS, HAD, ERC, PSY, DAC, SSIAD, CCAS)")
    actions = partners.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", help="importer un fichier FINESS, Annuaire Santé, de zones ou le modèle")
    imp.add_argument("file", help="le fichier à importer")
    imp.add_argument("--format", required=True, choices=FORMATS, help="format du fichier")
    imp.add_argument("--report", help="écrire les lignes rejetées et les avertissements dans ce fichier CSV")
    imp.add_argument("--author", help="nom noté dans l'historique (par défaut : $SECTEURS_AUTHOR ou l'identifiant de session)")
    imp.add_argument("--categories", help="catégories FINESS à importer, par exemple 127,604,606,354 (par défaut)")
    imp.add_argument("--outside", choices=("neighbours", "flag", "skip"), default=None,
                     help="partenaires hors des 12 départements : 'neighbours' importe ceux à moins de --neighbour-km "
                          "de la limite et met de côté les plus lointains (par défaut, sauf 'skip' pour rpps) ; "
                          "'flag' les importe tous ; 'skip' aucun")
    imp.add_argument("--neighbour-km", type=float, default=None,
                     help="distance à la limite du territoire (km) en deçà de laquelle un partenaire extérieur est gardé (60 par défaut)")
    imp.add_argument("--include-far", action="append", default=[], metavar="KEY",
                     help="importer quand même ce partenaire lointain (sa clé, par exemple FINESS:750001166 ; répétable)")
    imp.add_argument("--network", metavar="LIST",
                     help="liste des membres du réseau de psycho-oncologie (CSV/XLSX : rpps, ou nom + commune) : "
                          "seuls ses membres sont importés, étiquetés (pour l'extraction nationale de l'Annuaire Santé)")
    imp.add_argument("--all-psychologists", action="store_true",
                     help="rpps : importer tous les psychologues du territoire, même sans --network")
    imp.add_argument("--preview", action="store_true", help="montrer ce que ferait l'import, sans rien enregistrer")
    add_db_argument(imp)
    imp.set_defaults(handler=_import)

    lst = actions.add_parser("list", help="lister les partenaires")
    lst.add_argument("--type", help="seulement ce type (ou des types séparés par des virgules)")
    lst.add_argument("--label", action="append", default=[], help="seulement les partenaires portant cette étiquette (répétable)")
    _add_demo(lst)
    _add_output(lst)
    add_db_argument(lst)
    lst.set_defaults(handler=_list)

    near = actions.add_parser("nearest", help="les N partenaires d'un type les plus proches d'une commune ou d'un point")
    where = near.add_mutually_exclusive_group(required=True)
    where.add_argument("--commune", help="code INSEE de la commune du patient")
    where.add_argument("--postal-code", help="code postal de la commune du patient")
    where.add_argument("--lonlat", help="position WGS84 LON,LAT (écrire --lonlat=-1.55,47.2 pour une longitude négative)")
    near.add_argument("--type", required=True, help="type de partenaire (CPTS, HAD, ERC, PSY, DAC, SSIAD, CCAS, AUTRE)")
    near.add_argument("--k", type=int, default=5, help="nombre de partenaires (5 par défaut)")
    near.add_argument("--network-only", action="store_true",
                      help="psychologues : seulement ceux du réseau de psycho-oncologie")
    near.add_argument("--label", action="append", default=[], help="seulement les partenaires portant cette étiquette (répétable)")
    _add_demo(near)
    _add_output(near)
    add_db_argument(near)
    near.set_defaults(handler=_nearest)

    cov = actions.add_parser("covering", help="les CPTS et HAD dont la zone comprend une commune")
    cov.add_argument("--commune", required=True, help="code INSEE")
    _add_output(cov)
    add_db_argument(cov)
    cov.set_defaults(handler=_covering)

    svc = actions.add_parser("services", help="chaque type de partenaire pour la commune d'un patient (ceux dont la zone la couvre d'abord)")
    svc.add_argument("--commune", required=True, help="code INSEE")
    svc.add_argument("--k", type=int, default=3, help="partenaires par type (3 par défaut)")
    svc.add_argument("--network-only", action="store_true",
                     help="psychologues : seulement ceux du réseau de psycho-oncologie")
    _add_demo(svc)
    _add_output(svc)
    add_db_argument(svc)
    svc.set_defaults(handler=_services)

    hist = actions.add_parser("history", help="l'historique des modifications, les plus récentes d'abord")
    hist.add_argument("--id", type=int, help="seulement ce partenaire")
    hist.add_argument("--limit", type=int, default=50, help="au plus ce nombre de modifications (50 par défaut, 0 : toutes)")
    hist.add_argument("--full", action="store_true", help="inclure le JSON avant/après")
    hist.add_argument("--raw", action="store_true", help="les colonnes enregistrées (heure UTC) au lieu des colonnes lisibles")
    _add_output(hist)
    add_db_argument(hist)
    hist.set_defaults(handler=_history)

    und = actions.add_parser("undo", help="annuler une modification (par défaut : la dernière non encore annulée)")
    und.add_argument("--change", type=int, help="numéro (historique) de la modification à annuler")
    und.add_argument("--author", help="nom noté dans l'historique")
    add_db_argument(und)
    und.set_defaults(handler=_undo)

    red = actions.add_parser("redo", help="rétablir la dernière annulation (si rien n'a changé depuis)")
    red.add_argument("--author", help="nom noté dans l'historique")
    add_db_argument(red)
    red.set_defaults(handler=_redo)

    purge = actions.add_parser("purge-demo", help="supprimer tous les partenaires de DÉMONSTRATION fictifs (une modification : undo les rétablit)")
    purge.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    purge.add_argument("--author", help="nom noté dans l'historique")
    add_db_argument(purge)
    purge.set_defaults(handler=_purge_demo)

    net = actions.add_parser("network", help="étiqueter les psychologues de la liste des membres d'un réseau")
    net.add_argument("file", help="liste CSV/XLSX : rpps, ou nom (+ prenom) avec code_insee / code_postal / commune")
    net.add_argument("--label", default=None, help="étiquette donnée (par défaut : réseau psycho-oncologie)")
    net.add_argument("--author", help="nom noté dans l'historique")
    add_db_argument(net)
    net.set_defaults(handler=_network)

    dele = actions.add_parser("delete", help="supprimer un partenaire (undo le rétablit)")
    dele.add_argument("id", type=int, help="numéro du partenaire")
    dele.add_argument("--author", help="nom noté dans l'historique")
    add_db_argument(dele)
    dele.set_defaults(handler=_delete)

    tpl = actions.add_parser("template", help="écrire le modèle vide d'annuaire (voir partners/TEMPLATE.md)")
    tpl.add_argument("--out", required=True, help="modele.csv ou modele.xlsx")
    tpl.set_defaults(handler=_template)

    demo = actions.add_parser("demo", help="charger l'annuaire de DÉMONSTRATION fictif (sans doublon si relancé)")
    demo.add_argument("--seed", type=int, default=None, help="graine aléatoire (par défaut : celle, fixe, de la démonstration)")
    add_db_argument(demo)
    demo.set_defaults(handler=_demo)


def _add_demo(parser) -> None:
    parser.add_argument("--demo", choices=("auto", "yes", "no"), default="auto",
                        help="partenaires de DÉMONSTRATION fictifs : 'auto' (par défaut) seulement tant que l'annuaire "
                             "n'a aucun partenaire réel ; 'yes' les inclure ; 'no' les exclure")


def _demo_option(args):
    return {"auto": "auto", "yes": True, "no": False}[args.demo]


def _author(args) -> str:
    from partners.store import default_author

    return args.author or default_author()


def _add_output(parser) -> None:
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="format de sortie (csv par défaut)")
    parser.add_argument("--out", help="écrire dans ce fichier au lieu de la sortie standard")


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
        from geo.reading import write_text

        write_text(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def _import(args) -> int:
    from app.messages import render_code, render_issue
    from partners.importer import import_partners
    from partners.model import NEIGHBOUR_KM
    from partners.preview import preview_import

    conn = _connect(args)
    options = dict(author=_author(args), categories=args.categories, outside=args.outside,
                   neighbour_km=args.neighbour_km if args.neighbour_km is not None else NEIGHBOUR_KM,
                   include_far=args.include_far, network=args.network, all_psychologists=args.all_psychologists)
    if args.preview:
        report = preview_import(conn, args.file, args.format, **options)
        print("APERÇU (rien n'est enregistré) :")
    else:
        report = import_partners(conn, args.file, args.format, **options)
        if args.report:  # reasons in French (render_issue), their codes beside them for machines
            report.write(args.report, render=render_issue)
    counts = report.counts()
    print(f"créés {counts['created']}, mis à jour {counts['updated']}, inchangés {counts['unchanged']}, "
          f"rejetés {counts['rejected']}")
    km_limit = _km(report.neighbour_km)
    if report.outside_territory:
        print(f"hors du territoire (importés, signalés outside_territory) : {report.outside_territory} "
              f"(voisins à moins de {km_limit} km : {report.neighbours})")
    if report.set_aside:
        print(f"mis de côté (hors du territoire, à plus de {km_limit} km ou sans position ; "
              f"--include-far CLÉ pour les importer) : {report.set_aside}")
        for row in report.rows:
            if row.action == "set_aside":
                km = "?" if row.border_km is None else f"{_km(row.border_km)} km"
                print(f"  ligne {row.row} : {row.key} {row.name} ({row.commune or row.code_insee}, {km})")
    for reason, count in sorted(report.skipped.items()):
        print(f"laissés de côté ({render_code('partners.skip.' + reason, {})}) : {count}")
    if counts["warnings"]:
        print(f"avertissements : {counts['warnings']}")
    if report.offer_demo_purge:
        print("l'annuaire contient encore les partenaires de DÉMONSTRATION (fictifs) : "
              "`secteurs partners purge-demo` les supprime")
    if args.report and not args.preview:
        print(f"rapport des lignes rejetées et des avertissements : {args.report}")
    elif report.rejects:
        for item in sorted(report.rejects, key=lambda r: r.row)[:20]:
            print(row_line(item.row, LEVELS.get(item.level, item.level), render_issue(item)), file=sys.stderr)
        if len(report.rejects) > 20:
            print(f"  ... et {len(report.rejects) - 20} autres (--report FICHIER pour la liste complète)",
                  file=sys.stderr)
    if counts["rejected"] and not (counts["created"] or counts["updated"] or counts["unchanged"]):
        # Every row rejected is a failed import, not a success with nothing to do.
        from geo.errors import SecteursError

        raise SecteursError("partners.all_rejected", file=Path(args.file).name, count=counts["rejected"])
    return 0


#: How a row line names an import report's levels.
LEVELS = {"error": "rejetée", "warning": "avertissement"}


def row_line(row: int, what: str, text: str) -> str:
    """``  ligne 4 : rejetée : type « » inconnu ...``: one row of a file, in French."""
    return f"  ligne {row} : {what} : {text}"


def _km(value: float) -> str:
    """A distance in km, French decimal comma (``7,5``)."""
    return f"{value:g}".replace(".", ",")


def _list(args) -> int:
    from partners.store import list_partners

    return _emit(list_partners(_connect(args), type=args.type, include_demo=_demo_option(args), labels=args.label),
                 args)


def _nearest(args) -> int:
    from partners.query import nearest

    lonlat = None
    if args.lonlat:
        try:
            lon, lat = (float(v) for v in args.lonlat.split(","))
        except ValueError:
            raise SecteursError("cli.bad_lonlat", value=args.lonlat) from None
        lonlat = (lon, lat)
    frame = nearest(_connect(args), args.type, commune=args.commune, postal_code=args.postal_code,
                    lonlat=lonlat, k=args.k, include_demo=_demo_option(args), labels=args.label,
                    network_only=args.network_only)
    if frame.attrs.get("note"):
        print(f"note : {frame.attrs['note']}", file=sys.stderr)
    return _emit(frame, args)


def _covering(args) -> int:
    from partners.query import covering

    return _emit(covering(_connect(args), args.commune), args)


def _services(args) -> int:
    from partners.query import local_services

    frame = local_services(_connect(args), args.commune, k=args.k, include_demo=_demo_option(args),
                           network_only=args.network_only)
    if frame.attrs.get("note"):
        print(f"note : {frame.attrs['note']}", file=sys.stderr)
    return _emit(frame, args)


def _history(args) -> int:
    from partners.history import readable_history
    from partners.store import partner_history

    if args.raw or args.full:
        frame = partner_history(_connect(args), args.id, limit=args.limit or None)
        if not args.full:
            frame = frame.drop(columns=["before", "after"])
        return _emit(frame, args)
    frame = readable_history(_connect(args), args.id, limit=args.limit or None)
    frame["changes"] = frame["changes"].map(lambda items: "; ".join(f"{f}: {b or '(vide)'} -> {a or '(vide)'}"
                                                                    for f, b, a in items))
    return _emit(frame.drop(columns=["at"]), args)


def _undo(args) -> int:
    from partners.store import undo

    result = undo(_connect(args), args.change, author=_author(args))
    what = (f"{result['count']} modifications" if result.get("count", 1) > 1
            else f"partenaire n° {result['partner_id']}")
    print(f"modification n° {result['undone']} annulée ({_action(result['action'])}, {what}) ; "
          f"enregistrée comme modification n° {result['history_id']}")
    return 0


def _redo(args) -> int:
    from partners.store import redo

    result = redo(_connect(args), author=_author(args))
    print(f"rétabli : {_action(result['action'])} ({result['count']} modification(s)) ; "
          f"enregistré comme modification n° {result['history_id']}")
    return 0


def _action(action: str) -> str:
    """A history action (``create``, ``update``...) in French."""
    from app.messages import render_code

    try:
        return render_code(f"cli.history_action.{action}", {})
    except KeyError:
        return action


def _purge_demo(args) -> int:
    from partners.store import count_demo_partners, has_real_partners, purge_demo

    conn = _connect(args)
    count = count_demo_partners(conn)
    if not count:
        print("aucun partenaire de démonstration dans l'annuaire")
        return 0
    if not args.yes:
        real = "" if has_real_partners(conn) else " (l'annuaire serait alors vide)"
        if not sys.stdin.isatty():
            raise SecteursError("cli.purge_needs_yes", count=count, empty_after=not has_real_partners(conn))
        answer = input(f"Supprimer les {count} partenaires de DÉMONSTRATION (fictifs){real} ? [o/N] ")
        if answer.strip().lower() not in ("y", "yes", "o", "oui"):
            print("rien n'a été supprimé")
            return 1
    done = purge_demo(conn, author=_author(args))
    print(f"{done['deleted']} partenaires de DÉMONSTRATION (fictifs) supprimés (modification n° {done['change']} ; "
          f"`secteurs partners undo` les rétablit tous)")
    return 0


def _network(args) -> int:
    from app.messages import render_issue
    from partners.model import NETWORK_LABEL
    from partners.network import read_network, tag_network

    conn = _connect(args)
    network = read_network(args.file, label=args.label or NETWORK_LABEL)
    report = tag_network(conn, network, author=_author(args))
    print(f"étiquette « {report.label} » : {len(report.tagged)} psychologue(s) étiqueté(s), "
          f"{len(report.already)} déjà étiqueté(s), {len(report.not_found)} membre(s) absent(s) de l'annuaire, "
          f"{len(report.rejects)} ligne(s) rejetée(s)")
    for member in report.not_found[:20]:
        who = member.rpps or " ".join(sorted(member.words))
        print(row_line(member.row, "absent de l'annuaire", f"{who} {member.code_insee}".strip()), file=sys.stderr)
    for row, issue in report.rejects[:20]:
        print(row_line(row, "rejetée", render_issue(issue)), file=sys.stderr)
    if report.change:
        print(f"une modification (n° {report.change}) : `secteurs partners undo` l'annule")
    return 0


def _delete(args) -> int:
    from partners.store import delete_partner

    change = delete_partner(_connect(args), args.id, author=_author(args))
    print(f"partenaire n° {args.id} supprimé (modification n° {change} ; "
          f"`secteurs partners undo --change {change}` le rétablit)")
    return 0


def _template(args) -> int:
    from partners.io import write_template

    path = write_template(args.out)
    print(f"modèle écrit : {path} (colonnes décrites dans partners/TEMPLATE.md)")
    return 0


def _demo(args) -> int:
    from partners.demo import DEFAULT_SEED, load_demo_directory

    counts = load_demo_directory(_connect(args), seed=args.seed if args.seed is not None else DEFAULT_SEED)
    print(f"annuaire de DÉMONSTRATION (fictif) : créés {counts['created']}, mis à jour {counts['updated']}, "
          f"inchangés {counts['unchanged']}")
    return 0
