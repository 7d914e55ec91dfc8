"""Distances and buffers in kilometres, never degrees.

South Asia spans 5-38 N; we measure in an equidistant conic projection fitted
to the region (``SOUTH_ASIA_EQDC``, standard parallels 12 N and 32 N, scale
error under 1.5 % from 0 to 40 N) to find nearest points quickly, then report
the geodesic (WGS84 ellipsoid) distance between the points found.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod, Transformer

from model.schema import SOUTH_ASIA_EQDC

GEOD = Geod(ellps="WGS84")
_FROM_EQDC = Transformer.from_crs(SOUTH_ASIA_EQDC, "EPSG:4326", always_xy=True)
# Made once: a GeoSeries.to_crs makes its transformer at every call (10 - 20 ms).
_TO_EQDC = Transformer.from_crs("EPSG:4326", SOUTH_ASIA_EQDC, always_xy=True)


def to_metric(geoms: np.ndarray) -> np.ndarray:
    """Shapes in degrees (EPSG:4326) -> SOUTH_ASIA_EQDC metres."""
    return shapely.transform(geoms, lambda xy: np.column_stack(
        _TO_EQDC.transform(xy[:, 0], xy[:, 1])))


def from_metric(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres in SOUTH_ASIA_EQDC -> degrees (EPSG:4326)."""
    return _FROM_EQDC.transform(x, y)


def geodesic_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Ellipsoidal distance in km between paired points given in degrees."""
    _, _, metres = GEOD.inv(np.asarray(lon1, float), np.asarray(lat1, float),
                            np.asarray(lon2, float), np.asarray(lat2, float))
    return np.asarray(metres) / 1000.0


def nearest_place(lon: np.ndarray, lat: np.ndarray, places) -> tuple[np.ndarray, np.ndarray]:
    """For each point (degrees): the name of the nearest place of ``places`` (a
    GeoDataFrame of points with a ``name``) and its geodesic distance in km.

    The nearest is found on the sphere (haversine, vectorised); its distance is
    then measured on the ellipsoid. Meant for a handful of points (hotspots)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    if len(places) == 0 or len(lon) == 0:
        return np.full(len(lon), None, dtype=object), np.full(len(lon), np.nan)
    plon, plat = shapely.get_x(places.geometry.values), shapely.get_y(places.geometry.values)
    px, py = np.radians(plon)[None, :], np.radians(plat)[None, :]
    x, y = np.radians(lon)[:, None], np.radians(lat)[:, None]
    chord = (np.sin((py - y) / 2) ** 2
             + np.cos(y) * np.cos(py) * np.sin((px - x) / 2) ** 2)  # haversine, monotonic
    best = chord.argmin(axis=1)
    km = geodesic_km(lon, lat, plon[best], plat[best])
    return places["name"].to_numpy(dtype=object)[best], km
