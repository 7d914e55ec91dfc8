"""The one door: each defect found by use, and one summary shown the same everywhere.

Every figure a user sees (dashboard, PDF, DOCX, HTML, CSV, GeoPackage, CAP)
comes from the summary the situation service built; these tests build one
summary per region and read each output back.
"""

import io
import json

import docx
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pypdf import PdfReader

from data_sources.alerts import read_cap
from data_sources.settings import Settings
from data_sources.store import Store
from geo.exposure import OUTSIDE, exposure
from geo.regions import parse_region
from model.situation import KEY_FIGURES, Filters
from reports.__main__ import main as reports_main
from reports.bundle import write_bundle
from reports.cap_export import alerts_to_cap
from reports.content import ReportError, ReportFields
from reports.sitrep import document
from reports.static_map import render_png
from service import SituationService
from tests.geo_helpers import EQUAL_AREA, box, raster

ALL_LAYERS = frozenset({"flood", "cyclone", "alerts", "incidents", "displacement"})
POLYGON = {"type": "Polygon", "coordinates": [[[88, 21], [93, 21], [93, 27], [88, 27],
                                               [88, 21]]]}


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def read_hxl(path) -> pd.DataFrame:
    return pd.read_csv(path, skiprows=[1], encoding="utf-8-sig")


# -- 1. Bangladesh reports crashed when the region's only alert was not the first row ---------

@pytest.mark.parametrize("region", ["BGD", pytest.param("BGD,IND", marks=pytest.mark.slow)])
def test_bangladesh_sitrep_with_alerts_is_written(service, region, tmp_path, capsys):
    summary = service.summary(Filters(region=service.parse_region(region)))
    assert len(summary.alerts) == 1 and summary.alerts["id"].iloc[0] == "GDACS:TC9000002"
    assert render_png(summary)[:8] == b"\x89PNG\r\n\x1a\n"
    code = reports_main(["sitrep", "--region", region, "--format", "pdf,csv",
                         "--out", str(tmp_path)], service)
    assert code == 0, capsys.readouterr().err
    assert len(list(tmp_path.glob("*.pdf"))) == 1


# -- 2 and 3: the Reports view follows the figures; prepared files never go stale ------------

@pytest.mark.slow
def test_report_highlights_follow_a_filter_change(app_on_reports):
    at = app_on_reports
    first = at.text_area(key="report_highlights").value
    at.sidebar.multiselect(key="countries").set_value(["PAK"]).run()
    after = at.text_area(key="report_highlights").value
    assert after != first
    shown = {m.label: m.value for m in at.metric}
    assert f"{shown['Border incidents']} border incidents" in after
    # An edit is kept while the figures stay the same.
    at.text_area(key="report_highlights").set_value("Edited by hand.").run()
    at.text_input(key="report_agency").set_value("NDMA").run()
    assert at.text_area(key="report_highlights").value == "Edited by hand."


@pytest.mark.slow
def test_prepared_download_is_dropped_when_tlp_or_region_changes(app_on_reports):
    at = app_on_reports
    at.sidebar.multiselect(key="countries").set_value(["BGD"]).run()
    at.button(key="prepare_docx").click().run()
    assert "Word (DOCX)" in [b.proto.label for b in at.get("download_button")]
    at.radio(key="report_tlp").set_value("TLP:RED").run()
    assert "Word (DOCX)" not in [b.proto.label for b in at.get("download_button")]
    assert any("prepare it again" in c.value for c in at.caption)
    at.button(key="prepare_docx").click().run()
    assert "Word (DOCX)" in [b.proto.label for b in at.get("download_button")]
    at.sidebar.multiselect(key="countries").set_value(["PAK"]).run()
    assert "Word (DOCX)" not in [b.proto.label for b in at.get("download_button")]


@pytest.mark.slow
def test_documents_are_cached_by_summary_and_fields(service):
    bgd = service.summary(Filters(region=service.parse_region("BGD")))
    pak = service.summary(Filters(region=service.parse_region("PAK")))
    amber, red = ReportFields(tlp="TLP:AMBER"), ReportFields(tlp="TLP:RED")
    made = {(s.key, repr(f)): service.document("docx", s, repr(f),
                                               lambda s=s, f=f: document("docx", s, f))
            for s in (bgd, pak) for f in (amber, red)}
    assert len(set(made.values())) == 4  # four different files, none reused
    d = docx.Document(io.BytesIO(made[(bgd.key, repr(red))]))
    assert all("TLP:RED" in s.header.paragraphs[0].text for s in d.sections)


