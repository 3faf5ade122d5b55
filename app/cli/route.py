"""``secteurs route FILE --plan plan.csv --out routed.csv``: route a list of referrals."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli import add_db_argument, lines
from app.cli._filters import add_partner_filter_arguments, partner_filter_of

DESCRIPTION = """\
Oriente chaque ligne d'une liste de demandes (CSV ou XLSX, lue comme `secteurs patients import` lit
les exports de l'hôpital : tout encodage et séparateur, en-têtes français comme Code INSEE, CP, Ville)
vers son unité, son secteur, l'assistante sociale référente et son groupe, avec le partenaire le plus
proche de chaque type.

Le fichier écrit garde les colonnes du fichier telles quelles et ajoute :
  statut, code_insee, sector, referent, groupe, cpts, cpts_km, had, had_km, erc, erc_km, psy,
  psy_km, dac, dac_km, ssiad, ssiad_km, ccas, ccas_km, candidats, remarque
(une colonne de partenaire donne le nom du plus proche, sa colonne _km la distance à vol d'oiseau ;
pour les CPTS et HAD, un partenaire dont la zone couvre la commune passe en premier).

Les lieux sont lus par le même résolveur que la page Orientation (code postal, code INSEE, nom avec
ou sans accents, St/Ste, « Lyon 8e », ancienne commune, orthographe proche) : `statut` vaut
trouvée, corrigée (orthographe proche ou nom court), ambiguë ou introuvable. Un lieu ambigu (code
postal commun à plusieurs communes, nombre à 5 chiffres qui est le code INSEE d'une commune et le
code postal d'autres, Lyon sans arrondissement...) n'est jamais orienté vers une commune devinée :
`candidats` liste les communes possibles, et la ligne reçoit un secteur seulement si toutes sont
dans le même secteur. Les lignes non orientées gardent leurs colonnes, ont les colonnes ajoutées
vides et leur motif dans `remarque` ; elles sont aussi listées sur la sortie standard et, avec
--rejects, écrites avec leur numéro de ligne et leur motif seulement. Rien n'est enregistré.

Quels partenaires : tous ceux de l'annuaire par défaut. --network-only ne garde, pour les colonnes
des psychologues (psy, psy_km), que les membres du réseau de psycho-oncologie (étiquette « réseau
psycho-oncologie », posée par `secteurs partners network LISTE.csv`) ; --label LABEL ne garde,
pour chaque type, que les partenaires qui portent cette étiquette (répétable : toutes sont exigées).
Le filtre utilisé est rappelé avec le rapport.

Sans --plan, la version courante du plan de l'espace de travail de --db est utilisée, avec l'équipe
enregistrée avec elle (groupes).

Qui tient un secteur : la référente est le nom du secteur (les plans proposés à partir d'une liste
d'assistantes sociales nomment les secteurs d'après elles) sauf si plan.csv a une colonne
`referent` ; le groupe vient d'une colonne `groupe` de plan.csv, sinon de --workers (un workers.csv
dont le `name`/`nom` correspond à la référente ou au secteur, et son `group`/`groupe`) ou de
l'équipe de la version enregistrée, sinon il reste vide.
"""


def register(subparsers) -> None:
    route = subparsers.add_parser("route", help="orienter une liste de demandes vers les secteurs, référentes et partenaires",
                                  description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    route.add_argument("file", type=Path, help="la liste (CSV ou XLSX) avec une colonne de lieu")
    route.add_argument("--plan", type=Path,
                       help="fichier plan code_insee,sector[,referent][,groupe] (CSV, XLSX, GeoPackage, GeoJSON) ; "
                            "par défaut : la version courante du plan de l'espace de travail")
    route.add_argument("--out", type=Path, required=True,
                       help="fichier orienté à écrire (.xlsx pour un classeur, sinon CSV avec le séparateur du fichier lu)")
    route.add_argument("--workers", type=Path, help="workers.csv donnant le groupe de chaque référente (name/nom, groupe)")
    route.add_argument("--rejects", type=Path,
                       help="écrire aussi les lignes non placées (numéro de ligne et motif seulement)")
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
