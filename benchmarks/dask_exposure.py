"""Exposure past one machine: a 100,000 x 100,000 flood raster (a sparse,
tiled cloud-optimised GeoTIFF on disk, 10 m cells) x population, 500 areas, on
a dask.distributed LocalCluster of 2 workers with 2 GB each.

    .venv/bin/python -m benchmarks.dask_exposure [--size 100000] [--crop 20000]

Prints: the figures on a crop (crop x crop cells) from the threaded path and
from the cluster (identical, or it fails), the crop's time with 1 and with 2
workers, the whole raster's time on 2 workers and each worker's peak memory.
Inputs are generated once under $SAMON_BENCH_DIR (see benchmarks.exposure).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.shutil
import shapely
from rasterio.transform import from_origin
from rasterio.windows import Window
from scipy.ndimage import zoom

from benchmarks.exposure import bench_dir

CRS = "EPSG:32645"  # UTM 45N: the Ganges-Brahmaputra delta
X0, Y0, RES = 300_000.0, 2_900_000.0, 10.0
TILE = 512
N_AREAS = 500


def make_inputs(size: int) -> dict[str, Path]:
    folder = bench_dir() / f"dask-{size}"
    folder.mkdir(exist_ok=True)
    paths = {"flood": folder / "flood_cog.tif", "population": folder / "population.tif",
             "areas": folder / "areas.gpkg"}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(11)
    span = size * RES
    # Flooding along a meandering river: the tiles within 3 km of it hold water,
    # the others are left out of the file (sparse: GDAL reads them as nodata).
    t = np.linspace(0, 1, 400)
    river = shapely.LineString(np.c_[X0 + span * t,
                                     Y0 - span * (0.5 + 0.3 * np.sin(6 * np.pi * t))])
    band = river.buffer(3000)
    tiled = folder / "flood_tiled.tif"
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1,
               "dtype": "float32", "crs": CRS, "transform": from_origin(X0, Y0, RES, RES),
               "tiled": True, "blockxsize": TILE, "blockysize": TILE, "compress": "deflate",
               "nodata": 0.0, "sparse_ok": True, "BIGTIFF": "YES"}
    with rasterio.open(tiled, "w", **profile) as dst:
        dst.update_tags(variable="flood_depth", units="m", source="benchmark flood")
        for row in range(0, size, TILE):
            for col in range(0, size, TILE):
                box = shapely.box(X0 + col * RES, Y0 - (row + TILE) * RES,
                                  X0 + (col + TILE) * RES, Y0 - row * RES)
                if not band.intersects(box):
                    continue
                h, w = min(TILE, size - row), min(TILE, size - col)
                depth = zoom(rng.random((8, 8)).astype("float32") * 3, (h / 8, w / 8), order=1)
                dst.write(depth[:h, :w], 1, window=Window(col, row, w, h))
    rasterio.shutil.copy(tiled, paths["flood"], driver="COG", compress="DEFLATE",
                         blocksize=TILE, sparse_ok=True, overviews="NONE", bigtiff="YES")
    tiled.unlink()
    # Population on a 1 km grid over the same square.
    cells = int(span // 1000)
    people = zoom(rng.random((20, 20)).astype("float32") * 2000, cells / 20, order=1)
    with rasterio.open(paths["population"], "w", driver="GTiff", width=cells, height=cells,
                       count=1, dtype="float32", crs=CRS,
                       transform=from_origin(X0, Y0, 1000, 1000)) as dst:
        dst.write(people[:cells, :cells], 1)
        dst.update_tags(variable="population", units="people")
    extent = shapely.box(X0, Y0 - span, X0 + span, Y0)
    seeds = shapely.points(rng.uniform(X0, X0 + span, N_AREAS), rng.uniform(Y0 - span, Y0,
                                                                           N_AREAS))
    cells_ = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=extent)), extent)
    gpd.GeoDataFrame({"name": [f"area {i:03d}" for i in range(len(cells_))]},
                     geometry=cells_, crs=CRS).to_file(paths["areas"])
    return paths


def main() -> None:
    from distributed import Client, LocalCluster

    from data_sources.rasters import open_raster
    from geo import exposure as ex

    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_exposure")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--crop", type=int, default=20_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    paths = make_inputs(args.size)
    size_gb = paths["flood"].stat().st_size / 1e9
    print(f"inputs ready in {time.perf_counter() - t0:.0f} s: {size_gb:.2f} GB flood COG "
          f"({args.size:,} x {args.size:,} cells)")
    flood = open_raster(paths["flood"], max_cells=args.size ** 2).data  # past the default limit
    population = open_raster(paths["population"], variable="population").data.load()
    areas = gpd.read_file(paths["areas"])
    crop = flood[:args.crop, :args.crop]
    threshold = 1.0

    t0 = time.perf_counter()
    here = ex.exposure(crop, threshold, areas, "name", population=population)
    threaded_s = time.perf_counter() - t0
    print(f"crop {args.crop:,}^2, threaded (this process, 2 threads): {threaded_s:.1f} s, "
          f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          memory_limit="2GB", dashboard_address=None) as cluster:
            t0 = time.perf_counter()
            there = ex.exposure(crop, threshold, areas, "name", population=population,
                                scheduler=cluster.scheduler_address)
            print(f"crop on {workers} worker(s): {time.perf_counter() - t0:.1f} s")
            pd.testing.assert_frame_equal(there.table, here.table, check_exact=True)
    print("crop: the cluster's figures equal the threaded path's, every area, to the person")

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="2GB",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t0 = time.perf_counter()
        whole = ex.exposure(flood, threshold, areas, "name", population=population,
                            scheduler=cluster.scheduler_address)
        whole_s = time.perf_counter() - t0
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
    print(f"whole raster on 2 workers: {whole_s:.0f} s; {whole.totals['people_exposed']:,.0f} "
          f"people and {whole.totals['hazard_km2']:,.0f} km² exposed; peak memory per worker "
          + ", ".join(f"{gb:.2f} GB" for gb in peaks.values()))


if __name__ == "__main__":
    main()
