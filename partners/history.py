"""The change history as people read it: local date and time, author, action, fields before -> after.

:func:`changed_fields`
    The fields that differ between two snapshots of a partner.
:func:`readable_history`
    :func:`partners.store.partner_history` with a French date (Europe/Paris), the author
    (``"inconnu"`` when none was recorded) and the list of changes of each row.
:func:`french_datetime`
    ``2026-11-30T06:28:00+00:00`` -> ``30/11/2026 à 07:28``.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pandas as pd

from partners.model import DATA_FIELDS

#: The users' time zone (the history is stored in UTC).
LOCAL_ZONE = ZoneInfo("Europe/Paris")
#: Authors recorded by older versions that mean "nobody said".
_NO_AUTHOR = {"", "None", "none", "null"}


#: The partner fields as people name them (history, journal, form errors).
FIELD_LABELS = {
    "type": "Type", "name": "Nom", "address": "Adresse", "code_insee": "Code INSEE", "postal_code": "Code postal",
    "commune": "Commune", "phone": "Téléphone", "email": "E-mail", "website": "Site internet", "finess": "FINESS",
    "rpps": "RPPS", "adeli": "ADELI", "lon": "Longitude", "lat": "Latitude", "communes": "Communes couvertes",
    "labels": "Étiquettes", "notes": "Notes", "precision": "Précision", "category": "Catégorie",
    "source": "Source", "source_date": "Date de la source", "outside_territory": "Hors territoire",
}


def french_datetime(iso: str) -> str:
    """A stored UTC time as a French local date and time.

    Examples
    --------
    >>> french_datetime("2026-07-14T08:05:00+00:00")
    '14/07/2026 à 10:05'
    >>> french_datetime("")
    ''
    """
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL_ZONE).strftime("%d/%m/%Y à %H:%M")


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value) if len(value) <= 12 else f"{len(value)} communes"
    return str(value)


def _empty(value) -> bool:
    """Nothing to show: no value, an empty text or list, or a flag that is off."""
    return value is None or value is False or (isinstance(value, (str, list, tuple)) and not value)


def changed_fields(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """``(field, before, after)`` for each data field that differs (texts as shown to people).

    A creation lists the fields it filled, a deletion the fields it emptied. A zone of more
    than 12 communes is summarised by its size.

    Examples
    --------
    >>> changed_fields({"phone": "04 72 11 22 33", "name": "A"}, {"phone": "04 72 99 99 99", "name": "A"})
    [('phone', '04 72 11 22 33', '04 72 99 99 99')]
    """
    before, after = before or {}, after or {}
    changes = []
    for name in DATA_FIELDS:
        old, new = before.get(name), after.get(name)
        if _empty(old) and _empty(new):
            continue
        if old != new:
            changes.append((name, _shown(old), _shown(new)))
    return changes


def author_name(author) -> str:
    """The recorded author, ``"inconnu"`` when none was recorded."""
    text = "" if author is None else str(author).strip()
    return "inconnu" if text in _NO_AUTHOR else text


def readable_history(conn: sqlite3.Connection, partner_id: int | None = None,
                     limit: int | None = None) -> pd.DataFrame:
    """The history, newest first, as people read it.

    Returns
    -------
    pandas.DataFrame
        ``id, when`` (``30/11/2026 à 07:28``, Europe/Paris), ``at`` (stored UTC), ``author``,
        ``action`` (create, update, delete, undo), ``partner_id``, ``name``, ``reason``,
        ``undone_by``, ``changes`` (list of ``(field, before, after)``).
    """
    from partners.store import partner_history

    frame = partner_history(conn, partner_id, limit=limit)
    frame["when"] = frame["at"].map(french_datetime)
    frame["author"] = frame["author"].map(author_name)
    frame["changes"] = [changed_fields(json.loads(b) if b else None, json.loads(a) if a else None)
                        for b, a in zip(frame["before"], frame["after"])]
    return frame[["id", "when", "at", "author", "action", "partner_id", "name", "reason", "undone_by", "changes"]]