# -- 4. The Maldives: its own area, never the whole region ----------------------------------

def test_maldives_is_its_own_area_by_its_atolls(service, demo):
    everything = service.summary()
    mdv = service.summary(Filters(region=service.parse_region("MDV")))
    # No polygon at 1:110m, but its 21 atolls ship with the program.
    assert mdv.region.note is None
    west, south, east, north = mdv.region_bounds
    assert 72.6 < west and east < 73.8 and -0.8 < south and 7.0 < north < 7.2
    assert mdv.key_figures["incidents"] == 0
    assert mdv.key_figures["people_exposed_cyclone"] == 0
    assert everything.key_figures["incidents"] > 0
    assert mdv.areas["iso3"].dropna().tolist() == ["MDV"]
    # With no polygon of it at all, 30 km around its places stand in, and a note says so.
    boundaries = demo["boundaries"]
    region = parse_region("MDV", boundaries[boundaries["iso3"] != "MDV"], demo["places"])
    assert region.note and "30 km around" in region.note and "Male" in region.note
    assert "MDV has no boundary polygon" in region.note


@pytest.mark.slow
def test_maldives_link_in_the_dashboard_shows_its_atolls(app):
    app.query_params["countries"] = "MDV"
    at = app.run()
    assert not at.exception
    assert not any("no boundary polygon" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Border incidents"] == "0"
    # Its 21 atolls are its admin areas; none has a figure, so they are counted, not listed.
    assert any(c.value == "Admin areas of this selection with no figure in any column, not "
               "listed: 21." for c in at.caption)


# -- 5. The bundle shows what the summary shows ----------------------------------------------

@pytest.mark.parametrize("hazards", [ALL_LAYERS, ALL_LAYERS - {"displacement"}])
@pytest.mark.slow
def test_corridor_bundle_displacement_equals_the_summary(service, hazards, tmp_path):
    region = service.parse_region("border:AFG-PAK:25km")
    summary = service.summary(Filters(region=region, hazards=hazards))
    files = write_bundle(summary, tmp_path, formats=("csv",))
    disp = [f for f in files if "_displacement_" in f.name]
    total = sum(read_hxl(f)["figure"].sum() for f in disp)
    assert total == summary.key_figures["displaced"] == 0


# -- 6. Scheduled reports use the live store when feeds are configured ------------------------

def test_sitrep_reads_the_live_store(tmp_path, demo, capsys):
    store_path = tmp_path / "live.gpkg"
    incidents = demo["incidents"][demo["incidents"]["country"] == "PAK"].head(5).copy()
    incidents["source"] = "TEST-FEED"
    incidents["id"] = "TEST-FEED:" + incidents["source_id"].astype(str)
    incidents["time"] = pd.Timestamp.now(tz="UTC").floor("s") - pd.Timedelta(days=1)
    with Store(store_path) as store:
        store.upsert("incidents", incidents.assign(demo=False))
    live = SituationService(Settings(sources=["gdacs-events"], store_path=store_path))
    out = tmp_path / "out"
    assert reports_main(["sitrep", "--format", "csv", "--out", str(out)], live) == 0, \
        capsys.readouterr().err
    table = read_hxl(next(out.glob("*_incidents.csv")))
    assert len(table) == 5 and set(table["source"]) == {"TEST-FEED"}
    assert table["demo"].isna().all()  # live records: no DEMO mark


# -- 7. Overlapping areas: each complete, the total counts each cell once --------------------

def test_overlapping_areas_each_get_their_complete_figure():
    # 4 x 10 cells of 1 km², one person each, all flooded. A: columns 0-5, B: columns 4-9.
    hazard = raster(np.ones((4, 10)), variable="flood_depth", units="m")
    people = raster(np.ones((4, 10)))
    areas = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[box(0, 0, 6, 4), box(4, 0, 10, 4)],
                             crs=EQUAL_AREA)
    result = exposure(hazard, 0.5, areas, population=people)
    table = result.table.set_index("area")
    assert table.loc["A", "people_exposed"] == pytest.approx(24)  # 6 columns x 4 rows
    assert table.loc["B", "people_exposed"] == pytest.approx(24)
    assert table.loc[OUTSIDE, "people_exposed"] == pytest.approx(0)
    assert result.inside["people_exposed"] == pytest.approx(40)  # each cell once
    assert result.totals["people_exposed"] == pytest.approx(40)
    assert result.overlaps[["area_a", "area_b"]].values.tolist() == [["A", "B"]]
    assert result.overlaps["km2"].iloc[0] == pytest.approx(8, rel=2e-3)  # 2 columns x 4 rows


