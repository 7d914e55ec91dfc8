"""The store: one embedded GeoPackage (SQLite) holding the canonical tables.

- Idempotent upsert keyed on (source, source_id) with a content hash: the same
  record twice adds nothing; a changed record (a CAP Update, a new GDACS
  episode) becomes the current version and the earlier ones stay as history
  (``current = 0``).
- Each batch is one transaction, so a process killed mid-batch leaves the store
  exactly as it was before that batch.
- WAL journal with ``synchronous = NORMAL``: a committed batch survives the
  process being killed (what ingestion has to survive); only a power cut may
  lose the last batches, which the next fetch brings back, as feeds are
  re-fetched and upserts are idempotent. ``FULL`` would fsync every commit for
  no gain here.
- A ``schema_version`` table; migrations run on open.
- Spatial (R-tree, the GeoPackage extension) and time indexes.

The file is a valid GeoPackage: GDAL, QGIS and geopandas read its layers.
"""

from __future__ import annotations

import sqlite3
import struct
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from model.access import MARKING_COLUMNS
from model.i18n import N_
from model.period import Period
from model.schema import CATEGORIES, RECORD_TIME, TABLES

from . import accounts, network_log, warning_log
from .errors import DataSourceError

# Records: dated, served by the node's API and shared on the network.
FEATURE_TABLES = ("incidents", "alerts", "tracks", "displacement", "documents")
# Areas users keep (their agency's boundaries): no date; kept per node.
AREA_TABLES = ("boundaries",)
STORE_TABLES = (*FEATURE_TABLES, *AREA_TABLES)
KEYS = {"incidents": ("source", "source_id"), "alerts": ("source", "source_id"),
        "displacement": ("source", "source_id"), "tracks": ("storm_id", "time"),
        "documents": ("source", "source_id"), "boundaries": ("source", "code")}
GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10400  # GeoPackage 1.4
SRS_4326 = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
            'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')


LOCK_TIMEOUT_S = 30.0  # how long a writer waits for another one


class StoreError(DataSourceError):
    """The store file cannot be used (locked, corrupt, from a newer version ...)."""


def _columns(kind: str) -> list[str]:
    return [c.name for c in TABLES[kind] if c.name != "geometry"]


def _stored(kind: str) -> list[str]:
    """The canonical columns and each record's marking (who may see it)."""
    return [*_columns(kind), *MARKING_COLUMNS]


def _sql_type(dtype: str) -> str:
    if dtype in ("Int64", "bool"):
        return "INTEGER"
    if dtype == "float64":
        return "REAL"
    if dtype.startswith("datetime64"):
        return "DATETIME"
    return "TEXT"


def _create_feature_table(db: sqlite3.Connection, kind: str) -> None:
    cols = ", ".join(f'"{c.name}" {_sql_type(c.dtype)}' for c in TABLES[kind]
                     if c.name != "geometry")
    db.execute(f'CREATE TABLE "{kind}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, '
               f'{cols}, content_hash TEXT NOT NULL, version INTEGER NOT NULL, '
               'current INTEGER NOT NULL, ingested_at DATETIME NOT NULL)')
    key = ", ".join(f'"{k}"' for k in KEYS[kind])
    db.execute(f'CREATE INDEX "{kind}_key" ON "{kind}" ({key}, current)')
    if kind in RECORD_TIME:
        db.execute(f'CREATE INDEX "{kind}_time" ON "{kind}" ("{RECORD_TIME[kind]}") '
                   'WHERE current = 1')
    db.execute(f'CREATE VIRTUAL TABLE "rtree_{kind}_geom" USING rtree(id, minx, maxx, miny, maxy)')
    db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
               "VALUES (?, 'features', ?, 4326)", (kind, kind))
    db.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'GEOMETRY', 4326, 0, 0)",
               (kind,))
    db.execute("INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
               "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')", (kind,))


