import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pyproj import Geod

from geo import exposure as ex
from geo.exposure import OUTSIDE, ExposureError, exposure
from geo.grid import Grid
from tests.geo_helpers import EQUAL_AREA, box, centre, districts, raster

HAZARD = [[0, 1, 2, 3],
          [0, 1, 2, 3],
          [0, 0, 5, 5],
          [np.nan, 0, 5, 5]]
PEOPLE = np.arange(1, 17).reshape(4, 4)


def test_four_by_four_by_hand():
    incidents = gpd.GeoDataFrame(geometry=[centre(0, 3), centre(0, 0), centre(3, 3)],
                                 crs=EQUAL_AREA)
    displaced = gpd.GeoDataFrame({"figure": [100, 7]}, geometry=[centre(1, 2), centre(1, 1)],
                                 crs=EQUAL_AREA)
    result = exposure(raster(HAZARD, variable="flood_depth", units="m"), 2, districts(),
                      population=raster(PEOPLE), incidents=incidents, displaced=displaced)
    table = result.table.set_index("area")
    assert table.index.tolist() == ["West", "East", OUTSIDE]
    assert table["hazard_km2"].round(6).tolist() == [0.0, 6.0, 2.0]
    # East: cells 3, 4, 7, 8, 11, 12; outside: 15, 16.
    assert table["people_exposed"].round(3).tolist() == [0.0, 45.0, 31.0]
    assert table["incidents"].tolist() == [0, 1, 1]
    assert table["displaced"].tolist() == [0, 100, 0]
    assert result.totals["people_exposed"] == pytest.approx(76)
    assert str(result.notes[0]) == "Exposed: hazard flood_depth >= 2 m"


def test_places_instead_of_population_raster():
    places = gpd.GeoDataFrame({"population": [1000, 500, 70]},
                              geometry=[centre(2, 2), centre(0, 0), centre(3, 2)], crs=EQUAL_AREA)
    table = exposure(raster(HAZARD), 2, districts(), places=places).table
    assert table["people_exposed"].tolist() == [0, 1000, 70]


def test_population_in_another_crs_is_conserved():
    # Hazard: 100 x 100 cells of 1 km in UTM 43N; population: 0.1 degree cells in
    # EPSG:4326, well inside the hazard extent.
    hazard = raster(np.ones((100, 100)), crs="EPSG:32643", x0=300_000, y0=3_300_000)
    rng = np.random.default_rng(1)
    people = raster(rng.integers(0, 1000, (4, 4)), crs="EPSG:4326", x0=73.0, y0=29.6, res=0.1)
    areas = gpd.GeoDataFrame({"name": ["all"]},
                             geometry=[shapely.box(300_000, 3_200_000, 400_000, 3_300_000)],
                             crs="EPSG:32643")
    result = exposure(hazard, 1, areas, population=people)
    assert result.totals["people_exposed"] == pytest.approx(float(people.sum()), rel=1e-3)
    # 100 x 100 cells of 1 km² at UTM scale factor ~0.9997: true area a little larger.
    assert result.totals["hazard_km2"] == pytest.approx(10_000, rel=2e-3)


def test_a_regridded_population_is_kept_for_the_next_run(tmp_path, monkeypatch):
    """Re-gridded once, kept in the cache folder: a new process (caches emptied)
    reads it back instead of re-gridding, with the same figures; a population on
    the hazard's own grid is used as it is and not copied there."""
    monkeypatch.setenv("SAMON_CACHE_DIR", str(tmp_path))
    hazard = raster(np.ones((100, 100)), crs="EPSG:32643", x0=300_000, y0=3_300_000)
    people = raster(np.random.default_rng(1).integers(0, 1000, (4, 4)), crs="EPSG:4326",
                    x0=73.0, y0=29.6, res=0.1)
    areas = gpd.GeoDataFrame({"name": ["all"]},
                             geometry=[shapely.box(300_000, 3_200_000, 400_000, 3_300_000)],
                             crs="EPSG:32643")
    ex.clear_caches()
    first = exposure(hazard, 1, areas, population=people).table
    assert len(list((tmp_path / "grids").glob("*.tif"))) == 1
    ex.clear_caches()
    with monkeypatch.context() as patched:
        patched.setattr(ex, "_population_rows", lambda *a: pytest.fail("re-gridded again"))
        again = exposure(hazard, 1, areas, population=people).table
    pd.testing.assert_frame_equal(again, first)
    ex.clear_caches()
    exposure(raster(HAZARD), 2, districts(), population=raster(PEOPLE))
    assert len(list((tmp_path / "grids").glob("*.tif"))) == 1
    ex.clear_caches()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1000), target=st.sampled_from(["EPSG:4326", "EPSG:32643",
                                                          "EPSG:3857"]))
