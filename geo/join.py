"""Incidents joined to admin areas and to the nearest international border."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .borders import nearest_border


def area_index(points: gpd.GeoSeries, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Position (0-based) in ``areas`` of the area containing each point; -1 when
    none. Areas are brought to the points' CRS (not the other way round: there
    are fewer of them). On a shared edge the first area in ``areas`` wins."""
    geoms = areas.to_crs(points.crs).geometry.values if areas.crs != points.crs else \
        areas.geometry.values
    out = np.full(len(points), -1, dtype=np.int64)
    ip, ia = shapely.STRtree(geoms).query(points.values, predicate="intersects")
    out[ip[::-1]] = ia[::-1]
    return out


def join_areas(
    incidents: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, int]:
    """Add ``area_code`` and ``area_name`` (and with ``borders``, ``border_pair`` and
    ``border_km``) to each incident. Returns (table, number outside every area):
    incidents outside every area are kept, with <NA> area fields."""
    columns, outside = area_columns(incidents, areas, borders)
    return incidents.join(columns), outside


def area_columns(incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame,
                 borders: gpd.GeoDataFrame | None = None) -> tuple[pd.DataFrame, int]:
    """The columns ``join_areas`` adds (indexed like ``incidents``), and the
    number of incidents outside every area."""
    idx = area_index(incidents.geometry, areas)
    inside = idx >= 0
    columns = pd.DataFrame(index=incidents.index)
    for col, field in (("area_code", "code"), ("area_name", "name")):
        values = pd.Series(pd.NA, index=incidents.index, dtype="string")
        values[inside] = areas[field].astype("string").to_numpy()[idx[inside]]
        columns[col] = values
    if borders is not None:
        columns = columns.join(nearest_border(incidents.geometry, borders))
    return columns, int((~inside).sum())
