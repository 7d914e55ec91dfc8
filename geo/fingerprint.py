"""Cheap, stable identities for inputs, used as cache keys."""

from __future__ import annotations

import hashlib
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr


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
    """Hash of geometries (WKB), CRS and the given columns."""
    digest = hashlib.sha1(str(frame.crs).encode())
    for wkb in shapely.to_wkb(frame.geometry.values):
        digest.update(wkb or b"")
    for col in columns:
        digest.update(pd.util.hash_pandas_object(frame[col], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def of_shape(geom: shapely.Geometry) -> bytes:
    """A digest of one geometry's WKB."""
    return hashlib.blake2b(shapely.to_wkb(geom), digest_size=16).digest()
