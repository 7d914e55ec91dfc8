"""Hostile and faulty input: one bad cell is one rejected row, never the file."""

import json

import pandas as pd
import pytest

from data_sources.__main__ import main as data_sources_main
from tests.cli import run


def check(*args) -> tuple[int, dict]:
    proc = run(data_sources_main, "check", *args, "--json")
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("bad,reason", [
    ("inf", "is not a finite number"), ("1e400", "is not a finite number"),
    ("-inf", "is not a finite number"), ("1e20", "more than 10,000,000,000"),
])
def test_one_impossible_count_is_one_rejected_row(write_csv, bad, reason):
    path = write_csv("p.csv", ["time", "lat", "lon", "category", "country", "fatalities"], [
        ["2026-09-01", "34.1", "71.1", "armed clash", "PAK", "2"],
        ["2026-09-02", "34.2", "71.2", "armed clash", "PAK", bad],
        ["2026-09-03", "34.3", "71.3", "armed clash", "PAK", "0"],
    ])
    code, out = check(path)
    assert code == 0 and (out["accepted"], out["rejected"]) == (2, 1)
    (rejection,) = out["rejections"]
    assert (rejection["row"], rejection["field"]) == (3, "fatalities")
    assert reason in rejection["reason"]


@pytest.mark.parametrize("bad", ["0000-01-01", "1200-05-05", "2300-01-01", "9999-12-31"])
def test_a_date_pandas_cannot_hold_is_one_rejected_row(write_csv, bad):
    path = write_csv("p.csv", ["time", "lat", "lon", "category", "country"], [
        ["2026-09-01", "34.1", "71.1", "armed clash", "PAK"],
        [bad, "34.2", "71.2", "armed clash", "PAK"],
    ])
    code, out = check(path)
    assert code == 0 and (out["accepted"], out["rejected"]) == (1, 1)
    assert out["rejections"][0]["row"] == 3 and out["rejections"][0]["field"] == "time"


def test_an_infinite_wind_speed_is_refused(write_csv):
    path = write_csv("ib.csv", ["SID", "SEASON", "ISO_TIME", "LAT", "LON", "WMO_WIND"], [
        ["2026270N15088", "2026", "2026-09-27 00:00:00", "15.0", "88.0", "inf"],
        ["2026270N15088", "2026", "2026-09-27 06:00:00", "15.5", "88.5", "45"],
    ])
    code, out = check(path, "--kind", "ibtracs")
    assert code == 0 and (out["accepted"], out["rejected"]) == (1, 1)
    assert out["rejections"][0]["field"] == "WMO_WIND"


def test_status_with_a_source_that_never_ran(tmp_path, monkeypatch):
    from data_sources.store import Store

    path = tmp_path / "s.gpkg"
    with Store(path) as store:
        done = store.log_start("gdacs-events")
        store.log_finish(done, fetched=1, accepted=3)
    monkeypatch.setenv("SAMON_STORE_PATH", str(path))
    monkeypatch.setenv("SAMON_SOURCES", '["gdacs-events", "ibtracs"]')
    proc = run(data_sources_main, "status")
    assert proc.returncode == 0
    lines = {line.split(":")[0]: line for line in proc.stdout.splitlines()[2:]}
    assert "last success never" in lines["ibtracs"] and "STALE" in lines["ibtracs"]
    assert "3 records" in lines["gdacs-events"]


def test_geo_hotspots_with_an_impossible_resolution_says_why(tmp_path):
    from geo.__main__ import main as geo_main

    path = tmp_path / "i.csv"
    path.write_text("time,lat,lon,category,country\n2026-09-01,34.1,71.1,armed clash,PAK\n",
                    encoding="utf-8")
    proc = run(geo_main, "hotspots", path, "--h3-res", "99", "--json")
    assert proc.returncode == 2 and "invalid choice: 99" in proc.stderr


