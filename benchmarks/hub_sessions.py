"""Concurrent dashboard sessions on the hub, server side: the work one page
update costs the hub (the summary for the filters chosen, and the map spec with
what the page is sent of it: the layers its map does not hold yet; the update
time is until then), from N sessions at once in a closed loop on 127.0.0.1 (each
session asks again once its page is complete: the tables under the map, the
summary's details, are worked out after the map as the page does), the records
in PostGIS.

    .venv/bin/python -m benchmarks.hub_sessions [--sessions 1,20] [--updates 10]
        [--processes 2] [--rounds 1]

As the deployment recipe runs the hub (deploy/: one dashboard process per core
behind nginx, each visitor kept with one process), the sessions are shared out
over ``--processes`` new processes, which start as the dashboard does (the data
loaded, the first page worked out) and then start their sessions together.
Each session walks through the filters users change most (a country or two, the
period), in its own order; p50 and p95 of the update time over every session are
printed per number of sessions, with the CPU-seconds the processes used for them. The browsers that
draw the pages run on the users' machines, not the hub, and are not part of this
(benchmarks.load times whole pages in Chromium on one machine).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.filter_change import sent
from benchmarks.load import p95
from benchmarks.store import incidents, postgis_database

CHOICES = [("PAK",), ("IND",), ("BGD",), ("AFG", "PAK"), ("IND", "BGD"), ("NPL",), ("LKA",),
           ("BTN", "NPL"), ("AFG",), ("IND", "PAK")]


def run_sessions(service, seeds: list[int], updates: int) -> list[float]:
    from layers.map import situation_map
    from model.period import Period
    from model.situation import Filters

    as_of = service.scenario().as_of
    times: list[float] = []
    lock = threading.Lock()

    def session(seed: int) -> None:
        rng = random.Random(seed)
        held: set[str] = set()  # the layers the session's map holds
        for _ in range(updates):
            countries = rng.choice(CHOICES)
            days = rng.choice((30, 90))
            t0 = time.perf_counter()
            region = service.region(countries=countries)
            summary = service.summary(Filters(region=region,
                                              period=Period.ending(as_of, days=days)))
            held = sent(situation_map(summary), held)
            with lock:
                times.append(time.perf_counter() - t0)
            summary.details.get()  # the rest of the page, after its map

    threads = [threading.Thread(target=session, args=(seed,)) for seed in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def dashboard_process(store_url: str, store_path: str, seeds: list[int], updates: int,
                      ready, results) -> None:
    """One dashboard process of the hub: load and warm as at its start, then
    serve its sessions once every process is ready."""
    from dashboard.data import warmed_service
    from data_sources.settings import Settings

    t0 = time.perf_counter()
    service = warmed_service(Settings(store_url=store_url, store_path=Path(store_path)))
    warm_s = time.perf_counter() - t0
    ready.wait()
    cpu0 = time.process_time()
    times = run_sessions(service, seeds, updates)
    results.put((times, time.process_time() - cpu0, warm_s))


def hub_round(store_url: str, store_path: str, sessions: int, updates: int,
              processes: int) -> tuple[list[float], float, float]:
    """Update times of ``sessions`` shared out over ``processes`` new dashboard
    processes; their CPU-seconds for it, and the longest start (load and warm)."""
    context = multiprocessing.get_context("spawn")
    workers = min(processes, sessions)
    ready, results = context.Barrier(workers), context.Queue()
    started = [context.Process(target=dashboard_process, args=(
        store_url, store_path, list(range(sessions))[p::workers], updates, ready, results))
        for p in range(workers)]
    for process in started:
        process.start()
    outcome = [results.get() for _ in started]
    for process in started:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"a dashboard process failed (exit code {process.exitcode})")
    return ([t for times, _, _ in outcome for t in times], sum(cpu for _, cpu, _ in outcome),
            max(warm for _, _, warm in outcome))


def main() -> None:
    from data_sources.pgstore import PgStore
    from data_sources.scenario import load_demo

    parser = argparse.ArgumentParser(prog="python -m benchmarks.hub_sessions")
    parser.add_argument("--sessions", default="1,20")
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--processes", type=int, default=2,
                        help="dashboard processes (the deployment recipe: one per core)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds per number of sessions, each with new processes")
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
        for n in (int(s) for s in args.sessions.split(",")):
            for _ in range(args.rounds):
                times, cpu, warm_s = hub_round(url, str(Path(tmp) / "hub.gpkg"), n,
                                               args.updates, args.processes)
                print(f"{n:3d} sessions x {args.updates} updates on {min(args.processes, n)} "
                      f"process(es) ({args.incidents:,} incidents + the DEMO's from PostGIS; "
                      f"started in {warm_s:.1f} s): p50 {statistics.median(times):.2f} s, "
                      f"p95 {p95(times):.2f} s, max {max(times):.2f} s; CPU {cpu:.2f} s",
                      flush=True)

if __name__ == "__main__":
    main()
