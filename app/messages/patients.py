"""French messages of the hospital export and counts files (``patients.*`` codes, :mod:`geo.patients`)."""
from __future__ import annotations


def _bad_lines(p: dict) -> str:
    shown = []
    for line in p["lines"]:
        if line["what"] == "code":
            hint = {"lyon": " (Lyon : utiliser ses arrondissements 69381 à 69389)",
                    "former": f" (ancienne commune, aujourd'hui {line.get('now', '')})"}.get(line.get("hint", ""), "")
            shown.append(f"ligne {line['row']} : code « {line['value']} » qui n'est pas une commune du territoire{hint}")
        else:
            shown.append(f"ligne {line['row']} : effectif « {line['value']} » qui n'est pas un entier positif "
                         "(au plus 1 000 000 000)")
    more = f" (et {p['count'] - len(shown)} autres)" if p["count"] > len(shown) else ""
    return f"{p['file']} : {p['count']} ligne(s) invalide(s) : " + " ; ".join(shown) + more


MESSAGES: dict = {
    "patients.bad_utf8": "{file} : fichier marqué UTF-8 mais illisible en UTF-8 (octet {byte})",
    "patients.bad_utf16": "{file} : fichier marqué UTF-16 mais illisible en UTF-16 (octet {byte})",
    "patients.unknown_encoding": ("{file} : encodage non reconnu : le fichier n'est ni en UTF-8 ni en Windows-1252 "
                                  "(ligne {row}, octet {byte}) ; l'enregistrer en CSV UTF-8 ou en XLSX"),
    "patients.empty_workbook": "{file} : classeur vide",
    "patients.no_location_column": ("{file} : aucune colonne de localisation reconnue dans les {rows} premières "
                                    "lignes : il faut un en-tête « Code INSEE » (ou code commune, COG), « Code postal » "
                                    "(ou CP) ou « Ville » (ou Commune, Localité, Libellé commune)"),
    "patients.xls_format": "{file} : format Excel 97-2003 (.xls) non pris en charge : l'enregistrer en .xlsx ou .csv",
    "patients.ods_format": "{file} : format .ods non pris en charge : l'enregistrer en .xlsx ou .csv",
    "patients.counts_empty": "{file} : fichier de comptages vide (en-tête code_insee,patients attendu)",
    "patients.counts_missing_columns": ("{file} : colonne(s) manquante(s) {missing} dans l'en-tête (ligne {row}) ; "
                                        "en-tête code_insee,patients attendu"),
    "patients.counts_bad_lines": _bad_lines,
    "patients.counts_columns": "comptages sans colonne(s) {missing}",
    "patients.no_such_grouping": "regroupement {by} impossible : le fichier n'a pas cette colonne (possibles : {options})",
}
