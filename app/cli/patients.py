"""``secteurs patients import|check|show``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from app.cli import lines

BY_CHOICES = ("annee", "service")


def register(subparsers) -> None:
    patients = subparsers.add_parser("patients", help="importer un export de l'hôpital, vérifier un fichier d'effectifs")
    actions = patients.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = actions.add_parser(
        "import", help="compter les patients par unité depuis un export de l'hôpital (CSV ou XLSX)",
        description="Place chaque ligne d'un export de l'hôpital dans une unité de secteur et enregistre les "
                    "effectifs dans l'espace de travail de l'équipe (--db ; chaque page et commande les utilise "
                    "ensuite), et/ou les écrit dans un fichier (--out). Sans --out, les effectifs vont dans "
                    "l'espace de travail. Seules les colonnes de lieu, de service et d'année sont lues ; les "
                    "colonnes identifiantes sont ignorées, et l'espace de travail ne garde que les effectifs par "
                    "unité, avec le nom du fichier, la date d'import et les années couvertes.")
    imp.add_argument("file", type=Path, help="l'export (CSV en UTF-8/Windows-1252, séparé par ; , ou tabulation ; ou XLSX)")
    imp.add_argument("--out", type=Path, help="fichier d'effectifs à écrire (code_insee,patients)")
    imp.add_argument("--db", help="enregistrer les effectifs dans l'espace de travail de cette base (par défaut sans --out : "
                                  "$SECTEURS_DB, sinon le dossier de données de l'utilisateur)")
    imp.add_argument("--rejects", type=Path, default=None,
                     help="lignes non placées (numéro de ligne et motif seulement) ; "
                          "par défaut : <out>_rejets.csv s'il y en a")
    imp.add_argument("--ambiguous", type=Path, default=None,
                     help="écrire aussi les lignes ambiguës (ligne, unité retenue, candidates)")
    imp.add_argument("--by", action="append", choices=BY_CHOICES, default=[],
                     help="répartir aussi les effectifs par année et/ou service (répétable)")
    imp.add_argument("--json", action="store_true", help="afficher le résumé en JSON au lieu du rapport")
    imp.set_defaults(handler=_import)

    check = actions.add_parser("check", help="vérifier un fichier d'effectifs et afficher ses totaux")
    check.add_argument("file", type=Path)
    check.set_defaults(handler=_check)

    show = actions.add_parser("show", help="les effectifs actuels de l'espace de travail : fichier, date, période, totaux (JSON)")
    show.add_argument("--db", help="fichier de base SQLite (par défaut : $SECTEURS_DB, sinon le dossier de données de l'utilisateur)")
    show.set_defaults(handler=_show)


def _progress(rows: int) -> None:
    print(f"\r{rows:>9,} lignes traitées".replace(",", " "), end="", file=sys.stderr, flush=True)


def _import(args) -> int:
    from geo.patients import import_patients, write_counts
    from geo.reading import write_bytes

    try:  # errors propagate to app.cli.main: a French message and exit code 2
        result = import_patients(args.file, progress=_progress)
    finally:
        print(file=sys.stderr)
    counts = result.counts_by(args.by)
    if args.out is not None:
        write_counts(counts, args.out, comments=[f"Import de {args.file.name} : {result.summary['placed']} "
                                                 f"patients placés, {result.summary['rejected']} rejetés"])
    stored = None
    if args.db is not None or args.out is None:
        from app.cli._inputs import database
        from services import workspace

        stored = workspace.store_import(database(args), result, args.file.name,
                                        demo=workspace.says_fictitious(_head(args.file)))
    rejects = args.rejects
    if rejects is None and len(result.rejects) and args.out is not None:
        rejects = args.out.with_name(f"{args.out.stem}_rejets.csv")
    elif rejects is None and len(result.rejects):
        print(f"{len(result.rejects)} ligne(s) non placée(s) : --rejects FICHIER pour les lister", file=sys.stderr)
    from geo.safe_export import safe_frame

    if rejects is not None:
        write_bytes(rejects, safe_frame(result.rejects).to_csv(index=False).encode("utf-8-sig"))
    if args.ambiguous is not None:
        write_bytes(args.ambiguous, safe_frame(result.ambiguous).to_csv(index=False).encode("utf-8-sig"))

    if args.json:
        print(json.dumps(result.summary, indent=2, ensure_ascii=False))
    else:
        print(result.report())
    if args.out is not None:
        print(f"effectifs : {args.out} ({lines(len(counts))})", file=sys.stderr)
    if stored is not None:
        print(f"espace de travail : {stored.label}", file=sys.stderr)
    if rejects is not None:
        print(f"rejets : {rejects} ({lines(len(result.rejects))})", file=sys.stderr)
    return 0


def _head(path, size: int = 4096) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _check(args) -> int:
    from geo.lookup import gazetteer
    from geo.patients import read_counts

    counts = read_counts(args.file)
    g = gazetteer()
    per_dept = counts.assign(dep=[g.unit(c)["departement"] for c in counts["code_insee"]])
    print(json.dumps({
        "file": str(args.file), "units": int(len(counts)), "patients": int(counts["patients"].sum()),
        "by_departement": {k: int(v) for k, v in per_dept.groupby("dep")["patients"].sum().items()},
    }, indent=2, ensure_ascii=False))
    return 0


def _show(args) -> int:
    import dataclasses

    from app.cli._inputs import database
    from services import workspace

    conn = database(args)
    info = workspace.counts_info(conn)
    if info is None:
        workspace.require_counts(conn)
    print(json.dumps({**dataclasses.asdict(info), "label": info.label}, indent=2, ensure_ascii=False))
    return 0
