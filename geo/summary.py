"""The situation summary: every figure the dashboard and the reports show,
computed here once for a set of filters."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_sources.scenario import Scenario
from data_sources.schema import SAARC_ISO3

from . import cyclones, displacement, hotspots
from .borders import international_borders
from .exposure import OUTSIDE, ExposureError, exposure
from .join import area_index, join_areas
from .regions import Region, countries_region

HAZARD_LAYERS = ("flood", "cyclone", "alerts", "incidents", "displacement")


@dataclass(frozen=True)
class Filters:
    """What the user chose. Times are UTC; None means the scenario's defaults."""

    region: Region | None = None  # None: the eight SAARC countries
    hazards: frozenset[str] = frozenset(HAZARD_LAYERS)
    start: pd.Timestamp | None = None  # default: 90 days before the scenario time
    end: pd.Timestamp | None = None  # default: the scenario time
    flood_threshold_m: float = 0.5
    wind_threshold_kt: float = 34.0
    categories: tuple[str, ...] | None = None  # incident categories; None: all
    alert_levels: tuple[str, ...] = ("green", "orange", "red")
    alert_hazards: tuple[str, ...] | None = None  # alerts of these hazards only; None: all
    h3_res: int = 6
    top_n: int = 10
    trend_days: int | None = None  # None: the period against the one before it


@dataclass
class Summary:
    """Everything one view or report needs. Tables are plain DataFrames
    (GeoDataFrames in EPSG:4326 for what is drawn on the map)."""

    filters: Filters
    region_label: str
    region_bounds: tuple[float, float, float, float]  # west, south, east, north (degrees)
    start: pd.Timestamp
    end: pd.Timestamp
    as_of: pd.Timestamp
    demo: bool
    key_figures: dict[str, float]
    areas: pd.DataFrame
    incidents: gpd.GeoDataFrame
    hotspot_cells: gpd.GeoDataFrame
    top_hotspots: pd.DataFrame
    alerts: gpd.GeoDataFrame
    cyclones: pd.DataFrame
    swaths: gpd.GeoDataFrame
    displacement: pd.DataFrame
    displacement_by_cause: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    admin_areas: pd.DataFrame | None = None  # per admin area, when admin boundaries are loaded


KEY_FIGURES = {
    "people_exposed_flood": "People exposed to flooding",
    "people_exposed_cyclone": "People exposed to cyclone winds",
    "displaced": "People displaced",
    "incidents": "Border incidents",
    "active_alerts": "Active alerts",
}


def _in_region(frame: gpd.GeoDataFrame, region: Region, country_col: str | None) -> np.ndarray:
    """Records inside the region.

    For a region made of whole countries, a record's own country attribute
    decides (coarse boundaries must not drop a coastal town); otherwise its
    location does, and unlocated records count when their country is in the region.
    """
    located = frame.geometry.notna().to_numpy() & ~frame.geometry.is_empty.to_numpy()
    inside = np.zeros(len(frame), dtype=bool)
    if located.any():
        inside[located] = region.contains(frame.geometry[located])
    if country_col and region.iso3:
        in_countries = frame[country_col].isin(region.iso3).to_numpy()
        inside |= in_countries if region.whole_countries else (~located & in_countries)
    return inside


def _areas(scenario: Scenario, region: Region) -> gpd.GeoDataFrame:
    """The areas figures are broken down by: countries, clipped to the region."""
    boundaries = scenario["boundaries"]
    level0 = boundaries[(boundaries["admin_level"] == 0) & boundaries["iso3"].isin(
        region.iso3 or SAARC_ISO3)]
    clipped = level0.copy()
    clipped["geometry"] = shapely.intersection(level0.geometry.values, region.geometry)
    clipped = clipped[~clipped.geometry.is_empty]
    return clipped[["iso3", "name", "geometry"]].reset_index(drop=True)


