import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from data_sources.errors import CRSError, FormatError, RasterTooLargeError
from data_sources.rasters import open_raster


def write_tif(path, array, crs="EPSG:32642", nodata=-9999.0, tags=None, **extra):
    profile = {"driver": "GTiff", "height": array.shape[0], "width": array.shape[1],
               "count": 1, "dtype": "float32", "crs": crs, "nodata": nodata,
               "transform": from_origin(500000, 3000000, 1000, 1000), **extra}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array.astype("float32"), 1)
        if tags:
            dst.update_tags(**tags)
    return path


def test_geotiff_in_utm_keeps_crs_and_masks_nodata(tmp_path):
    depth = np.array([[0.0, 1.5], [-9999.0, 3.0]])
    path = write_tif(tmp_path / "flood.tif", depth, tags={"VARIABLE": "flood_depth"})
    result = open_raster(path)
    da = result.data
    assert result.format == "geotiff"
    assert da.rio.crs.to_epsg() == 32642
    assert da.rio.transform() == from_origin(500000, 3000000, 1000, 1000)
    assert da.attrs["variable"] == "flood_depth" and da.attrs["units"] == "m"
    values = da.values
    assert np.isnan(values[1, 0])
    assert np.nansum(values) == pytest.approx(4.5)


def test_opening_is_lazy(tmp_path):
    path = write_tif(tmp_path / "big.tif", np.zeros((512, 512)), tiled=True,
                     blockxsize=256, blockysize=256)
    da = open_raster(path, variable="flood_depth").data
    assert not isinstance(da.variable._data, np.ndarray)  # nothing read yet
    assert float(da[:2, :2].sum()) == 0.0


def test_declared_size_over_limit_refused_before_reading(tmp_path):
    # A sparse 200,000 x 200,000 GeoTIFF is a few hundred bytes on disk.
    path = tmp_path / "huge.tif"
    profile = {"driver": "GTiff", "height": 200_000, "width": 200_000, "count": 1,
               "dtype": "uint8", "crs": "EPSG:4326", "transform": from_origin(60, 38, 1e-4, 1e-4),
               "tiled": True, "sparse_ok": True, "compress": "deflate"}
    with rasterio.open(path, "w", **profile):
        pass
    assert path.stat().st_size < 10_000_000
    with pytest.raises(RasterTooLargeError, match="40,000,000,000 cells, over the limit"):
        open_raster(path)
    with pytest.raises(RasterTooLargeError, match="over the limit of 1,000"):
        open_raster(write_tif(tmp_path / "s.tif", np.zeros((40, 40))), max_cells=1000)


def test_geotiff_without_crs_is_refused(tmp_path):
    path = write_tif(tmp_path / "nocrs.tif", np.zeros((2, 2)), crs=None)
    with pytest.raises(CRSError, match="nocrs.tif: GeoTIFF has no CRS"):
        open_raster(path)


def test_unknown_variable_is_refused(tmp_path):
    path = write_tif(tmp_path / "x.tif", np.zeros((2, 2)))
    with pytest.raises(FormatError, match="unknown raster variable 'snow'"):
        open_raster(path, variable="snow")


def test_not_a_raster(tmp_path):
    path = tmp_path / "fake.tif"
    path.write_text("hello")
    with pytest.raises(FormatError, match="fake.tif: cannot be read as a raster"):
        open_raster(path)


def wind_dataset(dims=("time", "lat", "lon")):
    lat = np.array([22.5, 22.0, 21.5])
    lon = np.array([88.0, 88.5])
    times = pd.date_range("2026-09-26", periods=2, freq="6h")
    data = np.arange(12, dtype="float32").reshape(2, 3, 2)
    data[0, 0, 0] = -999.0
    da = xr.DataArray(data, dims=("time", "lat", "lon"),
                      coords={"time": times, "lat": lat, "lon": lon}, name="ws",
                      attrs={"units": "kt"})
    da["lat"].attrs["units"] = "degrees_north"
    da["lon"].attrs["units"] = "degrees_east"
    return da.transpose(*dims).to_dataset()


def test_netcdf_lat_lon_time_is_geographic(tmp_path):
    path = tmp_path / "wind.nc"
    wind_dataset(("lat", "lon", "time")).to_netcdf(
        path, encoding={"ws": {"_FillValue": -999.0}})
    result = open_raster(path, variable="wind_speed")
    da = result.data
    assert result.format == "netcdf"
    assert da.dims == ("time", "lat", "lon")  # time first, whatever the file's order
    assert da.rio.crs.to_epsg() == 4326
    assert da.attrs["units"] == "kt"
    assert np.isnan(da.values[0, 0, 0]) and da.values[1, 2, 1] == 11.0


def test_netcdf_projected_without_grid_mapping_is_refused(tmp_path):
    ds = wind_dataset().rename({"lat": "y", "lon": "x"})
    path = tmp_path / "xy.nc"
    ds.to_netcdf(path)
    with pytest.raises(CRSError, match="no CF grid_mapping"):
        open_raster(path)


def test_netcdf_named_variable_missing(tmp_path):
    path = tmp_path / "w.nc"
    wind_dataset().to_netcdf(path)
    with pytest.raises(FormatError, match="has no variable 'rain' \\(it has ws\\)"):
        open_raster(path, netcdf_variable="rain")


def test_netcdf_size_limit_from_header(tmp_path):
    path = tmp_path / "w.nc"
    wind_dataset().to_netcdf(path)
    with pytest.raises(RasterTooLargeError, match="12 cells"):
        open_raster(path, max_cells=10)
