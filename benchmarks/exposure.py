"""Exposure per area: ours (cold and warm) side by side with exactextract and rasterstats.

    .venv/bin/python -m benchmarks.exposure            # 10,000 x 10,000 cells, 500 areas
    .venv/bin/python -m benchmarks.exposure --large    # 40,000 x 40,000: ours, peak memory

The task: people exposed per area = sum of population over cells where flood
depth >= 0.5 m, from the depth and population GeoTIFFs. The peers have no
threshold operation, so their timing includes the preparation a user would
need (read both rasters, keep people where depth >= 0.5, in memory); their
zonal step alone is printed too. Each tool runs in its own process so that
peak memory (max RSS) is its own.
Inputs are generated once (deterministically) under $SAMON_BENCH_DIR
(default ~/.cache/south-asia-monitor/bench).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin
from scipy.ndimage import zoom

ROOT = Path(__file__).resolve().parent.parent
CRS = "EPSG:32642"
THRESHOLD = 0.5
N_AREAS = 500


def bench_dir() -> Path:
    default = Path.home() / ".cache" / "south-asia-monitor" / "bench"
    path = Path(os.environ.get("SAMON_BENCH_DIR", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _profile(size: int, res: float, dtype: str) -> dict:
    return {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": dtype,
            "crs": CRS, "transform": from_origin(300_000, 3_300_000, res, res), "tiled": True,
            "blockxsize": 512, "blockysize": 512, "BIGTIFF": "IF_SAFER"}


def _smooth_field(rng, size: int, coarse: int = 100) -> np.ndarray:
    return zoom(rng.random((coarse, coarse)).astype("float32"), size / coarse, order=1)


def _paths(size: int) -> dict[str, Path]:
    d = bench_dir() / f"exposure-{size}"
    d.mkdir(exist_ok=True)
    return {k: d / f for k, f in (("depth", "depth.tif"), ("population", "population.tif"),
                                  ("areas", "areas.gpkg"))}


def _write_areas(path: Path, span: float, rng) -> None:
    """N_AREAS Voronoi cells over the square raster extent (metres from the origin)."""
    x0, y0 = 300_000.0, 3_300_000.0
    extent = shapely.box(x0, y0 - span, x0 + span, y0)
    seeds = shapely.points(rng.uniform(x0, x0 + span, N_AREAS), rng.uniform(y0 - span, y0, N_AREAS))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=extent)), extent)
    gpd.GeoDataFrame({"name": [f"area {i:03d}" for i in range(len(cells))]}, geometry=cells,
                     crs=CRS).to_file(path)


def make_inputs(size: int) -> dict[str, Path]:
    """Depth and population rasters (size x size, 30 m cells) and 500 areas."""
    paths = _paths(size)
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(2026)
    res = 30.0
    depth = np.clip(_smooth_field(rng, size) * 3 - 1.2, 0, None).astype("float32")
    people = (_smooth_field(rng, size) ** 3 * 40).astype("float32")
    with rasterio.open(paths["depth"], "w", **_profile(size, res, "float32"), nodata=-9999) as f:
        f.write(depth, 1)
    with rasterio.open(paths["population"], "w", **_profile(size, res, "float32")) as f:
        f.write(people, 1)
    _write_areas(paths["areas"], size * res, rng)
    return paths


def make_large_inputs(size: int) -> dict[str, Path]:
    """Depth (size x size, 10 m cells, written block by block) and a coarser
    population raster (1 km cells, re-gridded by our code), and 500 areas."""
    paths = _paths(size)
    if all(p.exists() for p in paths.values()):
        return paths
    res, x0, y0 = 10.0, 300_000.0, 3_300_000.0
    span = size * res
    profile = {**_profile(size, res, "float32"), "BIGTIFF": "YES", "nodata": -9999}
    cols = np.arange(size, dtype="float32")
    with rasterio.open(paths["depth"], "w", **profile) as f:
        for row0 in range(0, size, 2000):
            rows = np.arange(row0, min(row0 + 2000, size), dtype="float32")[:, None]
            field = np.sin(cols / 3100.0) * np.cos(rows / 2300.0) + np.sin((cols + rows) / 900.0)
            f.write(np.clip(field * 1.5, 0, None).astype("float32"), 1,
                    window=rasterio.windows.Window(0, row0, size, len(rows)))
    coarse = int(span // 1000)
    rng = np.random.default_rng(2026)
    people = (_smooth_field(rng, coarse, 40) ** 3 * 40_000).astype("float32")
    with rasterio.open(paths["population"], "w", driver="GTiff", width=coarse, height=coarse,
                       count=1, dtype="float32", crs=CRS,
                       transform=from_origin(x0, y0, 1000, 1000)) as f:
        f.write(people, 1)
    _write_areas(paths["areas"], span, rng)
    return paths


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run_ours(paths) -> dict:
    from data_sources.rasters import open_raster
    from geo.exposure import exposure

    areas = gpd.read_file(paths["areas"])
    depth = open_raster(paths["depth"], variable="flood_depth").data
    people = open_raster(paths["population"], variable="population").data
    t0 = time.perf_counter()
    cold = exposure(depth, THRESHOLD, areas, population=people)
    t1 = time.perf_counter()
    exposure(depth, THRESHOLD, areas, population=people)
    t2 = time.perf_counter()
    sums = cold.table.set_index("area")["people_exposed"].drop("outside any area")
    return {"cold_s": t1 - t0, "warm_s": t2 - t1, "peak_gb": _rss_gb(),
            "sums": sums.to_dict(), "hazard_km2": cold.totals["hazard_km2"]}


def _exposed_population(paths):
    """The peers' preparation: read both rasters, keep people where depth >= threshold."""
    with rasterio.open(paths["depth"]) as d, rasterio.open(paths["population"]) as p:
        depth, people, profile = d.read(1), p.read(1), p.profile
    return np.where(depth >= THRESHOLD, people, 0).astype("float32"), profile


