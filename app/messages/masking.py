"""French messages of the ARS masking and its release register (``masking.*`` codes)."""

MESSAGES: dict = {
    "masking.release_would_disclose": (
        "Publication refusée : aucun masquage ne protège tous les effectifs de 1 à 10 ({cells} cellule(s) "
        "concernée(s), par exemple {example}) compte tenu des {releases} publication(s) antérieure(s) faites "
        "à partir des mêmes effectifs. Publiez moins de tableaux, regroupez davantage, ou reprenez le "
        "rapport déjà publié."),
    "masking.no_convergence": (
        "Le masquage n'a pas abouti en {rounds} tours ({cells} cellule(s) encore identifiable(s)) ; "
        "rien n'a été publié."),
    "masking.unknown_release": "Publication n° {release} inconnue dans le registre des publications.",
}
