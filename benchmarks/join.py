"""Incidents to admin areas: 1,000,000 points against 500 polygons, our join
against the raw shapely STRtree bulk query it is built on.

    .venv/bin/python -m benchmarks.join [--n 1000000] [--repeat 3]

Goal: our ``area_index`` at most 1.5x the raw query's time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import geopandas as gpd
import numpy as np
import shapely

from geo.join import area_index

BBOX = (60.0, 5.0, 98.0, 38.0)


def inputs(n: int):
    rng = np.random.default_rng(5)
    extent = shapely.box(*BBOX)
    seeds = shapely.points(rng.uniform(BBOX[0], BBOX[2], 500), rng.uniform(BBOX[1], BBOX[3], 500))
    polygons = shapely.intersection(shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=extent)), extent)
    # Leave a hole so that some points fall outside every area, as at sea.
    polygons = shapely.difference(polygons, shapely.box(85, 10, 90, 15))
    areas = gpd.GeoDataFrame({"code": [f"A{i:03d}" for i in range(len(polygons))]},
                             geometry=polygons, crs="EPSG:4326")
    points = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(BBOX[0], BBOX[2], n),
                                              rng.uniform(BBOX[1], BBOX[3], n)), crs="EPSG:4326")
    return areas, points


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    areas, points = inputs(args.n)
    raw, ours = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        shapely.STRtree(areas.geometry.values).query(points.values, predicate="intersects")
        t1 = time.perf_counter()
        idx = area_index(points, areas)
        t2 = time.perf_counter()
        raw.append(t1 - t0)
        ours.append(t2 - t1)
    r, o = statistics.median(raw), statistics.median(ours)
    print(f"{args.n:,} points x {len(areas)} polygons (median of {args.repeat})")
    print(f"raw STRtree bulk query: {r:6.3f} s")
    print(f"area_index (ours):      {o:6.3f} s   ratio {o / r:.2f}x (goal <= 1.5x)")
    print(f"points outside every area: {(idx < 0).sum():,} (kept, counted)")


if __name__ == "__main__":
    main()
