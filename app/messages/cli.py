"""French messages of command-line options (``cli.*`` codes, :mod:`app.cli`)."""
from __future__ import annotations

MESSAGES: dict = {
    "cli.bad_sectors": "--sectors {value} : il faut au moins 1 secteur",
    "cli.bad_lonlat": "--lonlat « {value} » : attendu LON,LAT, par exemple 4.85,45.75",
    "cli.bad_max_km": "--max-km « {value} » : attendu TYPE=KM avec une distance positive, par exemple PSY=30",
    # partner history actions, as ``secteurs partners undo/redo`` name them
    "cli.history_action.create": "création",
    "cli.history_action.update": "modification",
    "cli.history_action.delete": "suppression",
    "cli.history_action.undo": "annulation",
    "cli.purge_needs_yes": lambda p: (f"{p['count']} partenaires de DÉMONSTRATION (fictifs) seraient supprimés"
                                      + (" (l'annuaire serait alors vide)" if p.get("empty_after") else "")
                                      + " : ajouter --yes pour confirmer"),
}
