"""Local accounts in the database: argon2 hashes, lock-out, sessions that expire.

For small sites without an identity provider. An account has a login, a name
shown in history, a role (:data:`geo.access.ROLES`) and, unless it
signs in through the identity provider only, an argon2id password hash.
Passwords are never stored nor logged; session tokens are stored as SHA-256
digests, so a copy of the database opens no session.

Lock-out: :data:`MAX_FAILURES` wrong passwords in a row lock the account for
:data:`LOCK_SECONDS`. Sessions end after :data:`IDLE_SECONDS` without
activity or :data:`MAX_SESSION_SECONDS` after sign-in, whichever comes first;
changing a password or disabling an account ends its sessions.
"""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.database import register_schema, transaction
from services import audit
from geo.access import AccessError, User, normalise_role, require_acting

#: Wrong passwords in a row before the account is locked.
MAX_FAILURES = 5
#: How long a lock lasts.
LOCK_SECONDS = 15 * 60
#: A session ends after this long without activity...
IDLE_SECONDS = 30 * 60
#: ... and this long after sign-in in any case (a working day).
MAX_SESSION_SECONDS = 10 * 3600
#: A session's activity is written at most this often: a page asks who is signed in a dozen times per
#: run, and each write is a committed transaction (a disk flush) on the connection every session shares.
TOUCH_SECONDS = 30
#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 12

