"""Ingestion: fetch each enabled source, read it with the ordinary readers, and
upsert it into the store in one transaction per source run."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from model.access import MARKING_COLUMNS, Marking, widest_share
from model.i18n import N_, _, number
from model.ports import FeatureStore
from model.schema import ReadResult

from .errors import DataSourceError
from .feeds.http import Fetcher
from .feeds.sources import SOURCES
from .marking import stamp
from .settings import Settings
from .store import FEATURE_TABLES, STORE_TABLES, StoreError
from .stores import open_store

UNFINISHED_AFTER = pd.Timedelta(minutes=30)  # longer than any run takes


def fetcher_for(settings: Settings) -> Fetcher:
    return Fetcher(settings.store_path.parent / "feeds", timeout=settings.timeout_s,
                   retries=settings.retries, backoff=settings.backoff_s,
                   max_bytes=settings.max_bytes)


def feed_marking(name: str, settings: Settings) -> Marking:
    """Public feeds: the node's data TLP (TLP:CLEAR unless set), shared as widely
    as that allows; the feed is the originating agency."""
    return Marking(name, "", settings.data_tlp, widest_share(settings.data_tlp))


def ingest_source(store: FeatureStore, name: str, settings: Settings, fetcher: Fetcher) -> dict:
    """One run of one source. On any failure the store keeps what it had and
    the ingest log records the error (the source then shows as stale)."""
    counts: dict[str, Any] = {"source": name, "fetched": 0, "accepted": 0, "rejected": 0,
                              "duplicates": 0, "updated": 0, "inserted": 0, "error": None,
                              "unchanged": False}
    try:
        log_id = store.log_start(name)
    except StoreError as exc:  # not even the log can be written: nothing is fetched
        counts["error"] = exc.message
        return counts
    try:
        batch = SOURCES[name](settings, fetcher)
    except Exception as exc:  # noqa: BLE001 - one broken feed never stops the others
        fetcher.rollback()  # the last good copies stay the last good copies
        counts["error"] = (exc.message if isinstance(exc, DataSourceError) else
                           f"{name} failed unexpectedly ({type(exc).__name__}: {exc})")
        store.log_finish(log_id, error=counts["error"])
        return counts
    fetcher.commit()
    counts["fetched"], counts["unchanged"] = batch.fetched, batch.unchanged
    try:
        with store.transaction() as db:
            for result in batch.results:
                counts["rejected"] += result.rejected
                if result.kind not in FEATURE_TABLES:
                    continue
                counts["accepted"] += result.accepted
                marked = stamp(result, feed_marking(name, settings)).data
                for key, value in store.upsert(result.kind, marked, db).items():
                    counts[key] += value
            store.log_finish(log_id, db, **{k: v for k, v in counts.items()
                                            if k in ("fetched", "accepted", "rejected",
                                                     "duplicates", "updated")})
    except StoreError as exc:  # full, locked, damaged: the batch is not written at all
        counts.update(error=exc.message, inserted=0, updated=0, duplicates=0)
        try:
            store.log_finish(log_id, error=exc.message)
        except StoreError:
            pass  # nothing can be written; status counts a run that never finished as failed
    return counts


def _keepable(result: ReadResult, name: str) -> None:
    """Refuse a kind the store has no table for (places, say), rather than
    report it added."""
    if result.kind != "raster" and result.kind not in STORE_TABLES:
        raise DataSourceError(N_("{kind} stay in your session: the store keeps {kinds} and "
                                 "rasters"), path=name, kind=result.kind,
                              kinds=", ".join(STORE_TABLES))


def add_file(store: FeatureStore, path: str, fmt: str | None = None, *, marking: Marking) -> dict:
    """Add one file with its marking: tables are upserted (one transaction),
    rasters are catalogued (the raster stays where it is). Logged in the ingest
    log as 'file:<name>'."""
    from .detect import read_any

    name = f"file:{Path(path).name}"
    log_id = store.log_start(name)
    try:
        result = stamp(read_any(path, fmt), marking)
        _keepable(result, Path(path).name)
    except DataSourceError as exc:
        store.log_finish(log_id, error=exc.message)
        raise
    return _write(store, log_id, name, result, Path(path))


def keep_result(store: FeatureStore, name: str, result: ReadResult) -> dict:
    """Keep a file a user has already checked and marked (``stamp``): tables are
    upserted; a raster is copied under ``uploads/<agency>/`` beside the store
    (stored per agency; served back to nobody: only its figures are) and
    catalogued. Logged in the ingest log as 'upload:<agency>:<name>'."""
    from .uploads import safe_name

    _keepable(result, name)
    agency = (result.data.attrs if result.kind == "raster" else result.data)["agency"]
    agency = agency if isinstance(agency, str) else str(agency.iloc[0])
    source = f"upload:{agency}:{safe_name(name)}"
    raster = None
    if result.kind == "raster":
        folder = store.files_dir / "uploads" / safe_name(agency)
        folder.mkdir(parents=True, exist_ok=True)
        raster = folder / safe_name(Path(result.path).name)
        shutil.copyfile(result.path, raster)
    return _write(store, store.log_start(source), source, result, raster)


def _write(store: FeatureStore, log_id: int, source: str, result: ReadResult,
           raster: Path | None) -> dict:
    """One marked result into the store in one transaction: a table upserted, a
    raster (at ``raster``) catalogued with its marking; the ingest log finished."""
    from .check import summarize

    counts: dict[str, Any] = {"source": source, "fetched": 1, "accepted": result.accepted,
                              "rejected": result.rejected, "duplicates": 0, "updated": 0,
                              "inserted": 0, "error": None, "unchanged": False}
    with store.transaction() as db:
        if result.kind == "raster" and raster is not None:
            attrs = result.data.attrs
            meta = summarize(result)
            meta.update(source=attrs.get("source") or source, demo=attrs.get("demo"),
                        **{c: attrs[c] for c in MARKING_COLUMNS})
            store.add_raster(str(raster.resolve()), meta, db)
            counts["inserted"] = 1
        else:
            for key, value in store.upsert(result.kind, result.data, db).items():
                counts[key] += value
        store.log_finish(log_id, db, fetched=1, accepted=result.accepted,
                         rejected=result.rejected, duplicates=counts["duplicates"],
                         updated=counts["updated"])
    return counts


def summary_line(c: dict) -> str:
    """One run, for the operator, in the language in use (the error as the log keeps it)."""
    if c["error"]:
        return _("{source}: FAILED, kept the last good data: {error}", source=c["source"],
                 error=c["error"])
    if c["unchanged"]:
        return _("{source}: not modified since the last fetch", source=c["source"])
    return _("{source}: {fetched} fetched, {accepted} accepted ({new} new, {updated} updated, "
             "{unchanged} unchanged), {rejected} rejected", source=c["source"],
             **{k: number(c[key]) for k, key in (("fetched", "fetched"), ("accepted", "accepted"),
                                                 ("new", "inserted"), ("updated", "updated"),
                                                 ("unchanged", "duplicates"),
                                                 ("rejected", "rejected"))})


def status(store: FeatureStore, settings: Settings, now: pd.Timestamp | None = None
           ) -> pd.DataFrame:
    """Per source: last success, its age, the last error, and whether it is stale."""
    now = now or pd.Timestamp.now(tz="UTC")
    log = store.ingest_log()
    rows = []
    for name in sorted(set(settings.sources) | set(log["source"])):
        runs = log[log["source"] == name].copy()
        # A run that started long ago and never finished could not write its end
        # (killed, or the disk full): a failure, not a run in progress.
        started = pd.to_datetime(runs["started"], utc=True, format="ISO8601")
        lost = runs["finished"].isna() & (now - started > UNFINISHED_AFTER)
        runs.loc[lost, "finished"] = runs.loc[lost, "started"]
        runs.loc[lost, "error"] = [f"the run started {t:%Y-%m-%d %H:%M} UTC never finished "
                                   "(stopped, or the store could not be written)"
                                   for t in started[lost]]
        ok = runs[runs["finished"].notna() & runs["error"].isna()]
        last_ok = pd.to_datetime(ok["finished"].iloc[-1], utc=True) if len(ok) else None
        failed = runs[runs["error"].notna()]
        last_error = failed.iloc[-1] if len(failed) else None
        # The log's order decides (two runs may end in the same millisecond).
        error_after_ok = last_error is not None and (
            last_ok is None or failed.index[-1] > ok.index[-1])
        age_h = (now - last_ok).total_seconds() / 3600 if last_ok is not None else None
        rows.append({
            "source": name, "last_success": last_ok, "age_h": age_h,
            "stale": age_h is None or age_h > settings.stale_after_h or error_after_ok,
            "last_error": last_error["error"] if error_after_ok and last_error is not None
            else None,
            "accepted": int(ok["accepted"].iloc[-1]) if len(ok) else 0,
        })
    return pd.DataFrame(rows, columns=["source", "last_success", "age_h", "stale", "last_error",
                                       "accepted"])


def run(settings: Settings, names: list[str], every_s: float | None, out=print) -> int:
    """Ingest ``names`` once, or every ``every_s`` seconds until interrupted."""
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        out(_("error: {error}", error=_("unknown source(s) {names}; known: {known}",
                                        names=", ".join(unknown), known=", ".join(SOURCES))))
        return 2
    if not names:
        out(_("No source enabled (set SAMON_SOURCES, e.g. '[\"gdacs-events\", \"ibtracs\"]', "
              "or pass --source); the dashboard uses the DEMO scenario."))
        return 0
    fetcher = fetcher_for(settings)
    with open_store(settings, verify=True) as store:
        while True:
            failures = 0
            for i, name in enumerate(names, start=1):
                out(_("[{n}/{of}] {source}: fetching…", n=number(i), of=number(len(names)),
                      source=name))
                result = ingest_source(store, name, settings, fetcher)
                failures += bool(result["error"])
                out(summary_line(result))
            if every_s is None:
                return 1 if failures == len(names) else 0
            out(_("next run in {seconds} s (Ctrl-C to stop)", seconds=number(every_s)))
            time.sleep(every_s)
