"""International borders derived from country polygons, and distances to them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .distance import SOUTH_ASIA_EQDC, from_metric, geodesic_km, to_metric
from .kept import KeptFor

# Each borders table projected and indexed once: every region's incidents and
# hotspots ask for their nearest border in the same few tables.
_METRIC: KeptFor[tuple[np.ndarray, shapely.STRtree]] = KeptFor(16)

# Polygon outlines closer than this (degrees, about 100 m) are taken as shared:
# country files rarely share vertices exactly.
SNAP = 1e-3


def pair_label(a: str, b: str) -> str:
    """Border pair label, ISO3 codes in alphabetical order: 'AFG-PAK'."""
    return "-".join(sorted((a, b)))


def _shared_edge(a: shapely.Geometry, b: shapely.Geometry) -> shapely.Geometry:
    """The lines two polygons share: exact when they share vertices, else the
    part of a's outline within SNAP of b."""
    exact = shapely.intersection(a.boundary, b.boundary)
    lines = shapely.get_parts(exact)
    lines = [g for g in lines if g.geom_type in ("LineString", "MultiLineString")]
    if lines:
        return shapely.line_merge(shapely.union_all(lines))
    return shapely.line_merge(shapely.intersection(a.boundary, b.buffer(SNAP)))


def international_borders(countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Border lines between every pair of countries that touch.

    Input: canonical boundaries (admin level 0, ``iso3``), EPSG:4326.
    Output: one row per pair: ``pair`` ('AFG-PAK'), ``a``, ``b``, ``length_km``,
    ``disputed`` (either side is an area the data marks as disputed) and a
    (Multi)LineString geometry in EPSG:4326.
    """
    countries = countries[countries["iso3"].notna()].reset_index(drop=True)
    geoms = countries.geometry.values
    # A border of an area the data marks as disputed is itself disputed.
    disputed = (countries["disputed"].fillna(False).astype(bool).to_numpy()
                if "disputed" in countries else np.zeros(len(countries), dtype=bool))
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=SNAP)
    rows = []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        a, b = countries.at[i, "iso3"], countries.at[j, "iso3"]
        line = _shared_edge(geoms[i], geoms[j])
        if line.is_empty or line.length < SNAP:
            continue
        rows.append({"pair": pair_label(a, b), "a": min(a, b), "b": max(a, b),
                     "disputed": bool(disputed[i] or disputed[j]), "geometry": line})
    borders = gpd.GeoDataFrame(rows, columns=["pair", "a", "b", "disputed", "geometry"],
                               geometry="geometry", crs="EPSG:4326")
    borders["length_km"] = borders.to_crs(SOUTH_ASIA_EQDC).length / 1000
    return borders.sort_values("pair").reset_index(drop=True)


def nearest_border(points: gpd.GeoSeries, borders: gpd.GeoDataFrame) -> pd.DataFrame:
    """For each point (EPSG:4326): the nearest border pair and its distance in km.

    The nearest border is found in SOUTH_ASIA_EQDC; the distance reported is
    geodesic between the point and its nearest point on that border. Returns a
    frame aligned with ``points`` (columns ``border_pair``, ``border_km``);
    missing geometries give <NA>/NaN.
    """
    out = pd.DataFrame({"border_pair": pd.Series(pd.NA, index=points.index, dtype="string"),
                        "border_km": np.nan}, index=points.index)
    valid = points.notna().to_numpy() & ~points.is_empty.to_numpy()
    if not valid.any() or borders.empty:
        return out
    metric_pts = to_metric(np.asarray(points.values[valid], dtype=object))
    metric_borders, tree = _METRIC.get_or(borders, "metric", lambda: _metric_tree(borders))
    idx_pt, idx_border = tree.query_nearest(metric_pts, all_matches=False)
    nearest = shapely.get_point(
        shapely.shortest_line(metric_pts[idx_pt], metric_borders[idx_border]), 1)
    lon_b, lat_b = from_metric(shapely.get_x(nearest), shapely.get_y(nearest))
    src = points[valid].values[idx_pt]
    km = geodesic_km(shapely.get_x(src), shapely.get_y(src), lon_b, lat_b)
    rows = np.flatnonzero(valid)[idx_pt]
    out.iloc[rows, 0] = borders["pair"].to_numpy()[idx_border]
    out.iloc[rows, 1] = km
    return out


def _metric_tree(borders: gpd.GeoDataFrame) -> tuple[np.ndarray, shapely.STRtree]:
    metric = borders.to_crs(SOUTH_ASIA_EQDC).geometry.values
    return metric, shapely.STRtree(metric)
