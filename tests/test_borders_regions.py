import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from data_sources.demo.geography import countries as natural_earth
from geo.borders import international_borders, nearest_border, pair_label
from geo.join import join_areas
from geo.regions import RegionError, corridor_region, parse_region, polygon_region

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def ne():
    return natural_earth()


@pytest.fixture(scope="module")
def ne_borders(ne):
    return international_borders(ne)


def two_squares():
    return gpd.GeoDataFrame({"iso3": ["AAA", "BBB"], "admin_level": [0, 0],
                             "code": ["AAA", "BBB"], "name": ["A", "B"]},
                            geometry=[shapely.box(70, 30, 71, 31), shapely.box(71, 30, 72, 31)],
                            crs="EPSG:4326")


def test_shared_edge_is_the_border():
    borders = international_borders(two_squares())
    assert borders["pair"].tolist() == ["AAA-BBB"]
    line = borders.geometry.iloc[0]
    assert line.length == pytest.approx(1.0, abs=1e-6)
    assert line.bounds[0] == pytest.approx(71) and line.bounds[2] == pytest.approx(71)
    # 1 degree of latitude along the 71 E meridian, 30-31 N: 110.9 km.
    assert borders["length_km"].iloc[0] == pytest.approx(110.9, rel=0.01)


def test_distance_to_square_border_is_geodesic():
    borders = international_borders(two_squares())
    pts = gpd.GeoSeries([shapely.Point(70.99, 30.5), shapely.Point(71.5, 30.5), None],
                        crs="EPSG:4326")
    out = nearest_border(pts, borders)
    expected = GEOD.inv(70.99, 30.5, 71.0, 30.5)[2] / 1000
    assert out["border_km"].iloc[0] == pytest.approx(expected, rel=1e-4)
    assert out["border_pair"].iloc[1] == "AAA-BBB"
    assert np.isnan(out["border_km"].iloc[2])


def test_point_1_km_from_afg_pak_border_reports_1_km(ne, ne_borders):
    line = ne_borders.set_index("pair").geometry["AFG-PAK"]
    line = shapely.line_merge(line)
    part = max(shapely.get_parts(line), key=lambda g: g.length)
    a = part.interpolate(0.5, normalized=True)
    b = part.interpolate(0.5 + 1e-4, normalized=True)
    azimuth, _, _ = GEOD.inv(a.x, a.y, b.x, b.y)
    pakistan = ne.set_index("iso3").geometry["PAK"]
    for side in (90, -90):
        lon, lat, _ = GEOD.fwd(a.x, a.y, azimuth + side, 1000)
        if pakistan.contains(shapely.Point(lon, lat)):
            break
    out = nearest_border(gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326"), ne_borders)
    assert out["border_pair"].iloc[0] == "AFG-PAK"
    assert out["border_km"].iloc[0] == pytest.approx(1.0, abs=0.05)


def test_pair_labels_sorted(ne_borders):
    assert pair_label("PAK", "AFG") == "AFG-PAK"
    assert {"AFG-PAK", "BGD-IND", "IND-PAK", "IND-NPL", "BTN-IND", "CHN-IND"} <= set(
        ne_borders["pair"])
    afg_pak = ne_borders.set_index("pair").loc["AFG-PAK", "length_km"]
    assert 1800 < afg_pak < 2700  # the Durand Line, generalised at 1:110m


def test_corridor_contains_near_not_far(ne):
    region = corridor_region(ne, 25, "PAK-AFG")
    assert region.label == "25 km either side of the AFG-PAK border"
    assert region.iso3 == ("AFG", "PAK")
    borders = international_borders(ne)
    part = max(shapely.get_parts(borders.set_index("pair").geometry["AFG-PAK"]),
               key=lambda g: g.length)
    mid = part.interpolate(0.5, normalized=True)
    b = part.interpolate(0.5 + 1e-4, normalized=True)
    az, _, _ = GEOD.inv(mid.x, mid.y, b.x, b.y)
    near = [shapely.Point(*GEOD.fwd(mid.x, mid.y, az + s, 10_000)[:2]) for s in (90, -90)]
    far = [shapely.Point(*GEOD.fwd(mid.x, mid.y, az + s, 40_000)[:2]) for s in (90, -90)]
    inside = region.contains(gpd.GeoSeries(near + far, crs="EPSG:4326"))
    assert inside.tolist() == [True, True, False, False]


def test_parse_region_variants(ne, tmp_path):
    assert parse_region("PAK", ne).iso3 == ("PAK",)
    assert parse_region("pak, afg", ne).whole_countries
    assert parse_region("border:BGD-IND:10km", ne).iso3 == ("BGD", "IND")
    assert "international" in parse_region("border:5km", ne).label
    path = tmp_path / "area.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(68, 24, 69, 25)], crs="EPSG:4326").to_file(path)
    assert parse_region(str(path), ne).geometry.area == pytest.approx(1.0)
    with pytest.raises(RegionError, match="not an ISO3 code"):
        parse_region("XYZ", ne)
    with pytest.raises(RegionError, match="no international border AFG-BGD"):
        parse_region("border:AFG-BGD:10km", ne)
    with pytest.raises(RegionError, match="needs a polygon"):
        polygon_region({"type": "Point", "coordinates": [70, 30]})
    with pytest.raises(RegionError, match="not longitude/latitude"):
        polygon_region({"type": "Polygon", "coordinates": [[[0, 0], [9e5, 0], [9e5, 9e5],
                                                            [0, 0]]]})


def test_join_keeps_points_outside_every_area():
    squares = two_squares()
    incidents = gpd.GeoDataFrame({"id": ["a", "b", "c"]}, geometry=[
        shapely.Point(70.5, 30.5), shapely.Point(71.5, 30.5), shapely.Point(80, 10)],
        crs="EPSG:4326")
    joined, outside = join_areas(incidents, squares, international_borders(squares))
    assert joined["area_code"].tolist()[:2] == ["AAA", "BBB"]
    assert joined["area_code"].isna().tolist() == [False, False, True]
    assert outside == 1 and len(joined) == 3
    assert joined["border_km"].iloc[0] == pytest.approx(
        GEOD.inv(70.5, 30.5, 71, 30.5)[2] / 1000, rel=1e-3)
