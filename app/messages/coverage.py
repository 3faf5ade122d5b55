"""French messages of the coverage computations (``coverage.*`` codes: white zones, distances)."""
from __future__ import annotations

MESSAGES: dict = {
    "coverage.bad_max_km": "zone blanche {type} : distance « {km} » invalide, un nombre de km positif est attendu",
    "coverage.unknown_distance_type": "zone blanche : type de partenaire « {type} » sans distances calculées ; "
                                      "types possibles : {types}",
    "coverage.plan_unknown_codes": lambda p: (
        f"le plan contient {p['count']} code(s) INSEE qui ne sont pas des communes du territoire : "
        + ", ".join(map(str, p["codes"])) + (" …" if p["count"] > len(p["codes"]) else "")
        + " ; corriger le fichier du plan (commune fusionnée, code mal saisi ou hors des 12 départements)"),
}
