"""Concurrent dashboard sessions on the hub, server side: the work one page
update costs the hub (the summary for the filters chosen, and the map spec the
page is sent, as JSON), from N sessions at once in a closed loop on 127.0.0.1 (each
session asks again as soon as it has its answer), the records in PostGIS.

    .venv/bin/python -m benchmarks.hub_sessions [--sessions 1,20] [--updates 10]

Each session walks through the filters users change most (a country or two, a
border corridor, the period), in its own order; p50 and p95 of the update time
are printed per number of sessions. The browsers that draw the pages run on the
users' machines, not the hub, and are not part of this (benchmarks.load times
whole pages in Chromium on one machine).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.load import p95
from benchmarks.store import incidents, postgis_database

CHOICES = [("PAK",), ("IND",), ("BGD",), ("AFG", "PAK"), ("IND", "BGD"), ("NPL",), ("LKA",),
           ("BTN", "NPL"), ("AFG",), ("IND", "PAK")]


def run_sessions(service, sessions: int, updates: int) -> list[float]:
    from layers.map import situation_map
    from model.period import Period
    from model.situation import Filters

    as_of = service.scenario().as_of
    times: list[float] = []
    lock = threading.Lock()

    def session(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(updates):
            countries = rng.choice(CHOICES)
            days = rng.choice((30, 90))
            t0 = time.perf_counter()
            region = service.region(countries=countries)
            summary = service.summary(Filters(region=region,
                                              period=Period.ending(as_of, days=days)))
            json.dumps(situation_map(summary).to_json())  # what a page is sent
            with lock:
                times.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def main() -> None:
    from data_sources.pgstore import PgStore
    from data_sources.scenario import load_demo
    from data_sources.settings import Settings
    from geo.kept import forget_all
    from service import SituationService

    parser = argparse.ArgumentParser(prog="python -m benchmarks.hub_sessions")
    parser.add_argument("--sessions", default="1,20")
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    demo = load_demo()
    with postgis_database(args.admin_url) as url, tempfile.TemporaryDirectory() as tmp:
        with PgStore(url) as store:
            for kind in ("alerts", "tracks", "displacement"):
                store.upsert(kind, demo[kind])
            for n in range(0, args.incidents, 100_000):
                frame = incidents(min(100_000, args.incidents - n), seed=n, offset=n)
                frame["time"] = demo.as_of - (frame["time"].max() - frame["time"])
                store.upsert("incidents", frame)
        settings = Settings(store_url=url, store_path=Path(tmp) / "hub.gpkg")
        for n in (int(s) for s in args.sessions.split(",")):
            forget_all()  # as in a new hub process: nothing kept from the round before
            service = SituationService(settings)
            t0 = time.perf_counter()
            service.warm()
            warm_s = time.perf_counter() - t0
            times = run_sessions(service, n, args.updates)
            print(f"{n:3d} sessions x {args.updates} updates (scenario loaded in {warm_s:.1f} s, "
                  f"{args.incidents:,} incidents + the DEMO's from PostGIS): p50 "
                  f"{statistics.median(times):.2f} s, p95 {p95(times):.2f} s, "
                  f"max {max(times):.2f} s")


if __name__ == "__main__":
    main()
