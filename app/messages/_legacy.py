"""Messages still raised as English sentences, translated by pattern until their modules raise codes.

Being emptied: each module converted to :class:`geo.errors.SecteursError` codes moves its
sentences to a catalogue module of :mod:`app.messages` and drops its patterns here.
"""
from __future__ import annotations

import re

#: English messages not yet converted to codes and their French wording; a message not listed is
#: shown as is. (The partner directory's messages are codes now: ``app/messages/partners.py``.)
_FRENCH = (
)


def french(message: str) -> str:
    """A message of the sector engine in French (see :data:`_FRENCH`); unknown ones unchanged."""
    for pattern, replacement in _FRENCH:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


