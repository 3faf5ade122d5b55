"""French messages of the sector engine (``sectors.*`` codes)."""
from __future__ import annotations


def _join(value) -> str:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _candidates(params: dict) -> str:
    found = params.get("candidates") or []
    if found:
        return " Communes possibles : " + _join(found) + "."
    return ""


def _number(value) -> str:
    """A number in French: decimal comma, no trailing zeros."""
    text = f"{float(value):.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def _percent(value, signed: bool = False) -> str:
    text = f"{100 * float(value):{'+' if signed else ''}.1f}".replace(".", ",")
    return (text[:-2] if text.endswith(",0") else text) + "\u202f%"


def _where(params: dict) -> str:
    """« ligne 3 (Claire) : » when the error comes from a row of the team table."""
    if "row" in params:
        return f"ligne {params['row']} ({params.get('worker', '')}) : "
    return ""


def _base_unknown(p: dict) -> str:
    text = f"{_where(p)}commune de base « {p['given']} » introuvable dans le territoire."
    if not p.get("candidates"):
        text += (" Écrivez le nom exact de la commune ou son code INSEE ; pour Lyon, un arrondissement "
                 "(ex. « Lyon 3e » ou 69383).")
    return text + _candidates(p)


def _base_ambiguous(p: dict) -> str:
    return (f"{_where(p)}la commune de base « {p['given']} » désigne plusieurs communes ; précisez le code INSEE "
            f"ou le département entre parenthèses (ex. « {p['given']} (69) »).{_candidates(p)}")


_CAUSES = {
    "locks": ("les communes verrouillées à ce secteur imposent cette charge",
              "déverrouillez une partie de ces communes ou élargissez la tolérance"),
    "base": ("sa commune de base ({base}) fixe le centre du secteur et ses voisins ne laissent pas assez de "
             "patients à portée",
             "choisissez « Dans le secteur » pour les communes de base (option --base-mode inside, centre "
             "libre), une autre commune de base, "
             "ou une tolérance plus large"),
    "base_inside": ("sa commune de base ({base}) doit rester dans son secteur et ses voisins ne laissent pas "
                    "assez de patients à portée",
                    "choisissez une autre commune de base, laissez-la vide, ou élargissez la tolérance"),
    "groups": ("le découpage en groupes contraint ce secteur",
               "vérifiez que les ETP des groupes correspondent à leurs territoires, ou élargissez la tolérance"),
    "heavy_units": ("des communes trop lourdes (beaucoup de patients) empêchent un réglage plus fin",
                    "élargissez la tolérance ou changez le nombre de secteurs"),
}


def _unbalanced(p: dict) -> str:
    key = p.get("cause")
    if key == "base" and p.get("base_mode") == "inside":
        key = "base_inside"
    cause, fix = _CAUSES.get(key, _CAUSES["heavy_units"])
    return (f"aucun découpage contigu ne tient la tolérance de ± {_percent(p['tolerance'])} pour {p['worker']} : "
            f"charge {_number(p['load'])} pour une cible de {_number(p['target'])} "
            f"({_percent(p['deviation'], signed=True)}). Cause : "
            f"{cause.format(**p)}. Pour le rendre possible : {fix}.")


