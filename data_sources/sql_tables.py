"""What the store's side tables (accounts and the audit log, the early-warning
log, the network log) share: one SQL text for both stores, their tables made
from one script, and times written as UTC text.

The side tables live in the node's store: the GeoPackage (SQLite) on a laptop,
PostgreSQL on a hub, so that every process of the hub sees the same accounts,
audit log and warning state. Their SQL is written once, in what both engines
read alike (``?`` parameters, ``ON CONFLICT``, ``RETURNING``, the ``"user"``
column quoted); ``portable`` gives a PostgreSQL connection the ``?`` style, and
``pg_script`` turns a table script into PostgreSQL's types.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")


def create_tables(db: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` on its own (executescript would commit the
    migration's transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


# SQLite's types as PostgreSQL names them (SQLite's INTEGER is 64-bit).
_PG_TYPES = ((r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY"),
             (r"\bINTEGER\b", "BIGINT"), (r"\bDATETIME\b", "TEXT"), (r"\bBLOB\b", "BYTEA"),
             (r"\bREAL\b", "DOUBLE PRECISION"))


def pg_script(script: str) -> list[str]:
    """A side-table script's statements for PostgreSQL."""
    for pattern, replacement in _PG_TYPES:
        script = re.sub(pattern, replacement, script)
    return [statement.strip() for statement in script.split(";") if statement.strip()]


class PgConnection:
    """A psycopg connection as the side tables use one: ``?`` parameters,
    booleans as the 0/1 the tables hold."""

    def __init__(self, db: Any):
        self.raw = db

    @staticmethod
    def _sql(text: str) -> str:
        if "%" in text:  # psycopg reads % as a parameter
            raise ValueError(f"side-table SQL with a literal %: {text}")
        return text.replace("?", "%s")

    @staticmethod
    def _values(params: Sequence) -> tuple:
        return tuple(int(v) if isinstance(v, bool) else v for v in params)

    def execute(self, text: str, params: Sequence = ()):
        return self.raw.execute(self._sql(text), self._values(params))

    def executemany(self, text: str, rows: Iterable[Sequence]):
        cursor = self.raw.cursor()
        cursor.executemany(self._sql(text), [self._values(row) for row in rows])
        return cursor

    def serialize(self, table: str) -> None:
        """Writers of ``table`` take turns until this transaction ends (the audit
        chain: two writers must never chain to the same entry)."""
        self.raw.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')


class SqliteConnection:
    """An SQLite connection as the side tables use one (its own ``?`` style)."""

    def __init__(self, db: sqlite3.Connection):
        self.raw = db

    def execute(self, text: str, params: Sequence = ()):
        return self.raw.execute(text, params)

    def executemany(self, text: str, rows: Iterable[Sequence]):
        return self.raw.executemany(text, rows)

    def serialize(self, table: str) -> None:
        """Nothing to do: a GeoPackage transaction (BEGIN IMMEDIATE) already
        holds the only write lock."""


Connection = PgConnection | SqliteConnection


def portable(db: Any) -> Connection:
    """``db`` (an SQLite or psycopg connection, or one already wrapped) as the
    side tables write to it."""
    if isinstance(db, PgConnection | SqliteConnection):
        return db
    if isinstance(db, sqlite3.Connection):
        return SqliteConnection(db)
    return PgConnection(db)


def writes(method: Callable[..., T]) -> Callable[..., T]:
    """A side-table method writing in its caller's transaction (its first
    argument after self), with that transaction's connection made portable."""
    @functools.wraps(method)
    def wrapper(self, db, *args, **kwargs):
        return method(self, portable(db), *args, **kwargs)
    return wrapper


def frame(db: Connection, text: str, params: Sequence = ()) -> pd.DataFrame:
    """A query's rows as a frame, with the same types from either engine."""
    if isinstance(db, SqliteConnection):
        return pd.read_sql_query(text, db.raw, params=params)
    cursor = db.execute(text, params)
    return pd.DataFrame.from_records(cursor.fetchall(), coerce_float=True,
                                     columns=[d.name for d in cursor.description or []])


def utc_text(ts: pd.Timestamp | None = None) -> str:
    """``ts`` (default: now) as sortable UTC text with microseconds."""
    ts = pd.Timestamp.now(tz="UTC") if ts is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