def _v1(db: sqlite3.Connection) -> None:
    """GeoPackage metadata, the feature tables, the raster catalogue, the ingest log."""
    # One statement at a time: executescript would commit the migration's transaction.
    for statement in """
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT);
        CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
            m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
        CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT,
            extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL);
        CREATE TABLE raster_catalogue (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL,
            variable TEXT, units TEXT, crs TEXT, bounds TEXT, time_range TEXT, source TEXT,
            demo INTEGER NOT NULL DEFAULT 0, added_at DATETIME NOT NULL);
        CREATE TABLE ingest_log (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,
            started DATETIME NOT NULL, finished DATETIME, fetched INTEGER DEFAULT 0,
            accepted INTEGER DEFAULT 0, rejected INTEGER DEFAULT 0, duplicates INTEGER DEFAULT 0,
            updated INTEGER DEFAULT 0, error TEXT);
    """.split(";"):
        if statement.strip():
            db.execute(statement)
    db.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", ""),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", ""),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, SRS_4326, "longitude/latitude"),
    ])
    for table, kind in (("raster_catalogue", "attributes"), ("ingest_log", "attributes")):
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                   "VALUES (?, ?, ?)", (table, kind, table))
    for kind in ("incidents", "alerts", "tracks", "displacement"):
        _create_feature_table(db, kind)


def _v2(db: sqlite3.Connection) -> None:
    """Remember each source's last error time, for stale warnings."""
    db.execute("CREATE INDEX ingest_log_source ON ingest_log (source, finished)")


def _v3(db: sqlite3.Connection) -> None:
    """Documents (ReliefWeb reports): situation reports and updates by agencies."""
    _create_feature_table(db, "documents")


def _v4(db: sqlite3.Connection) -> None:
    """Alerts keep their headline in every language the source gave."""
    have = {row[1] for row in db.execute('PRAGMA table_info("alerts")')}
    if "headlines" not in have:  # a store created by this version has it already
        db.execute('ALTER TABLE "alerts" ADD COLUMN "headlines" TEXT')


def _v5(db: sqlite3.Connection) -> None:
    """Every record and raster carries its marking (originating agency and its
    country, TLP, distribution); agencies, users, sharing groups, tokens and the
    audit log. Records stored before markings existed were shown to every
    visitor: they stay public (TLP:CLEAR), their source as the originating agency."""
    for table in (*FEATURE_TABLES, "raster_catalogue"):
        for col in MARKING_COLUMNS:
            db.execute(f'ALTER TABLE "{table}" ADD COLUMN "{col}" TEXT')
        db.execute(f"""UPDATE "{table}" SET agency = coalesce(source, 'unknown'),
                       agency_country = '', tlp = 'TLP:CLEAR', share = 'public'""")
    accounts.create_tables(db)


def _v6(db: sqlite3.Connection) -> None:
    """The early-warning engine's messages, state, deliveries and acknowledgements."""
    warning_log.create_tables(db)


def _v7(db: sqlite3.Connection) -> None:
    """Track positions say whether they are forecasts (ATCF a-decks); those
    stored before were all observed."""
    have = {row[1] for row in db.execute('PRAGMA table_info("tracks")')}
    if "forecast" not in have:  # a store created by this version has it already
        db.execute('ALTER TABLE "tracks" ADD COLUMN "forecast" INTEGER NOT NULL DEFAULT 0')


def _v8(db: sqlite3.Connection) -> None:
    """The regional network: peers, read cursors, receipts and the sync log."""
    network_log.create_tables(db)


def _v9(db: sqlite3.Connection) -> None:
    """Each user's interface language."""
    have = {row[1] for row in db.execute('PRAGMA table_info("users")')}
    if "language" not in have:  # a store created by this version has it already
        db.execute('ALTER TABLE "users" ADD COLUMN "language" TEXT')


def _v11(db: sqlite3.Connection) -> None:
    """Boundaries users keep (their agency's outlines), marked like records."""
    _create_feature_table(db, "boundaries")
    for col in MARKING_COLUMNS:
        db.execute(f'ALTER TABLE "boundaries" ADD COLUMN "{col}" TEXT')