#: The accounts' tables (listed by :func:`services.storage.schemas`).
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    login TEXT PRIMARY KEY COLLATE NOCASE,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT,                      -- NULL: signs in through the identity provider only
    active INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,                       -- unix time
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_sessions (
    token_sha256 TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
"""
register_schema("accounts", SCHEMA)

_HASHER = PasswordHasher()
#: Verified against when the login is unknown, so that a wrong login costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def _stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_login(login: str) -> str:
    login = str(login).strip()
    if not login or len(login) > 200 or any(ord(c) < 32 for c in login):
        raise AccessError("access.bad_login", login=login[:40])
    return login


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError("access.weak_password", minimum=MIN_PASSWORD_LENGTH)
    return password


def _row(conn: sqlite3.Connection, login: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM users WHERE login = ?", (login,)).fetchone()
    if row is None:
        raise AccessError("access.unknown_user", login=login)
    return row


def _user(row: sqlite3.Row) -> User:
    return User(row["login"], row["role"], row["name"])


def add_user(conn: sqlite3.Connection, login: str, role: str, *, password: str | None = None,
             name: str = "") -> User:
    """Create an account; without ``password`` it signs in through the identity provider only."""
    require_acting("users.manage")
    login, role = _check_login(login), normalise_role(role)
    digest = _HASHER.hash(_check_password(password)) if password is not None else None

    def work(c):
        if c.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
            raise AccessError("access.user_exists", login=login)
        now = _stamp()
        c.execute("INSERT INTO users (login, name, role, password_hash, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?)", (login, str(name).strip(), role, digest, now, now))
        audit.record(c, "user.add", target=login, after={"nom": str(name).strip(), "role": role,
                                                         "mot_de_passe": digest is not None})

    transaction(conn, work)
    return User(login, role, str(name).strip())


def set_password(conn: sqlite3.Connection, login: str, password: str) -> None:
    """Replace the password, lift any lock and end the account's sessions."""
    require_acting("users.manage")
    digest = _HASHER.hash(_check_password(password))

    def work(c):
        _row(c, login)
        c.execute("UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL, "
                  "updated_at = ? WHERE login = ?", (digest, _stamp(), login))
        c.execute("DELETE FROM user_sessions WHERE login = ?", (login,))
        audit.record(c, "user.password", target=login)

    transaction(conn, work)


def set_active(conn: sqlite3.Connection, login: str, active: bool) -> None:
    """Disable (ending its sessions) or enable an account."""
    require_acting("users.manage")

    def work(c):
        was = bool(_row(c, login)["active"])
        audit.record(c, "user.active", target=login, before={"actif": was}, after={"actif": bool(active)})
        c.execute("UPDATE users SET active = ?, failed_attempts = 0, locked_until = NULL, updated_at = ? "
                  "WHERE login = ?", (int(bool(active)), _stamp(), login))
        if not active:
            c.execute("DELETE FROM user_sessions WHERE login = ?", (login,))

    transaction(conn, work)


def set_role(conn: sqlite3.Connection, login: str, role: str) -> None:
    """Give an account another role (its open sessions take it at their next page)."""
    require_acting("users.manage")
    role = normalise_role(role)

    def work(c):
        was = _row(c, login)["role"]
        audit.record(c, "user.role", target=login, before={"role": was}, after={"role": role})
        c.execute("UPDATE users SET role = ?, updated_at = ? WHERE login = ?", (role, _stamp(), login))

    transaction(conn, work)


def list_users(conn: sqlite3.Connection, now: float | None = None) -> list[dict]:
    """Every account (never its hash): login, name, role, active, locked, how it signs in."""
    now = time.time() if now is None else now
    rows = conn.execute("SELECT * FROM users ORDER BY login").fetchall()
    return [{"login": r["login"], "name": r["name"], "role": r["role"], "active": bool(r["active"]),
             "locked": bool(r["locked_until"] and r["locked_until"] > now),
             "password": r["password_hash"] is not None, "updated_at": r["updated_at"]} for r in rows]


def has_password_accounts(conn: sqlite3.Connection) -> bool:
    """Whether at least one active account can sign in with a password."""
    return conn.execute("SELECT 1 FROM users WHERE active = 1 AND password_hash IS NOT NULL "
                        "LIMIT 1").fetchone() is not None


def authenticate(conn: sqlite3.Connection, login: str, password: str, now: float | None = None) -> User:
    """The account's user if ``password`` is right; counts failures and locks after too many.

    Raises ``access.bad_credentials`` (unknown login or wrong password: the
    same answer for both), ``access.locked`` or ``access.account_disabled``.
    """
    now = time.time() if now is None else now
    login = str(login).strip()
    row = conn.execute("SELECT * FROM users WHERE login = ?", (login,)).fetchone()
    if row is None or row["password_hash"] is None:
        _verify(_DUMMY_HASH, password)
        raise AccessError("access.bad_credentials")
    if row["locked_until"] and row["locked_until"] > now:
        raise AccessError("access.locked", minutes=max(1, round((row["locked_until"] - now) / 60)))
    if not _verify(row["password_hash"], password):
        def fail(c):
            failures = c.execute("SELECT failed_attempts FROM users WHERE login = ?",
                                 (row["login"],)).fetchone()[0] + 1
            if failures >= MAX_FAILURES:
                c.execute("UPDATE users SET failed_attempts = 0, locked_until = ? WHERE login = ?",
                          (now + LOCK_SECONDS, row["login"]))
            else:
                c.execute("UPDATE users SET failed_attempts = ? WHERE login = ?", (failures, row["login"]))
            return failures

        if transaction(conn, fail) >= MAX_FAILURES:
            raise AccessError("access.locked", minutes=LOCK_SECONDS // 60)
        raise AccessError("access.bad_credentials")
    if not row["active"]:
        raise AccessError("access.account_disabled", login=row["login"])
    updates = {"failed_attempts": 0, "locked_until": None}
    if _HASHER.check_needs_rehash(row["password_hash"]):
        updates["password_hash"] = _HASHER.hash(password)
    sets = ", ".join(f"{k} = ?" for k in updates)
    conn.execute(f"UPDATE users SET {sets} WHERE login = ?", (*updates.values(), row["login"]))
    return _user(row)


def _verify(digest: str, password: str) -> bool:
    try:
        return _HASHER.verify(digest, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(conn: sqlite3.Connection, login: str, now: float | None = None) -> str:
    """A new session token for ``login`` (kept by the page; only its digest is stored)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    conn.execute("INSERT INTO user_sessions (token_sha256, login, created_at, last_seen) VALUES (?, ?, ?, ?)",
                 (_digest(token), login, now, now))
    # Expired sessions of everyone go at each sign-in: the table stays small.
    conn.execute("DELETE FROM user_sessions WHERE last_seen < ? OR created_at < ?",
                 (now - IDLE_SECONDS, now - MAX_SESSION_SECONDS))
    return token


def session_user(conn: sqlite3.Connection, token: str | None, now: float | None = None) -> User | None:
    """The user of a live session (and it is marked active now); ``None`` if ended or expired."""
    if not token:
        return None
    now = time.time() if now is None else now
    row = conn.execute("SELECT s.created_at, s.last_seen, u.* FROM user_sessions s JOIN users u "
                       "ON u.login = s.login WHERE s.token_sha256 = ?", (_digest(token),)).fetchone()
    if row is None:
        return None
    expired = now - row["last_seen"] > IDLE_SECONDS or now - row["created_at"] > MAX_SESSION_SECONDS
    if expired or not row["active"]:
        close_session(conn, token)
        return None
    if now - row["last_seen"] >= TOUCH_SECONDS:
        conn.execute("UPDATE user_sessions SET last_seen = ? WHERE token_sha256 = ?", (now, _digest(token)))
    return _user(row)


def close_session(conn: sqlite3.Connection, token: str) -> None:
    """End a session (sign-out)."""
    conn.execute("DELETE FROM user_sessions WHERE token_sha256 = ?", (_digest(token),))


def provider_user(conn: sqlite3.Connection, email: str | None) -> User | None:
    """The active account of a person signed in through the identity provider (by e-mail), if any."""
    if not email:
        return None
    row = conn.execute("SELECT * FROM users WHERE login = ? AND active = 1", (str(email).strip(),)).fetchone()
    return _user(row) if row else None
