"""The audit trail: who changed what, and who exported patient-derived figures, when.

Every change of the workspace (team, counts, plan versions, the current plan),
of the accounts and every export of figures derived from patients records one
row of ``audit_log``: when (UTC), who (login, name, role of
:func:`geo.access.acting_user`: the signed-in person in the app, the local
OS user in the CLI), the event code, its target and, for edits, a summary of
before and after. Nothing identifying a patient is ever stored: summaries hold
totals and names of files, plans and workers only.

The partner directory keeps its own, field by field, history
(:func:`partners.history.readable_history`); :func:`journal` merges it in so the
Journal page shows one list.

Examples
--------
>>> from services.storage import open_database               # doctest: +SKIP
>>> conn = open_database(":memory:")                         # doctest: +SKIP
>>> record(conn, "export.ars_pdf", target="couverture_ars")  # doctest: +SKIP
>>> journal(conn)[["event", "target"]]                       # doctest: +SKIP
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Callable

import pandas as pd

from geo.database import register_schema
from geo.access import User, act_as, acting_user, require_acting

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    event TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    before TEXT,
    after TEXT,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_event ON audit_log (event);
"""
register_schema("audit", SCHEMA)

#: Event code -> what the Journal page says (French).
EVENTS: dict[str, str] = {
    "team.set": "équipe enregistrée",
    "counts.import": "effectifs de patients importés",
    "counts.clear": "effectifs de patients effacés",
    "plan.save": "version de plan enregistrée",
    "plan.current": "plan courant changé",
    "user.add": "compte créé",
    "user.password": "mot de passe changé",
    "user.active": "compte activé ou désactivé",
    "user.role": "rôle changé",
    "export.ars_pdf": "export ARS (PDF)",
    "export.ars_xlsx": "export ARS (XLSX)",
    "export.ars_csv": "export ARS (CSV)",
    "export.plan_people": "export du plan avec patients",
    "export.fiche_pdf": "fiche secteur (PDF)",
    "export.fiche_html": "fiche secteur (HTML)",
    "export.routed": "liste orientée exportée",
    "export.home": "téléchargement de l'accueil",
    "export.coverage": "téléchargement de la couverture",
    "export.journal": "journal exporté",
    "partner.create": "partenaire créé",
    "partner.update": "partenaire modifié",
    "partner.delete": "partenaire supprimé",
    "partner.undo": "modification de partenaire annulée",
}

#: Columns of :func:`journal` (and of its export), in order.
COLUMNS = ["at", "when", "login", "name", "role", "event", "what", "target", "before", "after", "detail", "source"]


