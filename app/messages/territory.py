"""French messages of the territory's build (``territory.*`` codes, ``secteurs territory build``)."""
from __future__ import annotations

MESSAGES: dict = {
    "territory.unknown_departements": "code(s) de département inconnu(s) : {codes} ; attendu des codes comme 01, "
                                      "2A ou 69",
}
