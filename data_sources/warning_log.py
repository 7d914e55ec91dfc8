"""The early-warning engine's memory, in the store: every message it sent (with
its CAP XML, so the feed is served from here), the state of each active
warning between runs, each delivery to a recipient (pending, sent or failed,
with its attempts), acknowledgements, escalations and a log of every run.

Only storage lives here; the engine (``early_warning``) decides what to write.
Writes run in the caller's transaction (``Store.transaction``), so that one run's
messages, state and queued deliveries are kept together or not at all.
"""

from __future__ import annotations

import json
import secrets
import sqlite3

import pandas as pd

from . import sql_tables
from .sql_tables import frame, portable, utc_text, writes

_TABLES = """
CREATE TABLE ew_messages (identifier TEXT PRIMARY KEY, warning TEXT NOT NULL,
    kind TEXT NOT NULL, sent DATETIME NOT NULL, rule_id TEXT NOT NULL,
    rules_version INTEGER NOT NULL, area_key TEXT NOT NULL, area TEXT NOT NULL,
    severity TEXT NOT NULL, urgency TEXT NOT NULL, response TEXT NOT NULL,
    tlp TEXT NOT NULL, share TEXT NOT NULL, figures TEXT NOT NULL, reason TEXT NOT NULL,
    geometry TEXT, demo INTEGER NOT NULL, cap BLOB NOT NULL, why TEXT);
CREATE INDEX ew_messages_warning ON ew_messages (warning, sent);
CREATE TABLE ew_active (rule_id TEXT NOT NULL, area_key TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (rule_id, area_key));
CREATE TABLE ew_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, identifier TEXT NOT NULL
    REFERENCES ew_messages(identifier), recipient TEXT NOT NULL, channel TEXT NOT NULL,
    purpose TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, updated DATETIME NOT NULL,
    UNIQUE (identifier, recipient, channel, purpose));
CREATE TABLE ew_acks (warning TEXT NOT NULL, agency TEXT NOT NULL, "user" TEXT NOT NULL,
    via TEXT NOT NULL, time DATETIME NOT NULL, PRIMARY KEY (warning, agency));
CREATE TABLE ew_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL,
    finished DATETIME NOT NULL, rules_version INTEGER NOT NULL, findings INTEGER NOT NULL,
    messages INTEGER NOT NULL, log TEXT NOT NULL);
CREATE TABLE ew_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret TEXT NOT NULL);
"""

MESSAGE_COLUMNS = ("identifier", "warning", "kind", "sent", "rule_id", "rules_version",
                   "area_key", "area", "severity", "urgency", "response", "tlp", "share",
                   "figures", "reason", "geometry", "demo", "cap", "why")


TABLES = ("ew_messages", "ew_active", "ew_deliveries", "ew_acks", "ew_runs", "ew_secret")


def create_tables(db: sqlite3.Connection) -> None:
    sql_tables.create_tables(db, _TABLES)


def pg_tables() -> list[str]:
    """For PostgreSQL, where rows have no rowid: messages get a column of that
    name counting them as they come, so that "ORDER BY sent, rowid" keeps the
    order they were sent in on both engines."""
    return [*sql_tables.pg_script(_TABLES),
            "ALTER TABLE ew_messages ADD COLUMN rowid BIGSERIAL"]


