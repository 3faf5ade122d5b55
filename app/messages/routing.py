"""French messages of referral routing (``routing.*`` codes, :mod:`services.routing`)."""

MESSAGES: dict = {
    "routing.not_in_plan": "commune absente du plan de secteurs",
    "routing.ambiguous_sectors": lambda p: (f"les {p.get('count', '')} communes possibles sont dans des secteurs "
                                            "différents : choisissez la commune"),
    "routing.same_sector": lambda p: f"toutes les communes possibles sont dans le secteur {p.get('sector', '')}",
}