@pytest.mark.slow
def test_sitrep_onto_a_file_or_with_a_missing_manifest_is_a_clear_error(tmp_path, monkeypatch):
    from reports.__main__ import main as reports_main

    occupied = tmp_path / "report.pdf"
    occupied.write_bytes(b"%PDF")
    proc = run(reports_main, "sitrep", "--region", "PAK", "--format", "csv", "--out", occupied)
    assert proc.returncode == 2 and "cannot write the report to" in proc.stderr
    monkeypatch.setenv("SAMON_SCENARIO", str(tmp_path / "gone.json"))
    proc = run(reports_main, "sitrep", "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "scenario manifest (SAMON_SCENARIO) cannot be read" in proc.stderr


@pytest.mark.slow
def test_uploaded_country_outlines_replace_those_loaded_never_double_them(service, tmp_path):
    from data_sources.boundaries import read_boundaries
    from data_sources.demo.geography import countries

    path = tmp_path / "adm0.geojson"
    outlines = countries()
    outlines[outlines["iso3"].isin(["PAK", "AFG"])].drop(columns="pop_est").to_file(path)
    added = [("adm0.geojson", read_boundaries(path))]
    before = service.summary()
    after = service.summary(added=added)
    assert after.areas["iso3"].dropna().tolist().count("PAK") == 1
    assert after.key_figures == before.key_figures
    assert after.areas["incidents"].sum() == before.areas["incidents"].sum()


@pytest.mark.slow
def test_alerts_with_and_without_links_and_mixed_shapes_render(service):
    import shapely

    from layers import builders
    from layers.page import build_map
    from reports.static_map import render_png
    from tests.test_layers import render

    summary = service.summary()
    alerts = summary.alerts.copy()
    alerts["link"] = alerts["link"].astype(object)
    alerts.loc[0, "link"] = None
    alerts.loc[1, "link"] = "https://www.gdacs.org/report.aspx?eventid=1"
    cap = alerts.iloc[[2]].assign(id="CAP:x", geometry=[shapely.box(88, 21, 90, 23)])
    mixed = type(alerts)(pd.concat([alerts, cap], ignore_index=True),
                         crs=alerts.crs).iloc[[3, 1, 0]]  # labels not starting at 0
    html = render(builders.alerts_layer(mixed))
    assert html.count("source page") == 1
    view = type(summary)(**{**vars(summary), "alerts": mixed})
    assert render_png(view)[:4] == b"\x89PNG"
    assert build_map(view).get_root().render()


# -- Unbounded work from a small input: refused before the work ------------------------------

@pytest.mark.parametrize("kind", ["link to /dev/zero", "fifo"])
def test_only_regular_files_are_read(tmp_path, kind):
    import os

    path = tmp_path / "incidents.csv"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    else:
        path.symlink_to("/dev/zero")
    code, out = check(path)
    assert code == 2 and "not a regular file" in out["error"]


def test_a_csv_with_100000_columns_is_refused_from_its_header(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + "1," * 99_999 + "1\n",
                    encoding="utf-8")
    code, out = check(path, "--kind", "points")
    assert code == 2 and "100,000 columns, over the limit of 2,000" in out["error"]


def test_a_zip_that_unzips_past_the_limit_is_refused_before_gdal(tmp_path, monkeypatch):
    import zipfile

    import geopandas as gpd
    import shapely

    shp = tmp_path / "shp"
    shp.mkdir()
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.box(70, 30, 71, 31)],
                     crs="EPSG:4326").to_file(shp / "areas.shp")
    path = tmp_path / "areas.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in shp.iterdir():
            archive.write(member, member.name)
    assert check(path)[0] == 0  # within the default limit
    monkeypatch.setenv("SAMON_MAX_UNZIPPED_BYTES", "100")
    code, out = check(path)
    assert code == 2 and "unzips to" in out["error"] and "over the limit of 100" in out["error"]


# -- Uploads: safe names, nothing left behind -------------------------------------------------

@pytest.mark.parametrize("name,expected", [("..", "upload"), (".", "upload"), ("", "upload"),
                                           ("../../etc/passwd", "passwd"),
                                           ("C:\\\\temp\\\\évents 2026.csv", "évents_2026.csv"),
                                           ("<img src=x>.csv", "_img_src_x_.csv")])
def test_upload_names_are_made_safe(name, expected):
    from data_sources.uploads import safe_name

    assert safe_name(name) == expected


def test_an_uploaded_table_leaves_no_file_and_a_raster_stays_for_its_session(tmp_path):
    import numpy as np
    import rasterio
    from affine import Affine

    from data_sources.uploads import read_upload

    csv = b"time,lat,lon,category,country\n2026-09-01,34.1,71.1,armed clash,PAK\n"
    result = read_upload("../../incidents.csv", csv, tmp_path / "session", kind="points")
    assert result.accepted == 1 and list((tmp_path / "session").iterdir()) == []
    source = tmp_path / "depth.tif"
    with rasterio.open(source, "w", driver="GTiff", width=2, height=2, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=Affine(0.1, 0, 68, 0, -0.1, 26)) as dst:
        dst.write(np.ones((1, 2, 2), dtype="float32"))
    grid = read_upload("depth.tif", source.read_bytes(), tmp_path / "session").data
    assert float(grid.sum()) == 4.0 and (tmp_path / "session" / "depth.tif").exists()


# -- Stores that are locked, damaged or not ours --------------------------------------------

