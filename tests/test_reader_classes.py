"""Classes of real published files that misread before (the readers issue):
small files written here in the real layouts."""

import json

import numpy as np
import pytest
import rasterio
import xarray as xr
from affine import Affine

from data_sources.__main__ import main as data_sources_main
from data_sources.alerts import read_cap
from data_sources.errors import FormatError
from data_sources.rasters import open_raster
from tests.cli import run


def check_json(*args) -> dict:
    return json.loads(run(data_sources_main, "check", *args, "--json").stdout)


# -- Multi-band rasters: one band, chosen, or a clear refusal ---------------------------------

@pytest.fixture
def three_bands(tmp_path):
    path = tmp_path / "rgb.tif"
    data = np.stack([np.full((4, 5), v, dtype="float32") for v in (1, 2, 3)])
    with rasterio.open(path, "w", driver="GTiff", width=5, height=4, count=3, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.1, 0, 70, 0, -0.1, 30)) as dst:
        dst.write(data)
    return path


def test_a_multi_band_raster_needs_a_band(three_bands):
    with pytest.raises(FormatError, match="has 3 bands; say which one") as err:
        open_raster(three_bands)
    assert err.value.field == "band"
    out = check_json(three_bands)
    assert "has 3 bands" in out["error"]


def test_the_chosen_band_is_used_and_said(three_bands):
    result = open_raster(three_bands, band=2)
    assert result.data.dims == ("y", "x") and float(result.data.max()) == 2.0
    assert [w.as_dict() for w in result.warnings] == [
        {"field": "band", "reason": "band 2 of 3 used"}]
    out = check_json(three_bands, "--band", "3")
    assert out["shape"] == [4, 5] and out["warnings"][0]["reason"] == "band 3 of 3 used"
    with pytest.raises(FormatError, match="band 4 does not exist"):
        open_raster(three_bands, band=4)


# -- Rasters stored south to north: placed right, bounds ordered -----------------------------

def _gdal_value(path, lon: float, lat: float, netcdf_var: str | None = None) -> float:
    name = f"NETCDF:{path}:{netcdf_var}" if netcdf_var else str(path)
    with rasterio.open(name) as src:
        return float(next(src.sample([(lon, lat)]))[0])


def test_netcdf_with_latitude_ascending_is_read_north_up(tmp_path):
    lat = np.arange(20.05, 21.0, 0.1)  # south to north, as GDAL writes NetCDF
    lon = np.arange(88.05, 89.0, 0.1)
    values = np.add.outer(np.arange(len(lat)) * 10, np.arange(len(lon))).astype("float32")
    da = xr.DataArray(values, dims=("lat", "lon"), coords={"lat": lat, "lon": lon},
                      name="depth")
    da["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude"}
    da["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude"}
    path = tmp_path / "south_up.nc"
    da.to_dataset().to_netcdf(path)

    result = open_raster(path, variable="flood_depth", units="m")
    grid = result.data
    assert grid["lat"].values[0] > grid["lat"].values[-1]  # north first
    assert grid.rio.transform().e < 0
    west, south, east, north = grid.rio.bounds()
    assert (west, south, east, north) == pytest.approx((88.0, 20.0, 89.0, 21.0))
    # The cell at 20.95 N, 88.05 E holds row 9 (northmost) col 0 of the file: 90.
    assert float(grid.sel(lat=20.95, lon=88.05, method="nearest")) == 90.0
    assert _gdal_value(path, 88.05, 20.95, "depth") == 90.0
    assert any("flipped to north-up" in w.reason for w in result.warnings)
    out = check_json(path)
    b = out["bounds"]
    assert b[0] < b[2] and b[1] < b[3]


