"""Agencies, users, sharing groups, bearer tokens and the audit log, in the store.

Only storage lives here: passwords arrive already hashed (argon2, by the
access service) and tokens as their SHA-256 digests, so neither a password
nor a token is ever written in the clear.

The audit log is append-only and hash-chained: each entry holds the hash of
the entry before it, and its own hash covers that and everything it says. An
entry changed, removed or inserted breaks the chain at that point, which
``verify_audit`` reports.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

import pandas as pd

from . import sql_tables
from .sql_tables import frame, portable, utc_text, writes

GENESIS = "0" * 64  # the "previous hash" of the first entry

_TABLES = """
CREATE TABLE agencies (code TEXT PRIMARY KEY, country TEXT NOT NULL, name TEXT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0, created DATETIME NOT NULL);
CREATE TABLE users (name TEXT PRIMARY KEY, agency TEXT NOT NULL REFERENCES agencies(code),
    role TEXT NOT NULL, password_hash TEXT, failures INTEGER NOT NULL DEFAULT 0,
    locked_until DATETIME, disabled INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0, created DATETIME NOT NULL, language TEXT);
CREATE TABLE sharing_groups (name TEXT PRIMARY KEY, created DATETIME NOT NULL);
CREATE TABLE group_members (group_name TEXT NOT NULL REFERENCES sharing_groups(name),
    agency TEXT NOT NULL REFERENCES agencies(code), PRIMARY KEY (group_name, agency));
CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, "user" TEXT NOT NULL
    REFERENCES users(name), digest TEXT NOT NULL UNIQUE, created DATETIME NOT NULL,
    expires DATETIME NOT NULL, revoked DATETIME);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, time DATETIME NOT NULL, "user" TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
