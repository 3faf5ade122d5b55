"""Messages still raised as English sentences, translated by pattern until their modules raise codes.

Being emptied: each module converted to :class:`geo.errors.SecteursError` codes moves its
sentences to a catalogue module of :mod:`app.messages` and drops its patterns here.
"""
from __future__ import annotations

import re

#: English messages not yet converted to codes and their French wording; a message not listed is
#: shown as is. (The partner directory's messages are codes now: ``app/messages/partners.py``.)
_FRENCH = (
    # the sector engine (geo.sectors)
    (r"^(\d+) sectors asked, only (\d+) units have patients$",
     r"\1 secteurs demandés, mais seulement \2 communes ont des patients"),
    (r"^(\d+) sectors asked, only (\d+) units$", r"\1 secteurs demandés pour seulement \2 communes"),
    (r"^zero workload: the (\d+) units carry a total load of 0$",
     r"charge nulle : aucune des \1 communes ne compte de patient"),
    (r"^unit (.+?) alone has a load of (\S+), above the largest sector maximum (\S+) \(target (\S+) \+(\S+)\);.*$",
     r"la commune \1 pèse à elle seule \2, plus que le maximum d'un secteur (\3 : cible \4 +\5) ; "
     r"demandez moins de secteurs ou une tolérance plus large"),
    (r"^locks make balance impossible: units locked to sector (.+) carry a load of (\S+), "
     r"above its maximum (\S+) \(target (\S+) \+(\S+)\)$",
     r"verrous incompatibles avec l'équilibre : les communes verrouillées au secteur \1 pèsent \2, "
     r"plus que son maximum \3 (cible \4 +\5)"),
    (r"^(\d+) code\(s\) (?:of the patient counts )?are not units of the territory: (.*)$",
     r"\1 code(s) ne sont pas des communes du territoire : \2"),
    (r"^(\d+) unit\(s\) have no sector in the plan: (.*)$", r"\1 commune(s) sans secteur dans le plan : \2"),
    (r"^(\d+) unit\(s\) appear more than once in the plan: (.*)$",
     r"\1 commune(s) en double dans le plan : \2"),
    (r"^worker names must be unique; repeated: (.*)$",
     r"chaque assistante sociale doit avoir un nom différent ; en double : \1"),
    (r"^every FTE must be > 0; got (.*)$", r"chaque ETP doit être supérieur à 0 ; reçu : \1"),
    (r"^unit (\S+) is locked to (.+), which is not a sector \((.*)\)$",
     r"la commune \1 est verrouillée au secteur \2, qui n'existe pas (secteurs : \3)"),
    (r"^plan sectors (.+) are not in the team \((.*)\)$", r"les secteurs \1 du plan ne sont pas dans l'équipe (\2)"),
    (r"^sector (.+) is empty and every unit around it is locked$",
     r"le secteur \1 est vide et toutes les communes autour sont verrouillées"),
    (r"^no balanced assignment of (\d+) units with load to (\d+) sectors .*$",
     r"aucune répartition équilibrée des \1 communes ayant des patients en \2 secteurs"),
)


def french(message: str) -> str:
    """A message of the sector engine in French (see :data:`_FRENCH`); unknown ones unchanged."""
    for pattern, replacement in _FRENCH:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


