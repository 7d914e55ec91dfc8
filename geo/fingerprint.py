"""Cheap, stable identities for inputs, used as cache keys."""

from __future__ import annotations

import hashlib
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from .kept import KeptFor

# Shapes with this many positions or more are hashed once per object (geometries
# are never changed): a country outline comes back with every filter change.
LARGE_SHAPE = 256
_LARGE: KeptFor[bytes] = KeptFor(4096)
_TABLES: KeptFor[str] = KeptFor(256)


def of_raster(da: xr.DataArray) -> str:
    """A file-backed raster is known by path, size and modification time; an
    in-memory one by a hash of its values."""
    source = da.encoding.get("source")
    if source and os.path.exists(source):
        st = os.stat(source)
        return f"{source}:{st.st_size}:{st.st_mtime_ns}:{da.shape}"
    digest = hashlib.sha1(np.ascontiguousarray(da.values).tobytes())
    digest.update(str(da.rio.transform()).encode())
    return digest.hexdigest()


def of_frame(frame: gpd.GeoDataFrame, columns: list[str]) -> str:
    """Hash of geometries (WKB; a large shape's digest instead), CRS and the given columns."""
    digest = hashlib.sha1(str(frame.crs).encode())
    geoms = np.asarray(frame.geometry.values, dtype=object)
    large = shapely.get_num_coordinates(geoms) >= LARGE_SHAPE
    small = geoms.copy()
    small[large] = None  # hashed whole below, once per object
    for geom, wkb, is_large in zip(geoms, shapely.to_wkb(small), large, strict=True):
        digest.update(of_shape(geom) if is_large else wkb or b"")
    for col in columns:
        digest.update(pd.util.hash_pandas_object(frame[col], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def of_table(frame: gpd.GeoDataFrame, columns: list[str]) -> str:
    """``of_frame`` of a frame that is never changed once made (a scenario's
    table, or one kept from it and shared by every summary of that data):
    worked out once per object."""
    return _TABLES.get_or(frame, tuple(columns), lambda: of_frame(frame, columns))


def of_shape(geom: shapely.Geometry) -> bytes:
    """A digest of one geometry's WKB (a large one's worked out once per object)."""
    if shapely.get_num_coordinates(geom) < LARGE_SHAPE:
        return _wkb_digest(geom)
    return _LARGE.get_or(geom, "wkb", lambda: _wkb_digest(geom))


def _wkb_digest(geom: shapely.Geometry) -> bytes:
    return hashlib.blake2b(shapely.to_wkb(geom), digest_size=16).digest()
