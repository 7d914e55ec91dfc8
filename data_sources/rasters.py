"""Opening hazard and population rasters (GeoTIFF/COG, NetCDF) lazily.

The declared size is checked from the header before anything is read; the
pixels are only read when the caller computes on them. Nodata becomes NaN.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import rasterio
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from rasterio.errors import RasterioIOError

from model.i18n import N_
from model.schema import RASTER_VARIABLES, Notice, ReadResult

from .errors import CRSError, FormatError, RasterTooLargeError
from .textio import read_bytes

NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf")
TIFF_SUFFIXES = (".tif", ".tiff")

# Default limit on declared cells (bands x rows x columns x time steps); a
# header claiming more is refused. Override with SAMON_MAX_RASTER_CELLS.
DEFAULT_MAX_CELLS = 4_000_000_000


def max_cells() -> int:
    return int(os.environ.get("SAMON_MAX_RASTER_CELLS", DEFAULT_MAX_CELLS))


def _refuse_if_large(cells: int, path, limit: int | None) -> None:
    limit = max_cells() if limit is None else limit
    if cells > limit:
        raise RasterTooLargeError(
            N_("declares {count} cells, over the limit of {most} (set "
               "SAMON_MAX_RASTER_CELLS to raise it)"), path=path, count=cells, most=limit,
        )


def _annotate(da: xr.DataArray, variable: str | None, units: str | None, path) -> xr.DataArray:
    attrs = da.attrs
    variable = variable or attrs.get("variable")
    if variable is not None and variable not in RASTER_VARIABLES:
        raise FormatError(N_("unknown raster variable '{value}'; expected one of {choices}"),
                          path=path, field="variable", value=variable,
                          choices=", ".join(RASTER_VARIABLES))
    units = units or attrs.get("units") or (RASTER_VARIABLES.get(variable) if variable else None)
    da.attrs.update({
        "variable": variable or "unknown", "units": units or "unknown",
        "source": attrs.get("source", Path(path).name),
        "demo": str(attrs.get("demo", "false")).lower() in ("true", "1", "yes"),
    })
    return da


def _open_geotiff(path: Path | str, limit, band: int | None, notices: list[Notice]
                  ) -> xr.DataArray:
    try:
        with rasterio.open(path) as src:
            _refuse_if_large(src.count * src.width * src.height, path, limit)
            if src.crs is None:
                raise CRSError(N_("GeoTIFF has no CRS"), path=path)
            tags = src.tags()
            band_tags = src.tags(band if band and 1 <= band <= src.count else 1)
    except RasterioIOError as exc:
        raise FormatError(N_("cannot be read as a raster: {detail}"), path=path,
                          detail=str(exc)) from None
    opened = rioxarray.open_rasterio(path, masked=True)
    if not isinstance(opened, xr.DataArray):  # subdatasets (HDF, NetCDF): not a GeoTIFF
        raise FormatError(N_("holds several subdatasets; open it as NetCDF"), path=path)
    da = opened
    bands = da.sizes.get("band", 1)
    if band is not None and not 1 <= band <= bands:
        raise FormatError(N_("has {bands} band(s): band {band} does not exist"), path=path,
                          field="band", bands=bands, band=band)
    if bands > 1 and band is None:
        # Summing over every band would count each cell once per band.
        raise FormatError(N_("has {bands} bands; say which one (1 to {bands}) holds the values: "
                             "--band N on the command line, Band under Add data, or "
                             "\"options\": {{\"band\": N}} in a manifest"), path=path,
                          field="band", bands=bands)
    da = da.isel(band=(band or 1) - 1, drop=True)
    da.encoding["band"] = band or 1  # which band of the file, for workers that reopen it
    if bands > 1:
        notices.append(Notice("band", N_("band {band} of {bands} used"),
                              {"band": band, "bands": bands}))
    da.attrs.update({k.lower(): v for k, v in {**tags, **band_tags}.items()
                     if k.lower() in ("variable", "units", "source", "demo")})
    return da


def _north_up(da: xr.DataArray, y: str, notices: list[Notice]) -> xr.DataArray:
    """Rows from north to south, as every grid computation here expects. A file
    stored south to north (GDAL-written NetCDF, a positive y pixel size) is
    flipped on reading, and a notice says so."""
    values = da[y].values
    if values.size > 1 and values[1] > values[0]:
        notices.append(Notice(y, N_("rows stored south to north; flipped to north-up")))
        flipped = da.isel({y: slice(None, None, -1)})
        # The transform kept from the file describes the old order: derive it anew.
        return flipped.rio.write_transform(flipped.rio.transform(recalc=True))
    return da


def _longitudes_180(da: xr.DataArray, x: str, y: str, notices: list[Notice]
                    ) -> xr.DataArray:
    """Longitudes written 0..360 (a NetCDF convention) become -180..180, the
    columns reordered west to east, with a notice."""
    lon = da[x].values
    if lon.size == 0 or lon.max() <= 180:
        return da
    notices.append(Notice(x, N_("longitudes 0..360 normalised to -180..180")))
    wrapped = da.assign_coords({x: ((lon + 180) % 360) - 180}).sortby(x)
    wrapped = wrapped.rio.set_spatial_dims(x_dim=x, y_dim=y)
    return wrapped.rio.write_transform(wrapped.rio.transform(recalc=True))


def _spatial_dims(da: xr.DataArray, path) -> tuple[str, str]:
    for y, x in (("y", "x"), ("lat", "lon"), ("latitude", "longitude")):
        if y in da.dims and x in da.dims:
            return y, x
    raise FormatError(N_("variable '{variable}' has no lat/lon or y/x dimensions (it has {dims})"),
                      path=path, field=str(da.name), variable=str(da.name),
                      dims=", ".join(map(str, da.dims)))


def _open_netcdf(path: Path, variable_name: str | None, limit, notices: list[Notice]
                 ) -> xr.DataArray:
    try:
        ds = xr.open_dataset(path, engine="netcdf4", decode_coords="all", mask_and_scale=True)
    except (OSError, ValueError) as exc:
        raise FormatError(N_("cannot be read as NetCDF: {detail}"), path=path,
                          detail=str(exc)) from None
    candidates = [str(n) for n, var in ds.data_vars.items() if var.ndim >= 2]
    if variable_name is None:
        if not candidates:
            raise FormatError(N_("has no gridded variable"), path=path)
        variable_name = candidates[0]
    if variable_name not in ds:
        raise FormatError(N_("has no variable '{variable}' (it has {choices})"), path=path,
                          field=variable_name, variable=variable_name,
                          choices=", ".join(candidates))
    da = ds[variable_name]
    _refuse_if_large(int(np.prod([int(s) for s in da.shape])), path, limit)
    y, x = _spatial_dims(da, path)
    da = da.rio.set_spatial_dims(x_dim=x, y_dim=y)
    if da.rio.crs is None:
        if (x, y) in (("lon", "lat"), ("longitude", "latitude")):
            # CF: lat/lon coordinates with no grid mapping are geographic WGS84.
            da = da.rio.write_crs("EPSG:4326")
        else:
            raise CRSError(N_("has projected x/y coordinates but no CF grid_mapping"), path=path,
                           field=variable_name)
    extra = [d for d in da.dims if d not in (x, y, "time")]
    if extra:
        raise FormatError(N_("variable has dimensions {dims} besides time, y and x"), path=path,
                          field=variable_name, dims=", ".join(map(str, extra)))
    if "time" in da.dims:
        da = da.transpose("time", y, x)
    da = _north_up(da, y, notices)
    if da.rio.crs.is_geographic:
        da = _longitudes_180(da, x, y, notices)
    da.attrs.update({k: ds.attrs[k] for k in ("source", "demo") if k in ds.attrs})
    return da


def open_raster(
    path: str | Path,
    *,
    variable: str | None = None,
    units: str | None = None,
    netcdf_variable: str | None = None,
    max_cells: int | None = None,
    band: int | None = None,
) -> ReadResult[xr.DataArray]:
    """Open a GeoTIFF/COG or NetCDF raster lazily as a canonical DataArray.

    ``variable`` names what the values are (``flood_depth``, ``wind_speed`` ...)
    when the file does not say so in its tags or attributes; ``units`` likewise.
    A GeoTIFF with several bands needs ``band`` (1-based). Native CRS and
    transform are kept, rows run north to south (flipped when stored the other
    way, with a notice); nodata cells are NaN.
    """
    notices: list[Notice] = []
    if str(path).startswith(("https://", "http://")):
        # A cloud-optimised GeoTIFF on a server: GDAL reads its header, then only
        # the blocks a computation asks for, with HTTP range requests.
        da = _open_geotiff(str(path), max_cells, band, notices)
        da = _annotate(_north_up(da, "y", notices), variable, units,
                       str(path).rsplit("/", 1)[-1])
        return ReadResult("raster", "geotiff", str(path), da, [], notices)
    path = Path(path)
    _fail_if_missing_or_empty(path)
    suffix = path.suffix.lower()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        if suffix in NETCDF_SUFFIXES:
            da, fmt = _open_netcdf(path, netcdf_variable, max_cells, notices), "netcdf"
        else:
            da, fmt = _open_geotiff(path, max_cells, band, notices), "geotiff"
            da = _north_up(da, "y", notices)
    da = _annotate(da, variable, units, path)
    return ReadResult("raster", fmt, str(path), da, [], notices)


def _fail_if_missing_or_empty(path: Path) -> None:
    """Clear errors for a missing or empty file before GDAL or netCDF see it."""
    if not path.is_file() or path.stat().st_size == 0:
        read_bytes(path)
