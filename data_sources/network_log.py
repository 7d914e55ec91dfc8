"""The node's memory of the network, in the store: its peers (address, the
token each gave us, the topics we follow), how far we have read each peer's
collections, where each record received from a peer came from (its
originating node and version there, the peer it came through), how far our
own records have been announced, and a log of every sync, receipt and
refusal.

Only storage lives here; ``service.network`` decides what to write. Writes run
in the caller's transaction (``Store.transaction``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import pandas as pd

from . import sql_tables
from .sql_tables import frame, portable, utc_text, writes

_TABLES = """
CREATE TABLE net_peers (name TEXT PRIMARY KEY, url TEXT NOT NULL, token TEXT NOT NULL,
    topics TEXT NOT NULL, added DATETIME NOT NULL);
CREATE TABLE net_cursors (peer TEXT NOT NULL, kind TEXT NOT NULL, after_fid INTEGER NOT NULL,
    PRIMARY KEY (peer, kind));
CREATE TABLE net_receipts (kind TEXT NOT NULL, record TEXT NOT NULL, origin TEXT NOT NULL,
    origin_version INTEGER NOT NULL, via TEXT NOT NULL, received DATETIME NOT NULL,
    PRIMARY KEY (kind, record));
CREATE TABLE net_published (kind TEXT PRIMARY KEY, after_fid INTEGER NOT NULL);
CREATE TABLE net_log (id INTEGER PRIMARY KEY AUTOINCREMENT, time DATETIME NOT NULL,
    peer TEXT NOT NULL, event TEXT NOT NULL, records INTEGER NOT NULL DEFAULT 0,
    lag_s REAL, detail TEXT);