def add_reasons_column(db: sqlite3.Connection) -> None:
    """Schema 10: each message's reasons as catalogue messages and values, so the
    dashboard says them in its user's language (``reason`` stays English)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(ew_messages)")}
    if "why" not in have:  # a store created by this version has it already
        db.execute("ALTER TABLE ew_messages ADD COLUMN why TEXT")


class WarningLog:
    """The early-warning tables of one open store."""

    def __init__(self, store) -> None:
        self.db = portable(store.db)

    # -- engine state ---------------------------------------------------------------------

    def active_state(self) -> dict[tuple[str, str], dict]:
        return {(r, k): json.loads(s) for r, k, s in
                self.db.execute("SELECT rule_id, area_key, state FROM ew_active")}

    @writes
    def save_run(self, db, *, at: pd.Timestamp, rules_version: int, findings: int,
                 messages: list[dict], active: dict[tuple[str, str], dict],
                 log: list[str]) -> None:
        """One run's messages (dicts of MESSAGE_COLUMNS), the active warnings'
        state after it (replacing the one before) and its log line."""
        for m in messages:
            row = {**m, "sent": utc_text(m["sent"]),
                   "figures": json.dumps(m["figures"], default=str),
                   "why": json.dumps(m["why"], default=str, ensure_ascii=False)}
            db.execute(f"INSERT INTO ew_messages ({', '.join(MESSAGE_COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(MESSAGE_COLUMNS))})",
                       [row[c] for c in MESSAGE_COLUMNS])
        db.execute("DELETE FROM ew_active")
        db.executemany("INSERT INTO ew_active VALUES (?, ?, ?)",
                       [(r, k, json.dumps(s)) for (r, k), s in active.items()])
        db.execute("INSERT INTO ew_runs (at, finished, rules_version, findings, messages, log) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (utc_text(at), utc_text(), rules_version, findings, len(messages),
                    "\n".join(log)))

    def runs(self, limit: int = 50) -> pd.DataFrame:
        return frame(self.db, "SELECT * FROM ew_runs ORDER BY id DESC LIMIT ?", (limit,))

    def any_run(self) -> bool:
        return self.db.execute("SELECT 1 FROM ew_runs LIMIT 1").fetchone() is not None

    def change_token(self) -> str:
        """Changes with every run, acknowledgement and delivery outcome."""
        row = self.db.execute("SELECT (SELECT max(id) FROM ew_runs), (SELECT count(*) FROM "
                              "ew_acks), (SELECT max(updated) FROM ew_deliveries)").fetchone()
        return "|".join(map(str, row))

    def last_run(self) -> pd.Timestamp | None:
        row = self.db.execute("SELECT max(at) FROM ew_runs").fetchone()
        return pd.Timestamp(row[0]) if row and row[0] else None

    # -- messages -------------------------------------------------------------------------

    def messages(self, since: pd.Timestamp | None = None, *, with_cap: bool = False
                 ) -> pd.DataFrame:
        """Every message sent, oldest first (``sent`` as UTC timestamps, figures as dicts)."""
        cols = [c for c in MESSAGE_COLUMNS if with_cap or c != "cap"]
        sql = f"SELECT {', '.join(cols)} FROM ew_messages"
        args: list = []
        if since is not None:
            sql += " WHERE sent >= ?"
            args.append(utc_text(since))
        sent = frame(self.db, sql + " ORDER BY sent, rowid", args)
        sent["sent"] = pd.to_datetime(sent["sent"], utc=True, format="ISO8601")
        sent["figures"] = sent["figures"].map(json.loads)
        # The reasons as catalogue messages (none in messages sent before schema 10).
        sent["why"] = sent["why"].map(lambda text: json.loads(text) if text else None)
        sent["demo"] = sent["demo"].astype(bool)
        return sent

    def cap(self, identifier: str) -> tuple[bytes, str, str] | None:
        """A message's CAP XML with its TLP and distribution."""
        row = self.db.execute("SELECT cap, tlp, share FROM ew_messages WHERE identifier = ?",
                              (identifier,)).fetchone()
        return (bytes(row[0]), row[1], row[2]) if row else None

    # -- deliveries -----------------------------------------------------------------------

    @writes
    def queue(self, db, identifier: str, recipient: str, channel: str,
              purpose: str = "warning") -> bool:
        """Queue one delivery; False when it was queued before (never sent twice)."""
        cur = db.execute("INSERT INTO ew_deliveries (identifier, recipient, channel, purpose, "
                         "status, updated) VALUES (?, ?, ?, ?, 'pending', ?) "
                         "ON CONFLICT DO NOTHING",
                         (identifier, recipient, channel, purpose, utc_text()))
        return cur.rowcount == 1

    def pending(self) -> pd.DataFrame:
        return frame(self.db,
                     "SELECT d.id, d.identifier, d.recipient, d.channel, d.purpose, d.attempts, "
                     "m.warning FROM ew_deliveries d JOIN ew_messages m USING (identifier) "
                     "WHERE d.status = 'pending' ORDER BY d.id")

    @writes
    def delivered(self, db, delivery_id: int, *, ok: bool, error: str | None,
                  give_up: bool) -> None:
        status = "sent" if ok else ("failed" if give_up else "pending")
        db.execute("UPDATE ew_deliveries SET status = ?, attempts = attempts + 1, "
                   "last_error = ?, updated = ? WHERE id = ?",
                   (status, error, utc_text(), delivery_id))

    def deliveries(self) -> pd.DataFrame:
        return frame(self.db, "SELECT d.*, m.warning FROM ew_deliveries d JOIN ew_messages m "
                              "USING (identifier) ORDER BY d.id")

    def first_sent(self, warning: str, recipient: str) -> pd.Timestamp | None:
        """When ``recipient`` was first sent something of ``warning``."""
        row = self.db.execute(
            "SELECT min(d.updated) FROM ew_deliveries d JOIN ew_messages m USING (identifier) "
            "WHERE m.warning = ? AND d.recipient = ? AND d.status = 'sent' "
            "AND d.purpose = 'warning'", (warning, recipient)).fetchone()
        return pd.Timestamp(row[0]) if row and row[0] else None

    # -- acknowledgements -----------------------------------------------------------------

    @writes
    def acknowledge(self, db, warning: str, agency: str, user: str, via: str) -> bool:
        """An agency has seen ``warning`` and acts on it (``via``: the link sent
        to one of its recipients, or the dashboard). False when it had already."""
        cur = db.execute("INSERT INTO ew_acks VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         (warning, agency, user, via, utc_text()))
        return cur.rowcount == 1

    def acks(self) -> pd.DataFrame:
        acks = frame(self.db, "SELECT * FROM ew_acks ORDER BY time")
        acks["time"] = pd.to_datetime(acks["time"], utc=True, format="ISO8601")
        return acks

    # -- the node's signing secret --------------------------------------------------------

    @writes
    def secret(self, db) -> bytes:
        """The key acknowledgement links and webhook signatures are made with:
        made once per store (the first of two processes asking at once wins),
        never leaves it."""
        db.execute("INSERT INTO ew_secret VALUES (1, ?) ON CONFLICT DO NOTHING",
                   (secrets.token_bytes(32).hex(),))
        return bytes.fromhex(db.execute("SELECT secret FROM ew_secret").fetchone()[0])
