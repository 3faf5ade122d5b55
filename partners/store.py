"""The partner directory in the embedded SQLite database, with its history.

Tables (declared with :func:`geo.database.register_schema` at import):

``partners``
    One row per partner; ``id`` is stable (AUTOINCREMENT: a deleted id is
    never reused, so an undone delete gets its id back); ``key`` is the natural
    key imports recognise a partner by.
``partner_communes``
    The communes each partner covers (CPTS territory, HAD zone).
``partner_history``
    Every change: time, author, action (create, update, delete, undo), the
    partner before and after (JSON, communes included) and a reason.

Every write runs in one ``BEGIN IMMEDIATE`` transaction together with its
history row, so concurrent writers queue and nothing is lost.

Public functions
----------------
save_partner, delete_partner, set_communes, undo
    Changes, each recorded in the history.
get_partner, find_partner, list_partners, partner_history, count_partners
    Reads.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd

from geo.access import acting_user, require_acting
from geo.database import register_schema, transaction
from geo.errors import SecteursError
from partners.model import DEMO_SOURCE, NEIGHBOUR_KM, Issue, Partner, clean_labels
from partners.validation import ValidationError, check_partner, normalize_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS partners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    code_insee TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    commune TEXT NOT NULL DEFAULT '',
    lon REAL,
    lat REAL,
    precision TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    finess TEXT NOT NULL DEFAULT '',
    rpps TEXT NOT NULL DEFAULT '',
    adeli TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    zone_known INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    source_date TEXT NOT NULL DEFAULT '',
    outside_territory INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS partners_type ON partners(type);
CREATE INDEX IF NOT EXISTS partners_finess ON partners(finess);
CREATE INDEX IF NOT EXISTS partners_name ON partners(name_norm, code_insee);
CREATE TABLE IF NOT EXISTS partner_communes (
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    code_insee TEXT NOT NULL,
    PRIMARY KEY (partner_id, code_insee)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS partner_communes_code ON partner_communes(code_insee);
CREATE TABLE IF NOT EXISTS partner_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT,
    reason TEXT NOT NULL DEFAULT '',
    undone_by INTEGER
);
CREATE INDEX IF NOT EXISTS partner_history_partner ON partner_history(partner_id);
CREATE TABLE IF NOT EXISTS partner_state (
    partner_id INTEGER PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
    version INTEGER NOT NULL DEFAULT 1,
    border_km REAL
);
CREATE TABLE IF NOT EXISTS partner_labels (
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    PRIMARY KEY (partner_id, label)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS partner_labels_label ON partner_labels(label);
CREATE TABLE IF NOT EXISTS partner_history_batch (
    history_id INTEGER PRIMARY KEY,
    batch INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS partner_history_batch_batch ON partner_history_batch(batch);
"""
# Tables added after the first release live beside ``partners`` (CREATE TABLE IF NOT EXISTS upgrades
# an older file in place; SQLite has no ADD COLUMN IF NOT EXISTS). A partner without a
# ``partner_state`` row (written by an older version) is at version 0.
register_schema("partners", SCHEMA)

_COLUMNS = ("id", "key", "type", "name", "address", "code_insee", "postal_code", "commune", "lon", "lat",
            "precision", "phone", "email", "website", "finess", "rpps", "adeli", "category", "notes",
            "source", "source_date", "outside_territory", "created_at", "updated_at", "updated_by")

#: Columns of :func:`list_partners`, in order.
LIST_COLUMNS = ("id", "type", "name", "finess", "code_insee", "lon", "lat", "outside_territory", "precision",
                "commune", "postal_code", "address", "phone", "email", "website", "rpps", "adeli",
                "category", "zone_size", "notes", "source", "source_date", "updated_at", "updated_by", "key",
                "labels", "demo", "border_km", "neighbour", "version")

#: ``include_demo`` of the reads: demo partners only while the directory holds no real partner.
AUTO = "auto"


class DuplicateError(ValidationError):
    """The partner would duplicate another one (same FINESS number)."""


class StaleEditError(SecteursError):
    """An edit made on an older version of a partner (someone changed it since): refused.

    ``code`` is ``partners.stale_edit`` (changed) or ``partners.stale_deleted`` (deleted);
    ``params`` hold ``id``, ``name``, ``expected`` and ``current`` versions, ``author`` and ``at``
    of the change that came in between.
    """


@dataclass
class SaveResult:
    """Outcome of :func:`save_partner`: ``action`` is created, updated or unchanged."""

    id: int
    action: str
    partner: Partner
    issues: list[Issue] = field(default_factory=list)
    history_id: int | None = None