def test_geotiff_with_a_positive_y_pixel_size_is_read_north_up(tmp_path):
    path = tmp_path / "south_up.tif"
    values = np.arange(20, dtype="float32").reshape(4, 5)  # row 0 is the southmost here
    with rasterio.open(path, "w", driver="GTiff", width=5, height=4, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.1, 0, 70, 0, 0.1, 30)) as dst:
        dst.write(values, 1)
    grid = open_raster(path).data
    assert grid.rio.transform().e < 0
    assert grid.rio.bounds() == pytest.approx((70.0, 30.0, 70.5, 30.4))
    for lon, lat in ((70.05, 30.05), (70.45, 30.35)):
        assert float(grid.sel(x=lon, y=lat, method="nearest")) == _gdal_value(path, lon, lat)


# -- CAP declaring another encoding ---------------------------------------------------------

def test_cap_in_iso_8859_1_is_read_as_declared(tmp_path):
    xml = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
           '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>SSN-1</identifier>'
           '<sender>sismo@example.org</sender><sent>2026-09-27T06:00:00-06:00</sent>'
           '<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info>'
           '<language>es-MX</language><category>Geo</category><event>Sismo</event>'
           '<urgency>Past</urgency><severity>Moderate</severity><certainty>Observed</certainty>'
           '<headline>Sismo en Michoacán</headline><area><areaDesc>Michoacán</areaDesc>'
           '<circle>18.5,-102.1 50</circle></area></info></alert>')
    path = tmp_path / "ssn.xml"
    path.write_bytes(xml.encode("latin-1"))
    result = read_cap(path)
    assert result.rejected == 0
    assert result.data["headline"].iloc[0] == "Sismo en Michoacán"


# -- Older and upper-case ACLED exports ------------------------------------------------------

OLD_ACLED = [
    "GWNO,EVENT_ID_CNTY,EVENT_ID_NO_CNTY,EVENT_DATE,YEAR,TIME_PRECISION,EVENT_TYPE,ACTOR1,"
    "ALLY_ACTOR_1,INTER1,ACTOR2,ALLY_ACTOR_2,INTER2,INTERACTION,COUNTRY,ADMIN1,ADMIN2,ADMIN3,"
    "LOCATION,LATITUDE,LONGITUDE,GEO_PRECISION,SOURCE,NOTES,FATALITIES",
    "770,PAK1001,1001,18/01/2016,2016,1,Battle-No change of territory,Military Forces of "
    "Pakistan,,1,TTP,,2,12,Pakistan,Khyber Pakhtunkhwa,Khyber,,Landi Kotal,34.0986,71.1461,"
    "1,Dawn,Clash near the café at the crossing,3",
    "770,PAK1002,1002,20/01/2016,2016,1,Remote violence,Unidentified Armed Group,,3,,,0,30,"
    "Pakistan,Balochistan,Quetta,,Quetta,30.1841,67.0014,1,Dawn,IED on a convoy,0",
    "770,PAK1003,1003,21/01/2016,2016,1,Riots/Protests,Protesters,,6,,,0,60,Pakistan,"
    "Punjab,Lahore,,Lahore,31.5497,74.3436,1,Dawn,Traders protest,0",
]


def test_an_old_upper_case_latin_1_acled_export_reads_end_to_end(tmp_path):
    path = tmp_path / "acled_2016.csv"
    path.write_bytes("\n".join(OLD_ACLED).encode("cp1252"))
    refused = check_json(path)
    assert "is not UTF-8" in refused["error"] and "--encoding" in refused["error"]
    out = check_json(path, "--encoding", "cp1252")
    assert (out["kind"], out["format"], out["accepted"], out["rejected"]) == (
        "incidents", "acled", 3, 0)
    assert "matched regardless of case" in out["warnings"][0]["reason"]
    from data_sources.incidents import read_acled

    data = read_acled(path, encoding="cp1252").data
    assert data["category"].astype(str).tolist() == ["armed clash", "explosion/IED",
                                                     "protest/unrest"]
    assert data["country"].tolist() == ["PAK"] * 3
    assert data["notes"].iloc[0] == "Clash near the café at the crossing"
    assert str(data["time"].iloc[0]) == "2016-01-18 00:00:00+00:00"


