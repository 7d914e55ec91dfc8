"""Displacement roll-ups: totals per area, country, cause and period, and the
change against the previous period.

Stocks and flows add up differently. For stock figures (IDP stock, refugees)
the figure of a period is the latest one reported per area within it; for flow
figures (new displacements, returns) it is the sum of the figures dated in it.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from model.access import MARKING_COLUMNS
from model.period import Period

STOCK_TYPES = ("IDP stock", "refugees")
GROUPS = ("country", "area_name", "cause", "type")


def period_figures(displacement: gpd.GeoDataFrame, period: Period) -> gpd.GeoDataFrame:
    """One record per (source, area, type, cause) holding that period's figure,
    with its marking: a stock is its latest record (and that record's marking);
    flows add up per marking, so each figure keeps who may see it."""
    chosen = displacement[period.contains(displacement["date"])]
    keys = ["source", "country", "area_name", "type", "cause"]
    marks = [c for c in MARKING_COLUMNS if c in chosen]
    stock = chosen[chosen["type"].isin(STOCK_TYPES)].sort_values("date")
    latest = stock.groupby(keys, observed=True, dropna=False).tail(1)
    flow = chosen[~chosen["type"].isin(STOCK_TYPES)]
    flows = flow.groupby([*keys, *marks], observed=True, dropna=False).agg(
        figure=("figure", "sum"), date=("date", "max"), geometry=("geometry", "first"),
    ).reset_index()
    flows = gpd.GeoDataFrame(flows, geometry="geometry", crs=displacement.crs)
    out = pd.concat([latest[[*keys, *marks, "figure", "date", "geometry"]], flows],
                    ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=displacement.crs)


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
