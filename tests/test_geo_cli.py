"""``python -m geo`` as analysts run it."""

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.errors import NotGeoreferencedWarning

from geo.__main__ import main as geo_main
from tests.cli import run
from tests.geo_helpers import centre, districts, raster
from tests.test_exposure import HAZARD, PEOPLE


def geo(*args):
    return run(geo_main, *args)


@pytest.fixture
def files(tmp_path):
    raster(HAZARD).rio.to_raster(tmp_path / "depth.tif")
    raster(PEOPLE).rio.to_raster(tmp_path / "people.tif")
    districts().to_file(tmp_path / "districts.gpkg")
    places = gpd.GeoDataFrame({"name": ["A", "B"], "population": [1000, 500]},
                              geometry=[centre(2, 2), centre(0, 0)], crs="EPSG:6933")
    places.to_crs("EPSG:4326").to_file(tmp_path / "places.geojson")
    return tmp_path


def test_exposure_json_by_hand(files):
    proc = geo("exposure", "--hazard", files / "depth.tif", "--threshold", 2,
               "--population", files / "people.tif", "--areas", files / "districts.gpkg",
               "--json")
    assert proc.returncode == 0, proc.stdout
    out = json.loads(proc.stdout)
    assert out["area_field"] == "name"
    assert out["areas"] == [
        {"area": "West", "hazard_km2": 0.0, "people_exposed": 0.0},
        {"area": "East", "hazard_km2": 6.0, "people_exposed": 45.0},
        {"area": "outside any area", "hazard_km2": 2.0, "people_exposed": 31.0},
    ]
    assert out["totals"]["people_exposed"] == pytest.approx(76)


def test_exposure_with_places_text(files):
    proc = geo("exposure", "--hazard", files / "depth.tif", "--threshold", 2,
               "--population", files / "places.geojson", "--areas", files / "districts.gpkg")
    assert proc.returncode == 0
    assert "East" in proc.stdout and "1,000" in proc.stdout
    assert proc.stdout.splitlines()[-3].split() == ["total", "8.0", "1,000"]


def test_exposure_errors(files, tmp_path):
    missing = geo("exposure", "--hazard", tmp_path / "nope.tif", "--threshold", 1,
                  "--population", files / "people.tif", "--areas", files / "districts.gpkg")
    assert missing.returncode == 2 and "nope.tif: file does not exist" in missing.stdout
    with pytest.warns(NotGeoreferencedWarning), rasterio.open(
            tmp_path / "nocrs.tif", "w", driver="GTiff", width=2, height=2, count=1,
            dtype="float32") as dst:
        dst.write(np.zeros((2, 2), dtype="float32"), 1)
    nocrs = geo("exposure", "--hazard", tmp_path / "nocrs.tif", "--threshold", 1,
                "--population", files / "people.tif", "--areas", files / "districts.gpkg",
                "--json")
    assert nocrs.returncode == 2 and "no CRS" in json.loads(nocrs.stdout)["error"]
    far = gpd.GeoDataFrame({"name": ["far"]}, geometry=[shapely.box(0, 0, 1, 1)],
                           crs="EPSG:4326")
    far.to_file(tmp_path / "far.geojson")
    apart = geo("exposure", "--hazard", files / "depth.tif", "--threshold", 1,
                "--population", files / "people.tif", "--areas", tmp_path / "far.geojson")
    assert apart.returncode == 2 and "does not overlap" in apart.stdout


def test_hotspots_cli(demo):
    path = demo.layers["incidents"].result.path
    proc = geo("hotspots", path, "--h3-res", 5, "--from", "2026-07-01", "--to", "2026-09-30",
               "--top", 3, "--json")
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    inc = demo["incidents"]
    expected = ((inc["time"] >= "2026-07-01") & (inc["time"] < "2026-10-01")).sum()
    assert out["incidents"] == expected
    assert len(out["top"]) == 3 and out["top"][0]["gi_class"].startswith("hot")
    assert {"border_pair", "border_km", "change"} <= set(out["top"][0])
    text = geo("hotspots", path)
    assert text.returncode == 0 and "classes:" in text.stdout


def test_hotspots_cli_wrong_kind(demo):
    proc = geo("hotspots", demo.layers["alerts"].result.path)
    assert proc.returncode == 2 and "not incidents" in proc.stdout