# -- Points without a country column ---------------------------------------------------------

def test_plain_incident_csv_takes_the_country_from_the_location(write_csv):
    from data_sources.incidents import read_points

    path = write_csv("plain.csv", ["time", "lat", "lon", "category"], [
        ["2026-09-01", "34.10", "71.10", "armed clash"],       # Khyber, Pakistan
        ["2026-09-02", "22.35", "91.80", "smuggling"],          # Chattogram, Bangladesh
        ["2026-09-03", "123", "71.1", "armed clash"],           # impossible latitude
        ["2026-09-04", "21.0", "96.0", "illegal crossing"],     # Myanmar: not a member
        ["2026-09-05", "10.0", "60.0", "other"],                # Arabian Sea: no country
        ["2026-09-06", "21.80", "90.30", "illegal crossing"],   # Patuakhali coast, off 1:110m
    ])
    result = read_points(path)
    assert result.data["country"].tolist() == ["PAK", "BGD", "BGD"]
    reasons = {r.row: (r.field, r.reason) for r in result.rejections}
    assert reasons[4] == ("lat", "123 is outside -90..90")  # the coordinate, first
    assert reasons[5] == ("latitude/longitude", "lies in MMR, not a member state")
    assert reasons[6][1].startswith("lies in no country")
    assert result.accepted + result.rejected == 6
    assert "taken from its location" in result.warnings[0].reason


# -- IBTrACS: longitudes past 180, two-digit years ------------------------------------------

IBTRACS_HEAD = "SID,SEASON,NUMBER,BASIN,SUBBASIN,NAME,ISO_TIME,NATURE,LAT,LON,WMO_WIND,WMO_PRES"


def _ibtracs(write_csv, rows, name="ib.csv", header=IBTRACS_HEAD):
    return write_csv(name, header.split(","), [r.split(",") for r in rows])


def test_longitudes_past_180_are_normalised_and_the_track_split_at_the_dateline(write_csv):
    from data_sources.cyclones import read_ibtracs
    from geo.cyclones import track_lines

    path = _ibtracs(write_csv, [
        "2015001N10178,2015,1,WP,MM,PALI,2015-01-01 00:00:00,TS,10.0,178.0,40,1000",
        "2015001N10178,2015,1,WP,MM,PALI,2015-01-01 06:00:00,TS,10.5,179.5,45,998",
        "2015001N10178,2015,1,WP,MM,PALI,2015-01-01 12:00:00,TS,11.0,180.5,50,995",
        "2015001N10178,2015,1,WP,MM,PALI,2015-01-01 18:00:00,TS,11.5,182.0,50,995",
    ])
    result = read_ibtracs(path)
    assert result.rejected == 0
    assert [round(x, 1) for x in result.data.geometry.x] == [178.0, 179.5, -179.5, -178.0]
    assert "2 longitudes past 180°" in result.warnings[0].reason
    line = track_lines(result.data).geometry.iloc[0]
    assert line.geom_type == "MultiLineString"
    west, east = list(line.geoms)
    assert west.coords[-1] == pytest.approx((180.0, 10.75))  # halfway between the fixes
    assert east.coords[0] == pytest.approx((-180.0, 10.75))
    assert line.length == pytest.approx(4.0 + 0.0, abs=0.5)  # never ~360 degrees long


