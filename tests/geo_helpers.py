"""Small hand-checkable rasters and areas for the geo tests."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from affine import Affine

# EPSG:6933 (EASE-Grid 2.0) is equal-area: a 1000 m cell is exactly 1 km².
EQUAL_AREA = "EPSG:6933"
X0, Y0 = 7_000_000.0, 3_000_000.0  # about 72.5 E, 23.6 N


def raster(values, crs=EQUAL_AREA, x0=X0, y0=Y0, res=1000.0, **attrs) -> xr.DataArray:
    values = np.asarray(values, dtype="float32")
    h, w = values.shape
    da = xr.DataArray(values, dims=("y", "x"),
                      coords={"y": y0 - res * (np.arange(h) + 0.5),
                              "x": x0 + res * (np.arange(w) + 0.5)}, attrs=attrs)
    return da.rio.write_crs(crs).rio.write_transform(Affine(res, 0, x0, 0, -res, y0))


def box(c0, r0, c1, r1, x0=X0, y0=Y0, res=1000.0):
    """Polygon covering columns c0..c1 and rows r0..r1 (exclusive ends) of a grid."""
    return shapely.box(x0 + c0 * res, y0 - r1 * res, x0 + c1 * res, y0 - r0 * res)


def centre(row, col, x0=X0, y0=Y0, res=1000.0):
    return shapely.Point(x0 + (col + 0.5) * res, y0 - (row + 0.5) * res)


def districts() -> gpd.GeoDataFrame:
    """West = columns 0-1, East = columns 2-3, both rows 0-2; row 3 is outside both."""
    return gpd.GeoDataFrame({"name": ["West", "East"]},
                            geometry=[box(0, 0, 2, 3), box(2, 0, 4, 3)], crs=EQUAL_AREA)


def write_sindh_districts(path: Path) -> None:
    """Two district boxes of an agency's own outlines (admin level 2, PAK), as
    GeoJSON: Karachi (no DEMO figure falls in it) and Hyderabad (flooded)."""
    boxes = {"PK-KHI": ("Karachi", [66.6, 24.7, 67.6, 25.6]),
             "PK-HYD": ("Hyderabad", [68.0, 25.2, 68.8, 25.8])}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"admin_level": 2, "iso3": "PAK", "code": code,
                                           "name": name},
         "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n],
                                                          [w, s]]]}}
        for code, (name, (w, s, e, n)) in boxes.items()]}), encoding="utf-8")
