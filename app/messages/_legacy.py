"""Messages still raised as English sentences, translated by pattern until their modules raise codes.

Being emptied: each module converted to :class:`geo.errors.SecteursError` codes moves its
sentences to a catalogue module of :mod:`app.messages` and drops its patterns here.
"""
from __future__ import annotations

import re

#: The partner directory's validation messages (English, from ``partners``) and their French
#: wording; a message not listed is shown as is.
_FRENCH = (
    (r"^name: empty; every partner needs a name$", "vide : chaque partenaire a besoin d'un nom"),
    (r"^FINESS (.+): expected 9 characters, got (\d+)$", r"FINESS \1 : 9 caractères attendus, \2 reçus"),
    (r"^FINESS (.+): expected 9 digits .*$", r"FINESS \1 : 9 chiffres attendus (2A/2B permis pour la Corse)"),
    (r"^FINESS (.+): wrong check digit (\S+) \(Luhn key of (\S+) is (\S+)\)$",
     r"FINESS \1 : clé de contrôle \2 fausse (la clé de \3 est \4)"),
    (r"^RPPS (.+): expected 11 digits$", r"RPPS \1 : 11 chiffres attendus"),
    (r"^RPPS (.+): wrong check digit \(Luhn\)$", r"RPPS \1 : clé de contrôle fausse"),
    (r"^ADELI (.+): expected 9 digits .*$", r"ADELI \1 : 9 chiffres attendus"),
    (r"^phone (.+): expected a French number .*$",
     r"téléphone \1 : numéro français de 10 chiffres attendu (ex. 04 72 11 22 33, ou +33 suivi de 9 chiffres)"),
    (r"^e-mail (.+): expected an address like .*$", r"e-mail \1 : adresse attendue du type nom@domaine.fr"),
    (r"^website (.+): expected an address like .*$", r"site \1 : adresse attendue du type https://www.exemple.fr"),
    (r"^INSEE code (.+): expected 5 characters .*$", r"code INSEE \1 : 5 caractères attendus (ex. 69383, 2A004)"),
    (r"^postal code (.+): expected 5 digits$", r"code postal \1 : 5 chiffres attendus"),
    (r"^position \((.+)\): give both longitude and latitude, or neither$",
     r"position (\1) : donner la longitude et la latitude, ou aucune des deux"),
    (r"^position \((.+)\): longitude and latitude must be numbers$",
     r"position (\1) : la longitude et la latitude doivent être des nombres"),
    (r"^position \(lon (\S+), lat (\S+)\) is outside France( \(longitude and latitude look swapped\))?;.*$",
     r"position (lon \1, lat \2) hors de France\3 ; degrés WGS84 attendus, ex. lon 4,85, lat 45,75 pour Lyon"),
    (r"^unknown commune: INSEE code (\S+) is not a commune of departement (\S+)$",
     r"commune inconnue : le code INSEE \1 n'est pas une commune du département \2"),
    (r"^unknown commune: postal code (\S+) (.*)$", r"commune inconnue : code postal \1 \2"),
    (r"^no commune: give code_insee, or postal_code and commune name$",
     "aucune commune : donner le code INSEE, ou le code postal et le nom de la commune"),
    (r"^duplicate: FINESS (\S+) of (.+) already belongs to partner #(\d+) (.+) \(.*\)$",
     r"doublon : le FINESS \1 appartient déjà au partenaire n° \3 \4"),
    (r"^likely duplicate: (.+) \((\S+)\) has the same name and commune (\S+) as partner #(\d+) (.+) \((\S+)\)$",
     r"doublon probable : même nom et même commune (\3) que le partenaire n° \4 \5 (\6)"),
    (r"^no position: the partner will not appear in distance searches$",
     "pas de position : le partenaire n'apparaîtra pas dans les recherches par distance"),
    (r"^zone: unknown communes ignored: (.*)$", r"zone : communes inconnues ignorées : \1"),
    (r"^position falls in (\S+) (.+), not in (\S+) (.+)$", r"la position tombe dans \1 \2, pas dans \3 \4"),
)


def french(message: str) -> str:
    """A message of the partner directory or the sector engine in French (see :data:`_FRENCH`); unknown ones unchanged."""
    for pattern, replacement in _FRENCH:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


