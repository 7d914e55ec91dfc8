import geopandas as gpd
import h3
import h3.api.numpy_int as h3i
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.getisord import G_Local
from libpysal.weights import W

from geo.borders import international_borders
from geo.hotspots import classify, getis_ord_gi_star, hotspots, top_hotspots
from geo.regions import finest_areas
from model.period import Period

END = pd.Timestamp("2026-09-30", tz="UTC")


def incidents_at(latlngs_days):
    return gpd.GeoDataFrame(
        {"time": [END - pd.Timedelta(days=d) for _, _, d in latlngs_days]},
        geometry=[shapely.Point(lng, lat) for lat, lng, _ in latlngs_days], crs="EPSG:4326")


def test_gi_star_matches_esda():
    centre = h3i.latlng_to_cell(30, 70, 6)
    cells = np.array(sorted(h3i.grid_disk(centre, 3)), dtype=np.uint64)
    rng = np.random.default_rng(0)
    y = rng.poisson(2, len(cells)).astype(float)
    y[:5] += 10
    pos = {int(c): i for i, c in enumerate(cells)}
    neighbours = {i: [pos[int(n)] for n in h3i.grid_disk(int(c), 1)
                      if int(n) in pos and int(n) != int(c)] for i, c in enumerate(cells)}
    reference = G_Local(y, W(neighbours, silence_warnings=True), transform="B", star=True,
                        permutations=0)
    z, p = getis_ord_gi_star(cells, y)
    np.testing.assert_allclose(z, reference.Zs, atol=1e-9)
    np.testing.assert_allclose(p, 2 * reference.p_norm, atol=1e-9)


def test_classes():
    z = np.array([3.0, 2.0, 1.7, 0.0, -1.7, -2.0, -3.0])
    assert list(classify(z)) == ["hot 99%", "hot 95%", "hot 90%", "not significant",
                                 "cold 90%", "cold 95%", "cold 99%"]


def test_cluster_is_hot_with_trend():
    # 12 incidents in one place (8 in the last 30 days), singles scattered around.
    cluster = [(34.11, 71.10, d) for d in (1, 2, 3, 5, 8, 13, 21, 29, 35, 40, 50, 55)]
    scattered = [(34.11 + dy, 71.10 + dx, 10) for dy, dx in
                 ((0.6, 0), (-0.6, 0), (0, 0.7), (0, -0.7), (0.5, 0.5), (-0.5, -0.5))]
    cells = hotspots(incidents_at(cluster + scattered), 7, period=Period.ending(END, days=60),
                     trend_days=30)
    hottest = cells.set_index("h3").loc[h3.latlng_to_cell(34.11, 71.10, 7)]
    # By hand: n = 49, mean = 18/49, S = sqrt(150/49 - mean^2) = 1.71058; the
    # cluster's star has 7 cells summing to 12:
    # z = (12 - 7 mean) / (S sqrt((49 * 7 - 49) / 48)) = 2.2271.
    assert hottest["count"] == 12
    assert hottest["gi_z"] == pytest.approx(2.2271, abs=1e-4)
    assert str(hottest["gi_class"]) == "hot 95%"
    # The scattered singles are not significant on their own.
    singles = cells[(cells["count"] == 1)]
    assert (singles["gi_class"].astype(str) == "not significant").all()
    assert (hottest["recent"], hottest["previous"], hottest["change"]) == (8, 4, 4)
    assert cells["count"].sum() == 18
    # The study area: the 7 cells with incidents plus their first rings (apart here).
    assert len(cells) == 7 * 7


def test_order_does_not_matter():
    rng = np.random.default_rng(3)
    pts = [(30 + rng.normal(0, 0.2), 70 + rng.normal(0, 0.2), rng.integers(0, 90))
           for _ in range(300)]
    a = hotspots(incidents_at(pts), 6, period=Period.ending(END, days=3650))
    b = hotspots(incidents_at(pts[::-1]), 6, period=Period.ending(END, days=3650))
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))


def test_default_trend_is_period_against_previous_period():
    pts = [(30, 70, 5), (30, 70, 6), (30, 70, 15), (30, 70, 25)]
    cells = hotspots(incidents_at(pts), 6, period=Period.ending(END, days=10))
    row = cells[cells["count"] > 0].iloc[0]
    assert (row["count"], row["recent"], row["previous"]) == (2, 2, 1)


def test_empty_selection_is_an_empty_table():
    cells = hotspots(incidents_at([(30, 70, 400)]), 6, period=Period.ending(END, days=30))
    assert cells.empty and "gi_class" in cells


def test_top_hotspots_name_their_border(demo):
    cells = hotspots(demo["incidents"], 6)
    countries = demo["boundaries"][demo["boundaries"]["admin_level"] == 0]
    top = top_hotspots(cells, international_borders(countries), 5)
    assert len(top) == 5
    assert top["gi_class"].astype(str).str.startswith("hot").all()
    assert top["gi_z"].is_monotonic_decreasing
    assert (top["border_km"] < 30).all() and top["border_pair"].notna().all()


def test_top_hotspots_say_where_they_are(demo):
    """Each hotspot is named by its nearest place (geodesic km) and the area
    holding its centre: hand-placed places, one on the hottest centre."""
    import geopandas as gpd
    import shapely

    cells = hotspots(demo["incidents"], 6)
    boundaries = demo["boundaries"]
    borders = international_borders(boundaries[boundaries["admin_level"] == 0])
    first = top_hotspots(cells, borders, 3)
    lon, lat = first["lon"].iloc[0], first["lat"].iloc[0]
    places = gpd.GeoDataFrame({"name": ["Here", "One degree north"]},
                              geometry=[shapely.Point(lon, lat), shapely.Point(lon, lat + 1)],
                              crs="EPSG:4326")
    top = top_hotspots(cells, borders, 3, places=places, areas=finest_areas(boundaries))
    assert top["place"].iloc[0] == "Here" and top["place_km"].iloc[0] == pytest.approx(0)
    # A degree of latitude is 110.6-111.7 km on the ellipsoid.
    far = top_hotspots(cells, borders, 1, places=places.iloc[[1]])
    assert 110.5 < far["place_km"].iloc[0] < 111.8
    # Named by the province holding it, with its country: provinces share names.
    holder = boundaries[(boundaries["admin_level"] == 1)
                        & boundaries.contains(shapely.Point(lon, lat))].iloc[0]
    assert top["area"].iloc[0] == f"{holder['name']} ({holder['iso3']})"
