"""``secteurs report ars|fiche``: the ARS coverage report and the sector sheet."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli import add_db_argument
from app.cli._filters import add_partner_filter_arguments, partner_filter_of
from geo.errors import SecteursError
from geo.reading import write_bytes, write_text

ARS_DESCRIPTION = """\
Write the territorial coverage report for the ARS into DIR:
  ars_couverture.pdf   maps, tables by department and sector, white zones, method notes, sources, date
  ars_couverture.xlsx  one sheet per table, and a read-me sheet (method, sources)
  ars_couverture_<table>.csv  the same tables (';'-separated, decimal comma, UTF-8 with BOM)

Patient counts from 1 to 10 are shown as "< 11", and other counts are hidden as "s" (secondary
suppression, chosen by an optimiser) so that no masked count can be recovered from totals or
differences; communes are published in classes (0 à 10, 11 à 20...). The masking is audited before
anything is written, jointly with every earlier report made from the same counts (kept in the release
register of --db); each report is entered in that register. Partners come from the directory of --db
(a directory that never had a partner gets the FICTITIOUS demo one, as in the app). Without --plan
and --patients, the workspace's current plan version and counts of --db are used.
"""

FICHE_DESCRIPTION = """\
Write the sheet of one sector for a social worker: its map, its communes with population and
patients, the partners in and around it with their contacts, the CPTS and HAD covering it, the
neighbouring sectors and their referents, the hub's contact ($SECTEURS_HUB_CONTACT).
The sheet is internal to the team: patient counts are shown as they are. Without --plan and
--patients, the workspace's current plan version (with its team's groups) and counts of --db are used.
--network-only keeps, among psychologists, the members of the psycho-oncology network only;
--label LABEL keeps the partners carrying that label (every type; repeat it); the sheet says
which filter was used.
"""


def register(subparsers) -> None:
    report = subparsers.add_parser("report", help="the ARS coverage report and the sector sheet (PDF, CSV, XLSX)")
    commands = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)

    ars = commands.add_parser("ars", help="coverage report for the ARS (PDF, CSV, XLSX), patient counts masked",
                              description=ARS_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    ars.add_argument("--plan", type=Path, help="plan file code_insee,sector (default: the workspace's current version)")
    ars.add_argument("--patients", type=Path,
                     help="counts file code_insee,patients (default: the workspace's counts)")
    ars.add_argument("--out", type=Path, required=True, help="folder to write the files into (created)")
    ars.add_argument("--max-km", action="append", default=[], metavar="TYPE=KM",
                     help="white zone distance for a partner type (default PSY=30 and ERC=60; repeat the option)")
    add_db_argument(ars)
    ars.set_defaults(handler=_ars)

    fiche = commands.add_parser("fiche", help="one sector's sheet (PDF; --html for a print-friendly page)",
                                description=FICHE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    fiche.add_argument("--plan", type=Path, help="plan file code_insee,sector[,referent][,groupe] "
                                                 "(default: the workspace's current version)")
    fiche.add_argument("--workers", type=Path, help="workers.csv giving each referent's group")
    fiche.add_argument("--sector", required=True, help="the sector's name as in the plan")
    fiche.add_argument("--out", type=Path, required=True, help="PDF file to write")
    fiche.add_argument("--html", type=Path, help="also write the sheet as a print-friendly HTML page")
    fiche.add_argument("--patients", type=Path, help="counts file code_insee,patients (patients per commune; "
                                                     "default: the workspace's counts, if any)")
    add_partner_filter_arguments(fiche)
    add_db_argument(fiche)
    fiche.set_defaults(handler=_fiche)


def _max_km(values: list[str]) -> dict[str, float] | None:
    if not values:
        return None
    out = {}
    for text in values:
        type_, _, km = text.partition("=")
        try:
            out[type_.strip().upper()] = float(km)
        except ValueError:
            raise SecteursError("cli.bad_max_km", value=text) from None
        if not type_.strip() or out[type_.strip().upper()] <= 0:
            raise SecteursError("cli.bad_max_km", value=text)
    return out


def _directory(args):
    from app.cli._inputs import database
    import partners

    conn = database(args)
    partners.ensure_demo_directory(conn)
    return conn


def _ars(args) -> int:
    from app.cli._inputs import counts as read_counts
    from app.cli._inputs import plan_record
    from services.reports import partner_inputs
    from geo.territory import territory
    from services.reports.run import ars_report_for

    max_km = _max_km(args.max_km)
    conn = _directory(args)
    record = plan_record(args, conn)
    counts, counts_label, demo_patients = read_counts(args, conn)
    _, _, demo_partners = partner_inputs(conn)
    print(f"plan : {record.label} ; patients : {counts_label}", file=sys.stderr)
    if demo_partners:
        print("attention : l'annuaire contient des partenaires de DÉMONSTRATION (fictifs) ; le rapport le signale",
              file=sys.stderr)
    if demo_patients:
        print("attention : les effectifs de patients sont des données de DÉMONSTRATION (fictives) ; "
              "le rapport le signale", file=sys.stderr)
    from services.coverage.releases import counts_fingerprint, earlier_releases

    earlier = earlier_releases(conn, counts_fingerprint(counts))
    report = ars_report_for(conn, record, counts, plan_label=record.label, counts_label=counts_label,
                            demo_patients=demo_patients, max_km=max_km, earlier=earlier, territory=territory())
    for path in report.write(args.out, conn=conn):
        print(path)
    cells = report.cell_counts()
    print(f"cellules : {cells['published']} publiées, {cells['masked']} masquées (< 11), {cells['suppressed']} "
          f"supprimées (s), {cells['classes']} communes en classes ; contrôlé avec {len(earlier)} diffusion(s) "
          "antérieure(s) des mêmes effectifs", file=sys.stderr)
    return 0


def _fiche(args) -> int:
    from app.cli._inputs import counts as read_counts
    from app.cli._inputs import plan_record
    from geo.territory import territory
    from services.reports.fiche import build_sheet

    conn = _directory(args)
    record = plan_record(args, conn)
    counts, counts_label, demo_patients = read_counts(args, conn, required=False)
    sectors = record.sectors
    if args.sector not in sectors:
        raise SecteursError("plans.unknown_sector", sector=args.sector, sectors=list(sectors[:20]))
    sheet = build_sheet(conn, record, args.sector, patients=counts, plan_label=record.label,
                        demo_patients=demo_patients, territory=territory(),
                        partner_filter=partner_filter_of(args))
    if sheet.demo:
        print("attention : partenaires ou patients de DÉMONSTRATION (fictifs) ; la fiche le signale",
              file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(args.out, sheet.pdf_bytes())
    print(args.out)
    if args.html is not None:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.html, sheet.html())
        print(args.html)
    return 0
