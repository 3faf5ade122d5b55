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
Écrit dans le dossier --out le rapport de couverture territoriale pour l'ARS :
  ars_couverture.pdf   cartes, tableaux par département et secteur, zones blanches, méthode, sources, date
  ars_couverture.xlsx  une feuille par tableau, et une feuille « lisez-moi » (méthode, sources)
  ars_couverture_<tableau>.csv  les mêmes tableaux (séparateur ';', virgule décimale, UTF-8 avec BOM)

Les effectifs de 1 à 10 patients sont affichés « < 11 », et d'autres sont cachés « s » (secret
secondaire, choisi par un optimiseur) pour qu'aucun effectif masqué ne se retrouve par les totaux ou
les différences ; les communes sont publiées par classes (0 à 10, 11 à 20...). Le masquage est
vérifié avant toute écriture, avec tous les rapports déjà faits sur les mêmes effectifs (gardés au
registre des publications de --db) ; chaque rapport est inscrit à ce registre. Les partenaires
viennent de l'annuaire de --db (un annuaire qui n'a jamais eu de partenaire reçoit celui de
DÉMONSTRATION, fictif, comme dans l'application). Sans --plan ni --patients, la version courante du
plan et les effectifs de l'espace de travail de --db sont utilisés.
"""

FICHE_DESCRIPTION = """\
Écrit la fiche d'un secteur pour une assistante sociale : sa carte, ses communes avec population et
patients, les partenaires dedans et autour avec leurs coordonnées, les CPTS et HAD qui le couvrent,
les secteurs voisins et leurs référentes, le contact du pôle ($SECTEURS_HUB_CONTACT).
La fiche est interne à l'équipe : les effectifs de patients y sont tels quels. Sans --plan ni
--patients, la version courante du plan (avec les groupes de son équipe) et les effectifs de
l'espace de travail de --db sont utilisés. --network-only ne garde, parmi les psychologues, que les
membres du réseau de psycho-oncologie ; --label LABEL garde les partenaires qui portent cette
étiquette (tous types ; répétable) ; la fiche dit quel filtre a été utilisé.
"""


def register(subparsers) -> None:
    report = subparsers.add_parser("report", help="le rapport de couverture pour l'ARS et la fiche secteur (PDF, CSV, XLSX)")
    commands = report.add_subparsers(dest="report_command", metavar="RAPPORT", required=True)

    ars = commands.add_parser("ars", help="rapport de couverture pour l'ARS (PDF, CSV, XLSX), effectifs de patients masqués",
                              description=ARS_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    ars.add_argument("--plan", type=Path, help="fichier plan code_insee,sector (par défaut : la version courante de l'espace de travail)")
    ars.add_argument("--patients", type=Path,
                     help="fichier d'effectifs code_insee,patients (par défaut : ceux de l'espace de travail)")
    ars.add_argument("--out", type=Path, required=True, help="dossier où écrire les fichiers (créé)")
    ars.add_argument("--max-km", action="append", default=[], metavar="TYPE=KM",
                     help="distance de zone blanche pour un type de partenaire (par défaut PSY=30 et ERC=60 ; répéter l'option)")
    add_db_argument(ars)
    ars.set_defaults(handler=_ars)

    fiche = commands.add_parser("fiche", help="la fiche d'un secteur (PDF ; --html pour une page à imprimer)",
                                description=FICHE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    fiche.add_argument("--plan", type=Path, help="fichier plan code_insee,sector[,referent][,groupe] "
                                                 "(par défaut : la version courante de l'espace de travail)")
    fiche.add_argument("--workers", type=Path, help="workers.csv donnant le groupe de chaque référente")
    fiche.add_argument("--sector", required=True, help="le nom du secteur, comme dans le plan")
    fiche.add_argument("--out", type=Path, required=True, help="fichier PDF à écrire")
    fiche.add_argument("--html", type=Path, help="écrire aussi la fiche en page HTML à imprimer")
    fiche.add_argument("--patients", type=Path, help="fichier d'effectifs code_insee,patients (patients par commune ; "
                                                     "par défaut : ceux de l'espace de travail, s'il y en a)")
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
