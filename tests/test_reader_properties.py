"""Properties every table reader keeps, on generated files: each row read is
either accepted or rejected (with its row, field and reason), never lost and
never counted twice; what is accepted round-trips through our own exports."""

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_sources.cyclones import read_ibtracs
from data_sources.displacement import read_hxl_displacement
from data_sources.incidents import read_acled, read_points

pytestmark = pytest.mark.slow  # generated files, many examples each

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Cells: mostly plausible, sometimes broken, the way real files break.
lat = st.one_of(st.floats(5, 38).map(lambda x: f"{x:.4f}"), st.sampled_from(["", "123", "n/a"]))
lon = st.one_of(st.floats(61, 97).map(lambda x: f"{x:.4f}"), st.sampled_from(["", "-200", "x"]))
day = st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(["", "31-02-2026",
                                                                          "yesterday"]))
recent = st.dates(min_value=__import__("datetime").date(2000, 1, 1),
                  max_value=__import__("datetime").date(2026, 9, 1)).map(lambda d: d.isoformat())
category = st.sampled_from(["armed clash", "smuggling", "IED", "", "picnic", "shelling"])
country = st.sampled_from(["PAK", "Afghanistan", "IND", "", "Atlantis", "bd"])
number = st.one_of(st.integers(0, 5000).map(str), st.sampled_from(["", "-4", "many"]))


def write(tmp_path, name, header, rows) -> tuple:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def assert_every_row_accounted(result, rows: int, first_row: int = 2) -> None:
    rejected_rows = [r.row for r in result.rejections]
    assert len(rejected_rows) == len(set(rejected_rows)), "a row rejected twice"
    assert all(first_row <= r < first_row + rows for r in rejected_rows)
    assert all(r.reason for r in result.rejections)
    assert result.accepted + result.rejected == rows


@SETTINGS
@given(st.lists(st.tuples(recent, lat, lon, category, country, number), min_size=1,
                max_size=30))
def test_points_reader_accounts_for_every_row_and_round_trips(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("points")
    path = write(tmp, "p.csv", ["time", "lat", "lon", "category", "country", "fatalities"],
                 [list(r) for r in rows])
    result = read_points(path)
    assert_every_row_accounted(result, len(rows))
    if result.accepted:
        from reports.bundle import INCIDENT_TAGS, hxl_csv, with_lonlat

        again = tmp / "again.csv"
        again.write_bytes(hxl_csv(with_lonlat(result.data), INCIDENT_TAGS))
        back = read_points(again).data
        assert back["time"].tolist() == result.data["time"].tolist()
        assert back["country"].tolist() == result.data["country"].tolist()
        assert back["category"].astype(str).tolist() == \
            result.data["category"].astype(str).tolist()
        assert back.geometry.x.round(6).tolist() == result.data.geometry.x.round(6).tolist()


@SETTINGS
@given(st.lists(st.tuples(st.text("ABCDEFGH0123456789", min_size=0, max_size=8), day,
                          st.sampled_from(["Battles", "Riots", "Protests", "", "Picnic",
                                           "Remote violence"]), lat, lon, country, number),
                min_size=1, max_size=30))
def test_acled_reader_accounts_for_every_row(tmp_path_factory, rows):
    path = write(tmp_path_factory.mktemp("acled"), "a.csv",
                 ["event_id_cnty", "event_date", "event_type", "latitude", "longitude",
                  "country", "fatalities"], [list(r) for r in rows])
    assert_every_row_accounted(read_acled(path), len(rows))


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["Khulna", "", "Sylhet"]), number, day),
                min_size=1, max_size=30))
def test_hxl_displacement_reader_accounts_for_every_row(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("hxl")
    path = write(tmp, "d.csv", ["area", "idps", "date"],
                 [["#adm1+name", "#affected+idps", "#date"], *map(list, rows)])
    result = read_hxl_displacement(path)
    # The tag row is not a record: rows start at 3.
    assert_every_row_accounted(result, len(rows), first_row=3)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["2026001N10080", ""]), day, lat, lon, number),
                min_size=1, max_size=30))
