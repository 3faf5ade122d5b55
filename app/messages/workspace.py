"""French messages of the workspace and of plan files (``workspace.*``, ``plans.*`` codes)."""


def _file(params: dict) -> str:
    return f"{params['file']} : " if params.get("file") else ""


def _list(values) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, (list, tuple, set)) else str(values)


MESSAGES: dict = {
    # plan files and saved versions
    "plans.empty_file": "{file} : fichier vide (un plan a besoin des colonnes code INSEE et secteur)",
    "plans.unreadable": "{file} : fichier illisible comme plan (CSV, XLSX, GeoPackage ou GeoJSON attendu) — {reason}",
    "plans.missing_columns": lambda p: (f"{_file(p)}un plan a besoin des colonnes « code INSEE » et « secteur » ; "
                                        f"il manque : {_list(p['missing'])} (colonnes trouvées : "
                                        f"{_list(p.get('found', [])) or 'aucune'})"),
    "plans.unit_in_two_sectors": lambda p: (f"{_file(p)}{p['count']} commune(s) ont deux secteurs dans le plan : "
                                            f"{_list(p['codes'])}"),
    "plans.bad_patients": lambda p: (f"{_file(p)}nombre de patients qui n'est pas un entier positif pour : "
                                     f"{_list(p['codes'])}"),
    "plans.unknown_form": "plan de secteurs de forme inattendue ({form}) : un tableau code INSEE, secteur est attendu",
    "plans.bad_fte": "{file} : ETP invalide (au plus {limit}) pour : {workers}",
    "plans.no_workers": "{file} : aucune assistante sociale dans le fichier (colonnes nom, ETP, groupe, base)",
    "plans.no_name": "donnez un nom à la version du plan",
    "plans.no_such_version": lambda p: (f"aucune version {p['version']} du plan « {p['name']} » ; versions "
                                        f"enregistrées : {_list(p['versions'])}"),
    "plans.no_such_plan": "aucun plan enregistré sous le nom « {name} »",
    "plans.unknown_sector": lambda p: (f"« {p['sector']} » n'est pas un secteur du plan ; secteurs : "
                                       f"{_list(p['sectors'])}"),
    # the workspace
    "workspace.no_plan": ("aucun plan de secteurs dans l'espace de travail : enregistrez une version sur la page "
                          "Secteurs (ou « secteurs plan save »), ou donnez --plan"),
    "workspace.no_counts": ("aucun comptage de patients dans l'espace de travail : importez l'export de l'hôpital "
                            "(page Secteurs ou « secteurs patients import FICHIER --db ... »), ou donnez --patients"),
    "workspace.no_team": ("aucune équipe dans l'espace de travail : « secteurs team set workers.csv » "
                          "ou le tableau Équipe de la page Secteurs"),
    "workspace.nothing_placed": ("{file} : aucune ligne n'a pu être placée dans une commune du territoire ; "
                                 "comptages de l'espace de travail inchangés"),
    "workspace.bad_counts": lambda p: (f"comptages invalides : {p['reason']}"),
}