def test_same_answer_when_hazard_comes_in_another_crs(seed, target):
    # A smooth depth field (as real hazards are) in UTM 42N, warped to another CRS.
    rng = np.random.default_rng(seed)
    coarse = rng.random((10, 10))
    field = np.kron(coarse, np.ones((20, 20)))
    depth = raster(np.round(field * 2, 2), crs="EPSG:32642", x0=500_000,
                   y0=3_000_000, res=500)
    areas = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[
        shapely.box(510_000, 2_920_000, 560_000, 2_990_000),
        shapely.box(560_000, 2_920_000, 590_000, 2_990_000)], crs="EPSG:32642")
    direct = exposure(depth, 1.0, areas).table.set_index("area")["hazard_km2"]
    moved = exposure(depth.rio.reproject(target), 1.0, areas).table.set_index("area")
    for name in ("a", "b"):
        # Resampling moves block edges by up to a cell: 3% of these areas, at most.
        assert moved.loc[name, "hazard_km2"] == pytest.approx(direct[name], rel=0.03, abs=2)


def test_geographic_cell_areas_are_ellipsoidal():
    # The northern hemisphere in 10 degree cells adds up to half the WGS84 surface.
    grid = Grid.of(raster(np.zeros((9, 36)), crs="EPSG:4326", x0=-180, y0=90.0, res=10.0))
    rows, cols = np.meshgrid(np.arange(9), np.arange(36), indexing="ij")
    areas = grid.area_at(rows, cols)
    assert areas.sum() == pytest.approx(510_065_621.7 / 2, abs=1)
    assert (np.diff(areas[:, 0]) > 0).all()  # cells grow towards the equator
    # A 0.05 degree cell at 25 N agrees with a geodesic polygon area (edges this
    # short barely differ from parallels).
    small = Grid.of(raster(np.zeros((1, 1)), crs="EPSG:4326", x0=70, y0=25.05, res=0.05))
    geodesic, _ = Geod(ellps="WGS84").polygon_area_perimeter(
        [70, 70.05, 70.05, 70], [25, 25, 25.05, 25.05])
    assert small.area_at(np.array([0]), np.array([0]))[0] == pytest.approx(
        abs(geodesic) / 1e6, rel=1e-6)


def test_projected_cell_areas_follow_the_scale_factor():
    # UTM 42N, 1 km cells: at the central meridian (69 E) k = 0.9996, so a cell
    # is 1 / 0.9996^2 km²; 180 km east, k = 0.9996 (1 + x^2 / 2R^2) ~ 1.0000.
    grid = Grid.of(raster(np.zeros((10, 400)), crs="EPSG:32642", x0=300_000, y0=3_000_000))
    centre_col, east_col = 199.5, 379.5  # x = 500 km and 680 km
    at_cm, east = grid.area_at(np.array([5, 5]), np.array([centre_col, east_col]))
    assert at_cm == pytest.approx(1 / 0.9996**2, rel=2e-5)
    assert east == pytest.approx(1 / (0.9996 * (1 + 180**2 / (2 * 6371**2))) ** 2, rel=2e-5)


def test_overlay_is_cached_between_hazard_updates():
    ex.clear_caches()
    areas = districts()
    exposure(raster(HAZARD), 2, areas)
    first = next(iter(ex._OVERLAYS.values()))
    exposure(raster(np.array(HAZARD) * 2), 2, areas)  # a new hazard on the same grid
    assert len(ex._OVERLAYS) == 1 and next(iter(ex._OVERLAYS.values())) is first


def test_errors_are_clear():
    far = gpd.GeoDataFrame({"name": ["far"]}, geometry=[shapely.box(0, 0, 10, 10)],
                           crs=EQUAL_AREA)
    with pytest.raises(ExposureError, match="does not overlap"):
        exposure(raster(HAZARD), 1, far)
    with pytest.raises(ExposureError, match="no field 'district'"):
        exposure(raster(HAZARD), 1, districts(), "district")


def test_time_dimension_max_or_one_step():
    da = raster(HAZARD)
    stack = np.stack([np.zeros((4, 4)), np.array(HAZARD)])
    timed = da.expand_dims(time=pd.date_range("2026-09-25", periods=2, freq="6h")).copy(
        data=stack)
    assert exposure(timed, 2, districts()).totals["hazard_km2"] == pytest.approx(8)
    first = exposure(timed, 2, districts(), time=pd.Timestamp("2026-09-25T01:00Z"))
    assert first.totals["hazard_km2"] == 0
    assert "step nearest 2026-09-25 01:00 UTC" in str(first.notes[1])


