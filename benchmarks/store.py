"""The store: ingesting 100,000 incidents, and a region + period query over
1,000,000 stored incidents, with and without the sharing rules applied (the
records carry random markings: eight agencies, four distributions).

    .venv/bin/python -m benchmarks.store
"""

from __future__ import annotations

import statistics
import tempfile
import time
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.gpkg") as store:
        batches = []
        for b in range(10):
            frame = incidents(100_000, seed=b, offset=b * 100_000)
            t0 = time.perf_counter()
            store.upsert("incidents", frame)
            batches.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        again = store.upsert("incidents", incidents(100_000, seed=0, offset=0))
        duplicate_s = time.perf_counter() - t0
        size_mb = (Path(tmp) / "bench.gpkg").stat().st_size / 1e6
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
        bbox_s = time.perf_counter() - t0
    print(f"ingest 100,000 new incidents (first batch):   {batches[0]:6.2f} s (goal <= 10 s)")
    print(f"ingest 100,000 new incidents (10th batch):    {batches[-1]:6.2f} s, "
          f"store then {size_mb:,.0f} MB")
    print(f"re-ingest 100,000 identical incidents:        {duplicate_s:6.2f} s "
          f"({again['duplicates']:,} duplicates, nothing written)")
    open_s, user_s = statistics.median(times["open"]), statistics.median(times["user"])
    print(f"region (AFG-PAK 50 km corridor) + 92 days over 1,000,000: "
          f"{open_s:6.3f} s median of 15, {found['open']:,} found (goal <= 1 s)")
    print(f"  the same with the sharing rules of a DEMO-PAK user: {user_s:6.3f} s, "
          f"{found['user']:,} found: enforcement costs {100 * (user_s / open_s - 1):+.1f} % "
          "(goal < 20 %)")
    print(f"bbox + 30 days over 1,000,000:                {bbox_s:6.3f} s, {bbox_only:,} found")


if __name__ == "__main__":
    main()