def run_exactextract(paths) -> dict:
    from exactextract import exact_extract
    from rasterio.io import MemoryFile

    areas = gpd.read_file(paths["areas"])
    t0 = time.perf_counter()
    exposed, profile = _exposed_population(paths)
    with MemoryFile() as mem:
        with mem.open(**{**profile, "nodata": None}) as dst:
            dst.write(exposed, 1)
        t1 = time.perf_counter()
        with mem.open() as src:
            out = exact_extract(src, areas, "sum", include_cols=["name"], output="pandas")
    t2 = time.perf_counter()
    return {"s": t2 - t0, "zonal_s": t2 - t1, "peak_gb": _rss_gb(),
            "sums": dict(zip(out["name"], out["sum"], strict=True))}


def run_rasterstats(paths) -> dict:
    from rasterstats import zonal_stats

    areas = gpd.read_file(paths["areas"])
    t0 = time.perf_counter()
    exposed, profile = _exposed_population(paths)
    t1 = time.perf_counter()
    out = zonal_stats(areas, exposed, affine=profile["transform"], stats="sum", nodata=-1)
    t2 = time.perf_counter()
    return {"s": t2 - t0, "zonal_s": t2 - t1, "peak_gb": _rss_gb(),
            "sums": dict(zip(areas["name"], [o["sum"] or 0.0 for o in out], strict=True))}


RUNNERS = {"ours": run_ours, "exactextract": run_exactextract, "rasterstats": run_rasterstats}


def child(tool: str, size: int) -> dict:
    with tempfile.TemporaryDirectory() as cache:  # ours starts cold: no cached grids
        out = subprocess.run([sys.executable, "-m", "benchmarks.exposure", "--child", tool,
                              "--size", str(size)], cwd=ROOT, check=True, capture_output=True,
                             text=True, env={**os.environ, "SAMON_CACHE_DIR": cache}).stdout
    return json.loads(out.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="40,000 x 40,000, ours only")
    parser.add_argument("--size", type=int)
    parser.add_argument("--child")
    args = parser.parse_args()
    size = args.size or (40_000 if args.large else 10_000)
    make = make_large_inputs if size > 10_000 else make_inputs
    if args.child:
        paths = make(size)
        print(json.dumps(RUNNERS[args.child](paths), default=float))
        return
    t = time.perf_counter()
    make(size)
    print(f"inputs: {size:,} x {size:,} cells, {N_AREAS} areas "
          f"(ready in {time.perf_counter() - t:.1f} s)")
    tools = ["ours"] if args.large else ["ours", "exactextract", "rasterstats"]
    results = {tool: child(tool, size) for tool in tools}
    ours = results["ours"]
    print(f"{'tool':22} {'time s':>8} {'zonal step s':>13} {'peak RSS GB':>12}")
    print(f"{'ours, cold':22} {ours['cold_s']:8.2f} {'':>13} {ours['peak_gb']:12.2f}")
    print(f"{'ours, warm':22} {ours['warm_s']:8.2f}")
    for tool in tools[1:]:
        r = results[tool]
        print(f"{tool:22} {r['s']:8.2f} {r['zonal_s']:13.2f} {r['peak_gb']:12.2f}")
    if "exactextract" in results:
        ref = results["exactextract"]["sums"]
        names = [n for n in ref if ref[n] > 0]
        rel = np.array([abs(ours["sums"][n] - ref[n]) / ref[n] for n in names])
        total_rel = abs(sum(ours["sums"].values()) - sum(ref.values())) / sum(ref.values())
        print(f"per-area difference from exactextract: max {rel.max():.3%}, "
              f"95th percentile {np.percentile(rel, 95):.3%}, total {total_rel:.4%} "
              f"({len(names)} areas with people exposed)")
        fastest = min(results["exactextract"]["s"], results["rasterstats"]["s"])
        print(f"warm speed-up over the faster peer: {fastest / ours['warm_s']:.1f}x (goal 5x); "
              f"cold vs exactextract: {ours['cold_s'] / results['exactextract']['s']:.2f}x "
              "of its time (goal <= 1)")


if __name__ == "__main__":
    main()
