"""The stores: upserts, history, queries (the same tests for the GeoPackage and
the PostGIS store), crash safety and migrations (GeoPackage)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from data_sources import store as store_module
from data_sources.store import SCHEMA_VERSION, Store, StoreError
from data_sources.warning_log import WarningLog
from model.period import Period
from tests.conftest import ROOT


@pytest.fixture(params=["geopackage", "postgis"])
def store(request, tmp_path):
    if request.param == "geopackage":
        with Store(tmp_path / "s.gpkg") as s:
            yield s
    else:
        from data_sources.pgstore import PgStore

        with PgStore(request.getfixturevalue("postgis_url")) as s:
            yield s


def test_upsert_is_idempotent_and_keeps_history(store, demo):
    incidents = demo["incidents"]
    assert store.upsert("incidents", incidents) == {"inserted": 3000, "updated": 0,
                                                    "duplicates": 0}
    assert store.upsert("incidents", incidents)["duplicates"] == 3000
    changed = incidents.copy()
    changed.loc[5, "fatalities"] = 99
    assert store.upsert("incidents", changed) == {"inserted": 0, "updated": 1,
                                                  "duplicates": 2999}
    current = store.query("incidents")
    assert len(current) == 3000
    row = current.set_index("source_id").loc[incidents.loc[5, "source_id"]]
    assert row["fatalities"] == 99 and row["version"] == 2
    assert len(store.query("incidents", history=True)) == 3001


def _areas(names: list[str], source: str = "NDMA-PK districts") -> gpd.GeoDataFrame:
    from data_sources.validate import conform

    n = len(names)
    data = conform("boundaries", {
        "admin_level": pd.Series([2] * n), "iso3": pd.Series(["PAK"] * n),
        "code": pd.Series([f"PK{i}" for i in range(n)]), "name": pd.Series(names),
        "source": pd.Series([source] * n)},
        [shapely.box(67 + i, 24, 68 + i, 25) for i in range(n)])
    for col, value in (("agency", "NDMA-PK"), ("agency_country", "PAK"),
                       ("tlp", "TLP:AMBER"), ("share", "country")):
        data[col] = pd.Series(value, index=data.index, dtype="string")
    return data


def test_boundaries_are_kept_with_history_and_have_no_date(store):
    """A user's outlines: upserted by (source, code) like records, a renamed area
    a new version; any period holds them (areas have no date)."""
    areas = _areas(["Karachi", "Thatta", "Badin"])
    assert store.upsert("boundaries", areas) == {"inserted": 3, "updated": 0,
                                                 "duplicates": 0}
    assert store.upsert("boundaries", areas)["duplicates"] == 3
    renamed = areas.copy()
    renamed.loc[1, "name"] = "Thatta District"
    assert store.upsert("boundaries", renamed)["updated"] == 1
    back = store.query("boundaries", period=Period(pd.Timestamp("2026-09-01", tz="UTC"),
                                                   pd.Timestamp("2026-09-02", tz="UTC")))
    back = back.sort_values("code").reset_index(drop=True)
    assert back["name"].tolist() == ["Karachi", "Thatta District", "Badin"]
    assert back["version"].tolist() == [1, 2, 1]
    assert back["admin_level"].tolist() == [2, 2, 2] and back.geometry.equals(areas.geometry)
    assert store.counts()["boundaries"] == 3
    assert len(store.query("boundaries", history=True)) == 4


def test_round_trip_keeps_the_canonical_table(store, demo):
    store.upsert("alerts", demo["alerts"])
    back = store.query("alerts").drop(columns=["version", "current"]).sort_values("id")
    want = demo["alerts"].sort_values("id")
    pd.testing.assert_frame_equal(
        back.sort_values("id").reset_index(drop=True).drop(columns="geometry"),
        want.sort_values("id").reset_index(drop=True).drop(columns="geometry"),
        check_dtype=False)
    assert back.geometry.reset_index(drop=True).equals(want.geometry.reset_index(drop=True))


def test_region_and_period_query(store, demo):
    store.upsert("incidents", demo["incidents"])
    region = shapely.box(69, 32, 72, 35)
    got = store.query("incidents", region=region,
                      period=Period.of_days("2026-07-01", "2026-09-29"))
    inc = demo["incidents"]
    expected = inc[inc.geometry.within(region) & (inc["time"] >= "2026-07-01")
                   & (inc["time"] < "2026-09-30")]
    assert sorted(got["id"]) == sorted(expected["id"])
    assert len(got) > 10


def test_a_cursor_pages_through_current_rows_in_the_order_they_were_stored(store, demo):
    incidents = demo["incidents"]
    store.upsert("incidents", incidents)
    changed = incidents.iloc[[7]].copy()
    changed["fatalities"] = 99
    store.upsert("incidents", changed)  # a new row, stored last; the old one retired
    seen, cursor, pages = [], 0, 0
    while True:
        page = store.query("incidents", after_fid=cursor, limit=1000)
        if page.empty:
            break
        assert page["fid"].is_monotonic_increasing and page["fid"].iloc[0] > cursor
        seen += page["id"].tolist()
        cursor, pages = int(page["fid"].iloc[-1]), pages + 1
    assert pages == 3 and len(seen) == len(set(seen)) == 3000
    assert seen[-1] == incidents["id"].iloc[7]  # the update comes after everything before it
    west = store.query("incidents", bbox=(60, 5, 70, 40), after_fid=0, limit=10)
    assert len(west) == 10 and (west.geometry.x <= 70).all()
    with pytest.raises(ValueError, match="use bbox"):
        store.query("incidents", region=shapely.box(60, 5, 70, 40), after_fid=0)


def test_the_store_is_a_geopackage_gdal_reads(tmp_path, demo):
    store = Store(tmp_path / "s.gpkg")
    store.upsert("incidents", demo["incidents"])
    layers = dict(pyogrio.list_layers(store.path))
    assert {"incidents", "alerts", "tracks", "displacement"} <= set(layers)
    frame = gpd.read_file(store.path, layer="incidents")
    assert len(frame) == 3000 and frame.crs == "EPSG:4326"


def test_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "new.gpkg"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_version VALUES (99, 'x')")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer version"):
        Store(path)


def test_migration_from_an_older_schema(tmp_path, demo, monkeypatch):
    path = tmp_path / "old.gpkg"
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    monkeypatch.setattr(store_module, "MARKING_COLUMNS", ())
    with Store(path) as old:
        old.upsert("incidents", demo["incidents"].head(10))
        assert old.schema_version == 1
    monkeypatch.undo()
    with Store(path) as new:
        assert new.schema_version == SCHEMA_VERSION == 11
        assert new.counts()["incidents"] == 10
        # v5: records from before markings were shown to everyone, and stay public.
        marks = new.query("incidents")[["agency", "agency_country", "tlp", "share"]]
        assert marks.drop_duplicates().values.tolist() == [["DEMO scenario", "", "TLP:CLEAR",
                                                            "public"]]
        indexes = {r[0] for r in new.db.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'index'")}
        assert "ingest_log_source" in indexes
        assert new.counts()["documents"] == 0  # the table v3 added
        assert not WarningLog(new).any_run()  # v6: the early-warning tables, empty
        assert "forecast" in new.query("tracks").columns  # v7
        assert new.counts()["boundaries"] == 0  # v11: the table for users' outlines
        assert "tlp" in new.query("boundaries").columns


def test_v10_keeps_the_reasons_of_messages_sent_before_it(tmp_path, monkeypatch):
    """A warning sent before schema 10 has no reasons as phrases: it keeps its
    English sentence, and the messages after it carry theirs."""
    path = tmp_path / "v9.gpkg"
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:9])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 9)
    with Store(path) as old:
        old.db.execute("ALTER TABLE ew_messages DROP COLUMN why")  # as version 9 made it
        old.db.execute("INSERT INTO ew_messages VALUES ('m1', 'm1', 'Alert', "
                       "'2026-09-30T00:00:00+00:00', 'surge', 1, 'PAK', 'Pakistan', 'Severe', "
                       "'Expected', 'Monitor', 'TLP:CLEAR', 'public', '{}', 'why, in English', "
                       "NULL, 0, x'00')")
        old.db.commit()
    monkeypatch.undo()
    with Store(path) as new:
        assert new.schema_version == SCHEMA_VERSION
        kept = WarningLog(new).messages().iloc[0]
        assert kept["reason"] == "why, in English" and kept["why"] is None


def test_v4_adds_alert_headlines_without_new_versions_of_old_alerts(tmp_path, demo,
                                                                   monkeypatch):
    path = tmp_path / "v3.gpkg"
    alerts = demo["alerts"]
    v3_tables = {**store_module.TABLES,
                 "alerts": [c for c in store_module.TABLES["alerts"] if c.name != "headlines"]}
    monkeypatch.setattr(store_module, "TABLES", v3_tables)
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:3])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(store_module, "MARKING_COLUMNS", ())
    with Store(path) as old:
        assert old.upsert("alerts", alerts.drop(columns="headlines"))["inserted"] == 3
    monkeypatch.undo()
    with Store(path) as new:
        assert new.schema_version == SCHEMA_VERSION
        # The same alerts again: duplicates, not a new version each.
        assert new.upsert("alerts", alerts)["duplicates"] == 3
        translated = alerts.head(1).assign(headlines='{"en": "A", "bn": "B"}')
        assert new.upsert("alerts", translated)["updated"] == 1
        back = new.query("alerts")
        assert back.set_index("id").loc[alerts["id"].iloc[0], "headlines"] == \
            '{"en": "A", "bn": "B"}'


WRITER = """
import sys, time
import geopandas as gpd, numpy as np, pandas as pd
from data_sources.scenario import load_demo
from data_sources.store import Store
demo = load_demo(__import__("pathlib").Path(sys.argv[2]))
base = demo["incidents"]
big = pd.concat([base] * 70, ignore_index=True)
big["source_id"] = [f"K{i}" for i in range(len(big))]
big = gpd.GeoDataFrame(big, geometry="geometry", crs="EPSG:4326")
with Store(sys.argv[1]) as store:
    with store.transaction() as db:
        print("writing", flush=True)
        store.upsert("incidents", big, db)
        print("written", flush=True)
        time.sleep(30)
