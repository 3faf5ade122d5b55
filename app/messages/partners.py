"""French messages of the partner directory (``partners.*`` codes), and the French labels of the
import preview (actions, flags, reasons a row is left out)."""
from __future__ import annotations


def _fr_number(value) -> str:
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def _list(values, limit: int = 6) -> str:
    values = [str(v) for v in (values or [])]
    return ", ".join(values[:limit]) + ("…" if len(values) > limit else "")


def _stale_edit(p: dict) -> str:
    from partners.history import author_name, french_datetime

    when = french_datetime(p.get("at", ""))
    who = author_name(p.get("author"))
    return (f"La fiche n° {p.get('id')} « {p.get('name', '')} » a été modifiée par {who}"
            + (f" le {when}" if when else "") + " depuis que vous l'avez ouverte : votre modification n'a pas "
            "été enregistrée. La fiche affichée est maintenant à jour ; refaites la modification si elle est "
            "toujours utile.")


def _candidates(p: dict) -> str:
    from geo.lookup import gazetteer

    g = gazetteer()
    shown = [f"{g.unit(c)['nom']} ({c})" if c in g else str(c) for c in (p.get("candidates") or [])[:6]]
    more = len(p.get("candidates") or []) - len(shown)
    return ", ".join(shown) + (f" et {more} autre(s)" if more > 0 else "")


def _duplicate_row(p: dict) -> str:
    kind = p.get("kind", "")
    what = {"FINESS": f"même FINESS ({str(p.get('key', ''))[7:]})",
            "RPPS": "même praticien dans la même commune", "ADELI": "même praticien dans la même commune",
            }.get(kind, "même type, même commune et même nom")
    return f"doublon de la ligne {p.get('row')} ({what})"


def _far(p: dict) -> str:
    km = p.get("km")
    return (f"hors du territoire, à {_fr_number(round(float(km)))} km de sa limite (plus de "
            f"{_fr_number(p.get('limit', 60))} km) : non importé sauf si vous le cochez")


def _position_outside_france(p: dict) -> str:
    swapped = " (longitude et latitude semblent inversées)" if p.get("swapped") else ""
    return (f"position (lon {_fr_number(p.get('lon'))}, lat {_fr_number(p.get('lat'))}) hors de France{swapped} ; "
            "degrés WGS84 attendus, ex. lon 4,85, lat 45,75 pour Lyon")


