"""French messages of the place resolver (``places.*`` codes, :mod:`geo.resolver`).

The same code is the reason of a whole answer (the one-line "pourquoi" of the
desk, with the answer's parameters) and of each candidate (with the
candidate's parameters), so entries that serve both are functions that use the
parameters they get.
"""
from __future__ import annotations


def _number(p: dict, prefix: str = " ") -> str:
    return f"{prefix}{p['number']}" if p.get("number") else ""


def _count(p: dict, one: str, many: str) -> str:
    n = p.get("count")
    return many.format(n=n) if n else one


MESSAGES: dict = {
    # statuses (the list's "statut" column)
    "places.status.found": "trouvée",
    "places.status.corrected": "corrigée",
    "places.status.ambiguous": "ambiguë",
    "places.status.not_found": "introuvable",
    # found or corrected: why this commune
    "places.insee_code": lambda p: f"code INSEE{_number(p)}",
    "places.former_commune": lambda p: ("ancienne commune (déléguée ou associée)"
                                        + (f", code INSEE {p['number']}" if p.get("number") else "")
                                        + ", rattachée à cette commune aujourd'hui"),
    "places.postal_code": lambda p: f"code postal{_number(p)}",
    "places.name": "nom de la commune",
    "places.lyon_arrondissement": "arrondissement de Lyon",
    "places.code_and_name": lambda p: f"code{_number(p)} et nom de la commune",
    "places.code_and_close_name": lambda p: f"code{_number(p)} et nom proche de {p.get('name', 'la commune')}",
    "places.close_spelling": lambda p: (
        f"orthographe proche ({p['distance']} lettre(s) d'écart)" if "distance" in p
        else f"orthographe corrigée : {p.get('name', '')}, aucune autre commune n'a un nom aussi proche"),
    "places.short_name": lambda p: (
        (f"nom abrégé « {p.get('typed', '')} » : {p['name']}, "
         + ("seule commune dont le nom commence ainsi" if not p.get("others")
            else f"de loin la plus peuplée des {p['others'] + 1} communes dont le nom commence ainsi"))
        if "name" in p else f"nom commençant par « {p.get('typed', '')} »"),
    "places.name_in_department": lambda p: (f"nom porté par plusieurs communes, une seule dans le département "
                                            f"{p.get('department', '')}"),
    # ambiguous: why several candidates
    "places.insee_or_postal": lambda p: (
        f"{p['number']} est à la fois le code INSEE "
        + ("d'une commune" if p.get("insee", 1) == 1 else f"de {p['insee']} communes")
        + " et le code postal "
        + ("d'une autre" if p.get("postal", 1) == 1 else f"de {p['postal']} autres")
        + " : choisissez"),
    "places.postal_code_shared": lambda p: f"code postal{_number(p)} partagé par {p.get('count', 'plusieurs')} communes",
    "places.lyon_without_arrondissement": "Lyon sans arrondissement : choisissez l'arrondissement",
    "places.name_shared": lambda p: _count(p, "nom porté par plusieurs communes", "nom porté par {n} communes"),
    "places.close_spellings": lambda p: _count(p, "plusieurs communes ont une orthographe proche",
                                               "{n} communes ont une orthographe proche : aucune n'est retenue seule"),
    "places.short_names": lambda p: f"{p.get('count', 'plusieurs')} communes commencent par « {p.get('typed', '')} »",
    "places.short_or_close": lambda p: (f"« {p.get('typed', '')} » peut être le début d'un nom ou une faute de "
                                        f"frappe ({p.get('count', 'plusieurs')} communes possibles)"),
    "places.code_name_disagree": lambda p: (f"le code {p.get('number', '')} et le nom « {p.get('name', '')} » "
                                            "ne désignent pas la même commune"),
    # not found: why
    "places.empty": "aucune localisation",
    "places.unknown_name": lambda p: f"commune introuvable : « {p.get('name', '')} »",
    "places.unknown_arrondissement": "Lyon n'a que 9 arrondissements (1er à 9e)",
    "places.outside_territory": lambda p: f"commune hors territoire (code {p.get('number', '')})",
    "places.malformed_code": lambda p: f"code mal formé ({p.get('number', '')})",
    "places.malformed_insee": lambda p: f"code INSEE mal formé ({p.get('number', '')})",
    "places.malformed_postal_code": lambda p: f"code postal mal formé ({p.get('number', '')})",
    "places.unknown_insee": lambda p: f"code INSEE inconnu ({p.get('number', '')})",
    "places.unknown_postal_code": lambda p: f"code postal inconnu ({p.get('number', '')})",
    "places.unknown_code": lambda p: f"{p.get('number', '')} n'est ni un code INSEE ni un code postal du territoire",
}


def status_label(status: str) -> str:
    """``"trouvée"``, ``"corrigée"``, ``"ambiguë"`` or ``"introuvable"``."""
    return MESSAGES[f"places.status.{status}"]


def _render(code: str, params: dict) -> str:
    entry = MESSAGES.get(code)
    if entry is None:
        return code
    return entry(params) if callable(entry) else entry.format(**params)


def why(resolution) -> str:
    """The one-line French "pourquoi" of a :class:`geo.resolver.Resolution`."""
    return _render(resolution.reason, resolution.params)


def candidate_reason(candidate) -> str:
    """Why one :class:`geo.resolver.Candidate` is proposed (French)."""
    return _render(candidate.reason, candidate.params)
