"""Exposure on a dask.distributed cluster (two worker processes on this
machine): the same figures as the one-machine path, to the last person, with
each worker reading only its own rows of the hazard file."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely

from data_sources.rasters import open_raster
from geo import exposure as ex
from tests.conftest import ROOT
from tests.geo_helpers import raster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    # Worker processes are spawned, and spawning runs the parent's __main__ file
    # again: after a Streamlit AppTest that is dashboard/app.py. Not for workers.
    main = sys.modules["__main__"]
    main_file = main.__dict__.pop("__file__", None)
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None, memory_limit="1GiB") as local:
            yield local.scheduler_address
    finally:
        if main_file is not None:
            main.__file__ = main_file


def test_a_cluster_gives_the_figures_of_one_machine(tmp_path, monkeypatch, cluster):
    rng = np.random.default_rng(3)
    # A flood depth GeoTIFF in UTM 43N (read lazily, block by block), population
    # on a coarser geographic grid, overlapping areas and incident points.
    depth = raster(rng.random((900, 700)) * 2, crs="EPSG:32643", x0=300_000, y0=2_700_000,
                   res=100.0, variable="flood_depth", units="m")
    path = tmp_path / "depth.tif"
    depth.rio.to_raster(path, tiled=True, blockxsize=256, blockysize=256)
    hazard = open_raster(path).data
    people = raster(rng.random((60, 60)) * 1000, crs="EPSG:4326", x0=72.9, y0=24.4, res=0.01)
    west, north = 300_000, 2_700_000
    areas = gpd.GeoDataFrame({"name": ["A", "B", "C"]}, geometry=[
        shapely.box(west, north - 60_000, west + 40_000, north),
        shapely.box(west + 30_000, north - 90_000, west + 70_000, north - 20_000),  # A and C
        shapely.box(west + 50_000, north - 30_000, west + 70_000, north)], crs="EPSG:32643")
    incidents = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(west, west + 70_000, 500),
                                    rng.uniform(north - 90_000, north, 500)), crs="EPSG:32643")
    monkeypatch.setattr(ex, "BLOCK_CELLS", 100_000)  # 7 rows of blocks ... 70 blocks
    ex.clear_caches()
    here = ex.exposure(hazard, 0.8, areas, "name", population=people, incidents=incidents)
    there = ex.exposure(hazard, 0.8, areas, "name", population=people, incidents=incidents,
                        scheduler=cluster)
    pd.testing.assert_frame_equal(there.table, here.table, check_exact=True)
    assert there.inside == here.inside and len(here.overlaps) == 2  # A-B, B-C
    assert here.table["people_exposed"].sum() > 0 and here.table["incidents"].sum() > 0


def test_a_cog_over_http_is_read_a_few_blocks_at_a_time(tmp_path, cluster):
    rng = np.random.default_rng(5)
    depth = raster(rng.random((2048, 2048)) * 2, crs="EPSG:32643", x0=300_000, y0=2_700_000,
                   res=30.0, variable="flood_depth", units="m")
    path = tmp_path / "depth_cog.tif"
    depth.rio.to_raster(path, driver="COG", compress="DEFLATE", blocksize=256)
    server = subprocess.Popen([sys.executable, "-m", "tests.range_server", str(path)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        base = url.rsplit("/", 1)[0]

        def sent() -> int:
            return int(httpx.get(f"{base}/_sent").text)

        remote = open_raster(url).data
        assert remote.attrs["variable"] == "flood_depth" and remote.shape == (2048, 2048)
        before = sent()
        window = np.asarray(remote[:256, :256].values)  # one block of the file
        assert sent() - before < path.stat().st_size / 20
        np.testing.assert_array_equal(window, depth.values[:256, :256])
        # Exposure on the cluster from the server equals the local file's.
        areas = gpd.GeoDataFrame({"name": ["N", "S"]}, geometry=[
            shapely.box(300_000, 2_700_000 - 30_000, 361_440, 2_700_000),
            shapely.box(300_000, 2_700_000 - 61_440, 361_440, 2_700_000 - 30_000)],
            crs="EPSG:32643")
        ex.clear_caches()
        here = ex.exposure(open_raster(path).data, 1.5, areas, "name")
        there = ex.exposure(remote, 1.5, areas, "name", scheduler=cluster)
        pd.testing.assert_frame_equal(there.table, here.table, check_exact=True)
    finally:
        server.terminate()
        server.wait()


def test_early_warning_exposure_rules_on_the_cluster_find_the_same(demo, cluster):
    """The DEMO's impact rules (flood depth GeoTIFF, cyclone wind NetCDF over
    the population) evaluated on the cluster: the same findings, same figures."""
    from early_warning.__main__ import DEMO_RULES
    from early_warning.conditions import evaluate
    from early_warning.rules import load_rules

    rules = [r for r in load_rules(DEMO_RULES).rules if r.kind == "exposure"]
    assert {r.params["hazard"] for r in rules} == {"flood", "cyclone"}
    for rule in rules:
        here = evaluate(rule, demo, demo.as_of)
        there = evaluate(rule, demo, demo.as_of, scheduler=cluster)
        assert here and [(f.key, f.figures) for f in there] == \
            [(f.key, f.figures) for f in here]
