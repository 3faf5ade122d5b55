"""``secteurs route FILE --plan plan.csv --out routed.csv``: route a list of referrals."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli import add_db_argument, lines
from app.cli._filters import add_partner_filter_arguments, partner_filter_of

DESCRIPTION = """\
Route every row of a list of referrals (CSV or XLSX, read as `secteurs patients import` reads
hospital exports: any encoding and separator, French headers such as Code INSEE, CP, Ville)
to its unit, sector, referent social worker and group, with the nearest partner of each type.

The output keeps the file's own columns as they are and adds:
  statut, code_insee, sector, referent, groupe, cpts, cpts_km, had, had_km, erc, erc_km, psy,
  psy_km, dac, dac_km, ssiad, ssiad_km, ccas, ccas_km, candidats, remarque
(a partner column holds the nearest partner's name, its _km column the straight-line distance;
for CPTS and HAD a partner whose zone covers the commune comes first).

Places are read by the same resolver as the Orientation page (a postal code, an INSEE code, a
name with or without accents, St/Ste, "Lyon 8e", a former commune, a close spelling): `statut`
is trouvée, corrigée (a close spelling or a short name), ambiguë or introuvable. An ambiguous
place (a postal code shared by several communes, a 5-digit number that is the INSEE code of one
commune and the postal code of others, Lyon without arrondissement...) is never routed to a
guessed commune: `candidats` lists the possible communes, and the row gets a sector only when
all of them lie in the same sector. Rows that cannot be routed keep their columns, get empty
added columns and their reason in `remarque`; they are also listed on the standard output and,
with --rejects, written with their row number and reason only. Nothing is
stored.

Which partners: every partner of the directory by default. --network-only keeps, for the
psychologist columns (psy, psy_km), only the members of the psycho-oncology network (label
"réseau psycho-oncologie", set by `secteurs partners network LISTE.csv`); --label LABEL keeps,
for every type, the partners carrying that label (repeat it: every label is required). The
filter used is printed with the report.

Without --plan, the workspace's current plan version of --db is used, with the team it was
saved with (groups).

Who holds a sector: the referent is the sector's name (plans proposed from a workers table name
sectors after their worker) unless plan.csv has a `referent` column; the group comes from a
`groupe` column of plan.csv, else from --workers (a workers.csv whose `name`/`nom` matches the
referent or the sector, and its `group`/`groupe`) or the saved version's team, else it is left empty.
"""


def register(subparsers) -> None:
    route = subparsers.add_parser("route", help="route a list of referrals to sectors, referents and partners",
                                  description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    route.add_argument("file", type=Path, help="the list (CSV or XLSX) with a location column")
    route.add_argument("--plan", type=Path,
                       help="plan file code_insee,sector[,referent][,groupe] (CSV, XLSX, GeoPackage, GeoJSON); "
                            "default: the workspace's current plan version")
    route.add_argument("--out", type=Path, required=True,
                       help="routed file to write (.xlsx for a workbook, else CSV with the input's separator)")
    route.add_argument("--workers", type=Path, help="workers.csv giving each referent's group (name/nom, groupe)")
    route.add_argument("--rejects", type=Path,
                       help="also write the rows that could not be placed (row number and reason only)")
    add_partner_filter_arguments(route)
    add_db_argument(route)
    route.set_defaults(handler=_route)



def _progress(rows: int) -> None:
    print(f"\r{rows:>9,} lignes traitées".replace(",", " "), end="", file=sys.stderr, flush=True)


def _route(args) -> int:
    from app.cli._inputs import database, plan_record
    from app.messages import render_code
    from geo.territory import territory
    from services.routing import Routing, nearest_partners, route_file
    import partners
    from partners.demo import DEMO_SOURCE

    from geo.reading import check_path, write_bytes

    check_path(args.file)
    conn = database(args)
    record = plan_record(args, conn)
    print(f"plan : {record.label}", file=sys.stderr)
    directory = partners.list_partners(conn)
    land = territory()
    chosen = partner_filter_of(args)
    routing = Routing.from_plan(record, partners=nearest_partners(conn, territory=land, partner_filter=chosen),
                                explain=render_code, territory=land, partner_filter=chosen)
    if chosen.active:
        print(f"partenaires : {chosen.describe()}", file=sys.stderr)
    for warning in routing.warnings:
        print(f"attention : {warning}", file=sys.stderr)
    if not len(directory):
        print("attention : l'annuaire des partenaires est vide : colonnes des partenaires laissées vides "
              "(secteurs partners import ...)", file=sys.stderr)
    elif (directory["source"] == DEMO_SOURCE).any():
        print("attention : l'annuaire contient des partenaires de DÉMONSTRATION (fictifs)", file=sys.stderr)
    try:  # errors propagate to app.cli.main: a French message and exit code 2
        batch = route_file(args.file, routing, progress=_progress)
    finally:
        print(file=sys.stderr)
    batch.write(args.out)
    if args.rejects is not None:
        from geo.safe_export import safe_frame

        write_bytes(args.rejects, safe_frame(batch.unplaced).to_csv(index=False).encode("utf-8-sig"))
    print(batch.report(examples=len(batch.unplaced)))
    print(f"orientations : {args.out} ({lines(len(batch.frame))})", file=sys.stderr)
    if args.rejects is not None:
        print(f"rejets : {args.rejects} ({lines(len(batch.unplaced))})", file=sys.stderr)
    return 0