MIGRATIONS = [(1, _v1), (2, _v2), (3, _v3), (4, _v4), (5, _v5), (6, _v6), (7, _v7), (8, _v8),
              (9, _v9), (10, warning_log.add_reasons_column), (11, _v11)]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def gpkg_geometry(geoms: np.ndarray) -> list[bytes | None]:
    """GeoPackage geometry blobs: 'GP' header (version 0, little endian, no
    envelope, srs 4326) followed by the WKB."""
    header = b"GP\x00\x01" + struct.pack("<i", 4326)
    wkb = shapely.to_wkb(geoms, byte_order=1)
    return [None if w is None else header + w for w in wkb]


def _from_gpkg(blobs: pd.Series) -> np.ndarray:
    """WKB out of GeoPackage blobs (any envelope size)."""
    sizes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}

    def wkb(b):
        if b is None:
            return None
        return bytes(b[8 + sizes[(b[3] >> 1) & 0b111]:])

    return shapely.from_wkb([wkb(b) for b in blobs])


def _iso(values: pd.Series) -> pd.Series:
    """GeoPackage DATETIME text: YYYY-MM-DDTHH:MM:SS.SSSZ (UTC)."""
    utc = values.dt.tz_convert("UTC")
    text = utc.dt.strftime("%Y-%m-%dT%H:%M:%S.") + (utc.dt.microsecond // 1000).astype(
        "string").str.zfill(3) + "Z"
    return text.astype(object).where(values.notna(), None)


def _iso_scalar(value) -> str:
    """One time as GeoPackage DATETIME text; naive times are taken as UTC."""
    ts = pd.Timestamp(value)
    return _iso(pd.Series([ts if ts.tzinfo else ts.tz_localize("UTC")]))[0]


# Columns added to a table after its first version, with the value that means
# "as before the column existed" (see content_hash).
_ADDED_LATER: dict[str, dict[str, object]] = {"alerts": {"headlines": None},
                                              "tracks": {"forecast": False}}


def content_hash(frame: pd.DataFrame, kind: str) -> pd.Series:
    """A 64-bit hash of every canonical field (geometry included) of each record,
    computed on the fields' text so that dtypes do not matter (pandas' fixed-key
    SipHash: stable across processes)."""
    added = _ADDED_LATER.get(kind, {})
    optional = [c for c in added if c in frame]
    cols = [c for c in _columns(kind) if c not in ("demo", *optional)]
    text = pd.DataFrame({c: frame[c].astype("string").fillna("\x00") for c in cols},
                        index=frame.index)
    text["geometry"] = pd.Series(shapely.to_wkb(frame.geometry.values, hex=True),
                                 index=frame.index).fillna("")
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy()
    for col in optional:
        # Mixed in only where given: a record without it keeps the hash it had
        # before the column existed, so an upgrade adds no spurious versions.
        given = frame[col].notna().to_numpy()
        if added[col] is not None:
            given = given & (frame[col] != added[col]).to_numpy(dtype=bool)
        extra = pd.util.hash_pandas_object(frame[col].astype("string").fillna(""),
                                           index=False).to_numpy()
        hashed = np.where(given, hashed ^ extra, hashed)
    return pd.Series(hashed, index=frame.index).map("{:016x}".format)


def apply_migrations(db, current: int, migrations, path, record) -> None:
    """Run the migrations after schema ``current`` in order, ``record``-ing each
    version; a store written by a newer program is refused, untouched."""
    known = migrations[-1][0]
    if current > known:
        raise StoreError(N_("was written by a newer version (schema {current}, this program "
                            "knows up to {known})"), path=path, current=str(current),
                         known=str(known))
    for version, migrate in migrations:
        if version > current:
            migrate(db)
            record(version)


