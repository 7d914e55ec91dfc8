import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from data_sources.errors import CRSError, FormatError
from data_sources.incidents import ACLED_COLUMNS, read_acled, read_points, read_ucdp, severity_from


def acled_row(**values):
    base = dict(event_id_cnty="PAK1", event_date="2026-03-15", event_type="Battles",
                country="Pakistan", iso="586", latitude="33.9", longitude="70.1",
                fatalities="0")
    return base | values


def test_acled_layout_exact_output_and_rejections(write_csv):
    path = write_csv("acled.csv", list(ACLED_COLUMNS), [
        acled_row(event_id_cnty="PAK1", event_type="Explosions/Remote violence",
                  sub_event_type="Shelling/artillery/missile attack", fatalities="2",
                  geo_precision="1", notes="Shelling near Kurram <script>"),
        acled_row(event_id_cnty="PAK2", event_date="15 March 2026", latitude="123"),
        acled_row(event_id_cnty="PAK3", event_date="not a date"),
        acled_row(event_id_cnty="PAK4", event_type="Alien invasion"),
        acled_row(event_id_cnty="PAK5", fatalities="-1"),
        acled_row(event_id_cnty="IND6", latitude="0", longitude="0"),
        acled_row(event_id_cnty="BGD7", event_type="Strategic developments",
                  sub_event_type="Arrests", country="Bangladesh", latitude="23.7",
                  longitude="90.4", fatalities="12", admin1="ঢাকা বিভাগ"),
        acled_row(event_id_cnty="XXX8", country="Atlantis", iso=""),
    ])
    result = read_acled(path)
    data = result.data
    assert data["id"].tolist() == ["ACLED:PAK1", "ACLED:BGD7"]
    assert data["category"].tolist() == ["cross-border firing/shelling", "arrest/seizure"]
    assert data["fatalities"].tolist() == [2, 12]
    # severity: firing base 3 + 1 (deaths); arrest base 1 + 1 + 1 (>= 10 deaths)
    assert data["severity"].tolist() == [4, 3]
    assert data["country"].tolist() == ["PAK", "BGD"]
    assert data["admin1"].iloc[1] == "ঢাকা বিভাগ"
    assert data["notes"].iloc[0] == "Shelling near Kurram <script>"
    assert data["time"].iloc[0] == pd.Timestamp("2026-03-15", tz="UTC")
    assert data.geometry.iloc[0].equals(shapely.Point(70.1, 33.9))
    assert data.crs == "EPSG:4326"
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (3, "latitude", "123 is outside -90..90"),
        (4, "event_date", "'not a date' is not a date"),
        (5, "event_type", "unknown value 'Alien invasion'"),
        (6, "fatalities", "-1 is negative"),
        (7, "latitude/longitude", "0,0 is not a real location"),
        (9, "country", "unknown country 'Atlantis'"),
    ]
    assert result.accepted + result.rejected == 8


def test_acled_day_first_dates(write_csv):
    path = write_csv("a.csv", list(ACLED_COLUMNS), [acled_row(event_date="03 January 2026"),
                                                     acled_row(event_date="03/01/2026")])
    times = read_acled(path).data["time"].dt.strftime("%Y-%m-%d").tolist()
    assert times == ["2026-01-03", "2026-01-03"]


def test_acled_missing_columns_named(write_csv):
    path = write_csv("x.csv", ["event_id_cnty", "event_date"], [["A", "2026-01-01"]])
    with pytest.raises(FormatError, match="missing column.*event_type"):
        read_acled(path)


UCDP_HEADER = ["id", "year", "type_of_violence", "dyad_name", "source_headline", "where_prec",
               "adm_1", "adm_2", "latitude", "longitude", "country", "iso3", "date_start",
               "date_end", "best"]
UCDP_TAGS = ["", "#date+year", "", "", "#description", "", "#adm1+name", "#adm2+name",
             "#geo+lat", "#geo+lon", "#country+name", "#country+code", "#date+start",
             "#date+end", "#affected+killed"]


@pytest.mark.parametrize("hxl", [False, True])
def test_ucdp_raw_and_hdx_hxl(write_csv, hxl):
    rows = [
        ["71663", "2013", "2", "AL - BNP", "Seven killed", "1", "Barisāl Division",
         "Pirojpur District", "22.488976", "90.062732", "Bangladesh", "BGD", "2013-12-13",
         "2013-12-14", "1"],
        ["71664", "2013", "3", "Govt - civilians", "", "6", "", "", "23.7", "90.4",
         "Bangladesh", "BGD", "2013-12-20", "2013-12-20", "3"],
        ["71665", "2013", "9", "?", "", "1", "", "", "23.7", "90.4", "Bangladesh", "BGD",
         "2013-12-20", "2013-12-20", "0"],
    ]
    path = write_csv("ucdp.csv", UCDP_HEADER, [UCDP_TAGS, *rows] if hxl else rows)
    result = read_ucdp(path)
    assert result.format == ("ucdp-hxl" if hxl else "ucdp")
    assert result.data["category"].tolist() == ["armed clash", "other"]
    assert result.data["location_precision"].tolist() == ["exact", "country"]
    assert result.data["fatalities"].tolist() == [1, 3]
    assert result.data["notes"].tolist() == ["AL - BNP: Seven killed", "Govt - civilians"]
    first = 3 if hxl else 2
    assert [(r.row, r.field) for r in result.rejections] == [(first + 2, "type_of_violence")]