def test_a_foreign_sqlite_file_is_never_converted(tmp_path, monkeypatch):
    import sqlite3

    path = tmp_path / "theirs.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE patients (name TEXT)")
    before = path.read_bytes()
    monkeypatch.setenv("SAMON_STORE_PATH", str(path))
    proc = run(data_sources_main, "status")
    assert proc.returncode == 2 and "SQLite database of another program" in proc.stdout
    assert path.read_bytes() == before


@pytest.mark.slow
def test_a_damaged_store_is_refused_before_anything_is_written(tmp_path, monkeypatch, demo):
    from data_sources.store import Store

    path = tmp_path / "store.gpkg"
    with Store(path) as store:
        store.upsert("incidents", demo["incidents"].head(200))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with Store(path) as store:
        root, = store.db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'incidents'"
                                 ).fetchone()
        page_size, = store.db.execute("PRAGMA page_size").fetchone()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size  # the incidents table's root page: flip its header
    data[start: start + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))
    incidents = tmp_path / "more.csv"
    incidents.write_text("time,lat,lon,category,country\n2026-09-01,34.1,71.1,armed clash,PAK\n",
                         encoding="utf-8")
    monkeypatch.setenv("SAMON_STORE_PATH", str(path))
    proc = run(data_sources_main, "add", incidents)
    assert proc.returncode == 2 and "is damaged" in proc.stdout
    assert path.read_bytes() == bytes(data)


def test_a_store_locked_by_another_writer_is_a_clear_error(tmp_path, monkeypatch, demo):
    import sqlite3

    from data_sources import store as store_module
    from data_sources.store import Store, StoreError

    monkeypatch.setattr(store_module, "LOCK_TIMEOUT_S", 0.2)
    path = tmp_path / "store.gpkg"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(StoreError, match="locked by another writer"), Store(path) as store:
            store.upsert("incidents", demo["incidents"].head(5))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_a_vector_file_with_too_many_features_is_refused(tmp_path, monkeypatch, suffix):
    """The count a file declares is checked before reading it; reading stops one
    past the limit whatever it declared."""
    import geopandas as gpd
    import shapely

    path = tmp_path / f"many{suffix}"
    gpd.GeoDataFrame({"name": [f"p{i}" for i in range(11)]},
                     geometry=[shapely.Point(70 + i / 100, 30) for i in range(11)],
                     crs="EPSG:4326").to_file(path)
    monkeypatch.setenv("SAMON_MAX_FEATURES", "10")
    code, out = check(path, "--kind", "boundaries")
    assert code == 2 and "more than 10 features, the limit" in out["error"]
    assert "SAMON_MAX_FEATURES" in out["error"]
    monkeypatch.setenv("SAMON_MAX_FEATURES", "11")
    code, out = check(path, "--kind", "boundaries")
    assert "features" not in out.get("error", "")  # at the limit: read


def test_a_file_holding_more_features_than_it_declares_is_read_whole_or_refused(
        tmp_path, monkeypatch):
    """Reads are bounded by the count a file declares (pyogrio sizes its arrays
    by the bound); a file holding more than it declares is read again up to the
    limit: every feature read, or refused past the limit."""
    import geopandas as gpd
    import pyogrio
    import shapely

    from data_sources import vectors
    from data_sources.errors import FormatError

    path = tmp_path / "many.gpkg"
    gpd.GeoDataFrame({"name": [f"p{i}" for i in range(11)]},
                     geometry=[shapely.Point(70 + i / 100, 30) for i in range(11)],
                     crs="EPSG:4326").to_file(path)
    bounds = []
    read = pyogrio.read_dataframe
    monkeypatch.setattr(pyogrio, "read_dataframe", lambda *a, max_features, **k: (
        bounds.append(max_features), read(*a, max_features=max_features, **k))[1])
    assert len(vectors.read_vector(path)) == 11 and bounds == [12]
    info = pyogrio.read_info
    monkeypatch.setattr(pyogrio, "read_info", lambda *a, **k: {**info(*a, **k), "features": 4})
    bounds.clear()
    assert len(vectors.read_vector(path)) == 11 and bounds == [5, vectors.MAX_FEATURES + 1]
    monkeypatch.setenv("SAMON_MAX_FEATURES", "10")
    with pytest.raises(FormatError, match="more than 10 features"):
        vectors.read_vector(path)


def test_geometries_with_too_many_vertices_are_refused(tmp_path, monkeypatch):
    import geopandas as gpd
    import shapely

    circle = shapely.Point(70, 30).buffer(1, quad_segs=250)  # 1,001 vertices
    path = tmp_path / "detailed.geojson"
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[circle], crs="EPSG:4326").to_file(path)
    monkeypatch.setenv("SAMON_MAX_VERTICES", "1000")
    code, out = check(path, "--kind", "boundaries")
    assert code == 2 and "1,001 vertices, over the limit of 1,000" in out["error"]
