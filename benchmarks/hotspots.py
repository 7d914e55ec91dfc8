"""Hotspots: 1,000,000 incidents binned to H3 and Gi* computed.

    .venv/bin/python -m benchmarks.hotspots [--n 1000000] [--res 6]

Incidents are drawn around the DEMO scenario's incidents (so they cluster
along the borders as real ones do), over twelve months.
"""

from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_sources.scenario import load_demo
from geo.hotspots import h3_cells, hotspots


def incidents(n: int) -> gpd.GeoDataFrame:
    demo = load_demo()["incidents"]
    rng = np.random.default_rng(11)
    pick = rng.integers(0, len(demo), n)
    x = shapely.get_x(demo.geometry.values)[pick] + rng.normal(0, 0.05, n)
    y = shapely.get_y(demo.geometry.values)[pick] + rng.normal(0, 0.05, n)
    end = pd.Timestamp("2026-09-30", tz="UTC")
    times = end - pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    return gpd.GeoDataFrame({"time": times}, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--res", type=int, default=6)
    args = parser.parse_args()
    data = incidents(args.n)
    t0 = time.perf_counter()
    h3_cells(data.geometry, args.res)
    t1 = time.perf_counter()
    cells = hotspots(data, args.res)
    t2 = time.perf_counter()
    hot = cells["gi_class"].astype(str).str.startswith("hot").sum()
    print(f"{args.n:,} incidents, H3 resolution {args.res}: {len(cells):,} cells in the study "
          f"area, {hot:,} hot")
    print(f"H3 binning alone:                 {t1 - t0:6.2f} s")
    print(f"hotspots() (binning, Gi*, trend): {t2 - t1:6.2f} s   (goal <= 10 s)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak RSS: {rss:.2f} GB")


if __name__ == "__main__":

    main()
