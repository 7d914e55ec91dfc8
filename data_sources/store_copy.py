"""Copying a store into another (GeoPackage <-> PostGIS), losing nothing: every
version of every record with its content hash, version number, current flag,
ingest time and marking; the raster catalogue and the ingest log; the node's
own tables (accounts and the hash-chained audit log, the early-warning log, the
network log) row for row. The copy is checked against the source (counts, each
version's key and content hash, each side table's rows) before it is reported
done.
"""

from __future__ import annotations

import pandas as pd

from model.i18n import N_

from . import accounts, network_log, warning_log
from .errors import DataSourceError
from .pgstore import PgStore, is_url
from .sql_tables import portable
from .store import KEYS, STORE_TABLES, Store, StoreError, _iso_scalar

TABLES = ("raster_catalogue", "ingest_log")
SIDE_TABLES = (*accounts.TABLES, *warning_log.TABLES, *network_log.TABLES)
# Messages are read back in the order they were sent (PostgreSQL counts them in
# a column named rowid, SQLite by its own rowid); other rows by their first column.
_ORDER = {"ew_messages": "sent, rowid"}


def open_location(location: str, *, create: bool):
    """A store by URL (PostGIS) or path (GeoPackage; ``create``: may be new)."""
    if is_url(location):
        return PgStore(location)
    from pathlib import Path

    if not create and not Path(location).exists():
        raise StoreError(N_("does not exist"), path=location)
    return Store(location)


def _table(store, name: str) -> pd.DataFrame:
    sql = f"SELECT * FROM {name} ORDER BY id"
    frame = store._frame(sql) if isinstance(store, PgStore) else \
        pd.read_sql_query(sql, store.db)
    return frame.drop(columns="id")


def _cell(value, column: str, pg: bool):
    """One value of the raster catalogue or ingest log, as the destination
    stores it (PostgreSQL: booleans and timestamps; GeoPackage: 0/1 and ISO text)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column == "demo":
        return bool(value) if pg else int(bool(value))
    if not isinstance(value, str) and hasattr(value, "isoformat"):
        return value.isoformat() if pg else _iso_scalar(value)
    return value.item() if hasattr(value, "item") else value  # numpy scalars


def _load_table(store, db, name: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    pg = isinstance(store, PgStore)
    cols = list(frame.columns)
    rows = [[_cell(v, c, pg) for c, v in zip(cols, row, strict=True)]
            for row in frame.itertuples(index=False)]
    mark = "%s" if pg else "?"
    statement = (f"INSERT INTO {name} ({', '.join(cols)}) VALUES "
                 f"({', '.join([mark] * len(cols))})")
    if pg:
        with db.cursor() as cur:
            cur.executemany(statement, rows)
    else:
        db.executemany(statement, rows)


def _side_rows(store, name: str) -> tuple[list[str], list[tuple]]:
    """A side table's columns and rows, in their order (PostgreSQL's count of
    messages left out: the destination counts them again)."""
    cursor = portable(store.db).execute(
        f'SELECT * FROM "{name}" ORDER BY {_ORDER.get(name, "1")}')
    columns = [d[0] for d in cursor.description]
    keep = [i for i, c in enumerate(columns) if c != "rowid"]
    return [columns[i] for i in keep], [tuple(row[i] for i in keep)
                                        for row in cursor.fetchall()]


def _load_side_table(dst, db, name: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    quoted = ", ".join(f'"{c}"' for c in columns)
    portable(db).executemany(f'INSERT INTO "{name}" ({quoted}) VALUES '
                             f'({", ".join("?" * len(columns))})', rows)
    if isinstance(dst, PgStore) and "id" in columns:
        # Ids copied as they were: a counted id's next value follows them.
        sequence = db.execute("SELECT pg_get_serial_sequence(%s, 'id')", (name,)).fetchone()[0]
        if sequence:
            db.execute(f'SELECT setval(%s, (SELECT max(id) FROM "{name}"))', (sequence,))


def _side_text(rows: list[tuple]) -> list[tuple]:
    return sorted(tuple("" if v is None else bytes(v).hex() if isinstance(v, bytes | memoryview)
                        else str(v) for v in row) for row in rows)


def _fingerprint(frame: pd.DataFrame, kind: str) -> list[tuple]:
    keys = list(KEYS[kind])
    text = frame[keys].astype("string").copy()
    if kind == "tracks":
        text["time"] = frame["time"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
    text["version"] = frame["version"].astype(int).astype("string")
    text["current"] = frame["current"].astype(bool).astype("string")
    text["hash"] = frame["content_hash"].astype("string")
    return sorted(map(tuple, text.fillna("").to_numpy().tolist()))


def copy_store(src_location: str, dst_location: str) -> dict[str, int]:
    """Copy ``src`` into the empty store ``dst``; returns the versions copied per
    kind and table. Refuses a destination that holds records already."""
    with open_location(src_location, create=False) as src, \
            open_location(dst_location, create=True) as dst:
        if any(len(dst.dump(kind)) for kind in STORE_TABLES) or \
                any(len(_table(dst, t)) for t in TABLES) or \
                any(_side_rows(dst, t)[1] for t in SIDE_TABLES):
            raise DataSourceError("already holds records: copy into an empty store",
                                  path=dst_location)
        copied = {}
        with dst.transaction() as db:
            for kind in STORE_TABLES:
                frame = src.dump(kind)
                if len(frame):
                    dst.load(db, kind, frame)
                copied[kind] = len(frame)
            for name in TABLES:
                frame = _table(src, name)
                _load_table(dst, db, name, frame)
                copied[name] = len(frame)
            for name in SIDE_TABLES:  # in this order: users name agencies, and so on
                columns, rows = _side_rows(src, name)
                _load_side_table(dst, db, name, columns, rows)
                copied[name] = len(rows)
        for kind in STORE_TABLES:
            if _fingerprint(src.dump(kind), kind) != _fingerprint(dst.dump(kind), kind):
                raise DataSourceError(f"the copy of {kind} differs from the source (keys, "
                                      "versions or content hashes)", path=dst_location)
        for name in TABLES:
            if len(_table(src, name)) != len(_table(dst, name)):
                raise DataSourceError(f"the copy of {name} has another number of rows",
                                      path=dst_location)
        for name in SIDE_TABLES:
            if _side_text(_side_rows(src, name)[1]) != _side_text(_side_rows(dst, name)[1]):
                raise DataSourceError(f"the copy of {name} differs from the source",
                                      path=dst_location)
        return copied