class VersionedUpserts:
    """Upserts with history, the same in every store: each backend says how to
    find the current versions of a batch's keys (``_existing``), retire them
    (``_retire``) and write new versions (``_insert``), inside ``transaction``."""

    db: Any  # the open connection

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def transaction(self) -> AbstractContextManager:
        raise NotImplementedError

    def _existing(self, db, kind: str, keys: list[str], key_values: pd.DataFrame
                  ) -> pd.DataFrame:
        raise NotImplementedError

    def _retire(self, db, kind: str, fids: list[int]) -> None:
        raise NotImplementedError

    def _insert(self, db, kind: str, frame, hashes, versions, *, current=None,
                ingested_at=None) -> None:
        """Write new versions: current, ingested now, unless ``current`` and
        ``ingested_at`` (sequences) say otherwise (a store copied)."""
        raise NotImplementedError

    def dump(self, kind: str) -> gpd.GeoDataFrame:
        """Every stored version of ``kind``, in the order written, with its
        content_hash, version, current and ingested_at (for a store copy)."""
        raise NotImplementedError

    def load(self, db, kind: str, frame: gpd.GeoDataFrame) -> None:
        """Write versions exactly as ``dump`` gave them."""
        self._insert(db, kind, frame, frame["content_hash"], frame["version"],
                     current=frame["current"].astype(bool).tolist(),
                     ingested_at=frame["ingested_at"])

    def upsert(self, kind: str, frame: gpd.GeoDataFrame, db=None) -> dict[str, int]:
        """Insert new records, add a new current version of changed ones, skip
        identical ones. Returns counts: inserted, updated, duplicates. Runs in
        the caller's transaction when ``db`` is given, else in its own."""
        if kind not in STORE_TABLES:
            raise ValueError(f"no table for kind '{kind}'")
        if db is None:
            with self.transaction() as own:
                return self.upsert(kind, frame, own)
        counts = {"inserted": 0, "updated": 0, "duplicates": 0}
        if frame.empty:
            return counts
        unmarked = [c for c in MARKING_COLUMNS if c not in frame or frame[c].isna().any()]
        if unmarked:  # a programming error: data enters marked (data_sources.marking)
            raise ValueError(f"{kind} records without a marking ({', '.join(unmarked)})")
        frame = frame.reset_index(drop=True)
        keys = list(KEYS[kind])
        key_values = frame[keys].astype("string")
        if kind == "tracks":
            key_values["time"] = _iso(frame["time"])
        # A feed may carry one record several times (GDACS episodes): apply them in
        # feed order, so the last becomes current and the earlier ones history.
        occurrence = key_values.groupby(keys, dropna=False, sort=False).cumcount()
        for n in range(int(occurrence.max()) + 1):
            part = occurrence == n
            for key, value in self._upsert_round(db, kind, frame[part], key_values[part],
                                                 keys).items():
                counts[key] += value
        return counts

    def _upsert_round(self, db, kind, frame, key_values, keys) -> dict[str, int]:
        """Upsert records whose keys are unique within ``frame``."""
        counts = {"inserted": 0, "updated": 0, "duplicates": 0}
        frame = frame.reset_index(drop=True)
        key_values = key_values.reset_index(drop=True)
        hashes = content_hash(frame, kind)
        existing = self._existing(db, kind, keys, key_values)
        positions = np.arange(len(frame))
        old_hash = existing["hash"].reindex(positions)
        same = (old_hash.to_numpy() == hashes.to_numpy())
        changed = old_hash.notna().to_numpy() & ~same
        new = old_hash.isna().to_numpy()
        counts["duplicates"] = int(same.sum())
        counts["updated"] = int(changed.sum())
        counts["inserted"] = int(new.sum())
        if changed.any():
            self._retire(db, kind,
                         existing["fid"].reindex(positions)[changed].astype(int).tolist())
        write = new | changed
        if write.any():
            versions = existing["version"].reindex(positions).fillna(0).astype(int) + 1
            self._insert(db, kind, frame[write], hashes[write], versions[write])
        return counts



def canonical(kind: str, frame: pd.DataFrame, geometry) -> gpd.GeoDataFrame:
    """Stored rows (MARKING_COLUMNS, the canonical columns, version, current)
    back to the canonical dtypes, whichever store they come from."""
    out = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    for name in MARKING_COLUMNS:
        out[name] = out[name].astype("string")
    for col in TABLES[kind]:
        if col.name == "geometry":
            continue
        if col.dtype.startswith("datetime64"):
            out[col.name] = pd.to_datetime(out[col.name], utc=True, format="ISO8601"
                                           ).astype(col.dtype)
        elif col.dtype == "category":
            out[col.name] = pd.Categorical(out[col.name], categories=CATEGORIES[(kind, col.name)])
        elif col.dtype == "bool":
            out[col.name] = out[col.name].fillna(0).astype(bool)
        else:
            out[col.name] = out[col.name].astype(col.dtype)
    return out