def situation_summary(scenario: Scenario, filters: Filters = Filters()) -> Summary:
    """Compute the situation for ``filters`` over ``scenario``."""
    boundaries = scenario["boundaries"]
    countries = boundaries[boundaries["admin_level"] == 0]
    region = filters.region or countries_region(
        boundaries, [c for c in SAARC_ISO3 if c in set(countries["iso3"])])
    end = filters.end or scenario.as_of
    start = filters.start or end - pd.Timedelta(days=90)
    notes = []
    areas = _areas(scenario, region)
    borders = international_borders(countries)

    pool = scenario["incidents"]  # region and categories; hotspot trends look before start
    if filters.categories is not None:
        pool = pool[pool["category"].isin(filters.categories)]
    pool = pool[_in_region(pool, region, "country")]
    if "incidents" not in filters.hazards:
        pool = pool.iloc[0:0]
    chosen = pool[(pool["time"] >= start) & (pool["time"] <= end)]
    chosen, _ = join_areas(chosen, boundaries[boundaries["admin_level"] == 0], borders)

    disp = scenario["displacement"]
    disp = disp[_in_region(disp, region, "country")]
    if "displacement" not in filters.hazards:
        disp = disp.iloc[0:0]
    current = displacement.period_figures(disp, start, end)
    unlocated = int(current.geometry.isna().sum())
    if unlocated:
        notes.append(f"{unlocated} displacement figures have no location; they count in the "
                     "totals but not in the per-area hazard breakdown.")

    table = areas[["iso3", "name"]].rename(columns={"name": "area"}).copy()
    table.loc[len(table)] = [pd.NA, OUTSIDE]
    key = {k: 0.0 for k in KEY_FIGURES}
    _hazard_columns(scenario, filters, areas, "name", table, notes)
    # Cells outside every area lie outside the region (sea, neighbours, or off a
    # coarse coastline): shown in the table so it adds up, not in the key figure.
    in_areas = table["area"] != OUTSIDE
    for hazard in ("flood", "cyclone"):
        if f"people_exposed_{hazard}" in table:
            key[f"people_exposed_{hazard}"] = float(
                table.loc[in_areas, f"people_exposed_{hazard}"].sum())

    per_area_incidents = chosen.groupby("country").size()
    table["incidents"] = table["iso3"].map(per_area_incidents).fillna(0).astype("int64")
    table.loc[table["area"] == OUTSIDE, "incidents"] = int(chosen["area_code"].isna().sum())
    per_area_displaced = current.groupby("country")["figure"].sum()
    table["displaced"] = table["iso3"].map(per_area_displaced).fillna(0).astype("int64")
    table.loc[table["area"] == OUTSIDE, "displaced"] = int(
        current.loc[~current["country"].isin(areas["iso3"]), "figure"].sum())
    key["incidents"] = float(len(chosen))
    key["displaced"] = float(current["figure"].sum())

    cells = hotspots.hotspots(pool, filters.h3_res, start=start,
                              end=end + pd.Timedelta(microseconds=1),
                              trend_days=filters.trend_days)
    top = hotspots.top_hotspots(cells, borders, filters.top_n)

    alerts = scenario["alerts"]
    active = alerts[(alerts["start"] <= end) & (alerts["end"].isna() | (alerts["end"] >= start))
                    & alerts["alert_level"].isin(filters.alert_levels)]
    if filters.alert_hazards is not None:
        active = active[active["hazard"].isin(filters.alert_hazards)]
    active = active[_in_region(active, region, None)]
    if "alerts" not in filters.hazards:
        active = active.iloc[0:0]
    key["active_alerts"] = float(len(active))

    tracks = scenario["tracks"]
    tracks = tracks[(tracks["time"] >= start) & (tracks["time"] <= end)]
    storms, swaths = _cyclones(tracks, countries, region, "cyclone" in filters.hazards)
    swaths["people_exposed"] = _swath_people(swaths, scenario["population"], areas)

    admin = _admin_table(scenario, filters, region, chosen, current)

    return Summary(
        admin_areas=admin,
        filters=filters, region_label=region.label,
        region_bounds=tuple(float(b) for b in region.geometry.bounds), start=start, end=end,
        as_of=scenario.as_of, demo=scenario.demo, key_figures=key, areas=table,
        incidents=chosen, hotspot_cells=cells, top_hotspots=top, alerts=active,
        cyclones=storms, swaths=swaths,
        displacement=displacement.totals(disp, start, end, "country"),
        displacement_by_cause=displacement.totals(disp, start, end, "cause"),
        sources=scenario.summary(), notes=notes,
    )


