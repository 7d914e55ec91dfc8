"""The store: ingesting 100,000 incidents, and a region + period query over
1,000,000 stored incidents, with and without the sharing rules applied (the
records carry random markings: eight agencies, four distributions); the
GeoPackage store, the PostGIS store, or both side by side.

    .venv/bin/python -m benchmarks.store [--backend geopackage|postgis|both]
    .venv/bin/python -m benchmarks.store --hub 10000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_sources.scenario import load_demo
from data_sources.store import Store
from geo.regions import corridor_region
from model.access import OPEN, Viewer, visible
from model.period import Period
from model.schema import SAARC_ISO3


def incidents(n: int, seed: int, offset: int) -> gpd.GeoDataFrame:
    base = load_demo()["incidents"]
    rng = np.random.default_rng(seed)
    pick = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    x = shapely.get_x(pick.geometry.values) + rng.normal(0, 0.02, n)
    y = shapely.get_y(pick.geometry.values) + rng.normal(0, 0.02, n)
    pick["time"] = pick["time"] - pd.to_timedelta(rng.uniform(0, 720, n), unit="D")
    pick["source_id"] = [f"B{offset + i:07d}" for i in range(n)]
    pick["id"] = "bench:" + pick["source_id"]
    countries = rng.choice(SAARC_ISO3, n)
    pick["agency"] = [f"DEMO-{c}" for c in countries]
    pick["agency_country"] = countries
    pick["share"] = rng.choice(["agency", "country", "members", "public"], n)
    pick["tlp"] = np.where(pick["share"] == "public", "TLP:CLEAR", "TLP:AMBER")
    return gpd.GeoDataFrame(pick, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


def measure(store, n_batches: int = 10) -> dict:
    """Ingest ``n_batches`` x 100,000 incidents, then the queries."""
    batches = []
    for b in range(n_batches):
        frame = incidents(100_000, seed=b, offset=b * 100_000)
        t0 = time.perf_counter()
        store.upsert("incidents", frame)
        batches.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    again = store.upsert("incidents", incidents(100_000, seed=0, offset=0))
    duplicate_s = time.perf_counter() - t0
    demo = load_demo()
    countries = demo["boundaries"][demo["boundaries"]["admin_level"] == 0]
    region = corridor_region(countries, 50, "AFG-PAK").geometry
    period = Period.of_days("2026-07-01", "2026-09-30")
    user = Viewer("bench", agency="DEMO-PAK", country="PAK")
    times: dict[str, list[float]] = {"open": [], "user": []}
    found: dict[str, int] = {}
    for _ in range(15):  # alternated, so that both see the same machine
        for who, viewer in (("open", OPEN), ("user", user)):
            t0 = time.perf_counter()
            records = store.query("incidents", region=region, period=period)
            records = records[visible(records, viewer)]
            times[who].append(time.perf_counter() - t0)
            found[who] = len(records)
    t0 = time.perf_counter()
    bbox_only = len(store.query("incidents", bbox=(60, 25, 75, 38),
                                period=Period.of_days("2026-09-01", "2026-09-30")))
    return {"first": batches[0], "last": batches[-1], "duplicate": duplicate_s,
            "duplicates": again["duplicates"], "open": statistics.median(times["open"]),
            "user": statistics.median(times["user"]), "found": found,
            "bbox": time.perf_counter() - t0, "bbox_found": bbox_only}


@contextmanager
def postgis_database(admin_url: str):
    """A new PostGIS database for the benchmark, dropped afterwards."""
    import psycopg

    name = f"samon_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            yield url
        finally:
            from data_sources.pgstore import close_pool

            close_pool(url)
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def report(label: str, r: dict) -> None:
    print(f"[{label}]")
    print(f"ingest 100,000 new incidents (first batch):   {r['first']:6.2f} s (goal <= 10 s)")
    print(f"ingest 100,000 new incidents (last batch):    {r['last']:6.2f} s")
    print(f"re-ingest 100,000 identical incidents:        {r['duplicate']:6.2f} s "
          f"({r['duplicates']:,} duplicates, nothing written)")
    print(f"region (AFG-PAK 50 km corridor) + 92 days over 1,000,000: "
          f"{r['open']:6.3f} s median of 15, {r['found']['open']:,} found (goal <= 1 s)")
    print(f"  the same with the sharing rules of a DEMO-PAK user: {r['user']:6.3f} s, "
          f"{r['found']['user']:,} found: enforcement costs "
          f"{100 * (r['user'] / r['open'] - 1):+.1f} % (goal < 20 %)")
    print(f"bbox + 30 days over 1,000,000:                {r['bbox']:6.3f} s, "
          f"{r['bbox_found']:,} found")


WRITER = """
import sys
from benchmarks.store import incidents
from data_sources.pgstore import PgStore
url, part = sys.argv[1], int(sys.argv[2])
with PgStore(url) as store:
    for b in range(5):  # 250,000 incidents per writer, 50,000 a batch
        store.upsert("incidents", incidents(50_000, seed=100 + part * 5 + b,
                                            offset=(part * 5 + b) * 50_000))
