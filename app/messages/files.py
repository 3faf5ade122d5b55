"""French messages of file input and output (``geo.reading``) and of the database file."""
from __future__ import annotations

MESSAGES = {
    "files.missing": "{file} : fichier introuvable",
    "files.is_directory": "{file} : c'est un dossier, pas un fichier",
    "files.unreadable": "{file} : fichier illisible ({reason})",
    "files.too_large": "{file} : fichier trop volumineux ({size_mb} Mo, limite {limit_mb} Mo)",
    "files.not_xlsx": "{file} : ce n'est pas un classeur XLSX lisible (fichier abîmé ou d'un autre format) ; "
                      "l'enregistrer en .xlsx ou en .csv",
    "files.xlsx_too_large": "{file} : classeur refusé, son contenu décompressé est trop volumineux "
                            "({size_mb} Mo, limite {limit_mb} Mo)",
    "files.line_too_long": "{file}, ligne {row} : ligne ou champ trop long (plus de {limit_kb} Ko) ; "
                           "le fichier n'est pas un tableau CSV valide",
    "files.bad_csv": "{file}, ligne {row} : ligne CSV mal formée (guillemet ou caractère nul)",
    "files.empty": "{file} : fichier vide",
    "files.not_text": "{file} : ce n'est pas un fichier texte (CSV) lisible",
    "files.cannot_write": "{file} : écriture impossible ({reason}) ; rien n'a été modifié",
    "files.unexpected": "{file} : fichier illisible ({reason})",
    "database.corrupt": "la base de données {file} est abîmée ou n'est pas une base secteurs ; "
                        "la restaurer depuis une sauvegarde (secteurs restore)",
    "database.read_only": "la base de données {file} est en lecture seule : impossible d'enregistrer ; "
                          "vérifier les droits du fichier et de son dossier",
    "database.cannot_open": "impossible d'ouvrir la base de données {file} ({reason})",
    "database.busy": "la base de données {file} est occupée par une autre opération ; réessayer dans un instant",
    "database.error": "erreur de la base de données {file} ({reason})",
}
