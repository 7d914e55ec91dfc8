"""What the store's side tables (accounts, early-warning log, network log) share:
creating their tables from one script, and times written as UTC text."""

from __future__ import annotations

import sqlite3

import pandas as pd


def create_tables(db: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` on its own (executescript would commit the
    migration's transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def utc_text(ts: pd.Timestamp | None = None) -> str:
    """``ts`` (default: now) as sortable UTC text with microseconds."""
    ts = pd.Timestamp.now(tz="UTC") if ts is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
