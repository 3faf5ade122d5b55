"""French messages of the coverage computations (``coverage.*`` codes: white zones, distances)."""
from __future__ import annotations

MESSAGES: dict = {
    "coverage.bad_max_km": "zone blanche {type} : distance « {km} » invalide, un nombre de km positif est attendu",
    "coverage.unknown_distance_type": "zone blanche : type de partenaire « {type} » sans distances calculées ; "
                                      "types possibles : {types}",
}