def test_areas_that_only_touch_do_not_overlap():
    hazard = raster(np.ones((4, 10)), variable="flood_depth", units="m")
    areas = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[box(0, 0, 5, 4), box(5, 0, 10, 4)],
                             crs=EQUAL_AREA)
    result = exposure(hazard, 0.5, areas, population=raster(np.ones((4, 10))))
    assert result.overlaps.empty
    assert result.table.set_index("area")["people_exposed"].tolist() == [20, 20, 0]


def test_geo_cli_says_which_areas_overlap(tmp_path, capsys):
    from geo.__main__ import main as geo_main

    hazard, people = tmp_path / "h.tif", tmp_path / "p.tif"
    raster(np.ones((4, 10)), variable="flood_depth", units="m").rio.to_raster(hazard)
    raster(np.ones((4, 10))).rio.to_raster(people)
    areas = tmp_path / "areas.geojson"
    gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[box(0, 0, 6, 4), box(4, 0, 10, 4)],
                     crs=EQUAL_AREA).to_file(areas)
    assert geo_main(["exposure", "--hazard", str(hazard), "--threshold", "0.5", "--population",
                     str(people), "--areas", str(areas), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(o["area_a"], o["area_b"]) for o in out["overlaps"]] == [("A", "B")]
    assert out["totals"]["people_exposed"] == pytest.approx(40)
    assert any("overlap by" in n for n in out["notes"])


# -- 8. Every exported file carries as-of, source, DEMO and TLP -------------------------------

def test_every_exported_row_is_marked(service, tmp_path):
    summary = service.summary()
    files = write_bundle(summary, tmp_path, tlp="TLP:AMBER")
    as_of = f"{summary.as_of:%Y-%m-%dT%H:%M:%SZ}"
    csvs = [f for f in files if f.suffix == ".csv"]
    assert {f.name.split("_", 1)[1] for f in csvs} >= {"incidents.csv", "areas.csv",
                                                       "alerts.csv"}
    for path in csvs:
        table = read_hxl(path)
        assert len(table), path.name
        assert (table["as_of"] == as_of).all(), path.name
        assert (table["tlp"] == "TLP:AMBER").all(), path.name
        assert (table["demo"] == "DEMO").all(), path.name
        assert table["source"].notna().all(), path.name
    alerts = read_hxl(next(f for f in csvs if f.name.endswith("_alerts.csv")))
    assert not alerts["source"].str.fullmatch("GDACS").any()  # a DEMO alert is not GDACS's
    assert (alerts["source"] == "DEMO GDACS-like alerts").all()
    for path in (f for f in files if f.suffix == ".geojson"):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            assert (props["as_of"], props["tlp"], props["demo"]) == (as_of, "TLP:AMBER", "DEMO")
    gpkg = next(f for f in files if f.suffix == ".gpkg")
    for layer, _ in pyogrio.list_layers(gpkg):
        frame = pyogrio.read_dataframe(gpkg, layer=layer)
        assert {"as_of", "source", "demo", "tlp"} <= set(frame.columns), layer
        assert (frame["tlp"] == "TLP:AMBER").all() and (frame["demo"] == "DEMO").all(), layer


def test_a_report_is_never_marked_below_its_data(service):
    summary = service.summary()
    summary_red = type(summary)(**{**vars(summary), "tlp": "TLP:RED"})
    with pytest.raises(ReportError, match="cannot be marked TLP:AMBER"):
        document("pdf", summary_red, ReportFields(tlp="TLP:AMBER"))


# -- 9. One alert in several languages is one alert -------------------------------------------

CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>BMD-2026-0931</identifier><sender>bmd@example.gov.bd</sender>
  <sent>2026-09-27T06:00:00+06:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  {infos}
</alert>"""
INFO = """<info><language>{lang}</language><category>Met</category><event>{event}</event>
  <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Likely</certainty>
  <effective>2026-09-27T06:00:00+06:00</effective><expires>2026-09-29T06:00:00+06:00</expires>
  <headline>{headline}</headline>
  <area><areaDesc>{area}</areaDesc>
    <polygon>21.5,89.0 22.9,89.0 22.9,90.5 21.5,90.5 21.5,89.0</polygon></area>
</info>"""


def test_one_alert_in_two_languages_counts_once(tmp_path):
    path = tmp_path / "bmd.xml"
    path.write_text(CAP.format(infos=INFO.format(
        lang="bn-BD", event="ঘূর্ণিঝড়", headline="ঘূর্ণিঝড় সতর্কবার্তা", area="খুলনা") + INFO.format(
        lang="en-US", event="Cyclone", headline="Cyclone warning", area="Khulna")),
        encoding="utf-8")
    result = read_cap(path)
    assert len(result.data) == 1 and result.rejected == 0
    alert = result.data.iloc[0]
    assert alert["language"] == "bn-BD, en-US"
    assert alert["headline"] == "Cyclone warning"  # English preferred for the one record
    assert json.loads(alert["headlines"]) == {"bn-BD": "ঘূর্ণিঝড় সতর্কবার্তা",
                                              "en-US": "Cyclone warning"}


def test_two_different_alerts_in_one_message_stay_two(tmp_path):
    path = tmp_path / "two.xml"
    path.write_text(CAP.format(infos=INFO.format(
        lang="en-US", event="Cyclone", headline="Cyclone", area="Khulna") + INFO.format(
        lang="en-US", event="Flood", headline="Flood", area="Khulna").replace(
        "<severity>Extreme</severity>", "<severity>Moderate</severity>")), encoding="utf-8")
    assert len(read_cap(path).data) == 2


# -- One summary, the same figures in every output --------------------------------------------

REGIONS = ["BGD", "MDV", "border:AFG-PAK:25km", "polygon"]


def _region(service, spec):
    if spec == "polygon":
        return service.region(polygon=POLYGON)
    return service.parse_region(spec)


@pytest.mark.slow
@pytest.mark.parametrize("spec", REGIONS)
@pytest.mark.parametrize("hazards", [ALL_LAYERS, frozenset({"incidents", "cyclone"})],
                         ids=["all layers", "some layers off"])
def test_every_output_shows_the_summary_figures(service, spec, hazards, tmp_path):
    summary = service.summary(Filters(region=_region(service, spec), hazards=hazards))
    shown = {name: summary.figure_text(name) for name in KEY_FIGURES}
    assert all(shown[n] == "off" for n in KEY_FIGURES if n not in {
        "people_exposed_cyclone", "incidents"} and hazards != ALL_LAYERS)
    fields = ReportFields(tlp="TLP:AMBER")

    pdf = pdf_text(document("pdf", summary, fields))
    d = docx.Document(io.BytesIO(document("docx", summary, fields)))
    docx_rows = {r.cells[0].text: r.cells[1].text for t in d.tables[:1] for r in t.rows}
    html = document("html", summary, fields).decode("utf-8")
    for name, label in KEY_FIGURES.items():
        assert f"{label} {shown[name]}" in pdf, (name, spec)
        assert docx_rows[label] == shown[name], (name, spec)
        assert shown[name] in html

    files = write_bundle(summary, tmp_path, tlp="TLP:AMBER")
    areas = read_hxl(next(f for f in files if f.name.endswith("_areas.csv")))
    incidents = read_hxl(next(f for f in files if f.name.endswith("_incidents.csv")))
    assert len(incidents) == summary.key_figures["incidents"]
    assert areas["incidents"].sum() == summary.key_figures["incidents"]
    if "people_exposed_cyclone" in areas:
        inside = areas[areas["area"] != OUTSIDE]
        assert inside["people_exposed_cyclone"].sum() == summary.key_figures[
            "people_exposed_cyclone"]
    disp = sum(read_hxl(f)["figure"].sum() for f in files if "_displacement_" in f.name)
    assert disp == summary.key_figures["displaced"]
    gpkg = next((f for f in files if f.suffix == ".gpkg"), None)
    layers = {n for n, _ in pyogrio.list_layers(gpkg)} if gpkg else set()
    gpkg_incidents = (len(pyogrio.read_dataframe(gpkg, layer="incidents"))
                      if "incidents" in layers else 0)
    assert gpkg_incidents == summary.key_figures["incidents"]
    caps = alerts_to_cap(summary, "ops@example.org", "TLP:AMBER")
    assert len(caps) == summary.key_figures["active_alerts"]


@pytest.mark.slow
@pytest.mark.parametrize("query,spec", [({"countries": "BGD"}, "BGD"),
                                        ({"countries": "MDV", "hazards": "incidents,cyclone"},
                                         "MDV")])
def test_dashboard_shows_the_summary_figures(app, service, query, spec):
    for key, value in query.items():
        app.query_params[key] = value
    at = app.run()
    assert not at.exception
    choice_hazards = frozenset(query.get("hazards", ",".join(sorted(ALL_LAYERS))).split(","))
    from dashboard.data import filters
    from dashboard.state import defaults

    choice = defaults(service.scenario().as_of)
    choice.countries, choice.hazards = [spec], sorted(choice_hazards)
    want = service.summary(filters(choice, service.parse_region(spec)))
    shown = {m.label: m.value for m in at.metric}
    assert shown == {label: want.figure_text(name) for name, label in KEY_FIGURES.items()}


# -- shared fixtures -----------------------------------------------------------------------------

@pytest.fixture
def app_on_reports(app):
    at = app.run()
    at.switch_page("views/reports.py").run()
    assert not at.exception
    return at


@pytest.fixture
def app(demo_root, demo, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    st.cache_resource.clear()
    return AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)



@pytest.mark.slow
def test_summaries_for_many_sessions_are_computed_two_at_a_time(monkeypatch, demo):
    import copy
    import threading
    import time

    from service import situation as situation_module

    running, most = [0], [0]
    lock = threading.Lock()
    real = SituationService().summary()

    def slow_summary(scenario, filters, **options):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return copy.copy(real)

    monkeypatch.setattr(situation_module, "situation_summary", slow_summary)
    svc = SituationService()
    threads = [threading.Thread(target=svc.summary, args=(Filters(h3_res=r),))
               for r in range(4, 10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == situation_module.HEAVY_AT_ONCE


@pytest.mark.slow
def test_added_files_that_differ_only_in_location_are_different_data(service, tmp_path):
    from data_sources.incidents import read_points

    rows = "time,lat,lon,category,country\n2026-09-20,{lat},{lon},armed clash,{c}\n"
    first = tmp_path / "a.csv"
    first.write_text(rows.format(lat=34.1, lon=71.1, c="PAK"), encoding="utf-8")
    corridor = Filters(region=service.parse_region("border:AFG-PAK:10km"))
    before = service.summary(corridor, added=[("a.csv", read_points(first))])
    first.write_text(rows.format(lat=34.12, lon=71.08, c="PAK"), encoding="utf-8")  # moved
    after = service.summary(corridor, added=[("a.csv", read_points(first))])
    assert before.key != after.key  # same file name, path and attributes: not the same data


def test_loaded_data_is_kept_out_of_the_collectors_sight_until_the_next_load(tmp_path):
    """After a load, everything alive is frozen (full collections stay cheap);
    at the next load, what died since is collected: nothing stays frozen past it."""
    import gc
    import os
    import shutil
    import weakref

    from data_sources.demo import ensure_demo

    for item in ensure_demo().parent.iterdir():
        shutil.copy(item, tmp_path / item.name)
    manifest = tmp_path / "manifest.json"
    svc = SituationService(Settings(scenario=manifest, store_path=tmp_path / "node.gpkg"))

    class Cycle:
        def __init__(self):
            self.me = self

    alive = Cycle()
    gone = weakref.ref(alive)
    try:
        svc.warm()
        assert gc.get_freeze_count() > 0
        del alive
        gc.collect()
        assert gone() is not None  # frozen: the collector does not look at it
        os.utime(manifest, ns=(1, manifest.stat().st_mtime_ns + 10**9))  # the data changed
        svc.warm()
        assert gone() is None
    finally:
        gc.unfreeze()