MESSAGES: dict = {
    # the request
    "sectors.no_sector": "au moins 1 secteur est nécessaire (demandé : {asked})",
    "sectors.bad_tolerance": "la tolérance doit être comprise entre 0 et 1 (reçu : {tolerance})",
    "sectors.too_few_units_with_patients": ("{asked} secteurs demandés, mais seulement {units} communes ont des "
                                            "patients"),
    "sectors.too_many_sectors": "{asked} secteurs demandés pour seulement {units} communes",
    "sectors.zero_workload": "charge nulle : aucune des {units} communes ne compte de patient",
    "sectors.unit_too_heavy": lambda p: (
        f"la commune {p['unit']} pèse à elle seule {_number(p['load'])}, plus que le maximum d'un secteur "
        f"({_number(p['maximum'])} : cible {_number(p['target'])} +{_percent(p['tolerance'])}) ; demandez moins "
        "de secteurs ou une tolérance plus large"),
    "sectors.bad_base_mode": "mode de base inconnu « {given} » (modes : {modes})",
    # codes and counts
    "sectors.unknown_units": "{count} code(s) ne sont pas des communes du territoire : {codes}",
    "sectors.unknown_count_codes": "{count} code(s) du fichier de patients ne sont pas des communes du territoire : "
                                   "{codes}",
    "sectors.counts_lyon": ("le fichier de patients compte {patients} patient(s) sur 69123 (Lyon) : Lyon est "
                            "découpée "
                            "en 9 arrondissements (69381 à 69389) ; donnez les effectifs par arrondissement "
                            "(l'import des exports hospitaliers le fait d'après le code postal)"),
    # the team table
    "sectors.team_empty": "l'équipe doit compter au moins une personne",
    "sectors.team_file_empty": "{file} : aucune ligne d'équipe",
    "sectors.team_duplicate_names": "chaque assistante sociale doit avoir un nom différent ; en double : {names}",
    "sectors.team_bad_fte": "chaque ETP doit être supérieur à 0 ; reçu : {values}",
    "sectors.team_fte_not_number": "ligne {row} ({worker}) : l'ETP « {value} » n'est pas un nombre (ex. 0,8)",
    "sectors.team_missing_name": "ligne(s) {rows} : chaque ligne de l'équipe a besoin d'un nom",
    "sectors.team_no_name_column": ("le tableau de l'équipe a besoin d'une colonne « nom » ; colonnes lues : "
                                    "{columns}"),
    "sectors.team_partial_groups": "soit chaque personne a un groupe, soit aucune ; sans groupe : {workers}",
    "sectors.base_unknown": _base_unknown,
    "sectors.base_ambiguous": _base_ambiguous,
    "sectors.base_lyon_site": ("{worker} : commune de base « {given} » comprise comme Lyon 8e ({unit}), "
                               "l'arrondissement du centre ; écrivez un arrondissement (ex. « Lyon 3e ») "
                               "pour en choisir un autre"),
    "sectors.base_shared": ("{workers} ont la même commune de base ({unit}) : une commune n'appartient qu'à un "
                            "secteur ; donnez à chacune une commune différente (pour Lyon, un arrondissement) "
                            "ou laissez la base de l'une vide"),
    "sectors.base_locked_elsewhere": ("la commune {unit} est la base de {worker} mais elle est verrouillée au "
                                      "secteur {sector} ; retirez ce verrou ou changez la base"),
    # locks
    "sectors.lock_unknown_sector": "la commune {unit} est verrouillée au secteur {sector}, qui n'existe pas "
                                   "(secteurs : {sectors})",
    "sectors.locks_overload": lambda p: (
        f"verrous incompatibles avec l'équilibre : les communes verrouillées au secteur {p['worker']} pèsent "
        f"{_number(p['load'])}, plus que son maximum {_number(p['maximum'])} (cible {_number(p['target'])} "
        f"+{_percent(p['tolerance'])}) ; déverrouillez-en une partie"),
    "sectors.locks_not_joinable": ("les communes verrouillées au secteur {worker} ne peuvent pas former un seul "
                                   "morceau sans traverser des communes verrouillées à d'autres secteurs ; "
                                   "retirez les verrous isolés"),
    "sectors.empty_sector_locked": "le secteur {worker} est vide et toutes les communes autour sont verrouillées",
    # results
    "sectors.unbalanced": _unbalanced,
    "sectors.no_contiguous_plan": ("impossible de rendre chaque secteur d'un seul tenant ({workers}) avec ces "
                                   "verrous et ces bases ; retirez des verrous ou changez de commune de base"),
    "sectors.group_not_contiguous": ("les secteurs du groupe {groups} ne forment pas un seul bloc avec ces bases : "
                                     "rapprochez les communes de base de ce groupe ou vérifiez les groupes"),
    "sectors.bound_needs_bases": "la borne de distance aux bases demande une base par secteur ({missing} sans base)",
    "sectors.no_balanced_assignment": "aucune répartition équilibrée des {units} communes ayant des patients en "
                                      "{sectors} secteurs",
    # plans
    "sectors.unknown_sector": "secteur inconnu « {sector} » ; secteurs : {sectors}",
    "sectors.plan_duplicate_units": "{count} commune(s) en double dans le plan : {codes}",
    "sectors.plan_missing_units": "{count} commune(s) sans secteur dans le plan : {codes}",
    "sectors.plan_sectors_not_in_team": "les secteurs {sectors} du plan ne sont pas dans l'équipe ({team})",
}
