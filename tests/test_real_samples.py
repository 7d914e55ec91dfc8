"""Readers against real published samples in ../shared/fixtures (skipped when absent)."""

import pandas as pd
import pytest

from data_sources.detect import detect_format, read_any


@pytest.mark.parametrize("name,fmt,kind,accepted", [
    ("gdacs_rss_archive_india_orange_2012-2016.xml", "gdacs-rss", "alerts", 23),
    ("gdacs_rss_archive_global_orange_2012-2016.xml", "gdacs-rss", "alerts", 100),
    ("cap12_oasis_amber_alert_example.xml", "cap", "alerts", 1),  # one alert, two languages
    ("ibtracs_v04r01_NI_subset_points.csv", "ibtracs", "tracks", 261),
    ("ibtracs_v04r01_lines_NI_subset.geojson", "ibtracs", "tracks", 261),
    ("idmc_idu_events_IND.csv", "idmc-idu", "displacement", 113),
    ("ucdp_ged191_BGD_subset.csv", "ucdp", "incidents", 601),
    ("ucdp_ged_hdx_BGD_hxl.csv", "ucdp", "incidents", 601),
    ("naturalearth_110m_admin0_south_asia.geojson", "boundaries", "boundaries", 13),
    ("geonames_cities15000_saarc.csv", "places", "places", 4451),
])
def test_real_sample_is_detected_and_read_whole(shared_fixture, name, fmt, kind, accepted):
    path = shared_fixture(name)
    assert detect_format(path) == fmt
    result = read_any(path)
    assert (result.kind, result.accepted, result.rejected) == (kind, accepted, 0)


def test_gdacs_india_first_item(shared_fixture):
    data = read_any(shared_fixture("gdacs_rss_archive_india_orange_2012-2016.xml")).data
    first = data.iloc[0]
    assert first["id"] == "GDACS:EQ1077755"
    assert (first["alert_level"], first["severity_value"], first["severity_unit"]) == (
        "red", 6.7, "M")
    assert (first.geometry.x, first.geometry.y) == (93.6556, 24.8339)
    assert first["start"] == pd.Timestamp("2016-01-03T23:05:22Z")


def test_ucdp_raw_and_hdx_copies_agree(shared_fixture):
    raw = read_any(shared_fixture("ucdp_ged191_BGD_subset.csv")).data
    hxl = read_any(shared_fixture("ucdp_ged_hdx_BGD_hxl.csv")).data
    cols = ["source_id", "time", "category", "fatalities", "country"]
    pd.testing.assert_frame_equal(
        raw[cols].sort_values("source_id").reset_index(drop=True),
        hxl[cols].sort_values("source_id").reset_index(drop=True))
    assert raw["admin1"].str.contains("Barisāl").any()  # diacritics kept


def test_ibtracs_csv_and_lines_agree(shared_fixture):
    csv = read_any(shared_fixture("ibtracs_v04r01_NI_subset_points.csv")).data
    lines = read_any(shared_fixture("ibtracs_v04r01_lines_NI_subset.geojson")).data
    assert csv["storm_id"].tolist() == lines["storm_id"].tolist()
    assert csv["wind_kt"].equals(lines["wind_kt"])


def test_idmc_causes(shared_fixture):
    data = read_any(shared_fixture("idmc_idu_events_IND.csv")).data
    counts = data["cause"].value_counts()
    assert counts["flood"] == 67 and counts["cyclone"] == 39 and counts["conflict"] == 6