"""


@pytest.mark.slow
def test_kill_9_mid_batch_leaves_the_store_as_it_was(tmp_path, demo, demo_root):
    path = tmp_path / "crash.gpkg"
    with Store(path) as s:
        s.upsert("incidents", demo["incidents"])
        before = s.counts()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(demo_root)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.5)  # well inside the 210,000-row batch (or holding it uncommitted)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(path) as s:
        assert s.counts() == before
        assert len(s.query("incidents", history=True)) == 3000
        assert s.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_add_command_catalogues_rasters_and_upserts_tables(tmp_path, demo):
    from data_sources.ingest import add_file
    from data_sources.scenario import load_live
    from model.access import Marking

    marking = Marking("NDMA-PK", "PAK", "TLP:AMBER", "country")
    with Store(tmp_path / "s.gpkg") as s:
        flood = demo.layers["flood"].result.path
        assert add_file(s, flood, marking=marking)["inserted"] == 1
        catalogue = s.rasters()
        assert catalogue["variable"].tolist() == ["flood_depth"]
        assert catalogue["crs"].iloc[0] == "EPSG:32642"
        incidents = demo.layers["incidents"].result.path
        assert add_file(s, incidents, marking=marking)["inserted"] == 3000
        assert add_file(s, incidents, marking=marking)["duplicates"] == 3000
        live = load_live(s, base=demo)
        assert live["flood"].attrs["variable"] == "flood_depth"
        assert live["flood"].attrs["agency"] == "NDMA-PK"
        assert len(live["incidents"]) == 3000
        # The file's marking, on every record (the file itself names no agency).
        assert live["incidents"][["agency", "agency_country", "tlp", "share"]] \
            .drop_duplicates().values.tolist() == [["NDMA-PK", "PAK", "TLP:AMBER", "country"]]
        assert s.ingest_log()["source"].tolist()[-1] == "file:DEMO_incidents.csv"


def test_a_record_repeated_in_one_batch_keeps_the_last_as_current(store, demo):
    alerts = demo["alerts"].iloc[[0, 0, 1]].reset_index(drop=True)
    alerts.loc[1, "alert_level"] = "orange"  # a later episode of the first event
    counts = store.upsert("alerts", alerts)
    assert counts == {"inserted": 2, "updated": 1, "duplicates": 0}
    current = store.query("alerts").set_index("source_id")
    assert current.loc[alerts.loc[0, "source_id"], "alert_level"] == "orange"
    assert current.loc[alerts.loc[0, "source_id"], "version"] == 2
    assert len(store.query("alerts", history=True)) == 3


def test_each_store_is_a_feature_store(store):
    """The port the service and the hub's PostGIS store share."""
    from model.ports import FeatureStore

    assert isinstance(store, FeatureStore)
