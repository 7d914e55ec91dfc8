"""Points of view on boundaries: whose outline of a disputed area is drawn and
counted.

Boundaries may come in several views: the source's own (Natural Earth's de facto
lines, no view), and outlines as a member state draws them (a ``view`` column,
'IND', 'PAK' ..., or a Natural Earth point-of-view file). A view replaces the
areas it holds (same admin level and code) and leaves the rest as they are; with
no view chosen, the source's own outlines are used. A shared platform must not
draw one state's claim as fact: the view in use is always named beside the map
and the figures it shaped.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from model.i18n import N_, Said
from model.scenario import Scenario


def _viewed(boundaries: gpd.GeoDataFrame) -> pd.Series:
    if "view" not in boundaries:
        return pd.Series(False, index=boundaries.index)
    return boundaries["view"].fillna("").astype(str).str.strip() != ""


def views(boundaries: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The points of view the boundaries hold (besides the source's own)."""
    chosen = _viewed(boundaries)
    return tuple(sorted(set(boundaries.loc[chosen, "view"].astype(str).str.strip())))


class ViewError(Said, ValueError):
    """A point of view the boundaries do not hold."""


def seen_by(boundaries: gpd.GeoDataFrame, view: str | None) -> gpd.GeoDataFrame:
    """The boundaries as ``view`` draws them (None: the source's own): its areas
    instead of the same areas of the source, every other area as the source has it."""
    viewed = _viewed(boundaries)
    own = boundaries[~viewed]
    if view is None:
        return own.reset_index(drop=True) if viewed.any() else boundaries
    theirs = boundaries[viewed & (boundaries["view"].astype(str).str.strip() == view)]
    if theirs.empty:
        raise ViewError(N_("the boundaries hold no point of view '{view}'; views: {views}"),
                        view=view, views=", ".join(views(boundaries)) or "—")
    key = ["admin_level", "code"]
    replaced = pd.MultiIndex.from_frame(theirs[key].astype(str)).unique()
    kept = own[~pd.MultiIndex.from_frame(own[key].astype(str)).isin(replaced)]
    # Once applied, the view is the outline in use (the scenario's source names it):
    # applying a view again finds nothing left to replace.
    chosen = theirs.assign(view=pd.Series(pd.NA, index=theirs.index, dtype="string"))
    return gpd.GeoDataFrame(pd.concat([kept, chosen], ignore_index=True),
                            geometry="geometry", crs=boundaries.crs)


def as_seen(scenario: Scenario, view: str | None) -> Scenario:
    """``scenario`` with its boundaries as ``view`` draws them (see ``seen_by``);
    a scenario seen once is seen again unchanged with no view."""
    layer = scenario.layers.get("boundaries")
    if layer is None or ("view" not in layer.data and view is None):
        return scenario
    seen = seen_by(layer.data, view)
    if seen is layer.data:
        return scenario
    source = f"{layer.source}, as seen by {view}" if view else layer.source
    boundaries = dataclasses.replace(layer, source=source,
                                     result=dataclasses.replace(layer.result, data=seen))
    return dataclasses.replace(scenario, layers={**scenario.layers, "boundaries": boundaries})
