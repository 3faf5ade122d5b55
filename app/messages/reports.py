"""French messages of the reports (``reports.*`` codes): the ARS report and the sector sheet."""

MESSAGES: dict = {
    "reports.table_too_wide": "tableau trop large pour la page ({columns} colonnes) : réduisez le nombre de colonnes",
    "reports.map_classes": "carte : {classes} classes demandées pour une palette de {colours} couleurs",
    "reports.unknown_sector": lambda p: (f"le secteur « {p['sector']} » n'est pas dans le plan ; secteurs : "
                                         + ", ".join(map(str, p["sectors"][:20]))
                                         + (" …" if len(p["sectors"]) > 20 else "")),
}