def test_two_digit_years_take_their_century_from_the_season(write_csv):
    from data_sources.cyclones import read_ibtracs

    path = _ibtracs(write_csv, [
        "1935150N15088,1935,1,NI,BB,UNNAMED,31-05-35 06:00,NR,15.0,88.0,,",
        "1935150N15088,1935,1,NI,BB,UNNAMED,31-05-35 12:00,NR,15.5,88.5,,",
        "1999300N15088,1999,2,NI,BB,ODISHA,29-10-99 06:00,NR,20.0,86.5,140,912",
        "1999300N15088,1999,2,NI,BB,ODISHA,29-10-65 12:00,NR,20.0,86.5,140,912",
    ])
    result = read_ibtracs(path)
    assert [str(t) for t in result.data["time"]] == [
        "1935-05-31 06:00:00+00:00", "1935-05-31 12:00:00+00:00", "1999-10-29 06:00:00+00:00"]
    assert [(r.row, r.field) for r in result.rejections] == [(5, "ISO_TIME")]
    assert "within a year of SEASON 1999" in result.rejections[0].reason
    assert "3 dates with two-digit years" in result.warnings[0].reason


def test_two_digit_years_without_a_season_are_refused(write_csv):
    from data_sources.cyclones import read_ibtracs

    path = _ibtracs(write_csv, ["1935150N15088,UNNAMED,31-05-35 06:00,15.0,88.0"],
                    header="SID,NAME,ISO_TIME,LAT,LON")
    result = read_ibtracs(path)
    assert result.accepted == 0
    assert "no SEASON column" in result.rejections[0].reason


def test_netcdf_longitudes_0_to_360_are_normalised(tmp_path):
    lon = np.arange(0.5, 360, 1.0)
    lat = np.arange(29.5, 19, -1.0)
    values = np.tile(lon, (len(lat), 1)).astype("float32")  # each cell holds its longitude
    da = xr.DataArray(values, dims=("lat", "lon"), coords={"lat": lat, "lon": lon},
                      name="rain")
    path = tmp_path / "global.nc"
    da.to_dataset().to_netcdf(path)
    result = open_raster(path, variable="rainfall", units="mm")
    grid = result.data
    assert grid.rio.bounds() == pytest.approx((-180.0, 19.0, 180.0, 30.0))
    assert float(grid.sel(lon=-90.5, lat=25.5)) == 269.5  # 269.5 E is 90.5 W
    assert float(grid.sel(lon=88.5, lat=25.5)) == 88.5
    assert any("0..360" in w.reason for w in result.warnings)


# -- Totals among the rows of an IOM DTM file ------------------------------------------------

DTM_HEADER = ["id", "operation", "admin0Name", "admin0Pcode", "admin1Name", "admin1Pcode",
              "admin2Name", "admin2Pcode", "numPresentIdpInd", "reportingDate", "roundNumber",
              "displacementReason"]


def test_dtm_totals_are_not_records_when_their_districts_are_there(write_csv):
    from data_sources.displacement import read_hxl_displacement

    path = write_csv("dtm.csv", DTM_HEADER, [
        ["1", "Flood", "Bangladesh", "BD", "", "", "", "", "1500", "2026-09-20", "3", "Flood"],
        ["2", "Flood", "Bangladesh", "BD", "Khulna", "BD40", "", "", "1000", "2026-09-20", "3",
         "Flood"],
        ["3", "Flood", "Bangladesh", "BD", "Khulna", "BD40", "Bagerhat", "BD4001", "600",
         "2026-09-20", "3", "Flood"],
        ["4", "Flood", "Bangladesh", "BD", "Khulna", "BD40", "Satkhira", "BD4087", "400",
         "2026-09-20", "3", "Flood"],
        ["5", "Flood", "Bangladesh", "BD", "Barishal", "BD10", "", "", "500", "2026-09-20", "3",
         "Flood"],
        ["6", "Flood", "Bangladesh", "BD", "", "", "", "", "", "2026-09-20", "3", "Flood"],
    ])
    result = read_hxl_displacement(path)
    data = result.data
    # Khulna's districts are counted, not its total; Barishal has only its total.
    assert sorted(zip(data["area_name"], data["figure"], strict=True)) == [
        ("Bagerhat", 600), ("Barishal", 500), ("Satkhira", 400)]
    assert data.set_index("area_name").loc["Barishal", "area_code"] == "BD10"
    assert data["figure"].sum() == 1500  # equal to the file's own national total
    assert result.rejected == 0  # totals are not rejected records
    reasons = " | ".join(w.reason for w in result.warnings)
    assert "1 admin 1 total rows left out" in reasons
    assert "1 admin 1 total rows with no finer rows kept" in reasons
    assert "2 admin 0 total rows left out" in reasons


