import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.cyclones import fallback_radius_nmi, landfall, track_lines, wind_swaths

T0 = pd.Timestamp("2026-09-26T00:00Z")


def storm(points, radii=60.0, wind=80.0):
    """Fixes 6 h apart at (lon, lat); the same r34 in every quadrant."""
    rows = []
    for i in range(len(points)):
        row = {"storm_id": "S1", "name": "TEST", "time": T0 + pd.Timedelta(hours=6 * i),
               "wind_kt": wind - 10 * i, "pressure_hpa": 960.0 + i, "demo": False}
        for q in ("ne", "se", "sw", "nw"):
            row[f"r34_{q}"] = radii
            row[f"r50_{q}"] = np.nan
            row[f"r64_{q}"] = np.nan
        rows.append(row)
    return gpd.GeoDataFrame(rows, geometry=[shapely.Point(p) for p in points], crs="EPSG:4326")


def test_swath_from_radii_is_a_stadium():
    # Two fixes 1 degree of latitude apart, 60 nmi (111.12 km) radii everywhere:
    # a stadium of area pi r^2 + 2 r d.
    swaths = wind_swaths(storm([(88.0, 20.0), (88.0, 21.0)]), thresholds=(34,))
    r, d = 111.12, 110.7
    assert swaths["area_km2"].iloc[0] == pytest.approx(np.pi * r**2 + 2 * r * d, rel=0.01)
    assert swaths["radii_source"].iloc[0] == "track radii"


def test_fallback_radii_when_track_has_none():
    tracks = storm([(88.0, 20.0), (88.2, 20.5)], radii=np.nan, wind=90)
    swaths = wind_swaths(tracks).set_index("threshold_kt")
    assert (swaths["radii_source"] == "fallback from intensity").all()
    assert swaths.loc[34, "area_km2"] > swaths.loc[50, "area_km2"] > swaths.loc[64, "area_km2"]
    # r_k = Rmax (V / k)^(1 / 0.55), Rmax = 35 - 0.18 V
    assert fallback_radius_nmi(90, 34) == pytest.approx(18.8 * (90 / 34) ** (1 / 0.55))
    assert np.isnan(fallback_radius_nmi(30, 34))


def test_track_line_and_landfall():
    land = gpd.GeoDataFrame({"iso3": ["BGD"]}, geometry=[shapely.box(87, 21.5, 92, 26)],
                            crs="EPSG:4326")
    tracks = storm([(88.0, 20.0), (88.0, 21.0), (88.0, 22.0), (88.0, 23.0)])
    line = track_lines(tracks).iloc[0]
    assert line["max_wind_kt"] == 80 and line["min_pressure_hpa"] == 960
    assert line.geometry.length == pytest.approx(3.0)
    hit = landfall(tracks, land).iloc[0]
    # Crosses 21.5 N halfway between the 06 and 12 UTC fixes.
    assert hit["time"] == T0 + pd.Timedelta(hours=9)
    assert (hit["lat"], hit["country"]) == (pytest.approx(21.5), "BGD")
    assert hit["wind_kt"] == pytest.approx(65)


def test_demo_swaths_nest(demo):
    swaths = wind_swaths(demo["tracks"]).set_index("threshold_kt")
    assert swaths.geometry[34].contains(swaths.geometry[50].buffer(-0.01))
    assert swaths.geometry[50].contains(swaths.geometry[64].buffer(-0.01))


def test_people_exposed_under_each_swath():
    from geo.cyclones import swath_exposure
    from tests.geo_helpers import raster

    # Population: 10 x 10 cells of 0.1 degree, 100 people each, around 88-89 E, 20-21 N.
    people = raster(np.full((10, 10), 100.0), crs="EPSG:4326", x0=88.0, y0=21.0, res=0.1)
    swaths = gpd.GeoDataFrame(
        {"storm_id": ["S1", "S1"], "threshold_kt": [34, 64]},
        geometry=[shapely.box(88.0, 20.0, 88.5, 21.0), shapely.box(88.0, 20.0, 88.2, 20.2)],
        crs="EPSG:4326")
    areas = gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=[
        shapely.box(88.0, 20.0, 88.3, 21.0), shapely.box(88.3, 20.0, 89.0, 21.0)],
        crs="EPSG:4326")
    table = swath_exposure(swaths, people, areas).set_index(["threshold_kt", "area"])
    # 34 kt: columns 0-4 of 10 rows; west has columns 0-2, east 3-4.
    assert table.loc[(34, "west"), "people_exposed"] == pytest.approx(3000)
    assert table.loc[(34, "east"), "people_exposed"] == pytest.approx(2000)
    assert table.loc[(64, "west"), "people_exposed"] == pytest.approx(400)
    assert table.loc[(64, "east"), "people_exposed"] == 0


def test_a_storm_between_two_fixes_is_interpolated_in_time():
    """Halfway in time between two fixes: halfway in position, intensity and
    radii; a threshold the storm does not reach has no radius."""
    import geopandas as gpd
    import pandas as pd
    import pytest
    import shapely

    from geo.cyclones import NMI_M, storm_at

    t0 = pd.Timestamp("2026-09-25 00:00", tz="UTC")
    tracks = gpd.GeoDataFrame({
        "storm_id": ["S1", "S1"], "name": ["TEST", "TEST"],
        "time": [t0, t0 + pd.Timedelta(hours=6)],
        "wind_kt": [40.0, 60.0], "pressure_hpa": [990.0, 980.0],
        **{f"r34_{q}": [100.0, 140.0] for q in ("ne", "se", "sw", "nw")},
    }, geometry=[shapely.Point(88.0, 18.0), shapely.Point(90.0, 20.0)], crs="EPSG:4326")
    step = storm_at(tracks, t0 + pd.Timedelta(hours=3))
    assert list(step["threshold_kt"]) == [34, 50]  # 50 kt: the fallback; 64 kt: not reached
    row = step.iloc[0]
    assert (row["lon"], row["lat"], row["wind_kt"]) == (89.0, 19.0, 50.0)
    assert row["radii_source"] == "track radii"
    # A 120 nmi circle (the radius halfway), drawn as four 12-point arcs.
    area = abs(gpd.GeoSeries([row["geometry"]], crs="EPSG:4326").to_crs(
        "+proj=aeqd +lat_0=19 +lon_0=89").area.iloc[0])
    assert area == pytest.approx(3.14159 * (120 * NMI_M) ** 2, rel=0.03)
    assert storm_at(tracks, t0 - pd.Timedelta(hours=1)).empty  # before the track