def _hazard_columns(scenario: Scenario, filters: Filters, areas: gpd.GeoDataFrame,
                    field: str, table: pd.DataFrame, notes: list[str]) -> None:
    """Add <hazard>_km2 and people_exposed_<hazard> columns to ``table`` (one row
    per area, then OUTSIDE) for each hazard layer chosen and loaded."""
    for hazard, layer, threshold in (("flood", "flood", filters.flood_threshold_m),
                                     ("cyclone", "wind", filters.wind_threshold_kt)):
        if hazard not in filters.hazards or layer not in scenario.layers:
            continue
        try:
            result = exposure(scenario[layer], threshold, areas, field,
                              population=scenario["population"])
        except ExposureError:  # the hazard lies outside the region: nobody exposed
            table[f"{hazard}_km2"] = 0.0
            table[f"people_exposed_{hazard}"] = 0.0
            notes.append(f"{hazard.capitalize()}: the hazard layer does not reach this region.")
            continue
        table[f"{hazard}_km2"] = result.table["hazard_km2"].to_numpy()
        table[f"people_exposed_{hazard}"] = result.table["people_exposed"].round().to_numpy()
        notes.extend(f"{hazard.capitalize()}: {n}" for n in result.notes)


def _admin_table(scenario: Scenario, filters: Filters, region: Region, incidents, current
                 ) -> pd.DataFrame | None:
    """The same figures per admin area (the finest level loaded), clipped to the region."""
    boundaries = scenario["boundaries"]
    admin = boundaries[boundaries["admin_level"] > 0]
    if admin.empty:
        return None
    admin = admin[admin["admin_level"] == admin["admin_level"].max()].copy()
    admin["geometry"] = shapely.intersection(admin.geometry.values, region.geometry)
    admin = admin[~admin.geometry.is_empty].reset_index(drop=True)
    if admin.empty:
        return None
    table = pd.DataFrame({"code": [*admin["code"], pd.NA], "area": [*admin["name"], OUTSIDE]})
    _hazard_columns(scenario, filters, admin, "code", table, [])
    for col, frame, weight in (("incidents", incidents, None), ("displaced", current, "figure")):
        located = frame[frame.geometry.notna()]
        idx = area_index(located.geometry, admin) if len(located) else np.zeros(0, int)
        weights = np.ones(len(located)) if weight is None else located[weight].to_numpy(float)
        sums = np.bincount(idx + 1, weights=weights, minlength=len(admin) + 1)
        table[col] = np.roll(sums, -1).round().astype("int64")
    return table


def _cyclones(tracks, countries, region: Region, wanted: bool):
    empty = pd.DataFrame(columns=["storm_id", "name", "start", "end", "max_wind_kt",
                                  "min_pressure_hpa", "landfall_time", "landfall_country",
                                  "landfall_wind_kt"])
    if not wanted or tracks.empty:
        return empty, cyclones.wind_swaths(tracks.iloc[0:0])
    lines = track_lines = cyclones.track_lines(tracks)
    lines = lines[shapely.intersects(lines.geometry.values, region.geometry)
                  | shapely.dwithin(lines.geometry.values, region.geometry, 5.0)]
    tracks = tracks[tracks["storm_id"].isin(lines["storm_id"])]
    land = cyclones.landfall(tracks, countries).set_index("storm_id")
    storms = pd.DataFrame(track_lines.drop(columns="geometry")).set_index("storm_id").loc[
        lines["storm_id"]]
    storms["landfall_time"] = land["time"]
    storms["landfall_country"] = land["country"]
    storms["landfall_wind_kt"] = land["wind_kt"]
    return storms.reset_index()[empty.columns], cyclones.wind_swaths(tracks)


def _swath_people(swaths, population, areas) -> np.ndarray:
    """People in the region's areas under each swath (from the track's radii)."""
    if swaths.empty:
        return np.zeros(0)
    table = cyclones.swath_exposure(swaths, population, areas)
    inside = table[table["area"] != OUTSIDE]
    totals = inside.groupby(["storm_id", "threshold_kt"])["people_exposed"].sum()
    keys = list(zip(swaths["storm_id"], swaths["threshold_kt"], strict=True))
    return np.array([round(float(totals.get(k, 0.0))) for k in keys])