@settings(max_examples=30, deadline=None)
@given(values=arrays(np.float32, (8, 8), elements=st.floats(0, 5, width=32)),
       people=arrays(np.float32, (8, 8), elements=st.floats(0, 100, width=32)),
       cut=st.integers(1, 7), threshold=st.floats(0, 5), order=st.permutations([0, 1, 2]))
def test_sums_tile_and_order_does_not_matter(values, people, cut, threshold, order):
    areas = gpd.GeoDataFrame({"name": ["left", "right", "strip"]}, geometry=[
        box(0, 0, cut, 6), box(cut, 0, 8, 6), box(0, 6, 8, 7)], crs=EQUAL_AREA)
    result = exposure(raster(values), threshold, areas, population=raster(people))
    hit = values >= threshold
    assert result.totals["hazard_km2"] == pytest.approx(hit.sum(), rel=1e-6, abs=1e-6)
    assert result.totals["people_exposed"] == pytest.approx(float(people[hit].sum()), rel=1e-5,
                                                            abs=1e-3)
    shuffled = exposure(raster(values), threshold, areas.iloc[list(order)],
                        population=raster(people)).table.set_index("area")
    assert shuffled.loc[result.table["area"]].to_numpy() == pytest.approx(
        result.table.set_index("area").to_numpy())
    outside = result.table.set_index("area").loc[OUTSIDE]
    assert outside["hazard_km2"] == pytest.approx(hit[7].sum())


def test_grid_rejects_raster_without_crs():
    from geo.grid import GridError
    da = raster(HAZARD)
    da = da.drop_vars("spatial_ref")
    with pytest.raises(GridError, match="no CRS"):
        Grid.of(da)





def test_large_grids_go_to_disk_with_the_same_answer(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMON_IN_MEMORY_CELLS", "4")  # every grid counts as large here
    monkeypatch.setenv("SAMON_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(ex, "BLOCK_CELLS", 5)  # blocks of one row
    ex.clear_caches()
    result = exposure(raster(HAZARD), 2, districts(), population=raster(PEOPLE))
    assert result.table["people_exposed"].round(3).tolist() == [0.0, 45.0, 31.0]
    assert result.table["hazard_km2"].round(6).tolist() == [0.0, 6.0, 2.0]
    # The re-gridded population went to disk.
    assert len(list((tmp_path / "grids").glob("*.tif"))) == 1
    ex.clear_caches()


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.integers(3, 30), st.floats(0.01, 0.5), st.integers(3, 40),
       st.integers(3, 40), st.floats(0.003, 0.4), st.floats(-1.0, 1.0), st.floats(-1.0, 1.0),
       st.integers(0, 2**32 - 1))
def test_regridding_in_one_crs_weighs_each_cell_by_its_overlap(h, w, res, th, tw, tres, dx,
                                                               dy, seed):
    """The separable re-gridding (two grids in one CRS) against the definition:
    each target cell gets every source cell's value times the share of that
    cell's rectangle inside it. (GDAL's 'sum' resampling, used across CRSs,
    approximates it: hypothesis found edge cells where it gives half.)"""
    import xarray as xr
    from affine import Affine

    from geo.grid import _align_sum_rectilinear

    values = np.random.default_rng(seed).random((h, w)) * 1000
    source = xr.DataArray(values, dims=("y", "x"), coords={
        "y": 30.0 - res * (np.arange(h) + 0.5), "x": 70.0 + res * (np.arange(w) + 0.5)}
    ).rio.write_crs("EPSG:4326")
    grid = Grid(source.rio.crs.to_wkt(), Affine(tres, 0, 70.0 + dx, 0, -tres, 30.0 + dy), th, tw)

    def overlap(s_edges, d_edges):  # [target, source] lengths of interval overlaps
        s_lo, s_hi = np.sort(np.stack([s_edges[:-1], s_edges[1:]]), axis=0)
        d_lo, d_hi = np.sort(np.stack([d_edges[:-1], d_edges[1:]]), axis=0)
        return np.clip(np.minimum(d_hi[:, None], s_hi) - np.maximum(d_lo[:, None], s_lo), 0,
                       None) / (s_hi - s_lo)

    oy = overlap(30.0 - res * np.arange(h + 1), 30.0 + dy - tres * np.arange(th + 1))
    ox = overlap(70.0 + res * np.arange(w + 1), 70.0 + dx + tres * np.arange(tw + 1))
    expected = np.einsum("iI,jJ,IJ->ij", oy, ox, values)
    ours = _align_sum_rectilinear(values.astype("float32"), Grid.of(source), grid, 0, th)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-2)