class AuditError(ValueError):
    """An unknown event code (a programming error, not a user's)."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(conn: sqlite3.Connection, event: str, *, target: str = "", before=None, after=None, detail=None,
           user: User | None = None) -> int:
    """Record one event; returns its id.

    Parameters
    ----------
    conn : sqlite3.Connection
        The database (inside the caller's transaction when there is one: the
        record then commits or rolls back with the change).
    event : str
        A code of :data:`EVENTS`.
    target : str
        What was changed or exported (a plan name, a file name, a login).
    before, after : JSON-able, optional
        Summaries of the state before and after an edit.
    detail : JSON-able, optional
        Anything else worth keeping (format, masking mode, counts of rows).
    user : User, optional
        Default: :func:`geo.access.acting_user`.
    """
    if event not in EVENTS:
        raise AuditError(f"unknown audit event {event!r}")
    who = user if user is not None else acting_user()
    row = (_now(), who.login or "", who.label or "", who.role or "", event, str(target or ""),
           _json(before), _json(after), _json(detail))
    sql = ("INSERT INTO audit_log (at, login, name, role, event, target, before, after, detail) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    try:
        cursor = conn.execute(sql, row)
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        _create(conn)  # a connection opened with an older list of schemas
        cursor = conn.execute(sql, row)
    return int(cursor.lastrowid)


def _create(conn: sqlite3.Connection) -> None:
    # statement by statement: executescript would commit the caller's open transaction
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def recorder(conn_of: Callable[[], sqlite3.Connection], event: str, *, target: str = "", detail=None,
             user: User | None = None, then: Callable[[], object] | None = None):
    """A callable that records ``event`` when called: the ``on_click`` of a download button.

    ``conn_of`` is called at click time (the shared connection of the app).
    The person is taken when the button is drawn (``user``, default the
    acting user then), as callbacks may run outside the page's sign-in block.
    ``then`` runs first (another record the click makes, e.g. the ARS release register).
    """
    who = user if user is not None else acting_user()

    def on_click() -> None:
        if then is not None:
            then()
        record(conn_of(), event, target=target, detail=detail, user=who)

    return on_click


def recorded_data(conn_of: Callable[[], sqlite3.Connection], event: str, make: Callable[[], bytes], *,
                  target: str = "", detail=None, user: User | None = None) -> Callable[[], bytes]:
    """The deferred ``data`` of a download button that records ``event`` when the file is made.

    For buttons whose file is built only when clicked (``on_click="ignore"``,
    no rerun of the page): the record is made as the bytes are produced.
    Streamlit runs ``data`` on a thread of its own, outside the page's run:
    the file is made as the person who drew the button (the services check
    that person's rights).
    """
    who = user if user is not None else acting_user()
    conn = conn_of()  # now: the file may be made outside the page's run, where the app's caches are not at hand

    def data() -> bytes:
        with act_as(who):
            content = make()
        record(conn, event, target=target, detail=detail, user=who)
        return content

    return data


def _summary(text) -> str:
    if not isinstance(text, str) or not text:  # None, or NaN once in a frame
        return ""
    value = json.loads(text)
    if isinstance(value, dict):
        return ", ".join(f"{k} : {_flat(v)}" for k, v in value.items())
    return _flat(value)


def _flat(value) -> str:
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} : {_flat(v)}" for k, v in value.items()) + "}"
    return "" if value is None else str(value)


def entries(conn: sqlite3.Connection, *, since: str | None = None, until: str | None = None,
            event_prefix: str | None = None, login: str | None = None) -> pd.DataFrame:
    """The rows of ``audit_log``, newest first, filtered (``since``/``until``: ISO dates, inclusive)."""
    where, params = [], []
    if since:
        where.append("at >= ?")
        params.append(str(since))
    if until:
        where.append("at < ?")
        params.append(_day_after(str(until)))
    if event_prefix:
        where.append("event LIKE ?")
        params.append(event_prefix.rstrip(".") + "%")
    if login:
        where.append("login = ?")
        params.append(login)
    sql = ("SELECT id, at, login, name, role, event, target, before, after, detail FROM audit_log"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at DESC, id DESC")
    rows = conn.execute(sql, params).fetchall()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["id", "at", "login", "name", "role", "event", "target", "before", "after",
                                 "detail"])


def _day_after(day: str) -> str:
    return (dt.date.fromisoformat(day[:10]) + dt.timedelta(days=1)).isoformat()


def _partner_rows(conn: sqlite3.Connection) -> pd.DataFrame:
    from partners.history import FIELD_LABELS, readable_history

    history = readable_history(conn)

    def listed(changes, side: int) -> str:  # the fields' values on one side, empty ones left out (a creation has no before)
        return ", ".join(f"{FIELD_LABELS.get(c[0], c[0])} : {c[side]}" for c in changes if c[side])

    if history.empty:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame({
        "at": history["at"].astype(str),
        "login": history["author"].astype(str),
        "name": history["author"].astype(str),
        "role": "",
        "event": "partner." + history["action"].astype(str),
        "target": history["name"].fillna("").astype(str),
        "before": [listed(changes, 1) for changes in history["changes"]],
        "after": [listed(changes, 2) for changes in history["changes"]],
        "detail": history["reason"].fillna("").astype(str),
        "source": "annuaire",
    })


def journal(conn: sqlite3.Connection, *, since: str | None = None, until: str | None = None,
            event_prefix: str | None = None, login: str | None = None, partners: bool = True) -> pd.DataFrame:
    """What the Journal page shows: the audit log and (``partners``) the directory's history, newest first.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: ``at`` (UTC ISO), ``when`` (French, Paris time), ``what`` (the event in French),
        ``before``/``after``/``detail`` as readable text, ``source`` (``journal`` or ``annuaire``).
    """
    require_acting("audit.view")

    from partners.history import french_datetime

    own = entries(conn, since=since, until=until, event_prefix=event_prefix, login=login)
    frame = pd.DataFrame({
        "at": own["at"], "login": own["login"], "name": own["name"], "role": own["role"], "event": own["event"],
        "target": own["target"], "before": own["before"].map(_summary), "after": own["after"].map(_summary),
        "detail": own["detail"].map(_summary), "source": "journal"})
    if partners and (not event_prefix or event_prefix.startswith("partner")):
        theirs = _partner_rows(conn)
        if since:
            theirs = theirs[theirs["at"] >= since]
        if until:
            theirs = theirs[theirs["at"] < _day_after(until)]
        if event_prefix:
            theirs = theirs[theirs["event"].str.startswith(event_prefix.rstrip("."))]
        if login:
            theirs = theirs[theirs["login"] == login]
        frame = pd.concat([frame, theirs], ignore_index=True) if len(theirs) else frame
    frame = frame.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)
    frame["when"] = frame["at"].map(french_datetime) if len(frame) else pd.Series(dtype=str)
    frame["what"] = frame["event"].map(lambda e: EVENTS.get(e, e))
    return frame[COLUMNS]


#: French column headers of the Journal page and its exports.
HEADERS = {"when": "Date (heure de Paris)", "name": "Personne", "login": "Identifiant", "role": "Rôle",
           "what": "Action", "target": "Objet", "before": "Avant", "after": "Après", "detail": "Détail",
           "source": "Source", "at": "Horodatage (UTC)", "event": "Code"}


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`journal`'s frame with French headers, in the order people read it."""
    return frame[list(HEADERS)].rename(columns=HEADERS)


def journal_csv(frame: pd.DataFrame) -> bytes:
    """The journal as CSV for Excel (``;``, UTF-8 with BOM), spreadsheet formulas neutralised."""
    from geo.safe_export import safe_frame

    return safe_frame(readable(frame)).to_csv(sep=";", index=False).encode("utf-8-sig")


def journal_xlsx(frame: pd.DataFrame) -> bytes:
    """The journal as an XLSX workbook, spreadsheet formulas neutralised."""
    import io

    from geo.safe_export import safe_frame

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(readable(frame)).to_excel(writer, sheet_name="Journal", index=False)
    return buffer.getvalue()