def test_points_csv_with_mapping_and_aliases(write_csv):
    path = write_csv("bsf.csv", ["when", "lat", "lon", "kind", "iso3", "note"], [
        ["2026-05-01T10:00:00+05:30", "23.05", "88.95", "smuggling", "IND", "Petrapole"],
        ["2026-05-02", "23.05", "88.95", "Illegal Crossing", "BGD", "বেনাপোল"],
        ["2026-05-03", "23.05", "88.95", "picnic", "BGD", ""],
    ])
    result = read_points(path, {"time": "when", "category": "kind"}, source="BSF log")
    data = result.data
    assert data["category"].tolist() == ["smuggling/trafficking", "illegal crossing"]
    assert data["time"].iloc[0] == pd.Timestamp("2026-05-01T04:30:00Z")
    assert data["source"].tolist() == ["BSF log", "BSF log"]
    assert data["source_id"].tolist() == ["2", "3"]
    assert data["notes"].iloc[1] == "বেনাপোল"
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (4, "kind", "unknown value 'picnic'")]


def test_points_mapping_to_missing_column_is_named(write_csv):
    path = write_csv("p.csv", ["time", "lat", "lon", "category"],
                     [["2026-01-01", "1", "2", "other"]])
    with pytest.raises(FormatError, match="'when' is not in the file") as err:
        read_points(path, {"time": "when"})
    assert err.value.field == "time"


def test_points_geopackage_in_web_mercator_is_reprojected(tmp_path):
    frame = gpd.GeoDataFrame(
        {"date": ["2026-02-01", "2026-02-02"], "category": ["armed clash", "other"],
         "country": ["AFG", "PAK"]},
        geometry=[shapely.Point(71.1, 34.11), shapely.LineString([(70, 30), (71, 31)])],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    path = tmp_path / "events.gpkg"
    frame.to_file(path, driver="GPKG")
    result = read_points(path)
    point = result.data.geometry.iloc[0]
    assert point.x == pytest.approx(71.1) and point.y == pytest.approx(34.11)
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (2, "geometry", "LineString is not a point")]


def test_points_geojson_with_projected_numbers_is_rejected_not_moved(tmp_path):
    # A GeoJSON (always EPSG:4326) whose numbers are really metres: every row is refused.
    path = tmp_path / "metres.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature",'
                    '"properties":{"time":"2026-01-01","category":"other","country":"PAK"},'
                    '"geometry":{"type":"Point","coordinates":[7913000.0,4040000.0]}}]}')
    result = read_points(path)
    assert result.accepted == 0
    assert "outside the globe (wrong CRS?)" in result.rejections[0].reason


def test_shapefile_without_prj_is_refused(tmp_path):
    frame = gpd.GeoDataFrame({"time": ["2026-01-01"], "category": ["other"]},
                             geometry=[shapely.Point(70, 30)])
    path = tmp_path / "noprj.shp"
    with pytest.warns(UserWarning, match="crs"):
        frame.to_file(path)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        read_points(path)


def test_severity_rule():
    cats = pd.Series(["illegal crossing", "armed clash", "explosion/IED", "explosion/IED"])
    deaths = pd.Series([0, 1, 10, pd.NA], dtype="Int64")
    assert severity_from(cats, deaths).tolist() == [1, 4, 5, 3]


coords = st.floats(min_value=-200, max_value=200, allow_nan=False).map(lambda x: round(x, 3))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(coords, coords), min_size=1, max_size=12))
def test_every_row_is_accepted_or_rejected_never_lost(tmp_path_factory, pairs):
    rows = [["2026-01-01", str(lat), str(lon), "other", "PAK", f"n{i}"]
            for i, (lat, lon) in enumerate(pairs)]
    path = tmp_path_factory.mktemp("p") / "p.csv"
    pd.DataFrame(rows, columns=["time", "lat", "lon", "category", "country", "notes"]).to_csv(
        path, index=False)
    result = read_points(path)
    valid = [abs(la) <= 90 and abs(lo) <= 180 and not (la == 0 and lo == 0) for la, lo in pairs]
    assert result.accepted == sum(valid)
    assert result.accepted + result.rejected == len(pairs)
    kept = result.data["notes"].tolist()
    assert kept == [f"n{i}" for i, ok in enumerate(valid) if ok]