"""


def hub(admin_url: str, total: int) -> None:
    """The hub at scale: 1,000,000 incidents from 4 writers at once (nothing lost
    or duplicated), then up to ``total`` incidents and the corridor query."""
    import subprocess
    import sys

    from data_sources.pgstore import PgStore

    root = Path(__file__).resolve().parent.parent
    with postgis_database(admin_url) as url:
        PgStore(url).close()
        t0 = time.perf_counter()
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(i)], cwd=root,
                                    env={**os.environ, "PYTHONPATH": str(root)})
                   for i in range(4)]
        assert all(w.wait() == 0 for w in writers)
        concurrent_s = time.perf_counter() - t0
        with PgStore(url) as store:
            ids = store._frame("SELECT count(*) AS n, count(DISTINCT source_id) AS d, "
                               "sum(version) AS v FROM incidents")
            print(f"4 writers at once, 1,000,000 incidents: {concurrent_s:.1f} s; stored "
                  f"{ids['n'][0]:,}, distinct {ids['d'][0]:,}, all version 1: "
                  f"{ids['v'][0] == ids['n'][0]}")
            t0 = time.perf_counter()
            for b in range(10, total // 100_000):
                store.upsert("incidents", incidents(100_000, seed=b, offset=b * 100_000))
            load_s = time.perf_counter() - t0
            store.db.execute("ANALYZE incidents")
            n = store.counts()["incidents"]
            print(f"then loaded to {n:,} incidents in {load_s:.0f} s (one writer)")
            demo = load_demo()
            countries = demo["boundaries"][demo["boundaries"]["admin_level"] == 0]
            region = corridor_region(countries, 50, "AFG-PAK").geometry
            period = Period.of_days("2026-07-01", "2026-09-30")

            def corridor(label: str) -> None:
                times, found = [], 0
                for _ in range(7):
                    t0 = time.perf_counter()
                    found = len(store.query("incidents", region=region, period=period))
                    times.append(time.perf_counter() - t0)
                print(f"region (AFG-PAK 50 km corridor) + 92 days over {n:,}, {label}: "
                      f"{statistics.median(times):.3f} s median of 7, {found:,} found "
                      "(goal <= 1 s)")

            corridor("rows in arrival order")
            took = store.maintain()["incidents"]
            print(f"store maintain: incidents rewritten in time order in {took:.0f} s")
            corridor("after store maintain")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store")
    parser.add_argument("--backend", choices=("geopackage", "postgis", "both"),
                        default="geopackage")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server with PostGIS, to create a database on")
    parser.add_argument("--hub", type=int, metavar="N", help="instead: PostGIS at scale, "
                        "4 concurrent writers then N incidents (e.g. 10000000)")
    args = parser.parse_args()
    if args.hub:
        hub(args.admin_url, args.hub)
        return
    results = {}
    if args.backend in ("geopackage", "both"):
        with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.gpkg") as store:
            results["GeoPackage"] = measure(store)
            size = (Path(tmp) / "bench.gpkg").stat().st_size / 1e6
            print(f"GeoPackage file with 1,000,000 incidents: {size:,.0f} MB")
    if args.backend in ("postgis", "both"):
        from data_sources.pgstore import PgStore

        with postgis_database(args.admin_url) as url, PgStore(url) as store:
            results["PostGIS"] = measure(store)
    for label, r in results.items():
        report(label, r)
    if len(results) == 2:
        g, p = results["GeoPackage"], results["PostGIS"]
        print("PostGIS / GeoPackage: " + ", ".join(
            f"{k} {p[k] / g[k]:.2f}" for k in ("first", "last", "duplicate", "open", "user",
                                               "bbox")))


if __name__ == "__main__":
    main()
