"""Raster overlays: reprojected to Web Mercator, downsampled to screen size,
coloured by class, and embedded as a PNG."""

from __future__ import annotations

import base64
import io

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine
from PIL import Image
from pyproj import Transformer
from rasterio.enums import Resampling

from geo.kept import Kept

MAX_PIXELS = 1024  # longest side sent to the browser
# Rasters larger than this are first reduced block by block with dask (the
# maximum of each f x f cells), so that a 100,000 x 100,000 flood map is drawn
# without ever being read into memory whole.
MAX_DIRECT_CELLS = 64_000_000


# (raster identity, bins, colours) -> (data URL, bounds); rasters rarely change, and
# their images are kept for later processes too (a twentieth of a cold start).
_CACHE: Kept[tuple[str, list]] = Kept(16, stored_as="raster-images")


def to_png_overlay(da: xr.DataArray, bins: list[float], colours: list[str],
                   key: str | None = None) -> tuple[str, list]:
    """Colour ``da`` by ``bins`` (values below bins[0] and NaN are transparent):
    a PNG data URL and its bounds [[south, west], [north, east]].

    ``colours[i]`` is used for bins[i] <= value < bins[i + 1] (the last colour
    for everything above the last bin). Any CRS; shown in Web Mercator.
    ``key`` identifies the raster for caching the rendered image.
    """
    if key is None:
        return _render(da, bins, colours)
    return _CACHE.get_or((key, tuple(bins), tuple(colours)),
                         lambda: _render(da, bins, colours))


def classes_rgba(values: np.ndarray, bins, colours: list[str]) -> np.ndarray:
    """RGBA bytes of ``values``: ``colours[i]`` ("#rrggbb") where bins[i] <= value <
    bins[i + 1], the last colour from the last bin up; transparent below bins[0]
    and where NaN. (numpy alone: matplotlib took a third of a second to import.)"""
    palette = np.array([[int(c[k:k + 2], 16) for k in (1, 3, 5)] + [255] for c in colours],
                       dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        below = np.isnan(values) | (values < bins[0])
    rgba = palette[np.clip(np.digitize(values, bins) - 1, 0, len(colours) - 1)]
    rgba[below, 3] = 0
    return rgba


def _reduced(da: xr.DataArray) -> xr.DataArray:
    """``da`` itself when small; else the maximum of each f x f block, computed
    chunk by chunk (dask), f chosen to leave about twice the screen's pixels."""
    height, width = da.rio.height, da.rio.width
    if height * width <= MAX_DIRECT_CELLS:
        return da
    f = int(np.ceil(max(height, width) / (2 * MAX_PIXELS)))
    step = f * max(1, 4096 // f)  # chunks hold whole blocks
    coarse = da.chunk({da.rio.y_dim: step, da.rio.x_dim: step}).coarsen(
        {da.rio.y_dim: f, da.rio.x_dim: f}, boundary="trim").max().compute()
    t = da.rio.transform()
    coarse = coarse.rio.write_crs(da.rio.crs)
    return coarse.rio.write_transform(t * Affine.scale(f, f))


def _render(da: xr.DataArray, bins, colours) -> tuple[str, list]:
    da = _reduced(da)
    height, width = da.rio.height, da.rio.width
    shrink = max(max(height, width) / MAX_PIXELS, 1)
    shape = (max(1, int(height / shrink)), max(1, int(width / shrink)))
    # "max" keeps narrow flooded channels visible when downsampling.
    merc = da.rio.reproject("EPSG:3857", shape=shape, resampling=Resampling.max, nodata=np.nan)
    values = np.asarray(merc.values, dtype="float64")
    rgba = classes_rgba(values, bins, colours)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", optimize=True)
    west, south, east, north = merc.rio.bounds()
    to_lonlat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    lon0, lat0 = to_lonlat.transform(west, south)
    lon1, lat1 = to_lonlat.transform(east, north)
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return url, [[lat0, lon0], [lat1, lon1]]
