"""Displacement roll-ups: totals per area, country, cause and period, and the
change against the previous period.

Stocks and flows add up differently. For stock figures (IDP stock, refugees)
the figure of a period is the latest one reported per area within it; for flow
figures (new displacements, returns) it is the sum of the figures dated in it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from model.access import MARKING_COLUMNS
from model.period import Period

STOCK_TYPES = ("IDP stock", "refugees")
GROUPS = ("country", "area_name", "cause", "type")


def period_figures(displacement: gpd.GeoDataFrame, period: Period) -> gpd.GeoDataFrame:
    """One record per (source, area, type, cause) holding that period's figure,
    with its marking: a stock is its latest record (and that record's marking);
    flows add up per marking, so each figure keeps who may see it. Groups come
    in the order of their keys (missing last), stocks first.

    (Worked out on group numbers rather than with ``groupby(...).agg``: this runs
    twice per summary, on a few hundred rows, where pandas' grouping machinery
    cost ten times the arithmetic.)"""
    # A plain frame while it is cut up: a GeoDataFrame checks its geometry at every slice.
    chosen = pd.DataFrame(displacement)[period.contains(displacement["date"])]
    keys = ["source", "country", "area_name", "type", "cause"]
    marks = [c for c in MARKING_COLUMNS if c in chosen]
    columns = [*keys, *marks, "figure", "date", "geometry"]
    is_stock = chosen["type"].isin(STOCK_TYPES).to_numpy()

    stock = chosen[is_stock]
    stock = stock.iloc[np.argsort(stock["date"].to_numpy(), kind="stable")]
    ids = _group_numbers(stock, keys)
    last = len(ids) - 1 - np.unique(ids[::-1], return_index=True)[1]
    latest = stock.iloc[np.sort(last)][columns]

    flow = chosen[~is_stock]
    ids = _group_numbers(flow, [*keys, *marks])
    groups, first = np.unique(ids, return_index=True)
    flows = flow.iloc[first][[*keys, *marks]].reset_index(drop=True)
    flows["figure"] = flow["figure"].groupby(ids).sum().to_numpy()
    flows["date"] = flow["date"].groupby(ids).max().to_numpy()
    shapes = np.asarray(flow["geometry"].array, dtype=object)
    located = ~shapely.is_missing(shapes)
    where = np.full(len(groups), -1)
    found, at = np.unique(ids[located], return_index=True)
    where[np.searchsorted(groups, found)] = np.flatnonzero(located)[at]
    flows["geometry"] = [shapes[i] if i >= 0 else None for i in where.tolist()]
    out = pd.concat([latest, flows], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=displacement.crs)


def _group_numbers(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Each row's group of ``columns`` as a number, numbered in the order of the
    keys (each column's values sorted as ``groupby`` sorts them, missing last)."""
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    codes = []
    for col in columns:
        code, uniques = pd.factorize(frame[col], sort=True, use_na_sentinel=True)
        codes.append(np.where(code < 0, len(uniques), code))
    return np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)[1].ravel()


def totals(displacement: gpd.GeoDataFrame, period: Period, by: str = "country") -> pd.DataFrame:
    """Figures per ``by`` (country, area_name, cause or type) for ``period``
    and the period of the same length before it, with the change.

    Columns: ``by``, current, previous, change.
    """
    return compare(period_figures(displacement, period),
                   period_figures(displacement, period.before()), by)


def compare(current: pd.DataFrame, previous: pd.DataFrame, by: str = "country") -> pd.DataFrame:
    """``totals`` from the period figures of a period and of the one before it
    (``period_figures``): computed once, grouped several ways."""
    if by not in GROUPS:
        raise ValueError(f"cannot group displacement by '{by}'; choose one of {GROUPS}")
    cur = current.groupby(by, observed=True)["figure"].sum()
    prev = previous.groupby(by, observed=True)["figure"].sum()
    table = pd.DataFrame({"current": cur, "previous": prev}).fillna(0).astype("int64")
    table["change"] = table["current"] - table["previous"]
    return table.sort_values("current", ascending=False).rename_axis(by).reset_index()
