"""The embedded DEMO scenario: deterministic, on real geography, read through the readers."""

import hashlib

import numpy as np
import pandas as pd
import pytest
import shapely

from data_sources.demo import GENERATOR_VERSION, LAYERS, write_scenario
from data_sources.demo.cyclone import track, wind_field, wind_radii
from data_sources.demo.geography import countries
from model.schema import INCIDENT_CATEGORIES, SAARC_ISO3


def test_every_layer_loads_without_rejections(demo):
    assert set(demo.layers) == set(LAYERS)
    for name, layer in demo.layers.items():
        assert layer.result.rejected == 0, name


def test_everything_synthetic_is_marked_demo(demo):
    assert demo.demo and "DEMO" in demo.name
    for name in ("incidents", "alerts", "tracks", "displacement"):
        data = demo[name]
        assert data["demo"].all(), name
        assert demo.layers[name].demo
    for name in ("flood", "wind", "population"):
        assert demo[name].attrs["demo"] is True
        assert "DEMO" in demo[name].attrs["source"]
        assert "DEMO" in demo.layers[name].result.path
    assert demo["incidents"]["notes"].str.startswith("DEMO:").all()
    assert demo["alerts"]["headline"].str.startswith("DEMO:").all()
    assert (demo["tracks"]["name"] == "DEMO").all()
    # Real reference data is labelled as real, with its origin.
    assert not demo.layers["boundaries"].demo and not demo["boundaries"]["demo"].any()
    assert "Natural Earth" in demo.layers["boundaries"].source
    assert demo.layers["boundaries"].updated is None


@pytest.mark.slow
def test_generation_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_scenario(a)
    write_scenario(b)
    for file, *_ in LAYERS.values():
        if file.endswith((".csv", ".geojson")):
            digest = [hashlib.sha256((d / file).read_bytes()).hexdigest() for d in (a, b)]
            assert digest[0] == digest[1], file


def test_cache_is_versioned(demo_root, demo):
    assert (demo_root / f"demo-v{GENERATOR_VERSION}" / "manifest.json").exists()


def test_incidents_near_borders_over_twelve_months(demo):
    inc = demo["incidents"]
    assert len(inc) == 3000
    assert set(inc["category"].unique()) <= set(INCIDENT_CATEGORIES)
    assert inc["time"].min() >= pd.Timestamp("2025-09-30T06:00Z")
    assert inc["time"].max() <= demo.as_of
    shapes = countries().set_index("iso3").geometry
    # Every incident lies in the country it is attributed to, within ~50 km of another.
    for iso3, group in inc.groupby("country"):
        own = shapes[iso3]
        assert own.buffer(1e-9).contains(group.geometry).all(), iso3
        others = shapely.union_all([g for k, g in shapes.items() if k != iso3])
        degrees = shapely.distance(group.geometry.values, others)
        assert (degrees < 0.5).all(), iso3
    # Unicode place names survive the round trip through CSV.
    assert inc["notes"].str.contains("বেনাপোল").any()
    assert inc["notes"].str.contains("طورخم").any()


def test_population_matches_natural_earth_totals(demo):
    pop = demo["population"]
    ne = countries().set_index("iso3")["pop_est"]
    saarc_total = ne.reindex(list(SAARC_ISO3)).sum()  # MDV absent at 1:110m
    maldives = float(pop.sel(x=slice(72.5, 74), y=slice(7.5, -1)).sum())
    assert 100_000 < maldives < 300_000  # Malé and Addu City from GeoNames
    assert float(pop.sum()) == pytest.approx(saarc_total + maldives, rel=1e-5)
    assert pop.rio.crs.to_epsg() == 4326 and pop.attrs["units"] == "people"


def test_flood_raster_lower_indus(demo):
    flood = demo["flood"]
    assert flood.rio.crs.to_epsg() == 32642
    assert flood.attrs["variable"] == "flood_depth" and flood.attrs["units"] == "m"
    values = flood.values
    assert np.isnan(values).any()  # an unobserved (cloud) patch is nodata, not dry
    assert 2.5 < np.nanmax(values) < 4.0
    # Sukkur (68.86E, 27.70N) sits on the river: flooded. Karachi is dry.
    sukkur = flood.sel(x=486_197, y=3_063_978, method="nearest").item()
    karachi = flood.sel(x=298_936, y=2_750_914, method="nearest").item()
    assert sukkur > 1.0 and karachi == 0.0


def test_cyclone_radii_agree_with_wind_field():
    fixes = track()
    peak = fixes.loc[fixes["wind_kt"].idxmax()]
    radii = wind_radii(peak, 34)
    for quadrant, bearing in {"ne": 45, "sw": 225}.items():
        from pyproj import Geod
        lon, lat, _ = Geod(ellps="WGS84").fwd(peak.lon, peak.lat, bearing,
                                               radii[quadrant] * 1852)
        inside = wind_field(peak, np.array([lon]), np.array([lat]))[0]
        lon2, lat2, _ = Geod(ellps="WGS84").fwd(peak.lon, peak.lat, bearing,
                                                 (radii[quadrant] + 2) * 1852)
        outside = wind_field(peak, np.array([lon2]), np.array([lat2]))[0]
        assert inside >= 34 > outside
    assert radii["ne"] > radii["sw"]  # stronger on the right of a northward-moving storm


def test_track_and_wind_raster(demo):
    tracks, wind = demo["tracks"], demo["wind"]
    assert tracks["wind_kt"].max() == 105
    assert tracks["time"].is_monotonic_increasing
    assert wind.dims == ("time", "lat", "lon") and wind.attrs["units"] == "kt"
    assert float(wind.max()) == pytest.approx(105, abs=1)


def test_displacement_tied_to_events(demo):
    disp = demo["displacement"]
    assert set(disp["cause"].unique()) == {"flood", "cyclone"}
    flood = disp[disp["cause"] == "flood"]
    assert set(flood["country"]) == {"PAK"}
    by_round = flood.groupby("date")["figure"].sum()
    assert by_round.idxmax() == pd.Timestamp("2026-09-08", tz="UTC")
    cyclone = disp[disp["cause"] == "cyclone"]
    assert set(cyclone["country"]) <= {"BGD", "IND", "MMR"}
    assert (disp["figure"] > 0).all()


def test_alerts(demo):
    alerts = demo["alerts"]
    assert sorted(alerts["hazard"].astype(str)) == ["cyclone", "earthquake", "flood"]
    assert alerts.set_index("hazard")["alert_level"].astype(str).to_dict() == {
        "flood": "red", "cyclone": "red", "earthquake": "green"}