"""


TABLES = ("agencies", "users", "sharing_groups", "group_members", "tokens", "audit_log")


def create_tables(db: sqlite3.Connection) -> None:
    sql_tables.create_tables(db, _TABLES)


def pg_tables() -> list[str]:
    return sql_tables.pg_script(_TABLES)


@dataclass(frozen=True)
class User:
    name: str
    agency: str
    country: str
    role: str
    password_hash: str | None
    failures: int
    locked_until: pd.Timestamp | None
    disabled: bool
    demo: bool
    groups: frozenset[str]
    language: str | None = None  # the interface language the user chose (model/i18n)


class Accounts:
    """The access tables of one open store (``data_sources.store.Store``)."""

    def __init__(self, store) -> None:
        self.db = portable(store.db)

    # -- agencies, groups ---------------------------------------------------------------

    def agencies(self) -> pd.DataFrame:
        return frame(self.db, "SELECT code, country, name, demo FROM agencies ORDER BY code")

    def agency(self, code: str) -> dict | None:
        row = self.db.execute("SELECT code, country, name, demo FROM agencies WHERE code = ?",
                              (code,)).fetchone()
        return dict(zip(("code", "country", "name", "demo"), row, strict=True)) if row else None

    @writes
    def add_agency(self, db, code: str, country: str, name: str, demo: bool = False) -> None:
        db.execute("INSERT INTO agencies VALUES (?, ?, ?, ?, ?)",
                   (code, country, name, int(demo), utc_text()))

    @writes
    def add_group(self, db, name: str, agencies: list[str]) -> None:
        db.execute("INSERT INTO sharing_groups VALUES (?, ?)", (name, utc_text()))
        db.executemany("INSERT INTO group_members VALUES (?, ?)", [(name, a) for a in agencies])

    def groups(self) -> pd.DataFrame:
        """Each group with its members ('A,B'; None for a group without any)."""
        members = frame(self.db, "SELECT g.name, m.agency FROM sharing_groups g LEFT JOIN "
                                 "group_members m ON m.group_name = g.name "
                                 "ORDER BY g.name, m.agency")
        joined = {name: ",".join(group["agency"].dropna()) or None
                  for name, group in members.groupby("name", sort=True)}
        return pd.DataFrame({"name": list(joined), "agencies": list(joined.values())},
                            dtype=object)

    def groups_of(self, agency: str) -> frozenset[str]:
        return frozenset(r[0] for r in self.db.execute(
            "SELECT group_name FROM group_members WHERE agency = ?", (agency,)))

    def group_exists(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sharing_groups WHERE name = ?",
                               (name,)).fetchone() is not None

    # -- users --------------------------------------------------------------------------

    def any_user(self) -> bool:
        return self.db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def users(self) -> pd.DataFrame:
        users = frame(self.db,
                      "SELECT u.name, u.agency, a.country, u.role, u.disabled, u.demo, "
                      "u.password_hash IS NOT NULL AS has_password, u.locked_until FROM users u "
                      "JOIN agencies a ON a.code = u.agency ORDER BY u.name")
        users["has_password"] = users["has_password"].astype(bool)
        return users

    def user(self, name: str) -> User | None:
        row = self.db.execute(
            "SELECT u.name, u.agency, a.country, u.role, u.password_hash, u.failures, "
            "u.locked_until, u.disabled, u.demo, u.language FROM users u JOIN agencies a "
            "ON a.code = u.agency WHERE u.name = ?", (name,)).fetchone()
        if row is None:
            return None
        groups = self.groups_of(row[1])
        locked = pd.Timestamp(row[6]) if row[6] else None
        return User(row[0], row[1], row[2], row[3], row[4], int(row[5]), locked,
                    bool(row[7]), bool(row[8]), groups, row[9])

    @writes
    def set_language(self, db, name: str, language: str) -> None:
        db.execute("UPDATE users SET language = ? WHERE name = ?", (language, name))

    @writes
    def add_user(self, db, name: str, agency: str, role: str, password_hash: str | None,
                 demo: bool = False) -> None:
        db.execute("INSERT INTO users (name, agency, role, password_hash, demo, created) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (name, agency, role, password_hash, int(demo),
                                                 utc_text()))

    @writes
    def set_password(self, db, name: str, password_hash: str) -> None:
        db.execute("UPDATE users SET password_hash = ?, failures = 0, locked_until = NULL "
                   "WHERE name = ?", (password_hash, name))

    @writes
    def set_disabled(self, db, name: str, disabled: bool) -> None:
        db.execute("UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name))

    @writes
    def login_failed(self, db, name: str, locked_until: pd.Timestamp | None) -> None:
        db.execute("UPDATE users SET failures = failures + 1, locked_until = ? WHERE name = ?",
                   (locked_until.isoformat() if locked_until is not None else None, name))

    @writes
    def login_succeeded(self, db, name: str) -> None:
        db.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE name = ?", (name,))

    # -- tokens -------------------------------------------------------------------------

    @writes
    def add_token(self, db, user: str, digest: str, expires: pd.Timestamp) -> int:
        return int(db.execute('INSERT INTO tokens ("user", digest, created, expires) VALUES '
                              "(?, ?, ?, ?) RETURNING id",
                              (user, digest, utc_text(), expires.isoformat())).fetchone()[0])

    def token(self, digest: str) -> dict | None:
        row = self.db.execute('SELECT id, "user", expires, revoked FROM tokens WHERE digest = ?',
                              (digest,)).fetchone()
        if row is None:
            return None
        return {"id": row[0], "user": row[1], "expires": pd.Timestamp(row[2]),
                "revoked": row[3] is not None}

    def tokens(self) -> pd.DataFrame:
        return frame(self.db, 'SELECT id, "user", created, expires, revoked FROM tokens '
                              "ORDER BY id")

    @writes
    def revoke_token(self, db, token_id: int) -> bool:
        cur = db.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                         (utc_text(), token_id))
        return cur.rowcount == 1

    # -- audit --------------------------------------------------------------------------

    @writes
    def append_audit(self, db, user: str, action: str, detail: dict) -> int:
        """Append one entry, chained to the last (call inside a write transaction,
        so that two writers never chain to the same entry)."""
        db.serialize("audit_log")
        last = db.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        entry_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        time = utc_text()
        text = json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str)
        db.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (entry_id, time, user, action, text, prev,
                    entry_hash(prev, entry_id, time, user, action, text)))
        return entry_id

    def audit(self, user: str | None = None, since: pd.Timestamp | None = None
              ) -> pd.DataFrame:
        where, args = [], []
        if user:
            where.append('"user" = ?')
            args.append(user)
        if since is not None:
            where.append("time >= ?")
            args.append(since.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        sql = 'SELECT id, time, "user", action, detail FROM audit_log'
        if where:
            sql += " WHERE " + " AND ".join(where)
        return frame(self.db, sql + " ORDER BY id", args)

    def verify_audit(self) -> tuple[int, str | None]:
        """(entries checked, the first broken link described, or None when intact)."""
        prev, expected_id, n = GENESIS, 1, 0
        for row in self.db.execute('SELECT id, time, "user", action, detail, prev_hash, hash '
                                   "FROM audit_log ORDER BY id"):
            entry_id, time, user, action, text, stored_prev, stored = row
            n += 1
            if entry_id != expected_id:
                return n, (f"entry {entry_id}: entries {expected_id}..{entry_id - 1} are "
                           "missing")
            if stored_prev != prev:
                return n, f"entry {entry_id}: it does not follow the entry before it"
            if entry_hash(prev, entry_id, time, user, action, text) != stored:
                return n, f"entry {entry_id}: its content was changed after it was written"
            prev, expected_id = stored, entry_id + 1
        return n, None


def entry_hash(prev: str, entry_id: int, time: str, user: str, action: str, text: str) -> str:
    payload = json.dumps([prev, entry_id, time, user, action, text], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
