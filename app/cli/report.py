"""``secteurs report ars|fiche``: the ARS coverage report and the sector sheet."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli import CommandError, add_db_argument

ARS_DESCRIPTION = """\
Write the territorial coverage report for the ARS into DIR:
  ars_couverture.pdf   maps, tables by department and sector, white zones, method notes, sources, date
  ars_couverture.xlsx  one sheet per table, and a read-me sheet (method, sources)
  ars_couverture_<table>.csv  the same tables (';'-separated, decimal comma, UTF-8 with BOM)

Patient counts from 1 to 10 are shown as "< 11", and other counts are hidden as "s" (secondary
suppression, chosen by an optimiser) so that no masked count can be recovered from totals or
differences; communes are published in classes (0 à 10, 11 à 20...). The masking is audited before
anything is written, jointly with every earlier report made from the same counts (kept in the release
register of --db); each report is entered in that register. Partners come from the directory of --db (a directory that never
had a partner gets the FICTITIOUS demo one, as in the app).
"""

FICHE_DESCRIPTION = """\
Write the sheet of one sector for a social worker: its map, its communes with population and
patients, the partners in and around it with their contacts, the CPTS and HAD covering it, the
neighbouring sectors and their referents, the hub's contact ($SECTEURS_HUB_CONTACT).
The sheet is internal to the team: patient counts (--patients) are shown as they are.
"""


def register(subparsers) -> None:
    report = subparsers.add_parser("report", help="the ARS coverage report and the sector sheet (PDF, CSV, XLSX)")
    commands = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)

    ars = commands.add_parser("ars", help="coverage report for the ARS (PDF, CSV, XLSX), patient counts masked",
                              description=ARS_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    ars.add_argument("--plan", type=Path, required=True, help="plan file code_insee,sector")
    ars.add_argument("--patients", type=Path, required=True, help="counts file code_insee,patients")
    ars.add_argument("--out", type=Path, required=True, help="folder to write the files into (created)")
    ars.add_argument("--max-km", action="append", default=[], metavar="TYPE=KM",
                     help="white zone distance for a partner type (default PSY=30 and ERC=60; repeat the option)")
    add_db_argument(ars)
    ars.set_defaults(handler=_ars)

    fiche = commands.add_parser("fiche", help="one sector's sheet (PDF; --html for a print-friendly page)",
                                description=FICHE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    fiche.add_argument("--plan", type=Path, required=True, help="plan file code_insee,sector[,referent][,groupe]")
    fiche.add_argument("--sector", required=True, help="the sector's name as in the plan")
    fiche.add_argument("--out", type=Path, required=True, help="PDF file to write")
    fiche.add_argument("--html", type=Path, help="also write the sheet as a print-friendly HTML page")
    fiche.add_argument("--patients", type=Path, help="counts file code_insee,patients (patients per commune)")
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
            raise CommandError(f"--max-km: expected TYPE=KM such as PSY=30, got {text!r}") from None
        if not type_.strip() or out[type_.strip().upper()] <= 0:
            raise CommandError(f"--max-km: expected TYPE=KM with a positive distance, got {text!r}")
    return out


def _read_plan(path: Path):
    from services.routing import read_plan_people
    from geo.sectors.problem import SectorError

    if not path.exists():
        raise CommandError(f"{path}: no such file")
    try:
        return read_plan_people(path)
    except SectorError as exc:
        raise CommandError(str(exc)) from None


def _directory(db):
    from geo.database import connect
    import partners

    conn = connect(db)
    partners.ensure_demo_directory(conn)
    return conn


def _ars(args) -> int:
    from geo.patients import read_counts
    from services.reports import build_ars_report, compute_coverage, partner_inputs
    from services.reports.ars import fictitious_file, sources_lines
    from geo.territory import load_units

    max_km = _max_km(args.max_km)
    plan = _read_plan(args.plan)
    if not args.patients.exists():
        raise CommandError(f"{args.patients}: no such file")
    counts = read_counts(args.patients)
    conn = _directory(args.db)
    partner_frame, zones, demo_partners = partner_inputs(conn)
    demo_patients = fictitious_file(args.patients)
    if demo_partners:
        print("warning: the partner directory holds FICTITIOUS demo partners; the report says so", file=sys.stderr)
    if demo_patients:
        print("warning: the patient counts are FICTITIOUS demo data; the report says so", file=sys.stderr)
    from services.coverage.releases import counts_fingerprint, earlier_releases

    earlier = earlier_releases(conn, counts_fingerprint(counts))
    coverage = compute_coverage(load_units(), partner_frame, zones, counts, plan, max_km=max_km, earlier=earlier)
    report = build_ars_report(coverage, demo=demo_partners or demo_patients, plan_label=args.plan.name,
                              sources=sources_lines(patients=args.patients.name, demo_patients=demo_patients,
                                                    partners=partner_frame, demo_partners=demo_partners,
                                                    plan=args.plan.name))
    for path in report.write(args.out, conn=conn):
        print(path)
    cells = report.cell_counts()
    print(f"cells: {cells['published']} published, {cells['masked']} masked (< 11), {cells['suppressed']} "
          f"suppressed (s), {cells['classes']} communes in classes; audited with {len(earlier)} earlier "
          "release(s) of the same counts", file=sys.stderr)
    return 0


def _fiche(args) -> int:
    from geo.patients import read_counts
    from services.reports.fiche import build_sheet

    plan = _read_plan(args.plan)
    counts = None
    if args.patients is not None:
        if not args.patients.exists():
            raise CommandError(f"{args.patients}: no such file")
        counts = read_counts(args.patients)
    sectors = sorted(plan["sector"].unique())
    if args.sector not in sectors:
        raise CommandError(f"--sector: {args.sector!r} is not a sector of {args.plan.name}; sectors are "
                           f"{', '.join(sectors[:20])}{' ...' if len(sectors) > 20 else ''}")
    conn = _directory(args.db)
    from services.reports.ars import fictitious_file

    sheet = build_sheet(conn, plan, args.sector, patients=counts, plan_label=args.plan.name,
                        demo_patients=counts is not None and fictitious_file(args.patients))
    if sheet.demo:
        print("warning: FICTITIOUS demo partners or patients; the sheet says so", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(sheet.pdf_bytes())
    print(args.out)
    if args.html is not None:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(sheet.html(), encoding="utf-8")
        print(args.html)
    return 0
