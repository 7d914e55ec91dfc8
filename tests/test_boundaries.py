import zipfile

import geopandas as gpd
import pytest
import shapely

from data_sources.boundaries import read_boundaries, read_places
from data_sources.errors import FormatError

SQUARE = shapely.box(68, 24, 69, 25)


def admin_frame():
    return gpd.GeoDataFrame(
        {"ADM1_EN": ["Sindh", "ܐ", "Punjab"], "ADM1_PCODE": ["PK2", "PK9", "PK3"],
         "ADM0_PCODE": ["PK", "PK", "PK"]},
        geometry=[SQUARE, shapely.Point(68, 24), shapely.box(70, 28, 71, 29)], crs="EPSG:4326",
    )


@pytest.mark.parametrize("suffix,driver", [(".gpkg", "GPKG"), (".geojson", "GeoJSON")])
def test_cod_ab_boundaries_round_trip(tmp_path, suffix, driver):
    path = tmp_path / f"adm1{suffix}"
    admin_frame().to_file(path, driver=driver)
    result = read_boundaries(path)
    data = result.data
    assert data["name"].tolist() == ["Sindh", "Punjab"]
    assert data["code"].tolist() == ["PK2", "PK3"]
    assert data["iso3"].tolist() == ["PAK", "PAK"]
    assert data["admin_level"].tolist() == [1, 1]
    assert data.geometry.iloc[0].equals(SQUARE)
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (2, "geometry", "Point is not a polygon")]


def test_zipped_shapefile_in_utm_is_reprojected(tmp_path):
    frame = gpd.GeoDataFrame({"shapeName": ["Dhaka"], "shapeISO": ["BD-C"], "shapeID": ["X1"],
                              "shapeGroup": ["BGD"], "shapeType": ["ADM1"]},
                             geometry=[shapely.box(90, 23, 91, 24)], crs="EPSG:4326")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    frame.to_crs("EPSG:32646").to_file(shp_dir / "bgd_adm1.shp")
    archive = tmp_path / "bgd_adm1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    data = read_boundaries(archive).data
    assert (data["name"].iloc[0], data["iso3"].iloc[0], data["admin_level"].iloc[0]) == (
        "Dhaka", "BGD", 1)
    assert data.geometry.iloc[0].bounds == pytest.approx((90, 23, 91, 24), abs=1e-6)


def test_boundaries_without_name_column(tmp_path):
    path = tmp_path / "x.geojson"
    gpd.GeoDataFrame({"foo": [1]}, geometry=[SQUARE], crs="EPSG:4326").to_file(path)
    with pytest.raises(FormatError, match="has no area name column"):
        read_boundaries(path)


def test_not_a_vector_file(tmp_path):
    path = tmp_path / "x.gpkg"
    path.write_text("not a geopackage")
    with pytest.raises(FormatError, match="x.gpkg: cannot be read as a vector file"):
        read_boundaries(path)


def test_places_geonames_layout(write_csv):
    path = write_csv("cities.csv", ["geonameid", "name", "latitude", "longitude", "countrycode",
                                    "population"], [
        ["1174872", "Karachi", "24.8608", "67.0104", "PK", "11624219"],
        ["1", "মালে", "4.1752", "73.5092", "MV", "103693"],
        ["2", "Nowhere", "4.1", "73.5", "MV", "-3"],
    ])
    result = read_places(path)
    assert result.data["name"].tolist() == ["Karachi", "মালে"]
    assert result.data["country"].tolist() == ["PAK", "MDV"]
    assert result.data["source"].unique().tolist() == ["GeoNames"]
    assert [(r.row, r.field) for r in result.rejections] == [(4, "population")]
