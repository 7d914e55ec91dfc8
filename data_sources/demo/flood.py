"""A monsoon flood over the lower Indus plains, as a flood-depth GeoTIFF in UTM 42N."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin
from scipy.ndimage import distance_transform_edt, gaussian_filter

FLOOD_CRS = "EPSG:32642"  # UTM zone 42N: flood products over Sindh come in UTM
FLOOD_RES = 500.0  # metres
NODATA = -9999.0

# The Indus from the Panjnad confluence to the sea (lon, lat), through
# Guddu, Sukkur, Mohenjo-daro, Sehwan, Kotri and Thatta.
INDUS = [
    (70.36, 28.95), (69.71, 28.42), (69.20, 28.05), (68.86, 27.70), (68.45, 27.45),
    (68.18, 27.28), (67.98, 26.85), (67.92, 26.40), (68.15, 25.90), (68.33, 25.37),
    (68.20, 25.00), (68.00, 24.75), (67.75, 24.40), (67.45, 24.10),
]
# Low-lying basins that filled: Manchar lake and the Dadu/Johi plain on the right
# bank, and the Jacobabad plain. (lon, lat, peak depth m, radius km)
BASINS = [(67.65, 26.42, 3.2, 28), (67.70, 26.85, 2.6, 30), (68.45, 28.25, 1.8, 35)]
# A patch the (fictional) satellite could not see through cloud: nodata.
CLOUD = (69.30, 26.20, 18)  # lon, lat, radius km


def flood_depth(rng: np.random.Generator):
    """Flood depth in metres on a 500 m UTM 42N grid; NaN where unobserved.

    Returns (array float32, affine transform).
    """
    to_utm = Transformer.from_crs("EPSG:4326", FLOOD_CRS, always_xy=True)
    x0, y1 = to_utm.transform(66.6, 29.4)
    x1, y0 = to_utm.transform(71.2, 23.7)
    west, north = np.floor(x0 / FLOOD_RES) * FLOOD_RES, np.ceil(y1 / FLOOD_RES) * FLOOD_RES
    width = int((x1 - west) // FLOOD_RES)
    height = int((north - y0) // FLOOD_RES)
    transform = from_origin(west, north, FLOOD_RES, FLOOD_RES)
    river = shapely.LineString([to_utm.transform(lon, lat) for lon, lat in INDUS])
    on_river = rasterio.features.rasterize([(river, 1)], out_shape=(height, width),
                                           transform=transform, all_touched=True, dtype="uint8")
    dist_km = distance_transform_edt(on_river == 0) * FLOOD_RES / 1000
    # Wide, shallow spreading along the river; deeper near the channel.
    texture = gaussian_filter(rng.standard_normal((height, width)), sigma=8)
    texture /= np.abs(texture).max()
    width_km = 14 + 10 * texture
    depth = np.clip(2.4 * (1 - dist_km / np.maximum(width_km, 4)), 0, None)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    xs, ys = rasterio.transform.xy(transform, rows.ravel(), cols.ravel())
    xs = np.asarray(xs).reshape(height, width)
    ys = np.asarray(ys).reshape(height, width)
    for lon, lat, peak, radius in BASINS:
        bx, by = to_utm.transform(lon, lat)
        reach = radius * 1000 * (1 + 0.35 * texture)  # ragged, not circular, edges
        d2 = ((xs - bx) ** 2 + (ys - by) ** 2) / reach**2
        depth = np.maximum(depth, peak * np.clip(1 - d2, 0, None) * (1 + 0.25 * texture))
    depth = np.where(depth < 0.05, 0.0, depth)
    cx, cy = to_utm.transform(CLOUD[0], CLOUD[1])
    cloud = (xs - cx) ** 2 + (ys - cy) ** 2 < (CLOUD[2] * 1000) ** 2
    depth = np.where(cloud, np.nan, np.round(depth, 2))
    return depth.astype("float32"), transform


def write_flood(path: Path, depth: np.ndarray, transform) -> None:
    profile = {
        "driver": "GTiff", "height": depth.shape[0], "width": depth.shape[1], "count": 1,
        "dtype": "float32", "crs": FLOOD_CRS, "transform": transform, "nodata": NODATA,
        "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.where(np.isnan(depth), NODATA, depth), 1)
        dst.update_tags(VARIABLE="flood_depth", UNITS="m", DEMO="true",
                        SOURCE="DEMO flood model (lower Indus, monsoon 2026)")
