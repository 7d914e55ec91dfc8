"""A scenario's tables kept for the next start (``service.readings``)."""

import os

import pandas as pd
import pytest

from data_sources.scenario import load_demo
from service import readings
from service.readings import read_kept


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMON_CACHE_DIR", str(tmp_path / "cache"))
    readings._READINGS.clear()
    yield tmp_path
    readings._READINGS.clear()


def new_process():
    readings._READINGS.clear()  # what a new process lacks: the values in memory


@pytest.fixture
def reads(monkeypatch):
    """The calls reaching the readers, each answered with what it was asked."""
    calls: list[tuple] = []

    def read_any(path, fmt=None, **options):
        calls.append((path.name, fmt, options))
        return {"read": path.read_bytes(), "fmt": fmt, "options": options}

    monkeypatch.setattr(readings, "read_any", read_any)
    return calls


def test_the_next_process_finds_the_reading_of_the_same_bytes(cache, reads):
    table = cache / "incidents.csv"
    table.write_text("time,lat,lon,category\n2026-11-01,31.0,70.0,shelling\n")
    first = read_kept(table, "points")
    new_process()
    assert read_kept(table, "points") == first
    assert len(reads) == 1
    # Rewritten to other bytes of the same size and the same modification time:
    # a time stamp would not tell, the bytes do.
    stamp = table.stat()
    table.write_text("time,lat,lon,category\n2026-11-01,31.0,70.0,shelters\n")
    os.utime(table, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert table.stat().st_size == stamp.st_size
    new_process()
    assert read_kept(table, "points")["read"].endswith(b"shelters\n")
    assert len(reads) == 2


def test_a_companion_file_format_option_or_place_is_another_reading(cache, reads):
    shp = cache / "areas.shp"
    shp.write_bytes(b"shapes")
    (cache / "areas.dbf").write_bytes(b"names")
    read_kept(shp, "boundaries")
    (cache / "areas.dbf").write_bytes(b"other names")  # a shapefile's attributes
    new_process()
    read_kept(shp, "boundaries")
    read_kept(shp, "boundaries", encoding="cp1252")
    read_kept(shp, "places")
    other = cache / "elsewhere"
    other.mkdir()
    for name in ("areas.shp", "areas.dbf"):
        (other / name).write_bytes((cache / name).read_bytes())
    read_kept(other / "areas.shp", "boundaries")  # the reading names its file
    assert [(name, fmt, opts) for name, fmt, opts in reads] == [
        ("areas.shp", "boundaries", {}), ("areas.shp", "boundaries", {}),
        ("areas.shp", "boundaries", {"encoding": "cp1252"}), ("areas.shp", "places", {}),
        ("areas.shp", "boundaries", {})]
    new_process()
    read_kept(shp, "boundaries", encoding="cp1252")
    assert len(reads) == 5  # each of those is found again


def test_rasters_unnamed_formats_and_failed_reads_are_not_kept(cache, monkeypatch):
    calls = []

    def read_any(path, fmt=None, **options):
        calls.append(fmt)
        if fmt == "points":
            raise ValueError("row 2: no latitude")
        return "opened"

    monkeypatch.setattr(readings, "read_any", read_any)
    grid = cache / "flood.tif"
    grid.write_bytes(b"raster")
    assert read_kept(grid, "raster") == read_kept(grid, "raster") == "opened"
    assert read_kept(grid) == read_kept(grid) == "opened"  # unnamed: perhaps a raster
    bad = cache / "bad.csv"
    bad.write_text("time,lat\n")
    for _ in range(2):
        with pytest.raises(ValueError, match="row 2"):
            read_kept(bad, "points")
    assert calls == ["raster", "raster", None, None, "points", "points"]
    assert not (cache / "cache" / "kept").exists() or not any(
        (cache / "cache" / "kept").rglob("*.pickle"))


def test_the_demo_read_back_is_the_demo_read(cache, demo_root, monkeypatch):
    """A start that finds the DEMO's readings builds the same scenario without
    reading a table (only the rasters are opened, lazily as always)."""
    first = load_demo(demo_root, read=read_kept)
    new_process()
    from data_sources import detect

    def rasters_only(path, fmt=None, **options):
        assert fmt == "raster", f"{path.name} read again"
        return detect.read_any(path, fmt, **options)

    monkeypatch.setattr(readings, "read_any", rasters_only)
    again = load_demo(demo_root, read=read_kept)
    assert list(again.layers) == list(first.layers)
    for name, layer in first.layers.items():
        if layer.result.kind == "raster":
            continue
        pd.testing.assert_frame_equal(again[name], first[name])
        assert again.layers[name].result.rejections == layer.result.rejections
        assert again.layers[name].result.warnings == layer.result.warnings