@pytest.mark.parametrize("figure_tag", ["#affected+displaced", "#affected+displaced (people)"],
                         ids=["valid tags", "one malformed tag"])
def test_an_hxl_tag_row_is_not_a_rejected_record(tmp_path, figure_tag):
    from data_sources.displacement import read_idmc_idu

    path = tmp_path / "idmc_hdx.csv"
    path.write_text(
        "id,iso3,country,latitude,longitude,displacement_type,figure,displacement_date\n"
        "#event+id,#country+code,#country+name,#geo+lat,#geo+lon,#cause+type,"
        f"{figure_tag},#date\n"
        "1,BGD,Bangladesh,22.65,89.78,Disaster,31970,2026-09-27\n", encoding="utf-8")
    result = read_idmc_idu(path)
    assert (result.accepted, result.rejected) == (1, 0)


# -- Population and boundary products as published -------------------------------------------

@pytest.mark.parametrize("nodata", [-99999.0, -200.0], ids=["WorldPop", "GHSL"])
def test_population_grids_with_their_published_nodata(tmp_path, nodata):
    path = tmp_path / "pop.tif"
    people = np.array([[10.5, nodata, 3.0], [nodata, 7.25, 0.0]], dtype="float32")
    with rasterio.open(path, "w", driver="GTiff", width=3, height=2, count=1, dtype="float32",
                       crs="EPSG:4326", nodata=nodata,
                       transform=Affine(1 / 1200, 0, 90, 0, -1 / 1200, 24)) as dst:  # 3 arc-s
        dst.write(people, 1)
    grid = open_raster(path, variable="population").data
    assert int(grid.isnull().sum()) == 2
    assert float(grid.sum()) == pytest.approx(20.75)


def test_geoboundaries_and_cod_ab_admin_2(tmp_path):
    import geopandas as gpd
    import shapely

    from data_sources.boundaries import read_boundaries

    square = shapely.box(89.5, 22.0, 90.0, 22.5)
    gb = tmp_path / "geoBoundaries-BGD-ADM2.geojson"
    gpd.GeoDataFrame({"shapeName": ["Bagerhat"], "shapeISO": [""], "shapeID": ["BGD-ADM2-3"],
                      "shapeGroup": ["BGD"], "shapeType": ["ADM2"]}, geometry=[square],
                     crs="EPSG:4326").to_file(gb)
    cod = tmp_path / "bgd_admbnda_adm2.geojson"
    gpd.GeoDataFrame({"ADM2_EN": ["Bagerhat"], "ADM2_PCODE": ["BD4001"], "ADM1_EN": ["Khulna"],
                      "ADM1_PCODE": ["BD40"], "ADM0_EN": ["Bangladesh"], "ADM0_PCODE": ["BD"]},
                     geometry=[square], crs="EPSG:4326").to_file(cod)
    # OCHA's common COD-AB schema (HDX cod-ab-bgd v03, 2025): lower-case, every level
    # above the file's own beside it, the country by its ISO2 code.
    cod_v03 = tmp_path / "bgd_admin2.geojson"
    gpd.GeoDataFrame({"adm2_name": ["Bagerhat"], "adm2_name1": [None], "adm2_pcode": ["BD4001"],
                      "adm1_name": ["Khulna"], "adm1_pcode": ["BD40"],
                      "adm0_name": ["Bangladesh"], "adm0_pcode": ["BD"], "version": ["v03"]},
                     geometry=[square], crs="EPSG:4326").to_file(cod_v03)
    for path, code in ((gb, "BGD-ADM2-3"), (cod, "BD4001"), (cod_v03, "BD4001")):
        data = read_boundaries(path).data
        assert data[["admin_level", "iso3", "code", "name"]].values.tolist() == [
            [2, "BGD", code, "Bagerhat"]], path.name