def default_author() -> str:
    """Who is making the change when nobody says: ``$SECTEURS_AUTHOR``, else the person acting.

    The person acting (:func:`geo.access.acting_user`) is the one signed in to the
    page, or in the CLI the local user who runs it.
    """
    return os.environ.get("SECTEURS_AUTHOR") or acting_user().label or "inconnu"


def now_utc() -> str:
    """The current UTC time, ISO 8601 to the microsecond."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def partner_key(partner: Partner) -> str:
    """The natural key of a partner: its given key, FINESS, RPPS, ADELI, else type, commune and name."""
    if partner.key:
        return partner.key
    if partner.finess:
        return f"FINESS:{partner.finess}"
    if partner.rpps:
        return f"RPPS:{partner.rpps}"
    if partner.adeli:
        return f"ADELI:{partner.adeli}"
    return f"NOM:{partner.type}:{partner.code_insee}:{normalize_name(partner.name)}"


# ---------------------------------------------------------------------- reads

def _values(conn: sqlite3.Connection, table: str, column: str, partner_id: int) -> tuple:
    """The sorted ``column`` of ``table`` for one partner (its communes, its labels)."""
    return tuple(r[0] for r in conn.execute(f"SELECT {column} FROM {table} WHERE partner_id = ? ORDER BY {column}",
                                            (partner_id,)))


def _from_row(conn: sqlite3.Connection, row: sqlite3.Row) -> Partner:
    values = {name: row[name] for name in _COLUMNS}
    values["outside_territory"] = bool(values["outside_territory"])
    values["version"] = int(row["version"] or 0)
    values["border_km"] = row["border_km"]
    if row["zone_known"]:
        values["communes"] = _values(conn, "partner_communes", "code_insee", row["id"])
    values["labels"] = _values(conn, "partner_labels", "label", row["id"])
    return Partner(**values)


_SELECT_ONE = ("SELECT p.*, s.version AS version, s.border_km AS border_km FROM partners p "
               "LEFT JOIN partner_state s ON s.partner_id = p.id")


def _partner_where(conn: sqlite3.Connection, column: str, value) -> Partner | None:
    """The partner whose ``column`` (``p.id`` or ``p.key``) is ``value``, or ``None``."""
    row = conn.execute(f"{_SELECT_ONE} WHERE {column} = ?", (value,)).fetchone()
    return None if row is None else _from_row(conn, row)


def get_partner(conn: sqlite3.Connection, partner_id: int) -> Partner | None:
    """The partner with this id, or ``None``."""
    return _partner_where(conn, "p.id", int(partner_id))


def find_partner(conn: sqlite3.Connection, key: str) -> Partner | None:
    """The partner with this natural key (e.g. ``FINESS:010000024``), or ``None``."""
    return _partner_where(conn, "p.key", key)


def partner_version(conn: sqlite3.Connection, partner_id: int) -> int | None:
    """The stored version of a partner (``None`` when it does not exist)."""
    row = conn.execute("SELECT coalesce(s.version, 0) FROM partners p LEFT JOIN partner_state s "
                       "ON s.partner_id = p.id WHERE p.id = ?", (int(partner_id),)).fetchone()
    return None if row is None else int(row[0])


def members_by_type(conn: sqlite3.Connection, types=("PSY",)) -> list[Partner]:
    """The partners of ``types`` with what identifies a person (id, type, name, RPPS, ADELI, commune)."""
    types = list(types)
    rows = conn.execute(f"SELECT id, type, name, rpps, adeli, code_insee FROM partners WHERE type IN "
                        f"({','.join('?' * len(types))}) ORDER BY id", types).fetchall()
    return [Partner(id=r["id"], type=r["type"], name=r["name"], rpps=r["rpps"], adeli=r["adeli"],
                    code_insee=r["code_insee"]) for r in rows]


# ---------------------------------------------------------------------- demo and real partners

_IS_DEMO_SQL = "(p.source = ? OR p.key LIKE 'DEMO:%')"


def has_real_partners(conn: sqlite3.Connection) -> bool:
    """True when the directory holds at least one partner that is not FICTITIOUS demo data."""
    return conn.execute(f"SELECT EXISTS (SELECT 1 FROM partners p WHERE NOT {_IS_DEMO_SQL})",
                        (DEMO_SOURCE,)).fetchone()[0] == 1


def count_demo_partners(conn: sqlite3.Connection) -> int:
    """Number of FICTITIOUS demo partners in the directory."""
    return conn.execute(f"SELECT count(*) FROM partners p WHERE {_IS_DEMO_SQL}", (DEMO_SOURCE,)).fetchone()[0]


def demo_included(conn: sqlite3.Connection, include_demo=AUTO) -> bool:
    """Whether reads keep the demo partners: ``True``/``False`` as asked; ``"auto"``: only while
    the directory holds no real partner (so demo entries never mix silently with real ones)."""
    if include_demo == AUTO or include_demo is None:
        return not has_real_partners(conn)
    return bool(include_demo)


def _partner_filter(conn, include_demo=AUTO, labels=(), alias: str = "p") -> tuple[list[str], list]:
    """SQL conditions (on ``alias``) and parameters for the demo policy and required labels."""
    where, params = [], []
    if not demo_included(conn, include_demo):
        where.append(f"NOT {_IS_DEMO_SQL.replace('p.', alias + '.')}")
        params.append(DEMO_SOURCE)
    for label in clean_labels(labels):
        where.append(f"EXISTS (SELECT 1 FROM partner_labels l WHERE l.partner_id = {alias}.id AND l.label = ?)")
        params.append(label)
    return where, params


def count_partners(conn: sqlite3.Connection, type: str | None = None) -> int:
    """Number of partners (of one type)."""
    if type:
        return conn.execute("SELECT count(*) FROM partners WHERE type = ?", (type,)).fetchone()[0]
    return conn.execute("SELECT count(*) FROM partners").fetchone()[0]


def list_partners(conn: sqlite3.Connection, type: str | None = None,
                  include_outside: bool = True, include_demo=AUTO, labels=()) -> pd.DataFrame:
    """All partners as a table (columns :data:`LIST_COLUMNS`), sorted by type and name.

    Parameters
    ----------
    conn
        Open database.
    type
        Keep one partner type only (``"CPTS"``...); comma-separated types allowed.
    include_outside
        Keep partners flagged ``outside_territory`` (neighbours and farther ones).
    include_demo
        Keep the FICTITIOUS demo partners: ``True``, ``False``, or ``"auto"`` (the
        default): only while the directory holds no real partner.
    labels
        Keep the partners carrying every one of these labels.

    Returns
    -------
    pandas.DataFrame
        ``zone_size`` is the number of communes covered (NaN when unknown); ``labels`` the
        partner's labels joined by ``"; "``; ``demo`` whether it is a demo partner;
        ``neighbour`` whether it lies outside the departments but within
        :data:`~partners.model.NEIGHBOUR_KM` of their border; ``version`` its stored version.
    """
    sql = ("SELECT p.*, (SELECT count(*) FROM partner_communes c WHERE c.partner_id = p.id) AS zone_size, "
           "coalesce(s.version, 0) AS version, s.border_km AS border_km, "
           "(SELECT group_concat(label, '; ') FROM (SELECT label FROM partner_labels l WHERE l.partner_id = p.id "
           "ORDER BY label)) AS labels "
           "FROM partners p LEFT JOIN partner_state s ON s.partner_id = p.id")
    where, params = _partner_filter(conn, include_demo, labels)
    if type:
        types = [t.strip().upper() for t in str(type).split(",") if t.strip()]
        where.append(f"p.type IN ({','.join('?' * len(types))})")
        params.extend(types)
    if not include_outside:
        where.append("p.outside_territory = 0")
    if where:
        sql += " WHERE " + " AND ".join(where)
    frame = pd.read_sql_query(sql + " ORDER BY p.type, p.name_norm, p.id", conn, params=params)
    frame["outside_territory"] = frame["outside_territory"].astype(bool)
    frame["zone_size"] = frame["zone_size"].where(frame["zone_known"].astype(bool))
    frame["labels"] = frame["labels"].fillna("").astype(str)
    frame["demo"] = (frame["source"] == DEMO_SOURCE) | frame["key"].str.startswith("DEMO:")
    frame["border_km"] = pd.to_numeric(frame["border_km"], errors="coerce")
    frame["neighbour"] = frame["outside_territory"] & (frame["border_km"] <= NEIGHBOUR_KM)
    frame["version"] = frame["version"].astype(int)
    return frame[list(LIST_COLUMNS)]


def partner_history(conn: sqlite3.Connection, partner_id: int | None = None,
                    limit: int | None = None) -> pd.DataFrame:
    """The change history, newest first.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, at, author, action, partner_id, name, reason, undone_by,
        before, after`` (``before``/``after`` are JSON text, empty when absent).
    """
    sql = "SELECT * FROM partner_history"
    params: list = []
    if partner_id is not None:
        sql += " WHERE partner_id = ?"
        params.append(int(partner_id))
    sql += " ORDER BY id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    frame = pd.read_sql_query(sql, conn, params=params)
    frame[["before", "after"]] = frame[["before", "after"]].astype(object).where(
        frame[["before", "after"]].notna(), "")

    def name(row):
        snapshot = row["after"] or row["before"]
        return json.loads(snapshot)["name"] if snapshot else ""

    frame["name"] = frame.apply(name, axis=1) if len(frame) else pd.Series(dtype=str)
    frame["undone_by"] = frame["undone_by"].astype("Int64")
    return frame[["id", "at", "author", "action", "partner_id", "name", "reason", "undone_by", "before", "after"]]


# ---------------------------------------------------------------------- writes

def _write(conn: sqlite3.Connection, partner: Partner, insert: bool) -> int:
    values = partner.to_dict()
    values["name_norm"] = normalize_name(partner.name)
    values["zone_known"] = int(partner.communes is not None)
    values["outside_territory"] = int(partner.outside_territory)
    columns = [c for c in _COLUMNS if c != "id" or partner.id is not None] + ["name_norm", "zone_known"]
    previous = None if insert else partner_version(conn, partner.id)
    if insert:
        cursor = conn.execute(
            f"INSERT INTO partners ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})", values)
        partner_id = partner.id if partner.id is not None else cursor.lastrowid
    else:
        assignments = ", ".join(f"{c} = :{c}" for c in columns if c != "id")
        conn.execute(f"UPDATE partners SET {assignments} WHERE id = :id", values)
        partner_id = partner.id
    conn.execute("DELETE FROM partner_communes WHERE partner_id = ?", (partner_id,))
    if partner.communes:
        conn.executemany("INSERT INTO partner_communes (partner_id, code_insee) VALUES (?, ?)",
                         [(partner_id, code) for code in sorted(set(partner.communes))])
    conn.execute("DELETE FROM partner_labels WHERE partner_id = ?", (partner_id,))
    conn.executemany("INSERT INTO partner_labels (partner_id, label) VALUES (?, ?)",
                     [(partner_id, label) for label in clean_labels(partner.labels)])
    # an update follows the stored version; a restored partner (undo of a delete) continues the
    # numbering of its snapshot, so a form opened before the delete stays stale
    version = (previous or 0) + 1 if not insert else (partner.version or 0) + 1
    conn.execute("INSERT OR REPLACE INTO partner_state (partner_id, version, border_km) VALUES (?, ?, ?)",
                 (partner_id, version, partner.border_km))
    return int(partner_id)


def _record(conn, partner_id: int, action: str, before: Partner | None, after: Partner | None,
            author: str, reason: str, at: str, batch: list | None = None) -> int:
    """Write one history row; with ``batch`` (a list shared by the rows of one action such as a
    purge), the rows are tied together so that one undo takes them all back."""
    cursor = conn.execute(
        "INSERT INTO partner_history (partner_id, at, author, action, before, after, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (partner_id, at, author, action,
         None if before is None else json.dumps(before.to_dict(), ensure_ascii=False),
         None if after is None else json.dumps(after.to_dict(), ensure_ascii=False), reason))
    history_id = int(cursor.lastrowid)
    if batch is not None:
        if not batch:
            batch.append(history_id)
        conn.execute("INSERT INTO partner_history_batch (history_id, batch) VALUES (?, ?)", (history_id, batch[0]))
    return history_id


def duplicate_issues(conn: sqlite3.Connection, partner: Partner, own_id: int | None) -> list[Issue]:
    """Other partners this one would duplicate.

    Same FINESS number: an error. Same normalised name in the same commune: a
    warning (two services may share a name). Both messages name the two partners.
    """
    issues = []
    own = -1 if own_id is None else int(own_id)
    if partner.finess:
        row = conn.execute("SELECT id, name, key FROM partners WHERE finess = ? AND id != ?",
                           (partner.finess, own)).fetchone()
        if row:
            issues.append(Issue("error", "finess",
                                f"duplicate: FINESS {partner.finess} of {partner.name!r} already belongs to "
                                f"partner #{row['id']} {row['name']!r} ({row['key']})",
                                "partners.duplicate_finess",
                                {"finess": partner.finess, "name": partner.name, "other_id": row["id"],
                                 "other_name": row["name"]}))
    if partner.code_insee:
        row = conn.execute("SELECT id, name, type FROM partners WHERE name_norm = ? AND code_insee = ? AND id != ?",
                           (normalize_name(partner.name), partner.code_insee, own)).fetchone()
        if row:
            issues.append(Issue("warning", "name",
                                f"likely duplicate: {partner.name!r} ({partner.type}) has the same name and "
                                f"commune {partner.code_insee} as partner #{row['id']} {row['name']!r} ({row['type']})",
                                "partners.likely_duplicate",
                                {"name": partner.name, "type": partner.type, "code": partner.code_insee,
                                 "other_id": row["id"], "other_name": row["name"], "other_type": row["type"]}))
    return issues


def check_version(conn: sqlite3.Connection, partner_id: int, expected: int | None, name: str = "") -> None:
    """Refuse a change made on an older version of the partner (optimistic concurrency).

    Raises
    ------
    StaleEditError
        ``partners.stale_edit``: the stored version is newer (the message names who changed it
        and when); ``partners.stale_deleted``: the partner was deleted since.
    """
    if expected is None:
        return
    current = partner_version(conn, partner_id)
    if current is None:
        raise StaleEditError("partners.stale_deleted", id=int(partner_id), name=name, expected=int(expected))
    if current != int(expected):
        last = conn.execute("SELECT author, at FROM partner_history WHERE partner_id = ? ORDER BY id DESC LIMIT 1",
                            (int(partner_id),)).fetchone()
        raise StaleEditError("partners.stale_edit", id=int(partner_id), name=name, expected=int(expected),
                             current=current, author=last["author"] if last else "",
                             at=last["at"] if last else "")


def save_checked(conn: sqlite3.Connection, partner: Partner, *, author: str, reason: str = "",
                 merge: bool = True, at: str | None = None, expected_version: int | None = None) -> SaveResult:
    """Create or update a partner already checked and located; call inside a transaction.

    Parameters
    ----------
    conn
        Open database, inside ``BEGIN IMMEDIATE``.
    partner
        The partner; found again by ``id`` when set, else by :func:`partner_key`.
    author, reason
        Recorded in the history.
    merge
        Imports merge (empty incoming fields keep the stored value); an edit
        replaces every field.
    at
        Time of the change (default: now).
    expected_version
        The version the edit was made on (a form's partner); a newer stored version refuses it.

    Returns
    -------
    SaveResult

    Raises
    ------
    DuplicateError
        Another partner has the same FINESS number.
    StaleEditError
        ``expected_version`` is not the stored one.
    """
    at = at or now_utc()
    key = partner_key(partner)
    partner = partner.replace(key=key, labels=clean_labels(partner.labels))
    if partner.id is not None:
        check_version(conn, partner.id, expected_version, partner.name)
    existing = get_partner(conn, partner.id) if partner.id is not None else find_partner(conn, key)
    if partner.id is not None and existing is None:
        raise ValidationError("id", partner.id, f"partner #{partner.id} does not exist (deleted?)",
                              code="partners.not_found", id=partner.id)
    issues = duplicate_issues(conn, partner, existing.id if existing else None)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        raise DuplicateError(errors[0].field, partner.finess, errors[0].message, code=errors[0].code,
                             **errors[0].params)
    if existing is None:
        new = partner.replace(id=None, created_at=at, updated_at=at, updated_by=author)
        new_id = _write(conn, new, insert=True)
        new = new.replace(id=new_id, version=partner_version(conn, new_id))
        history_id = _record(conn, new_id, "create", None, new, author, reason, at)
        return SaveResult(new_id, "created", new, issues, history_id)
    if partner.source_date and existing.source_date and partner.source_date < existing.source_date:
        issues.append(Issue("warning", "source_date",
                            f"{partner.name!r}: record dated {partner.source_date} is older than the stored one "
                            f"({existing.source_date}); kept the stored one", "partners.older_record",
                            {"name": partner.name, "date": partner.source_date, "stored": existing.source_date}))
        return SaveResult(existing.id, "unchanged", existing, issues)
    if merge:
        candidate = existing.merged_with(partner)
    else:
        candidate = partner.replace(id=existing.id, created_at=existing.created_at)
    candidate = candidate.replace(key=existing.key if merge else key)
    if candidate.data() == existing.data() and candidate.key == existing.key:
        return SaveResult(existing.id, "unchanged", existing, issues)
    candidate = candidate.replace(id=existing.id, created_at=existing.created_at, updated_at=at, updated_by=author,
                                  version=existing.version + 1)
    _write(conn, candidate, insert=False)
    history_id = _record(conn, existing.id, "update", existing, candidate, author, reason, at)
    return SaveResult(existing.id, "updated", candidate, issues, history_id)


def prepare_partner(partner: Partner, places=None) -> tuple[Partner, list[Issue]]:
    """Check, normalise and locate a partner (see :func:`partners.places.locate_partner`).

    Returns
    -------
    tuple
        ``(partner, issues)``; the partner must not be saved if an issue is an error.
    """
    from partners.places import default_places, locate_partner

    partner, issues = check_partner(partner)
    if any(i.level == "error" for i in issues):
        return partner, issues
    partner, more = locate_partner(partner, places or default_places())
    return partner, issues + more


def save_partner(conn: sqlite3.Connection, partner: Partner, *, author: str | None = None,
                 reason: str = "", places=None, merge: bool = False,
                 expected_version: int | None = None) -> SaveResult:
    """Check, locate and save one partner (its own transaction), recording the change.

    Parameters
    ----------
    conn
        Open database (``geo.database.connect``).
    partner
        New partner (``id`` None) or edited one (``id`` set: every field replaced).
    author
        Who makes the change (default :func:`default_author`).
    reason
        Free text kept in the history.
    places
        The territory (:class:`partners.places.Places`; the committed one by default).
    merge
        Keep stored values for empty fields (what imports do).
    expected_version
        The version the edit started from (``partner.version`` of the form); when the stored
        partner is newer (another user's edit, an undo) the edit is refused.

    Returns
    -------
    SaveResult

    Raises
    ------
    ValidationError
        The first error found (its message names the field and the value).
    DuplicateError
        Same FINESS as another partner.
    StaleEditError
        The partner changed (or was deleted) since ``expected_version``.

    Examples
    --------
    >>> from geo.database import connect
    >>> conn = connect(":memory:")  # doctest: +SKIP
    >>> save_partner(conn, Partner(type="CCAS", name="CCAS de Lyon 3e", code_insee="69383"))  # doctest: +SKIP
    """
    require_acting("partners.edit")
    partner, issues = prepare_partner(partner, places)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        first = errors[0]
        raise ValidationError(first.field, getattr(partner, first.field, None),
                              "; ".join(e.message for e in errors),
                              **({"code": first.code, **first.params} if first.code and len(errors) == 1 else {}))
    result = transaction(conn, lambda c: save_checked(c, partner, author=author or default_author(),
                                                      reason=reason, merge=merge,
                                                      expected_version=expected_version))
    result.issues = issues + result.issues
    return result


def _existing_partner(conn: sqlite3.Connection, partner_id: int) -> Partner:
    """The partner with this id, or a ValidationError naming the id."""
    current = get_partner(conn, partner_id)
    if current is None:
        raise ValidationError("id", partner_id, f"partner #{partner_id} does not exist", code="partners.not_found",
                              id=int(partner_id))
    return current


def set_communes(conn: sqlite3.Connection, partner_id: int, codes, *, author: str | None = None,
                 reason: str = "") -> str:
    """Replace the communes a partner covers (history kept); returns updated or unchanged.

    Raises
    ------
    ValidationError
        No partner with this id.
    """
    require_acting("partners.edit")

    def work(c):
        current = _existing_partner(c, partner_id)
        return save_checked(c, current.replace(communes=tuple(sorted(set(codes)))),
                            author=author or default_author(), reason=reason, merge=True).action

    return transaction(conn, work)


def delete_partner(conn: sqlite3.Connection, partner_id: int, *, author: str | None = None,
                   reason: str = "", expected_version: int | None = None) -> int:
    """Delete a partner; the history keeps it, :func:`undo` brings it back.

    Returns
    -------
    int
        The history id of the deletion.

    Raises
    ------
    ValidationError
        No partner with this id.
    StaleEditError
        The partner changed since ``expected_version``.
    """
    require_acting("partners.edit")

    def work(c):
        check_version(c, partner_id, expected_version)
        current = _existing_partner(c, partner_id)
        c.execute("DELETE FROM partners WHERE id = ?", (current.id,))
        return _record(c, current.id, "delete", current, None, author or default_author(), reason, now_utc())

    return transaction(conn, work)


def _history_row(c, change_id: int):
    row = c.execute("SELECT * FROM partner_history WHERE id = ?", (int(change_id),)).fetchone()
    if row is None:
        raise ValidationError("change", change_id, f"change #{change_id} does not exist",
                              code="partners.change_not_found", change=int(change_id))
    return row


def _batch_rows(c, row) -> list:
    """The history rows recorded with ``row`` as one action (just ``row`` when it stands alone)."""
    batch = c.execute("SELECT batch FROM partner_history_batch WHERE history_id = ?", (row["id"],)).fetchone()
    if batch is None:
        return [row]
    return c.execute("SELECT h.* FROM partner_history h JOIN partner_history_batch b ON b.history_id = h.id "
                     "WHERE b.batch = ? ORDER BY h.id", (batch[0],)).fetchall()


def _revert(c, row, who: str, at: str, batch: list | None, redo: bool = False) -> int:
    """Put the partner of history ``row`` back to its ``before`` state; returns the new history id."""
    if row["undone_by"] is not None:
        raise ValidationError("change", row["id"], f"change #{row['id']} was already undone by change "
                              f"#{row['undone_by']}", code="partners.already_undone", change=int(row["id"]),
                              by=int(row["undone_by"]))
    before = Partner.from_dict(json.loads(row["before"])) if row["before"] else None
    after = Partner.from_dict(json.loads(row["after"])) if row["after"] else None
    current = get_partner(c, row["partner_id"])
    same = (current is None and after is None) or (
        current is not None and after is not None and current.data() == after.data())
    if not same:
        raise ValidationError("change", row["id"],
                              f"cannot undo change #{row['id']} ({row['action']} of partner "
                              f"#{row['partner_id']}): the partner changed since; undo the later changes first",
                              code="partners.undo_changed_since", change=int(row["id"]),
                              action=row["action"], id=int(row["partner_id"]))
    if before is not None and current is None:
        clash = find_partner(c, before.key)
        if clash is not None:
            raise ValidationError("change", row["id"],
                                  f"cannot restore partner #{before.id}: its key {before.key} is now used by "
                                  f"partner #{clash.id} {clash.name!r}", code="partners.undo_key_taken",
                                  id=int(before.id), key=before.key, other_id=clash.id, other_name=clash.name)
    if before is None:
        c.execute("DELETE FROM partners WHERE id = ?", (row["partner_id"],))
        restored = None
    else:
        restored = before.replace(updated_at=at, updated_by=who)
        _write(c, restored, insert=current is None)
        restored = restored.replace(version=partner_version(c, row["partner_id"]))
    if redo:  # a redo is the original change again (so the next undo takes it back)
        original = c.execute("SELECT action FROM partner_history WHERE undone_by = ?", (row["id"],)).fetchone()
        action, reason = (original[0] if original else "update"), f"redo (undo of change #{row['id']})"
    else:
        action, reason = "undo", f"undo of change #{row['id']} ({row['action']})"
    history_id = _record(c, row["partner_id"], action, current, restored, who, reason, at, batch)
    c.execute("UPDATE partner_history SET undone_by = ? WHERE id = ?", (history_id, row["id"]))
    return history_id


def undo(conn: sqlite3.Connection, change_id: int | None = None, *, author: str | None = None) -> dict:
    """Undo one change (the latest not yet undone by default): a delete is restored with its id.

    A change recorded as part of one action (a demo purge, see :func:`purge_demo`) is undone
    with every other change of that action, in one transaction.

    Parameters
    ----------
    conn
        Open database.
    change_id
        History id to undo.
    author
        Who undoes it (recorded as an ``undo`` change).

    Returns
    -------
    dict
        ``{"undone": change_id, "history_id": ..., "partner_id": ..., "action": ..., "count": n}``
        (``count``: changes undone, more than 1 for a batch).

    Raises
    ------
    ValidationError
        Nothing to undo (``partners.nothing_to_undo``), the change was already undone, or the
        partner changed since (undo the later changes first).
    """
    require_acting("partners.edit")

    def work(c):
        if change_id is None:
            row = c.execute("SELECT * FROM partner_history WHERE undone_by IS NULL AND action != 'undo' "
                            "ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                raise ValidationError("change", None, "nothing to undo", code="partners.nothing_to_undo")
        else:
            row = _history_row(c, change_id)
        return _revert_all(c, row, author)

    return transaction(conn, work)


def _revert_all(c, row, author, redo: bool = False) -> dict:
    rows = _batch_rows(c, row)
    at, who = now_utc(), author or default_author()
    batch: list | None = [] if len(rows) > 1 else None
    history_id = None
    for item in reversed(rows):
        history_id = _revert(c, item, who, at, batch, redo)
    return {"undone": int(row["id"]), "history_id": batch[0] if batch else history_id,
            "partner_id": int(row["partner_id"]), "action": row["action"], "count": len(rows)}


def redo(conn: sqlite3.Connection, *, author: str | None = None) -> dict:
    """Redo the latest undo, when nothing else changed the directory since.

    Returns
    -------
    dict
        As :func:`undo`; ``action`` is the action redone (``update``, ``delete``...).

    Raises
    ------
    ValidationError
        ``partners.nothing_to_redo``: no undo to redo, or other changes came after it.
    """
    require_acting("partners.edit")

    def work(c):
        last = c.execute("SELECT * FROM partner_history ORDER BY id DESC LIMIT 1").fetchone()
        if last is None or last["action"] != "undo" or last["undone_by"] is not None:
            raise ValidationError("change", None, "nothing to redo", code="partners.nothing_to_redo")
        original = c.execute("SELECT action FROM partner_history WHERE undone_by = ?", (last["id"],)).fetchone()
        result = _revert_all(c, last, author, redo=True)
        result["action"] = original[0] if original is not None else "update"
        return result

    return transaction(conn, work)


def label_partners(conn: sqlite3.Connection, ids, label: str, *, author: str | None = None,
                   reason: str = "") -> dict:
    """Add ``label`` to the partners ``ids`` as one change that one :func:`undo` takes back.

    Returns
    -------
    dict
        ``{"tagged": [ids labelled now], "already": [ids that had it], "change": first history id or None}``.
    """
    require_acting("partners.edit")
    label = clean_labels([label])[0]

    def work(c):
        at, who, batch = now_utc(), author or default_author(), []
        tagged, already = [], []
        for partner_id in ids:
            current = _existing_partner(c, int(partner_id))
            if label in current.labels:
                already.append(current.id)
                continue
            labelled = current.replace(labels=clean_labels(current.labels + (label,)), updated_at=at, updated_by=who)
            _write(c, labelled, insert=False)
            _record(c, current.id, "update", current, labelled.replace(version=partner_version(c, current.id)),
                    who, reason, at, batch)
            tagged.append(current.id)
        return {"tagged": tagged, "already": already, "change": batch[0] if batch else None}

    return transaction(conn, work)


def purge_demo(conn: sqlite3.Connection, *, author: str | None = None) -> dict:
    """Delete every FICTITIOUS demo partner as one change that one :func:`undo` takes back.

    Returns
    -------
    dict
        ``{"deleted": n, "change": history id of the first deletion (None when none)}``.
    """
    require_acting("demo.purge")

    def work(c):
        rows = c.execute(f"SELECT p.id FROM partners p WHERE {_IS_DEMO_SQL} ORDER BY p.id",
                         (DEMO_SOURCE,)).fetchall()
        at, who, batch = now_utc(), author or default_author(), []
        for (partner_id,) in rows:
            current = get_partner(c, partner_id)
            c.execute("DELETE FROM partners WHERE id = ?", (partner_id,))
            _record(c, partner_id, "delete", current, None, who, "suppression de l'annuaire de démonstration",
                    at, batch)
        return {"deleted": len(rows), "change": batch[0] if batch else None}

    return transaction(conn, work)


# ---------------------------------------------------------------------- reads for other layers

def zone_memberships(conn: sqlite3.Connection, types=None, include_demo=AUTO) -> pd.DataFrame:
    """The declared zones (CPTS territories, HAD zones): one row per (partner, commune covered).

    Parameters
    ----------
    conn
        Open database.
    types
        Partner types to keep (default: all).
    include_demo
        As :func:`list_partners` (``"auto"``: demo zones only while no real partner exists).

    Returns
    -------
    pandas.DataFrame
        ``type, partner_id, code_insee, name, lon, lat`` (``lon``/``lat`` NaN for a partner without
        position), sorted by partner and commune.
    """
    where, params = _partner_filter(conn, include_demo)
    if types is not None:
        types = [types] if isinstance(types, str) else list(types)
        where.append(f"p.type IN ({','.join('?' * len(types))})")
        params.extend(types)
    sql = ("SELECT p.type AS type, c.partner_id AS partner_id, c.code_insee AS code_insee, p.name AS name, "
           "p.lon AS lon, p.lat AS lat FROM partner_communes c JOIN partners p ON p.id = c.partner_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    frame = pd.read_sql_query(sql + " ORDER BY c.partner_id, c.code_insee", conn, params=params)
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    return frame


def covering_counts(conn: sqlite3.Connection, codes, include_demo=AUTO) -> dict[int, int]:
    """For each partner whose zone covers some of ``codes``: how many of them (``{partner_id: n}``)."""
    codes = [str(c) for c in codes]
    if not codes:
        return {}
    where, params = _partner_filter(conn, include_demo)
    sql = (f"SELECT c.partner_id, count(DISTINCT c.code_insee) FROM partner_communes c JOIN partners p "
           f"ON p.id = c.partner_id WHERE c.code_insee IN ({','.join('?' * len(codes))})")
    if where:
        sql += " AND " + " AND ".join(where)
    return {int(i): int(n) for i, n in conn.execute(sql + " GROUP BY c.partner_id", codes + params)}


def directory_stamp(conn: sqlite3.Connection) -> tuple[int, int]:
    """``(partners, last change id)``: changes whenever the directory does (a cache key)."""
    row = conn.execute("SELECT (SELECT count(*) FROM partners), "
                       "(SELECT coalesce(max(id), 0) FROM partner_history)").fetchone()
    return int(row[0]), int(row[1])
