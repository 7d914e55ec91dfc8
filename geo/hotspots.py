"""Incident hotspots on H3 hexagons: Getis-Ord Gi*, trend, and a top-N list.

Gi* (Getis & Ord 1992; Ord & Getis 1995) with binary contiguity weights that
include the cell itself: each cell and its six neighbours. The study area is
every cell with an incident plus its first ring, so that quiet surroundings
count as zeros. z-scores are analytical; p-values are two-sided normal.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import h3
import h3.api.numpy_int as h3i
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.special import ndtr  # the normal CDF, without importing all of scipy.stats

from model.i18n import N_
from model.period import Period

from .borders import nearest_border
from .distance import nearest_place
from .kept import KeptFor

_AREA_TREES: KeptFor[shapely.STRtree] = KeptFor(16)  # the finest areas, per table

CONFIDENCE = ((0.99, 2.5758), (0.95, 1.9600), (0.90, 1.6449))
# The classes are codes in the data and catalogue messages where they are shown.
CLASS_ORDER = [N_("hot 99%"), N_("hot 95%"), N_("hot 90%"), N_("not significant"),
               N_("cold 90%"), N_("cold 95%"), N_("cold 99%")]


def h3_cells(points: gpd.GeoSeries, res: int) -> np.ndarray:
    """H3 cell (as uint64) of each point (EPSG:4326)."""
    lat = shapely.get_y(points.values).tolist()
    lon = shapely.get_x(points.values).tolist()
    return np.fromiter((h3i.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)),
                       dtype=np.uint64, count=len(lat))


def getis_ord_gi_star(cells: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided p-values for ``counts`` on H3 ``cells``.

    Weights: 1 for the cell itself and each grid neighbour that is in
    ``cells``, 0 otherwise.
    """
    n = len(cells)
    if n < 3:
        return np.zeros(n), np.ones(n)
    position = {cell: i for i, cell in enumerate(cells.tolist())}  # pandas' .get: 10x slower
    rows, cols = [], []
    for i, cell in enumerate(cells.tolist()):
        for nb in _disk(cell):
            j = position.get(nb)
            if j is not None:
                rows.append(i)
                cols.append(j)
    w = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    x = counts.astype("float64")
    mean = x.mean()
    s = np.sqrt((x**2).mean() - mean**2)
    wsum = np.asarray(w.sum(axis=1)).ravel()
    numerator = w @ x - mean * wsum
    # Binary weights: the sum of squared weights equals the sum of weights.
    denominator = s * np.sqrt((n * wsum - wsum**2) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denominator > 0, numerator / denominator, 0.0)
    return z, 2 * ndtr(-np.abs(z))


def classify(z: np.ndarray) -> pd.Categorical:
    labels = np.full(len(z), "not significant", dtype=object)
    for conf, crit in reversed(CONFIDENCE):  # strongest last, so it wins
        labels[z >= crit] = f"hot {conf:.0%}"
        labels[z <= -crit] = f"cold {conf:.0%}"
    return pd.Categorical(labels, categories=CLASS_ORDER, ordered=True)