def test_cod_ab_common_schema_takes_the_files_own_level(tmp_path):
    """A COD-AB file of upazilas (admin 3) names its districts and divisions too:
    the areas are the upazilas, at level 3; a divisions file's are at level 1."""
    import geopandas as gpd
    import shapely

    from data_sources.boundaries import read_boundaries

    square = shapely.box(89.5, 22.0, 90.0, 22.5)
    upazilas = tmp_path / "bgd_admin3.geojson"
    gpd.GeoDataFrame({"adm3_name": ["Mongla"], "adm3_pcode": ["BD400158"],
                      "adm2_name": ["Bagerhat"], "adm2_pcode": ["BD4001"],
                      "adm1_name": ["Khulna"], "adm1_pcode": ["BD40"], "adm0_pcode": ["BD"]},
                     geometry=[square], crs="EPSG:4326").to_file(upazilas)
    divisions = tmp_path / "bgd_admin1.geojson"
    gpd.GeoDataFrame({"adm1_name": ["Khulna"], "adm1_pcode": ["BD40"],
                      "adm0_name": ["Bangladesh"], "adm0_pcode": ["BD"]},
                     geometry=[square], crs="EPSG:4326").to_file(divisions)
    assert read_boundaries(upazilas).data[["admin_level", "iso3", "code", "name"]].values.tolist() \
        == [[3, "BGD", "BD400158", "Mongla"]]
    assert read_boundaries(divisions).data[["admin_level", "code", "name"]].values.tolist() == \
        [[1, "BD40", "Khulna"]]


def test_boundaries_without_a_name_column_are_named_by_code(tmp_path):
    import geopandas as gpd
    import shapely

    from data_sources.boundaries import read_boundaries

    path = tmp_path / "un_adm1.geojson"
    gpd.GeoDataFrame({"code": ["BD40"], "iso3": ["BGD"], "admin_level": ["1"]},
                     geometry=[shapely.box(89, 21.5, 90, 23)], crs="EPSG:4326").to_file(path)
    result = read_boundaries(path)
    assert result.data["name"].tolist() == ["BD40"]
    assert "named by their code" in result.warnings[0].reason


# -- Nothing dated after the scenario's as-of time is accepted silently -----------------------

def test_records_after_the_as_of_time_are_refused_with_the_reason(tmp_path, write_csv):
    from data_sources.scenario import load_scenario

    write_csv("incidents.csv", ["time", "lat", "lon", "category", "country"], [
        ["2026-09-29T10:00:00Z", "34.1", "71.1", "armed clash", "PAK"],
        ["2035-09-29T10:00:00Z", "34.2", "71.2", "armed clash", "PAK"],  # a misread year
    ])
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({
        "name": "test", "as_of": "2026-09-30T06:00:00Z", "layers": [
            {"name": "incidents", "file": "incidents.csv", "format": "points",
             "source": "test feed"}]}), encoding="utf-8")
    scenario = load_scenario(manifest)
    layer = scenario.layers["incidents"]
    assert len(layer.data) == 1 and layer.result.rejected == 1
    reason = layer.result.rejections[0].reason
    assert "dated 2035-09-29 10:00 UTC, after the scenario's as-of time" in reason


def test_a_manifest_chooses_the_band(tmp_path, three_bands):
    from data_sources.scenario import load_scenario

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"name": "t", "as_of": "2026-09-30T00:00:00Z", "layers": [
        {"name": "flood", "file": three_bands.name, "format": "raster", "source": "test",
         "options": {"band": 2, "variable": "flood_depth"}}]}), encoding="utf-8")
    layer = load_scenario(manifest).layers["flood"]
    assert float(layer.data.max()) == 2.0 and layer.result.warnings[0].reason == \
        "band 2 of 3 used"