def test_ibtracs_reader_accounts_for_every_row(tmp_path_factory, rows):
    path = write(tmp_path_factory.mktemp("ib"), "i.csv",
                 ["SID", "ISO_TIME", "LAT", "LON", "WMO_WIND"], [list(r) for r in rows])
    assert_every_row_accounted(read_ibtracs(path), len(rows))


@pytest.mark.parametrize("reader", [read_points, read_acled, read_ibtracs,
                                    read_hxl_displacement])
def test_no_reader_leaves_a_row_unaccounted_on_an_empty_looking_row(tmp_path, reader):
    """A row of empty cells is a rejected record, never silently skipped."""
    header = {read_points: "time,lat,lon,category,country",
              read_acled: "event_id_cnty,event_date,event_type,latitude,longitude,country,"
                          "fatalities",
              read_ibtracs: "SID,ISO_TIME,LAT,LON",
              read_hxl_displacement: "area,idps,date\n#adm1+name,#affected+idps,#date"}[reader]
    width = header.splitlines()[0].count(",")
    path = tmp_path / "f.csv"
    path.write_text(f"{header}\n{',' * width}\n", encoding="utf-8")
    result = reader(path)
    assert result.accepted + result.rejected == 1


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["1", "2", ""]), st.sampled_from(["1", "2", "3", "9",
                                                                            ""]),
                          lat, lon, day, number, country), min_size=1, max_size=30))
def test_ucdp_reader_accounts_for_every_row(tmp_path_factory, rows):
    from data_sources.incidents import read_ucdp

    path = write(tmp_path_factory.mktemp("ucdp"), "u.csv",
                 ["id", "type_of_violence", "latitude", "longitude", "date_start", "best",
                  "country"], [list(r) for r in rows])
    assert_every_row_accounted(read_ucdp(path), len(rows))


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["7", ""]), country, number, day,
                          st.sampled_from(["Disaster", "Conflict", "", "Aliens"]), lat, lon),
                min_size=1, max_size=30))
def test_idmc_reader_accounts_for_every_row(tmp_path_factory, rows):
    from data_sources.displacement import read_idmc_idu

    path = write(tmp_path_factory.mktemp("idmc"), "i.csv",
                 ["id", "iso3", "figure", "displacement_date", "displacement_type", "latitude",
                  "longitude"], [list(r) for r in rows])
    assert_every_row_accounted(read_idmc_idu(path), len(rows))


RSS_ITEM = """<item><title>{title}</title>
<gdacs:fromdate>{start}</gdacs:fromdate><gdacs:eventtype>{kind}</gdacs:eventtype>
<gdacs:alertlevel>{level}</gdacs:alertlevel><gdacs:eventid>{eid}</gdacs:eventid>
<gdacs:iso3>{iso}</gdacs:iso3><georss:point>{lat} {lon}</georss:point></item>"""


@SETTINGS
@given(st.lists(st.fixed_dictionaries({
    "title": st.text("abc <>&", max_size=10), "start": st.sampled_from([
        "Tue, 14 Jun 2022 00:00:00 GMT", "", "soon"]),
    "kind": st.sampled_from(["FL", "TC", "EQ", "XX", ""]),
    "level": st.sampled_from(["Green", "Orange", "Red", "Purple", ""]),
    "eid": st.sampled_from(["1102", ""]), "iso": st.sampled_from(["PAK", "BGD", ""]),
    "lat": lat, "lon": lon}), min_size=1, max_size=20))
def test_gdacs_rss_reader_accounts_for_every_item(tmp_path_factory, items):
    from xml.sax.saxutils import escape

    from data_sources.alerts import read_gdacs_rss

    body = "".join(RSS_ITEM.format(**{k: escape(v) for k, v in item.items()})
                   for item in items)
    path = tmp_path_factory.mktemp("rss") / "feed.xml"
    path.write_text('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                    'xmlns:gdacs="http://www.gdacs.org" '
                    'xmlns:georss="http://www.georss.org/georss"><channel>'
                    f"{body}</channel></rss>", encoding="utf-8")
    assert_every_row_accounted(read_gdacs_rss(path), len(items), first_row=1)
