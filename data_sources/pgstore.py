"""The PostGIS store: the regional hub's implementation of the store port.

The same behaviour as the GeoPackage store (``data_sources.store``): upserts
keep history (the shared ``VersionedUpserts``), one transaction per batch,
migrations with a schema version, the ingest log and the raster catalogue;
here with GiST and time indexes, rows written with COPY, and several
processes writing at once: each upsert holds a per-table advisory lock for
its transaction, and a partial unique index keeps one current version per key.

The sharing rules are in the database too: row-level security lets a
database role registered for an agency (``grant_agency``) see only the rows
that agency may see, the same rule as ``model.access.visible``; the app's own
role owns the tables and filters in the service.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import psycopg_pool
import shapely
from psycopg import sql

from model.access import MARKING_COLUMNS
from model.i18n import N_
from model.period import Period
from model.schema import RECORD_TIME, SAARC_ISO3, TABLES

from . import accounts, network_log, warning_log
from .demo import cache_root
from .store import (
    FEATURE_TABLES,
    KEYS,
    STORE_TABLES,
    StoreError,
    VersionedUpserts,
    _stored,
    apply_migrations,
    canonical,
)

_PG_TYPES = {"string": "text", "category": "text", "float64": "double precision",
             "Int64": "bigint", "bool": "boolean"}
_SECURED = (*STORE_TABLES, "raster_catalogue")
_MIGRATION_LOCK = 7_311_001  # pg_advisory_xact_lock keys of ours
_TABLE_LOCK = 7_311_100


def _pg_type(dtype: str) -> str:
    return "timestamptz" if dtype.startswith("datetime64") else _PG_TYPES[dtype]


def _sharing_rule(table: str) -> str:
    """``model.access.visible`` in SQL, for the agency role asking. The row's
    columns are named with their table: agency_roles has columns of the same
    names, which would otherwise be the ones compared."""
    p = f'"{table}".'
    members = ", ".join(f"'{c}'" for c in SAARC_ISO3)
    return f"""({p}share = 'public' AND {p}tlp = 'TLP:CLEAR') OR EXISTS (
        SELECT 1 FROM agency_roles r WHERE r.role = current_user AND (
            {p}agency = r.agency
            OR ({p}share = 'country' AND {p}agency_country = r.country)
            OR ({p}share = 'members' AND r.country IN ({members}))
            OR ({p}share LIKE 'group:%' AND substr({p}share, 7) = ANY (r.groups))))"""


def _create_table(db: psycopg.Connection, kind: str) -> None:
    cols = ", ".join(f'"{c.name}" {_pg_type(c.dtype)}' for c in TABLES[kind]
                     if c.name != "geometry")
    marks = ", ".join(f'"{c}" text' for c in MARKING_COLUMNS)
    db.execute(f'CREATE TABLE "{kind}" (fid bigserial PRIMARY KEY, '
               f'geom geometry(Geometry, 4326), {cols}, {marks}, '
               'content_hash text NOT NULL, version integer NOT NULL, '
               'current boolean NOT NULL, ingested_at timestamptz NOT NULL)')
    k1, k2 = KEYS[kind]
    db.execute(f'CREATE UNIQUE INDEX "{kind}_current_key" ON "{kind}" ("{k1}", "{k2}") '
               'WHERE current')
    db.execute(f'CREATE INDEX "{kind}_geom" ON "{kind}" USING gist (geom)')
    if kind in RECORD_TIME:
        db.execute(f'CREATE INDEX "{kind}_time" ON "{kind}" ("{RECORD_TIME[kind]}")')


def _secure(db: psycopg.Connection, table: str) -> None:
    db.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    db.execute(f'CREATE POLICY sharing ON "{table}" FOR SELECT USING ({_sharing_rule(table)})')


def _v1(db: psycopg.Connection) -> None:
    db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for kind in FEATURE_TABLES:
        _create_table(db, kind)
    db.execute("""CREATE TABLE raster_catalogue (id bigserial PRIMARY KEY, path text NOT NULL,
        variable text, units text, crs text, bounds text, time_range text, source text,
        demo boolean NOT NULL DEFAULT false, agency text, agency_country text, tlp text,
        share text, added_at timestamptz NOT NULL DEFAULT now())""")
    db.execute("""CREATE TABLE ingest_log (id bigserial PRIMARY KEY, source text NOT NULL,
        started timestamptz NOT NULL, finished timestamptz, fetched integer DEFAULT 0,
        accepted integer DEFAULT 0, rejected integer DEFAULT 0, duplicates integer DEFAULT 0,
        updated integer DEFAULT 0, error text)""")
    db.execute("CREATE INDEX ingest_log_source ON ingest_log (source, finished)")
    db.execute("CREATE TABLE table_changes (table_name text PRIMARY KEY, "
               "last_change timestamptz NOT NULL)")
    # Database roles that stand for an agency: what row-level security asks.
    db.execute("CREATE TABLE agency_roles (role name PRIMARY KEY, agency text NOT NULL, "
               "country text NOT NULL, groups text[] NOT NULL DEFAULT '{}')")
    db.execute("ALTER TABLE agency_roles ENABLE ROW LEVEL SECURITY")
    db.execute("CREATE POLICY own_role ON agency_roles FOR SELECT USING (role = current_user)")
    for table in (*FEATURE_TABLES, "raster_catalogue"):
        _secure(db, table)


def _v2(db: psycopg.Connection) -> None:
    """Region + period queries use one GiST index on (time, geometry) (btree_gist):
    a corridor's box alone can hold half the records (AFG-PAK: 455,000 of
    1,000,000), the period a few per cent; together 72 -> 28 ms here."""
    db.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for kind in FEATURE_TABLES:
        db.execute(f'CREATE INDEX "{kind}_time_geom" ON "{kind}" USING gist '
                   f'("{RECORD_TIME[kind]}", geom)')


def _v3(db: psycopg.Connection) -> None:
    """Boundaries users keep (their agency's outlines), under the sharing rules;
    agency roles granted before may read them too."""
    _create_table(db, "boundaries")
    _secure(db, "boundaries")
    for (role,) in db.execute("SELECT role FROM agency_roles").fetchall():
        db.execute(sql.SQL("GRANT SELECT ON boundaries TO {}").format(sql.Identifier(role)))


def _v4(db: psycopg.Connection) -> None:
    """The node's own tables, as the GeoPackage holds them: accounts and the
    audit log, the early-warning log, the network log; so that every process
    of the hub, on any machine, sees the same. No agency role is granted them
    (password hashes, tokens' digests, the signing secret are the app's alone)."""
    for module in (accounts, warning_log, network_log):
        for statement in module.pg_tables():
            db.execute(statement)


MIGRATIONS = [(1, _v1), (2, _v2), (3, _v3), (4, _v4)]


# Connections one process keeps open per database, at most: page runs borrow one
# and give it back (a new PostgreSQL connection is a new server process, ~7 ms of
# both machines' time, and every page run opens the store a few times).
POOL_SIZE = 20
POOL_WAIT_S = 10.0  # an open store waiting this long for a connection: the server is gone
_POOLS: dict[str, psycopg_pool.ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(url: str, shown: str) -> psycopg_pool.ConnectionPool:
    """This process's pool of connections to ``url``; the first connection is
    made here, so that an unreachable server is a clear error at once."""
    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is None:
            try:
                psycopg.connect(url, autocommit=True, connect_timeout=10).close()
            except psycopg.OperationalError as exc:
                raise StoreError(N_("cannot be reached ({detail})"), path=shown,
                                 detail=str(exc).strip().splitlines()[0]) from None
            # JIT compilation costs more than it saves on queries of milliseconds.
            pool = psycopg_pool.ConnectionPool(
                url, kwargs={"autocommit": True, "options": "-c jit=off"}, min_size=0,
                max_size=POOL_SIZE, timeout=POOL_WAIT_S, name=shown,
                check=psycopg_pool.ConnectionPool.check_connection, open=True)
            _POOLS[url] = pool
        return pool


def close_pool(url: str) -> None:
    """Close this process's connections to ``url`` (a database about to be dropped)."""
    with _POOLS_LOCK:
        pool = _POOLS.pop(url, None)
    if pool is not None:
        pool.close()


def _forget_pools_in_child() -> None:
    """A forked process starts with no pool: the parent's connections are the
    parent's (closing them here would close them there), so they are left alone."""
    global _POOLS, _POOLS_LOCK
    _INHERITED.append(_POOLS)
    _POOLS, _POOLS_LOCK = {}, threading.Lock()


_INHERITED: list = []
os.register_at_fork(after_in_child=_forget_pools_in_child)


def is_url(location) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


class PgStore(VersionedUpserts):
    """The PostGIS store at ``url`` (postgresql://user@host:port/database);
    its schema is created, or migrated, on open."""

    def __init__(self, url: str, *, files_dir: Path | None = None):
        """``files_dir``: where files kept with the store (rasters added) go: a
        folder every process of the hub reaches (default: the cache folder)."""
        self.files_dir = files_dir or cache_root()
        self._url = url
        self._reader: Any = None  # the columnar reader, opened when first needed
        parts = urlsplit(url)
        # Errors name the database, never a password.
        self.path = urlunsplit(parts._replace(netloc=parts.hostname or "")) if parts.password \
            else url
        self._pool = _pool(url, self.path)
        try:
            self.db = self._pool.getconn()
        except psycopg_pool.PoolTimeout as exc:
            raise StoreError(N_("cannot be reached ({detail})"), path=self.path,
                             detail=str(exc).strip().splitlines()[0]) from None
        try:
            if self.schema_version != MIGRATIONS[-1][0]:
                self._migrate()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._pool.putconn(self.db)  # back for the next page run (a rolled back one if need be)

    @contextmanager
    def transaction(self):
        try:
            with self.db.transaction():
                yield self.db
        except psycopg.errors.DiskFull:
            raise StoreError(N_("cannot be written: the disk is full; nothing was written"),
                             path=self.path) from None
        except psycopg.OperationalError as exc:
            raise StoreError(N_("cannot be written ({detail}); nothing was written"),
                             path=self.path, detail=str(exc)) from None

    @property
    def schema_version(self) -> int:
        # Asked at every open (a newer program may have moved the schema on): one query.
        # (Connections are in autocommit; _migrate creates the table before asking.)
        try:
            row = self.db.execute("SELECT max(version) FROM schema_version").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
        return row[0] or 0 if row else 0

    def _migrate(self) -> None:
        with self.transaction() as db:
            # One migrator at a time; the others find the schema up to date.
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY "
                       "KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            apply_migrations(db, self.schema_version, MIGRATIONS, self.path, lambda v: db.execute(
                "INSERT INTO schema_version (version) VALUES (%s)", (v,)))

    # -- writing (the hooks of VersionedUpserts) ------------------------------------------

    def upsert(self, kind: str, frame: gpd.GeoDataFrame, db=None) -> dict[str, int]:
        if db is None:
            with self.transaction() as own:
                return self.upsert(kind, frame, own)
        # Writers of one table take turns, each for its whole transaction: two
        # batches holding the same record never both add a current version.
        db.execute("SELECT pg_advisory_xact_lock(%s)",
                   (_TABLE_LOCK + STORE_TABLES.index(kind),))
        return super().upsert(kind, frame, db)

    def _existing(self, db, kind: str, keys: list[str], key_values: pd.DataFrame
                  ) -> pd.DataFrame:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS batch_keys (k1 text, k2 text, pos integer) "
                   "ON COMMIT DELETE ROWS")
        db.execute("TRUNCATE batch_keys")
        with db.cursor().copy("COPY batch_keys FROM STDIN") as copy:
            for row in zip(key_values[keys[0]], key_values[keys[1]], range(len(key_values)),
                           strict=True):
                copy.write_row(row)
        second = 'b.k2::timestamptz' if kind == "tracks" else "b.k2"
        rows = db.execute(
            f'SELECT b.pos, t.fid, t.content_hash, t.version FROM batch_keys b JOIN "{kind}" t '
            f'ON t."{keys[0]}" = b.k1 AND t."{keys[1]}" = {second} AND t.current').fetchall()
        return pd.DataFrame(rows, columns=["pos", "fid", "hash", "version"]).set_index("pos")

    def _retire(self, db, kind: str, fids: list[int]) -> None:
        db.execute(f'UPDATE "{kind}" SET current = false WHERE fid = ANY(%s)', (fids,))

    def _insert(self, db, kind, frame, hashes, versions, *, current=None,
                ingested_at=None) -> None:
        cols = _stored(kind)
        values = []
        for col in cols:
            column = frame[col]
            if pd.api.types.is_datetime64_any_dtype(column):
                values.append([None if pd.isna(t) else t.isoformat() for t in column])
            elif str(column.dtype) == "bool":
                values.append(column.astype(bool).tolist())
            else:
                values.append(column.astype(object).where(column.notna(), None).tolist())
        geoms = shapely.set_srid(np.asarray(frame.geometry.values), 4326)
        wkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
        n = len(frame)
        flags = [True] * n if current is None else [bool(c) for c in current]
        times = [pd.Timestamp.now(tz="UTC").isoformat()] * n if ingested_at is None else \
            [pd.Timestamp(t).isoformat() for t in ingested_at]
        names = sql.SQL(", ").join(sql.Identifier(c) for c in
                                   ["geom", *cols, "content_hash", "version", "current",
                                    "ingested_at"])
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(kind), names)
        with db.cursor().copy(statement) as copy:
            for row in zip(wkb, *values, hashes.tolist(), [int(v) for v in versions], flags,
                           times, strict=True):
                copy.write_row(row)
        self._touch(db, kind)

    def _touch(self, db, table: str) -> None:
        db.execute("INSERT INTO table_changes VALUES (%s, clock_timestamp()) ON CONFLICT "
                   "(table_name) DO UPDATE SET last_change = excluded.last_change", (table,))

    def set_marking(self, db, kind: str, ids: list[str], tlp: str, share: str) -> int:
        cur = db.execute(f'UPDATE "{kind}" SET tlp = %s, share = %s WHERE current AND '
                         'id = ANY(%s)', (tlp, share, list(ids)))
        self._touch(db, kind)
        return cur.rowcount

    def add_raster(self, path: str, meta: dict, db=None) -> None:
        (db or self.db).execute(
            "INSERT INTO raster_catalogue (path, variable, units, crs, bounds, time_range, "
            "source, demo, agency, agency_country, tlp, share) VALUES (%s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s)",
            (path, meta.get("variable"), meta.get("units"), meta.get("crs"),
             str(meta.get("bounds")), str(meta.get("time_range")), meta.get("source"),
             bool(meta.get("demo")), *(meta[c] for c in MARKING_COLUMNS)))
        self._touch(db or self.db, "raster_catalogue")

    def rasters(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM raster_catalogue ORDER BY id DESC")

    def log_start(self, source: str) -> int:
        row = self.db.execute("INSERT INTO ingest_log (source, started) VALUES (%s, now()) "
                              "RETURNING id", (source,)).fetchone()
        assert row is not None
        return int(row[0])

    def log_finish(self, log_id: int, db=None, *, error: str | None = None, **counts) -> None:
        if db is None:  # on its own: failures of the server become a StoreError
            with self.transaction() as own:
                return self.log_finish(log_id, own, error=error, **counts)
        db.execute(
            "UPDATE ingest_log SET finished = clock_timestamp(), fetched = %s, accepted = %s, "
            "rejected = %s, duplicates = %s, updated = %s, error = %s WHERE id = %s",
            (counts.get("fetched", 0), counts.get("accepted", 0), counts.get("rejected", 0),
             counts.get("duplicates", 0), counts.get("updated", 0), error, log_id))

    def maintain(self) -> dict[str, float]:
        """Rewrite each feature table in the order of its record time, then
        ANALYZE. Records arrive in any order (feeds re-send history, peers catch
        up), so a period's rows end up on pages all over the table: the AFG-PAK
        corridor + 92 days over 10,000,000 incidents read 125,000 pages for
        82,000 rows and took 1.04 s; in time order, 0.69 s. CLUSTER locks the
        table while it runs (3 min for 10,000,000 rows here): run it in a quiet
        hour, or use pg_repack for the same without the lock."""
        took = {}
        for kind in FEATURE_TABLES:
            t0 = time.perf_counter()
            self.db.execute(f'CLUSTER "{kind}" USING "{kind}_time"')
            self.db.execute(f'ANALYZE "{kind}"')
            took[kind] = time.perf_counter() - t0
        return took

    # -- access for agencies' database roles ------------------------------------------------

    def grant_agency(self, role: str, agency: str, country: str,
                     groups: Iterable[str] = (), *,
                     password: str | None = None) -> None:
        """Let database role ``role`` (created when missing, able to log in, with
        ``password`` when given) read the store as agency ``agency`` of
        ``country`` in ``groups`` would: row-level security shows it the rows
        the sharing rules allow, no others."""
        with self.transaction() as db:
            exists = db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                db.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            if password is not None:
                db.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)))
            db.execute("INSERT INTO agency_roles VALUES (%s, %s, %s, %s) ON CONFLICT (role) DO "
                       "UPDATE SET agency = excluded.agency, country = excluded.country, "
                       "groups = excluded.groups", (role, agency, country, sorted(groups)))
            for table in (*_SECURED, "agency_roles"):
                db.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(
                    sql.Identifier(table), sql.Identifier(role)))

    # -- reading ----------------------------------------------------------------------------

    def _frame(self, query: str, args=()) -> pd.DataFrame:
        cur = self.db.execute(query, args)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or []])

    def query(self, kind: str, bbox: tuple[float, float, float, float] | None = None,
              period: Period | None = None, region: shapely.Geometry | None = None,
              history: bool = False, *, after_fid: int | None = None,
              limit: int | None = None) -> gpd.GeoDataFrame:
        where: list[str] = []
        args: list[object] = []

        def arg(value) -> str:
            args.append(value)
            return f"${len(args)}"

        if not history:
            where.append("current")
        if after_fid is not None and region is not None:
            raise ValueError("a cursor (after_fid) pages by stored row; a region would "
                             "drop rows from a page after the fact: use bbox")
        if after_fid is not None:
            where.append(f"fid > {arg(int(after_fid))}::bigint")
        if region is not None:
            where.append(f"ST_Intersects(geom, ST_GeomFromWKB({arg(shapely.to_wkb(region))}, "
                         "4326))")
        elif bbox is not None:
            corners = ", ".join(f"{arg(float(v))}::float8" for v in bbox)
            where.append(f"geom && ST_MakeEnvelope({corners}, 4326)")
        if period is not None and kind in RECORD_TIME:  # areas have no date: any period
            col = RECORD_TIME[kind]
            where += [f'"{col}" >= {arg(period.start.isoformat())}::timestamptz',
                      f'"{col}" < {arg(period.end.isoformat())}::timestamptz']
        cols = ", ".join(f'"{c}"' for c in _stored(kind))
        extra = ["version", "current"] + (["fid"] if after_fid is not None else [])
        query = (f"SELECT ST_AsBinary(geom) AS geom, {cols}, version, current::int AS current"
                 + (", fid" if after_fid is not None else "") + f' FROM "{kind}"')
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY fid"
        if after_fid is not None and limit is not None:
            query += f" LIMIT {int(limit)}"
        frame = self._columns(query, args)
        if frame.empty:
            frame = pd.DataFrame(columns=["geom", *_stored(kind), *extra])
        geometry = shapely.from_wkb(frame["geom"].to_numpy(dtype=object))
        return canonical(kind, frame.drop(columns="geom"), geometry)

    def _columns(self, query: str, args: list) -> pd.DataFrame:
        """The rows of ``query`` ($1, $2 ... parameters) as columns: the ADBC
        PostgreSQL driver reads them with COPY BINARY into Arrow in C++, with no
        Python object per value (psycopg hands COPY over one row at a time)."""
        if self._reader is None:
            import adbc_driver_postgresql.dbapi as adbc

            self._reader = adbc.connect(self._url, autocommit=True)
        with self._reader.cursor() as cur:
            cur.execute(query, args)
            return cur.fetch_arrow_table().to_pandas()

    def dump(self, kind: str) -> gpd.GeoDataFrame:
        cols = ", ".join(f'"{c}"' for c in _stored(kind))
        extra = ["content_hash", "version", "current", "ingested_at"]
        frame = self._frame(f'SELECT ST_AsBinary(geom) AS geom, {cols}, {", ".join(extra)} '
                            f'FROM "{kind}" ORDER BY fid')
        if frame.empty:
            frame = pd.DataFrame(columns=["geom", *_stored(kind), *extra])
        geometry = shapely.from_wkb([None if g is None else bytes(g) for g in frame["geom"]])
        out = canonical(kind, frame.drop(columns="geom"), geometry)
        out["ingested_at"] = pd.to_datetime(out["ingested_at"], utc=True)
        out["current"] = out["current"].astype(int)
        return out

    def counts(self) -> dict[str, int]:
        return {k: int(self._frame(f'SELECT count(*) AS n FROM "{k}" WHERE current')["n"][0])
                for k in STORE_TABLES}

    def change_token(self) -> str:
        row = self.db.execute("SELECT (SELECT max(last_change) FROM table_changes), "
                              "(SELECT max(id) FROM ingest_log), "
                              "(SELECT max(finished) FROM ingest_log)").fetchone()
        return "|".join(map(str, row or ()))

    def ingest_log(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM ingest_log ORDER BY id")