MESSAGES: dict = {
    # store: versions, undo, duplicates
    "partners.stale_edit": _stale_edit,
    "partners.stale_deleted": "La fiche n° {id} « {name} » a été supprimée depuis que vous l'avez ouverte : "
                              "rien n'a été enregistré.",
    "partners.not_found": "le partenaire n° {id} n'existe pas (supprimé ?)",
    "partners.change_not_found": "la modification n° {change} n'existe pas",
    "partners.already_undone": "la modification n° {change} a déjà été annulée (par la modification n° {by})",
    "partners.undo_changed_since": "impossible d'annuler la modification n° {change} : le partenaire n° {id} a "
                                   "changé depuis ; annulez d'abord les modifications suivantes",
    "partners.undo_key_taken": "impossible de rétablir le partenaire n° {id} : son identifiant {key} est "
                               "maintenant celui du partenaire n° {other_id} « {other_name} »",
    "partners.nothing_to_undo": "Rien à annuler.",
    "partners.nothing_to_redo": "Rien à rétablir (aucune annulation récente, ou l'annuaire a changé depuis).",
    "partners.duplicate_finess": "doublon : le FINESS {finess} appartient déjà au partenaire n° {other_id} "
                                 "« {other_name} »",
    "partners.likely_duplicate": "doublon probable : même nom et même commune ({code}) que le partenaire "
                                 "n° {other_id} « {other_name} » ({other_type})",
    "partners.older_record": "« {name} » : la ligne datée du {date} est plus ancienne que la fiche enregistrée "
                             "({stored}) ; la fiche est gardée",
    # places
    "partners.code_several_units": lambda p: (f"le code INSEE {p.get('code')} couvre plusieurs communes "
                                              f"({_candidates(p)}) ; donnez le code postal ou la position"),
    "partners.unknown_code": "commune inconnue : le code INSEE {code} n'est pas une commune du département "
                             "{departement}",
    "partners.postal_several_units": lambda p: (f"le code postal {p.get('postal_code')} « {p.get('name', '')} » "
                                                f"correspond à plusieurs communes : {_candidates(p)} ; "
                                                "donnez le code INSEE"),
    "partners.unknown_postal_code": "commune inconnue : code postal {postal_code} « {name} »",
    "partners.name_several_units": lambda p: (f"plusieurs communes s'appellent « {p.get('name')} » : "
                                              f"{_candidates(p)} ; donnez le code postal ou le code INSEE"),
    "partners.unknown_name": "commune inconnue : « {name} » n'est pas une commune du territoire",
    "partners.no_commune": "aucune commune : donner le code INSEE, le code postal ou le nom de la commune",
    "partners.commune_from_position": "commune prise d'après la position ({code})",
    "partners.position_outside_commune_inside": "la position (lon {lon}, lat {lat}) est hors du territoire mais "
                                                "la commune {code} {name} est dedans ; vérifiez les coordonnées",
    "partners.position_other_commune": "la position tombe dans {under} {under_name}, pas dans {code} {name}",
    "partners.zone_unknown_communes": "zone : communes inconnues ignorées : {codes}",
    "partners.no_position": "pas de position : le partenaire n'apparaîtra pas dans les recherches par distance",
    # validation of fields
    "partners.finess_length": "FINESS « {value} » : 9 caractères attendus, {length} reçus",
    "partners.finess_chars": "FINESS « {value} » : 9 chiffres attendus (2A/2B permis pour la Corse)",
    "partners.finess_key": "FINESS « {value} » : clé de contrôle {digit} fausse (la clé de {stem} est {expected})",
    "partners.rpps_length": "RPPS « {value} » : 11 chiffres attendus",
    "partners.rpps_key": "RPPS « {value} » : clé de contrôle fausse",
    "partners.adeli": "ADELI « {value} » : 9 chiffres attendus",
    "partners.phone": "téléphone « {value} » : numéro français de 10 chiffres attendu "
                      "(ex. 04 72 11 22 33, ou +33 suivi de 9 chiffres)",
    "partners.email": "e-mail « {value} » : adresse attendue du type nom@domaine.fr",
    "partners.website": "site « {value} » : adresse attendue du type https://www.exemple.fr",
    "partners.insee_shape": "code INSEE « {value} » : 5 caractères attendus (ex. 69383, 2A004)",
    "partners.postal_shape": "code postal « {value} » : 5 chiffres attendus",
    "partners.position_half": "position ({lon}, {lat}) : donner la longitude et la latitude, ou aucune des deux",
    "partners.position_not_numbers": "position ({lon}, {lat}) : la longitude et la latitude doivent être des "
                                     "nombres",
    "partners.position_outside_france": _position_outside_france,
    "partners.name_empty": "vide : chaque partenaire a besoin d'un nom",
    "partners.precision": "précision {value} inconnue ; valeurs possibles : {known}",
    # files
    "partners.zone_row_incomplete": "ligne de zone incomplète : il faut un partenaire et un code INSEE",
    "partners.template_bad_id": "n° {id} : le numéro du partenaire dans l'annuaire est attendu, ou rien",
    "partners.finess_short_line": "ligne « structureet » de {fields} champs, {expected} attendus",
    "partners.finess_short_geo": "ligne « geolocalisation » de {fields} champs, 6 attendus",
    "partners.finess_line_type": "type de ligne inconnu « {kind} » ; « structureet » ou « geolocalisation » "
                                 "attendu",
    "partners.finess_bad_coordinates": "FINESS {finess} : coordonnées {x}, {y} illisibles ; position ignorée",
    "partners.rpps_id_type": "type d'identifiant {value} : 8 (RPPS) ou 0 (ADELI) attendu",
    # import
    "partners.import.far": _far,
    "partners.import.outside_no_position": "hors du territoire et sans position : non importé sauf si vous le "
                                           "cochez",
    "partners.import.duplicate_row": _duplicate_row,
    "partners.zone_no_id": "aucun partenaire n° {id}",
    "partners.zone_no_finess": "aucun partenaire de FINESS {finess}",
    "partners.zone_no_name": "aucun partenaire {type} nommé « {name} »",
    "partners.zone_several_names": "plusieurs partenaires {type} s'appellent « {name} » (n° {ids}) ; "
                                   "donnez le numéro",
    "partners.zone_type": "type {type} : les zones concernent {types}",
    "partners.zone_unknown_commune": "commune inconnue : le code INSEE {code} n'est pas une commune du territoire",
    "partners.zone_partner_deleted": "le partenaire n° {id} a été supprimé pendant l'import",
    # networks
    "partners.rpps_needs_network": "{path} compte {count} psychologues sur le territoire : les importer tous "
                                   "mettrait des milliers de points identiques au centre des communes. Importez "
                                   "plutôt la liste des membres du réseau de psycho-oncologie (numéros RPPS, ou "
                                   "noms et communes) avec ce fichier ; seuls ses membres seront ajoutés.",
    "partners.network_columns": "{path} : une liste de réseau a besoin d'une colonne « rpps » ou « nom »",
    "partners.network_row_empty": "ni numéro RPPS ni nom",
    "partners.network_commune_outside": "commune hors du territoire",
    # why rows are left out, in the import report
    "partners.skip.other_category": "autres catégories FINESS",
    "partners.skip.other_profession": "autres professions",
    "partners.skip.outside_territory": "hors du territoire",
    "partners.skip.not_in_network": "psychologues hors du réseau",
    # the preview's actions and flags
    "partners.action.created": "à créer",
    "partners.action.updated": "à mettre à jour",
    "partners.action.unchanged": "inchangé",
    "partners.action.rejected": "rejeté",
    "partners.action.set_aside": "hors territoire, non importé",
    "partners.action.skipped": "laissé de côté",
    "partners.flag.neighbour": "voisin (hors territoire, proche)",
    "partners.flag.far": "loin du territoire",
    "partners.flag.no_position": "sans position",
    "partners.flag.duplicate": "doublon",
    "partners.flag.network": "réseau",
    "partners.flag.warning": "avertissement",
    # partner files that cannot be read as their format
    "partners.not_rpps": ("{file} : ce n'est pas un extrait « Personne activité » de l'Annuaire Santé ; "
                          "colonne(s) manquante(s) : {missing}"),
    "partners.not_finess": ("{file} : ce n'est pas un extrait FINESS (première ligne attendue "
                            "« finess;etalab;<version>;<date> », lue : « {first} »)"),
    "partners.zones_missing_column": ("{file} : table de zones sans colonne « {column} » ; noms acceptés : {aliases} "
                                      "(en-tête lu : {header})"),
    "partners.template_missing_columns": ("{file} : modèle sans colonne(s) {missing} ; en-tête attendu : {expected}"),
    "partners.template_suffix": "{file} : le modèle doit être un fichier .csv ou .xlsx",
    "partners.unknown_format": "format « {format} » inconnu ; formats possibles : {formats}",
    "partners.format_options": "le format « {format} » ne prend pas l'option ou les options {options}",
    "partners.all_rejected": "{file} : aucune ligne importée, les {count} ligne(s) lues sont toutes rejetées",
    # queries of the directory (CLI and pages)
    "partners.bad_k": "nombre de partenaires demandé invalide ({k}) : un entier positif est attendu",
    "partners.one_place_needed": "donner un seul lieu : une commune, un code postal ou des coordonnées (reçu : {given})",
    "partners.place_not_in_territory": "{what} : aucune commune du territoire ne correspond",
    # raised by the validation (a file's or the form's ``value``, ``known``) and by the queries (``type``, ``types``)
    "partners.unknown_type": lambda p: (f"type de partenaire « {p.get('type', p.get('value', ''))} » inconnu ; "
                                        f"types possibles : {_list(p.get('types') or p.get('known'), 10)}"),
    "partners.bad_outside": "partenaires hors territoire : choix « {value} » inconnu ; choix possibles : {choices}",
}