def hotspots(
    incidents: gpd.GeoDataFrame,
    res: int = 6,
    *,
    period: Period | None = None,
    trend_days: int | None = None,
    cells: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Gi* hotspots of incidents in ``period`` (default: all of them) binned to
    H3 resolution ``res``.

    Returns one row per study-area cell: ``h3`` (hex string), ``count``,
    ``gi_z``, ``gi_p``, ``gi_class``, ``recent`` and ``previous`` (incidents in
    the last ``trend_days`` before ``end`` and in the same length before that;
    by default the whole period and the period of the same length before it,
    taken from ``incidents`` even before ``start``), ``change`` (recent -
    previous), and the hexagon polygon (EPSG:4326). ``cells``: each incident's
    cell at ``res``, where the caller knows them already.
    """
    times = incidents["time"]
    columns = ["h3", "count", "gi_z", "gi_p", "gi_class", "recent", "previous", "change"]
    empty = gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry",
                             crs="EPSG:4326")
    if times.empty:
        return empty
    if period is None:
        period = Period(times.min(), times.max() + pd.Timedelta(seconds=1))
    end = period.end
    window = pd.Timedelta(days=trend_days) if trend_days else period.length
    chosen, last, before = (np.asarray(span.contains(times)) for span in (
        period, Period(end - window, end), Period(end - 2 * window, end - window)))
    if not chosen.any():
        return empty
    if cells is None:  # only where counted: the period and the two trend windows
        needed = chosen | last | before
        of = np.zeros(len(incidents), dtype=np.uint64)
        of[needed] = h3_cells(incidents.geometry[needed], res)
    else:
        of = cells.to_numpy(dtype=np.uint64)
    counts = pd.Series(of[chosen]).value_counts()
    ring = {nb for cell in counts.index.tolist() for nb in _disk(cell)}
    study = np.array(sorted(ring | set(counts.index.tolist())), dtype=np.uint64)
    x = counts.reindex(study, fill_value=0).to_numpy()
    z, p = getis_ord_gi_star(study, x)

    recent = _counts_in(of[last], study)
    previous = _counts_in(of[before], study)

    hexes = [h3.int_to_str(int(c)) for c in study]
    polygons = [hexagon(c) for c in hexes]
    return gpd.GeoDataFrame({
        "h3": hexes, "count": x, "gi_z": z, "gi_p": p, "gi_class": classify(z),
        "recent": recent, "previous": previous, "change": recent - previous,
    }, geometry=polygons, crs="EPSG:4326")


@functools.lru_cache(maxsize=1 << 17)
def _disk(cell: int) -> tuple[int, ...]:
    """The cell and its neighbours, worked out once: the same cells come back
    with every filter change."""
    return tuple(h3i.grid_disk(cell, 1).tolist())


@functools.lru_cache(maxsize=1 << 16)
def hexagon(cell: str) -> shapely.Polygon:
    """The cell's outline (lon, lat), made once: the same cells come back with
    every filter change (geometries are immutable, so sharing them is safe)."""
    return shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])


def _counts_in(cells: np.ndarray, study: np.ndarray) -> np.ndarray:
    """How many of ``cells`` fall in each cell of ``study``."""
    return pd.Series(cells).value_counts().reindex(study, fill_value=0).to_numpy()


def top_hotspots(cells: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, n: int = 10, *,
                 places: gpd.GeoDataFrame | None = None,
                 areas: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The ``n`` hottest significant hot cells with trend, nearest border, and
    where they are: a planner knows Torkham, not an H3 id.

    Columns: h3, lat, lon (cell centre), count, gi_z, gi_class, recent,
    previous, change, border_pair, border_km (geodesic, from the cell centre),
    place and place_km (the nearest of ``places``), area (the name of the area
    of ``areas`` holding the centre, with its country's code below country
    level, as provinces share names across borders: 'Punjab (PAK)'; <NA>
    outside all).
    """
    hot = cells[cells["gi_class"].astype(str).str.startswith("hot")]
    hot = hot.sort_values(["gi_z", "count"], ascending=False).head(n)
    centres = [h3.cell_to_latlng(c) for c in hot["h3"]]
    points = gpd.GeoSeries([shapely.Point(lng, lat) for lat, lng in centres], index=hot.index,
                           crs="EPSG:4326")
    out = pd.DataFrame({"h3": hot["h3"], "lat": [c[0] for c in centres],
                        "lon": [c[1] for c in centres]}, index=hot.index)
    for col in ("count", "gi_z", "gi_class", "recent", "previous", "change"):
        out[col] = hot[col]
    out = out.join(nearest_border(points, borders))
    out["place"], out["place_km"] = nearest_place(
        out["lon"].to_numpy(), out["lat"].to_numpy(),
        places if places is not None else gpd.GeoDataFrame({"name": []}, geometry=[]))
    out["place"] = out["place"].astype("string")
    out["area"] = pd.Series(pd.NA, index=out.index, dtype="string")
    if areas is not None and len(areas) and len(out):
        tree = _AREA_TREES.get_or(areas, "tree", lambda: shapely.STRtree(areas.geometry.values))
        inside, holder = tree.query(points.values, predicate="within")
        holders = areas.iloc[holder]  # the few areas holding a centre
        names = holders["name"].astype("string")
        if {"admin_level", "iso3"} <= set(areas.columns):
            within = (holders["admin_level"] > 0) & holders["iso3"].notna()
            names = names.where(~within, names + " (" + holders["iso3"].astype("string") + ")")
        out.iloc[inside, out.columns.get_loc("area")] = names.to_numpy()
    return out.reset_index(drop=True)