class Store(VersionedUpserts):
    """The GeoPackage store at ``path`` (created, or migrated, on open)."""

    def __init__(self, path: str | Path, *, verify: bool = False):
        """``verify``: check every page first (PRAGMA quick_check; for writers,
        so that nothing is written into a damaged file)."""
        self.path = Path(path)
        self.files_dir = self.path.parent  # where files kept with the store go
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            self.db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
            if existed:
                self._refuse_foreign()
            if verify:
                problems = [r[0] for r in self.db.execute("PRAGMA quick_check(5)")]
                if problems != ["ok"]:
                    raise StoreError(N_("is damaged ({detail}); restore it from a backup or "
                                        "move it away to start a new one"), path=self.path,
                                     detail="; ".join(problems))
            # The GeoPackage marks live in the file header: write them before WAL mode,
            # so readers that look at the header (GDAL) see them at once.
            if self.db.execute("PRAGMA application_id").fetchone()[0] != GPKG_APPLICATION_ID:
                self.db.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(N_("cannot be opened as the store: {detail}"), path=self.path,
                             detail=str(exc)) from None

    def _refuse_foreign(self) -> None:
        """An existing SQLite file that is not our store (another program's
        database, or a GeoPackage we did not write) is never converted."""
        tables = {r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "schema_version" not in tables:
            raise StoreError(N_("is an SQLite database of another program (no "
                                "schema_version table); refusing to change it: choose another "
                                "SAMON_STORE_PATH"), path=self.path)

    @contextmanager
    def transaction(self):
        """One batch: everything in it is written, or nothing is. Failures of the
        file itself (locked, disk full, damaged) become a StoreError saying so."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._error(exc) from None
        try:
            yield self.db
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise self._error(exc) from None
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self.db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._rollback()
                raise self._error(exc) from None

    def _rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def _error(self, exc: sqlite3.DatabaseError) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(N_("is locked by another writer for more than {seconds} s; "
                                 "nothing was written"), path=self.path,
                              seconds=float(LOCK_TIMEOUT_S))
        if "full" in text:
            return StoreError(N_("cannot be written: the disk is full; nothing was written"),
                              path=self.path)
        return StoreError(N_("cannot be written ({detail}); nothing was written"),
                          path=self.path, detail=text)

    @property
    def schema_version(self) -> int:
        row = self.db.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def _migrate(self) -> None:
        # Most opens find the store up to date: a plain read, so that readers (every
        # page run opens the store) never queue for the write lock.
        try:
            if self.schema_version == SCHEMA_VERSION:
                return
        except sqlite3.OperationalError:  # a new file: no schema_version table yet
            pass
        with self.transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                       "applied_at DATETIME NOT NULL)")
            current = db.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
            apply_migrations(db, current, MIGRATIONS, self.path, lambda v: db.execute(
                "INSERT INTO schema_version VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                (v,)))

    # -- writing -----------------------------------------------------------------

    def _existing(self, db, kind: str, keys: list[str], key_values: pd.DataFrame
                  ) -> pd.DataFrame:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS batch_keys (k1 TEXT, k2 TEXT, pos INTEGER)")
        db.execute("DELETE FROM batch_keys")
        db.executemany("INSERT INTO batch_keys VALUES (?, ?, ?)",
                       zip(key_values[keys[0]], key_values[keys[1]], range(len(key_values)),
                           strict=True))
        return pd.DataFrame(db.execute(
            f'SELECT b.pos, t.fid, t.content_hash, t.version FROM batch_keys b JOIN "{kind}" t '
            f'ON t."{keys[0]}" = b.k1 AND t."{keys[1]}" = b.k2 AND t.current = 1').fetchall(),
            columns=["pos", "fid", "hash", "version"]).set_index("pos")

    def _retire(self, db, kind: str, fids: list[int]) -> None:
        db.executemany(f'UPDATE "{kind}" SET current = 0 WHERE fid = ?', [(f,) for f in fids])

    def _insert(self, db, kind, frame, hashes, versions, *, current=None,
                ingested_at=None) -> None:
        cols = _stored(kind)
        table = pd.DataFrame(index=frame.index)
        for col in cols:
            values = frame[col]
            if pd.api.types.is_datetime64_any_dtype(values):
                table[col] = _iso(values)
            elif isinstance(values.dtype, pd.CategoricalDtype):
                table[col] = values.astype(object).where(values.notna(), None)
            elif str(values.dtype) == "bool":
                table[col] = values.astype(int)
            else:
                table[col] = values.astype(object).where(values.notna(), None)
        now = [_iso_scalar(pd.Timestamp.now(tz="UTC"))] * len(frame)
        geoms = frame.geometry.values
        rows = zip(gpkg_geometry(geoms), *[table[c].tolist() for c in cols], hashes.tolist(),
                   [int(v) for v in versions],
                   [1] * len(frame) if current is None else [int(c) for c in current],
                   now if ingested_at is None else _iso(pd.Series(ingested_at)).tolist(),
                   strict=True)
        names = ", ".join(["geom", *[f'"{c}"' for c in cols], "content_hash", "version",
                           "current", "ingested_at"])
        marks = ", ".join("?" * (len(cols) + 5))
        db.executemany(f'INSERT INTO "{kind}" ({names}) VALUES ({marks})', rows)
        last = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        fids = range(last - len(frame) + 1, last + 1)
        bounds = shapely.bounds(geoms)
        db.executemany(f'INSERT INTO "rtree_{kind}_geom" VALUES (?, ?, ?, ?, ?)',
                       [(fid, b[0], b[2], b[1], b[3]) for fid, b in zip(fids, bounds, strict=True)
                        if not np.isnan(b[0])])
        db.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                   " WHERE table_name = ?", (kind,))

    def set_marking(self, db, kind: str, ids: list[str], tlp: str, share: str) -> int:
        """Change the TLP and distribution of current records (by ``id``); returns
        how many changed. Not a new version: the record says the same, only who
        may see it changes (the audit log keeps the change)."""
        db.execute("CREATE TEMP TABLE IF NOT EXISTS marking_ids (id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM marking_ids")
        db.executemany("INSERT OR IGNORE INTO marking_ids VALUES (?)", [(i,) for i in ids])
        cur = db.execute(f'UPDATE "{kind}" SET tlp = ?, share = ? WHERE current = 1 AND '
                         'id IN (SELECT id FROM marking_ids)', (tlp, share))
        db.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                   " WHERE table_name = ?", (kind,))
        return cur.rowcount

    def add_raster(self, path: str, meta: dict, db=None) -> None:
        """Catalogue a raster file; ``meta`` carries its marking (MARKING_COLUMNS)."""
        sql = ("INSERT INTO raster_catalogue (path, variable, units, crs, bounds, time_range, "
               "source, demo, agency, agency_country, tlp, share, added_at) VALUES "
               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
        args = (path, meta.get("variable"), meta.get("units"), meta.get("crs"),
                str(meta.get("bounds")), str(meta.get("time_range")), meta.get("source"),
                int(bool(meta.get("demo"))), *(meta[c] for c in MARKING_COLUMNS))
        (db or self.db).execute(sql, args)

    def rasters(self) -> pd.DataFrame:
        """The raster catalogue, newest first."""
        return pd.read_sql_query("SELECT * FROM raster_catalogue ORDER BY id DESC", self.db)

    def log_start(self, source: str) -> int:
        with self.transaction() as db:  # failures of the file become a StoreError
            cur = db.execute("INSERT INTO ingest_log (source, started) VALUES (?, "
                             "strftime('%Y-%m-%dT%H:%M:%fZ','now'))", (source,))
        assert cur.lastrowid is not None  # an INSERT always has one
        return cur.lastrowid

    def log_finish(self, log_id: int, db=None, *, error: str | None = None, **counts) -> None:
        if db is None:  # on its own: failures of the file become a StoreError
            with self.transaction() as own:
                return self.log_finish(log_id, own, error=error, **counts)
        db.execute(
            "UPDATE ingest_log SET finished = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
            "fetched = ?, accepted = ?, rejected = ?, duplicates = ?, updated = ?, error = ? "
            "WHERE id = ?", (counts.get("fetched", 0), counts.get("accepted", 0),
                             counts.get("rejected", 0), counts.get("duplicates", 0),
                             counts.get("updated", 0), error, log_id))

    # -- reading -----------------------------------------------------------------

    def query(self, kind: str, bbox: tuple[float, float, float, float] | None = None,
              period: Period | None = None, region: shapely.Geometry | None = None,
              history: bool = False, *, after_fid: int | None = None,
              limit: int | None = None) -> gpd.GeoDataFrame:
        """Current records of ``kind`` (all versions with ``history``) in a
        bbox (west, south, east, north; degrees) or region polygon and a period.
        ``after_fid``: only rows stored after row ``after_fid``, in the order they
        were stored, at most ``limit`` of them, with their ``fid`` (a cursor)."""
        where: list[str] = []
        args: list[object] = []
        join = ""
        if not history:
            where.append("t.current = 1")
        if after_fid is not None and region is not None:
            raise ValueError("a cursor (after_fid) pages by stored row; a region would "
                             "drop rows from a page after the fact: use bbox")
        if after_fid is not None:
            where.append("t.fid > ?")
            args.append(int(after_fid))
        if region is not None:
            bbox = region.bounds
        if bbox is not None:
            join = f' JOIN "rtree_{kind}_geom" r ON r.id = t.fid'
            where += ["r.maxx >= ?", "r.minx <= ?", "r.maxy >= ?", "r.miny <= ?"]
            args += [bbox[0], bbox[2], bbox[1], bbox[3]]
        col = RECORD_TIME.get(kind)
        if period is not None and col is not None:  # areas have no date: any period
            where += [f't."{col}" >= ?', f't."{col}" < ?']
            args += [_iso_scalar(period.start), _iso_scalar(period.end)]
        cols = ", ".join(f't."{c}"' for c in _stored(kind))
        extra = ["version", "current"] + (["fid"] if after_fid is not None else [])
        sql = f'SELECT t.geom, {cols}, {", ".join("t." + c for c in extra)} FROM "{kind}" t{join}'
        if where:
            sql += " WHERE " + " AND ".join(where)
        if after_fid is not None:
            sql += " ORDER BY t.fid" + (f" LIMIT {int(limit)}" if limit is not None else "")
        rows = self.db.execute(sql, args).fetchall()
        frame = pd.DataFrame(rows, columns=["geom", *_stored(kind), *extra])
        out = canonical(kind, frame.drop(columns="geom"), _from_gpkg(frame["geom"]))
        if region is not None and len(out):
            shapely.prepare(region)
            out = out[shapely.intersects(region, out.geometry.values)]
        return out

    def dump(self, kind: str) -> gpd.GeoDataFrame:
        cols = ", ".join(f'"{c}"' for c in _stored(kind))
        extra = ["content_hash", "version", "current", "ingested_at"]
        rows = self.db.execute(f'SELECT geom, {cols}, {", ".join(extra)} FROM "{kind}" '
                               "ORDER BY fid").fetchall()
        frame = pd.DataFrame(rows, columns=["geom", *_stored(kind), *extra])
        out = canonical(kind, frame.drop(columns="geom"), _from_gpkg(frame["geom"]))
        out["ingested_at"] = pd.to_datetime(out["ingested_at"], utc=True, format="ISO8601")
        return out

    def counts(self) -> dict[str, int]:
        return {k: self.db.execute(f'SELECT count(*) FROM "{k}" WHERE current = 1').fetchone()[0]
                for k in STORE_TABLES}

    def change_token(self) -> str:
        """Changes whenever any table changes (a cheap check for auto-refresh)."""
        row = self.db.execute("SELECT max(last_change) FROM gpkg_contents").fetchone()
        log = self.db.execute("SELECT max(id), max(finished) FROM ingest_log").fetchone()
        return f"{row[0]}|{log[0]}|{log[1]}"

    def ingest_log(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM ingest_log ORDER BY id", self.db)