CREATE INDEX net_log_peer ON net_log (peer, event, time);
"""

EVENTS = ("sync", "received", "refused", "error", "published")


TABLES = ("net_peers", "net_cursors", "net_receipts", "net_published", "net_log")


def create_tables(db: sqlite3.Connection) -> None:
    sql_tables.create_tables(db, _TABLES)


def pg_tables() -> list[str]:
    return sql_tables.pg_script(_TABLES)


class NetworkLog:
    """The network tables of one open store."""

    def __init__(self, store):
        self.store = store
        self.db = portable(store.db)

    # -- peers -----------------------------------------------------------------------------

    @writes
    def add_peer(self, db, name: str, url: str, token: str, topics: list[str]) -> None:
        db.execute("INSERT INTO net_peers VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
                   "SET url = excluded.url, token = excluded.token, topics = excluded.topics",
                   (name, url, token, "\n".join(topics), utc_text()))

    @writes
    def remove_peer(self, db, name: str) -> bool:
        return db.execute("DELETE FROM net_peers WHERE name = ?", (name,)).rowcount > 0

    def peers(self) -> list[dict]:
        rows = self.db.execute("SELECT name, url, token, topics, added FROM net_peers "
                               "ORDER BY name").fetchall()
        return [{"name": n, "url": u, "token": t, "topics": [x for x in topics.split("\n") if x],
                 "added": added} for n, u, t, topics, added in rows]

    # -- reading peers ---------------------------------------------------------------------

    def cursor(self, peer: str, kind: str) -> int:
        row = self.db.execute("SELECT after_fid FROM net_cursors WHERE peer = ? AND kind = ?",
                              (peer, kind)).fetchone()
        return int(row[0]) if row else 0

    @writes
    def set_cursor(self, db, peer: str, kind: str, after_fid: int) -> None:
        db.execute("INSERT INTO net_cursors VALUES (?, ?, ?) ON CONFLICT (peer, kind) DO UPDATE "
                   "SET after_fid = excluded.after_fid", (peer, kind, int(after_fid)))

    def origins(self, kind: str, records: Iterable[str]) -> dict[str, tuple[str, int]]:
        """Record key -> (originating node, version there), for records of
        ``kind`` received from peers (others are absent)."""
        found: dict[str, tuple[str, int]] = {}
        keys = list(records)
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            marks = ", ".join("?" * len(part))
            for record, origin, version in self.db.execute(
                    f"SELECT record, origin, origin_version FROM net_receipts WHERE kind = ? "
                    f"AND record IN ({marks})", (kind, *part)):
                found[record] = (origin, int(version))
        return found

    @writes
    def add_receipts(self, db, kind: str, rows: Iterable[tuple[str, str, int]], via: str) -> None:
        """(record key, origin, origin version) of records just stored from ``via``."""
        now = utc_text()
        db.executemany(
            "INSERT INTO net_receipts VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, record) DO "
            "UPDATE SET origin = excluded.origin, origin_version = excluded.origin_version, "
            "via = excluded.via, received = excluded.received",
            [(kind, record, origin, int(version), via, now) for record, origin, version in rows])

    # -- announcing ours -------------------------------------------------------------------

    def published(self, kind: str) -> int:
        row = self.db.execute("SELECT after_fid FROM net_published WHERE kind = ?",
                              (kind,)).fetchone()
        return int(row[0]) if row else 0

    @writes
    def set_published(self, db, kind: str, after_fid: int) -> None:
        db.execute("INSERT INTO net_published VALUES (?, ?) ON CONFLICT (kind) DO UPDATE "
                   "SET after_fid = excluded.after_fid", (kind, int(after_fid)))

    # -- the log ---------------------------------------------------------------------------

    @writes
    def log(self, db, peer: str, event: str, records: int = 0, *, lag_s: float | None = None,
            detail: str | None = None) -> None:
        assert event in EVENTS, event
        db.execute("INSERT INTO net_log (time, peer, event, records, lag_s, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (utc_text(), peer, event, int(records), lag_s,
                                                 detail))

    def entries(self, peer: str | None = None, limit: int = 200) -> pd.DataFrame:
        where, args = ("WHERE peer = ?", (peer,)) if peer else ("", ())
        entries = frame(self.db, f"SELECT * FROM net_log {where} ORDER BY id DESC LIMIT "
                                 f"{int(limit)}", args)
        entries["time"] = pd.to_datetime(entries["time"], utc=True, format="ISO8601")
        return entries

    def totals(self) -> pd.DataFrame:
        """Per peer: the last successful sync, records received, refusals and
        errors, the last error, and the median lag of the last 100 receipts."""
        # Sums cast: PostgreSQL's sum of integers is a decimal.
        totals = frame(
            self.db,
            "SELECT peer, "
            "max(CASE WHEN event = 'sync' THEN time END) AS last_sync, "
            "CAST(sum(CASE WHEN event IN ('sync', 'received') THEN records ELSE 0 END) "
            "AS BIGINT) AS received, "
            "CAST(sum(CASE WHEN event = 'refused' THEN 1 ELSE 0 END) AS BIGINT) AS refused, "
            "CAST(sum(CASE WHEN event = 'error' THEN 1 ELSE 0 END) AS BIGINT) AS errors, "
            "(SELECT detail FROM net_log e WHERE e.peer = l.peer AND e.event IN "
            "('error', 'refused') ORDER BY e.id DESC LIMIT 1) AS last_problem, "
            "(SELECT time FROM net_log e WHERE e.peer = l.peer AND e.event IN "
            "('error', 'refused') ORDER BY e.id DESC LIMIT 1) AS last_problem_at "
            "FROM net_log l GROUP BY peer")
        lags = frame(
            self.db,
            "SELECT peer, lag_s FROM (SELECT peer, lag_s, row_number() OVER (PARTITION BY peer "
            "ORDER BY id DESC) AS n FROM net_log WHERE event = 'received' AND lag_s IS NOT NULL) "
            "AS recent WHERE n <= 100")
        totals = totals.merge(lags.groupby("peer")["lag_s"].median().rename("lag_s"),
                              left_on="peer", right_index=True, how="left")
        for col in ("last_sync", "last_problem_at"):
            totals[col] = pd.to_datetime(totals[col], utc=True, format="ISO8601")
        return totals
