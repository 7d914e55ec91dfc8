"""The situation summary: every figure the dashboard and the reports show,
computed here once for a set of filters (called by the situation service)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from data_sources.reference import ADMIN1_SOURCE, ADMIN1_VINTAGE, rivers
from model.i18n import N_, Phrase
from model.needs import NEEDS_COLUMNS, MinimumNeeds, needs_for
from model.period import Period
from model.scenario import Scenario
from model.schema import SAARC_ISO3
from model.situation import (
    HAZARD_LAYER_NAMES,
    KEY_FIGURES,
    Details,
    Filters,
    Later,
    Region,
    Summary,
)

from . import cyclones, displacement, fingerprint, hotspots
from .borders import international_borders
from .exposure import FIGURES, OUTSIDE, Exposure, ExposureError, exposure, overlap_notes
from .join import area_columns, area_index, join_areas
from .kept import Kept, KeptFor
from .regions import countries_region, finest_areas
from .views import as_seen, views

# What the summary keeps of the places: for labels, nearest places and local names.
PLACE_COLUMNS = ["name", "country", "population", "local_names", "geometry"]


def _in_region(frame: gpd.GeoDataFrame, region: Region, country_col: str | None) -> np.ndarray:
    """Records inside the region.

    For a region made of whole countries, a record's own country attribute
    decides where it has one (coarse boundaries must not drop a coastal town, nor
    a neighbour's record fall inside a finer province); otherwise its location
    does, and unlocated records count when their country is in the region.
    """
    shapes = np.asarray(frame.geometry.values, dtype=object)
    located = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    inside = np.zeros(len(frame), dtype=bool)
    ask = located  # the records whose location decides
    if country_col and region.iso3:
        in_countries = frame[country_col].isin(region.iso3).to_numpy()
        if region.whole_countries:
            told = frame[country_col].notna().to_numpy()
            inside[told] = in_countries[told]
            ask = located & ~told
        else:
            inside |= ~located & in_countries
    if ask.any():
        inside[ask] |= region.near(shapes[ask], 0.0)
    return inside


# Which rows are each region's (and categories'), the last asked, per incidents table.
_POOLS: KeptFor[np.ndarray] = KeptFor(16)


def _in_pool(table: gpd.GeoDataFrame, region: Region,
             categories: tuple[str, ...] | None) -> np.ndarray:
    """Whether each incident is of ``region`` (and ``categories``) at any time;
    kept, so a change of period does not work it out again."""
    def rows() -> np.ndarray:
        wanted = _in_region(table, region, "country")
        if categories is not None:
            wanted &= table["category"].isin(categories).to_numpy()
        wanted.flags.writeable = False  # shared by every summary of the region
        return wanted

    return _POOLS.get_or(table, (region.key(), categories), rows)


# Each period's figures of a whole displacement table, the last asked, per table.
_PERIOD_FIGURES: KeptFor[gpd.GeoDataFrame] = KeptFor(8)


def _displacement(table: gpd.GeoDataFrame, region: Region, period: Period, on: bool
                  ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``period_figures`` of the region's records for the period and the one
    before it. For a region of whole countries, when every record names its
    country, the whole table's figures are worked out once per period and the
    region's taken from them: the country is one of a figure's group keys, so
    this equals working on the region's records alone."""
    if on and region.whole_countries and table["country"].notna().all():
        def of(span: Period) -> gpd.GeoDataFrame:
            figures = _PERIOD_FIGURES.get_or(
                table, span, lambda: displacement.period_figures(table, span))
            return figures[figures["country"].isin(region.iso3)].reset_index(drop=True)

        return of(period), of(period.before())
    rows = table[_in_region(table, region, "country")] if on else table.iloc[0:0]
    return (displacement.period_figures(rows, period),
            displacement.period_figures(rows, period.before()))


def _areas(countries: gpd.GeoDataFrame, region: Region
           ) -> tuple[gpd.GeoDataFrame, list[gpd.GeoDataFrame] | None]:
    """The areas figures are broken down by: for whole countries, each one's own
    shape (``countries_region``), with each country's row apart (kept frames,
    which figures are kept by); else the countries clipped to the region (None)."""
    if region.whole_countries and region.parts:
        names = dict(zip(countries["iso3"], countries["name"], strict=True))
        groups = [_COUNTRY_AREAS.get_or(
            (code, names.get(code, code), fingerprint.of_shape(shape)),
            functools.partial(_country_area, code, names.get(code, code), shape))
            for code, shape in region.parts]
        return gpd.GeoDataFrame(pd.concat(groups, ignore_index=True), crs="EPSG:4326"), groups
    level0 = countries[countries["iso3"].isin(region.iso3 or SAARC_ISO3)]
    clipped = level0.copy()
    clipped["geometry"] = shapely.intersection(level0.geometry.values, region.geometry)
    clipped = clipped[~clipped.geometry.is_empty][["iso3", "name", "geometry"]]
    return gpd.GeoDataFrame(clipped.reset_index(drop=True), geometry="geometry",
                            crs="EPSG:4326"), None


_COUNTRY_AREAS: Kept[gpd.GeoDataFrame] = Kept(64)  # per country and shape


def _country_area(code: str, name: str, shape: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"iso3": [code], "name": [name]}, geometry=[shape],
                            crs="EPSG:4326")


def default_region(scenario: Scenario) -> Region:
    """The eight SAARC countries (as the boundaries' own view draws them, or the
    view ``as_seen`` applied)."""
    scenario = as_seen(scenario, None)
    return countries_region(scenario["boundaries"], list(SAARC_ISO3),
                            scenario["places"] if "places" in scenario.layers else None)


def situation_summary(scenario: Scenario, filters: Filters | None = None, *,
                      scheduler: str | None = None,
                      needs: Mapping[str, MinimumNeeds] | None = None) -> Summary:
    """Compute the situation for ``filters`` (default: every member state, the
    last 90 days) over ``scenario``; exposure on the dask.distributed cluster at
    ``scheduler`` when given; the displaced's minimum needs at ``needs`` (per
    ISO3 code and "default"; Sphere's when not given)."""
    filters = filters or Filters()
    held = views(scenario["boundaries"])
    scenario = as_seen(scenario, filters.view)
    boundaries = scenario["boundaries"]
    countries = _REFERENCE.get_or(boundaries, "countries", lambda: boundaries[
        boundaries["admin_level"] == 0].reset_index(drop=True))
    region = filters.region or default_region(scenario)
    period = filters.period or Period.ending(scenario.as_of, days=90)
    on = filters.hazards
    notes = list(region.notes)
    areas, per_country = _areas(countries, region)
    borders = _BORDERS.get_or(fingerprint.of_table(countries, ["iso3"]),
                              functools.partial(international_borders, countries))

    every = _Located(scenario["incidents"])
    table = every.table
    in_pool = _in_pool(table, region, filters.categories) if "incidents" in on else \
        np.zeros(len(table), dtype=bool)
    # Hotspot trends look before the period: what they need of the pool is taken
    # (a time and a place per row), the chosen rows in full.
    pool = table[["time", table.geometry.name]][in_pool]
    chosen = every.joined(table[in_pool & np.asarray(period.contains(table["time"]))],
                          countries, borders)

    current, previous = _displacement(scenario["displacement"], region, period,
                                      "displacement" in on)
    unlocated = int(current.geometry.isna().sum())
    if unlocated:
        notes.append(Phrase(N_("{count} displacement figures have no location; they count in "
                               "the totals but not in the per-area hazard breakdown."),
                            {"count": unlocated}))

    table = areas[["iso3", "name"]].rename(columns={"name": "area"}).copy()
    table.loc[len(table)] = [pd.NA, OUTSIDE]
    key = {k: 0.0 for k in KEY_FIGURES}
    overlaps, inside = _hazard_columns(scenario, filters, areas, "name", table, notes,
                                       scheduler, groups=per_country)
    # Cells outside every area lie outside the region (sea, neighbours, or off a
    # coarse coastline): shown in the table so it adds up, not in the key figure.
    in_areas = table["area"] != OUTSIDE
    for hazard in ("flood", "cyclone"):
        if f"people_exposed_{hazard}" in table:
            # Each cell once: where areas overlap, the rows add up to more.
            key[f"people_exposed_{hazard}"] = float(
                table.loc[in_areas, f"people_exposed_{hazard}"].sum()) if overlaps.empty else \
                inside[hazard]

    per_area_incidents = chosen.groupby("country").size()
    table["incidents"] = table["iso3"].map(per_area_incidents).fillna(0).astype("int64")
    table.loc[~in_areas, "incidents"] = int((~chosen["country"].isin(areas["iso3"])).sum())
    per_area_displaced = current.groupby("country")["figure"].sum()
    table["displaced"] = table["iso3"].map(per_area_displaced).fillna(0).astype("int64")
    table.loc[~in_areas, "displaced"] = int(
        current.loc[~current["country"].isin(areas["iso3"]), "figure"].sum())
    key["incidents"] = float(len(chosen))
    key["displaced"] = float(current["figure"].sum())
    table = _without_layers_off(table, on)

    cells = hotspots.hotspots(pool, filters.h3_res, period=period,
                              trend_days=filters.trend_days,
                              cells=every.cells(pool, filters.h3_res))

    alerts = scenario["alerts"]
    active = alerts[(alerts["start"] < period.end)
                    & (alerts["end"].isna() | (alerts["end"] >= period.start))
                    & alerts["alert_level"].isin(filters.alert_levels)]
    if filters.alert_hazards is not None:
        active = active[active["hazard"].isin(filters.alert_hazards)]
    active = active[_in_region(active, region, None)]
    if "alerts" not in on:
        active = active.iloc[0:0]
    key["active_alerts"] = float(len(active))

    tracks, lines, landfalls, all_swaths = _storms(scenario["tracks"], period, countries)
    storms, swaths = _cyclones(lines, landfalls, all_swaths, region, "cyclone" in on)
    swaths["people_exposed"] = _swath_people(swaths, scenario["population"], areas,
                                             groups=per_country)
    step = cyclones.storm_at(tracks[tracks["storm_id"].isin(storms["storm_id"])],
                             filters.wind_time) if filters.wind_time is not None else \
        cyclones.storm_at(tracks.iloc[0:0], scenario.as_of)
    step["people_exposed"] = _swath_people(step, scenario["population"], areas,
                                           groups=per_country)

    def details() -> Details:
        """What no map draws: worked out when first read (after a page's map)."""
        later_notes: list[Phrase] = []
        admin, admin_overlaps = _admin_table(scenario, filters, region, every, chosen,
                                             current, later_notes)
        all_overlaps = pd.concat([o for o in (overlaps, admin_overlaps) if len(o)]
                                 or [overlaps], ignore_index=True)
        later_notes.extend(overlap_notes(all_overlaps))
        return Details(
            top_hotspots=hotspots.top_hotspots(
                cells, borders, filters.top_n, areas=finest_areas(boundaries),
                places=scenario["places"] if "places" in scenario.layers else None),
            admin_areas=admin, overlaps=all_overlaps, notes=later_notes,
            displacement=displacement.compare(current, previous, "country"),
            needs=_needs(table, needs or {}),
            displacement_by_cause=displacement.compare(current, previous, "cause"))

    return Summary(
        filters=filters, region=region, period=period, as_of=scenario.as_of,
        demo=scenario.demo, tlp=scenario.tlp, key_figures=key, areas=table,
        area_shapes=areas, countries=countries, borders=borders,
        places=_places(scenario),
        incidents=chosen.reset_index(drop=True), hotspot_cells=cells,
        alerts=active.reset_index(drop=True), cyclones=storms, swaths=swaths,
        tracks=tracks[tracks["storm_id"].isin(storms["storm_id"])].reset_index(drop=True),
        storm_step=step,
        flood=_raster(scenario, "flood", on), wind=_raster(scenario, "wind", {"cyclone"} & on),
        displacement_records=current.reset_index(drop=True),
        sources=scenario.sources(), details=Later(details), first_notes=notes,
        views=held, admin_outlines=_REFERENCE.get_or(
            boundaries, "admin outlines", lambda: finest_areas(boundaries, admin_only=True)[
                ["iso3", "code", "name", "geometry"]].reset_index(drop=True)),
        rivers=rivers(),
    )


# The reference frames every summary of the same data shares (Summary: read only).
_REFERENCE: KeptFor[gpd.GeoDataFrame] = KeptFor(32)


def _places(scenario: Scenario) -> gpd.GeoDataFrame:
    if "places" not in scenario.layers:
        return gpd.GeoDataFrame({c: [] for c in PLACE_COLUMNS[:-1]}, geometry=[],
                                crs="EPSG:4326")
    places = scenario["places"]
    return _REFERENCE.get_or(places, "places", lambda: places.reindex(columns=PLACE_COLUMNS))


def _without_layers_off(table: pd.DataFrame, on) -> pd.DataFrame:
    """A layer switched off has no column (like a hazard not loaded), never a 0."""
    off = [col for col, layer in (("incidents", "incidents"), ("displaced", "displacement"))
           if layer not in on]
    return table.drop(columns=off)


def _raster(scenario: Scenario, layer: str, on) -> xr.DataArray | None:
    """A hazard raster for the map, when its layer is on and loaded."""
    wanted = "flood" if layer == "flood" else "cyclone"
    return scenario[layer] if wanted in on and layer in scenario.layers else None


# Countries x hazards x thresholds; stored for later processes (a third of a cold start).
_BY_COUNTRY: Kept[Exposure | ExposureError] = Kept(64, stored_as="exposure-by-country")


def _exposure_by_country(hazard: xr.DataArray, threshold: float,
                         groups: list[gpd.GeoDataFrame], field: str, population: xr.DataArray,
                         scheduler: str | None) -> Exposure:
    """``exposure`` of the areas of ``groups`` (one frame per country, never
    changed: kept frames; the areas are their rows one after another), computed
    and kept country by country: another choice of countries reuses each one's
    figures (a filter change removing a country recomputes none). The countries'
    areas must not overlap each other (whole countries: ``countries_region``); the
    OUTSIDE row and ``inside`` are those of all areas together (the OUTSIDE km²
    is the raster's total less the areas': both at the engine's cell-area
    precision, 1e-5 of the total, so it may differ by that from one overlay of
    all the areas; every area's row and all people figures are the same)."""
    raster = (fingerprint.of_raster(hazard), threshold, fingerprint.of_raster(population),
              field, scheduler)
    results: list[tuple[np.ndarray, Exposure]] = []
    missed: list[ExposureError] = []
    offset = 0
    for group in groups:
        def make(group: gpd.GeoDataFrame = group) -> Exposure | ExposureError:
            try:
                return exposure(hazard, threshold, group, field, population=population,
                                scheduler=scheduler)
            except ExposureError as exc:  # the hazard does not reach this country
                return exc

        result = _BY_COUNTRY.get_or((*raster, fingerprint.of_table(group, [field])), make)
        if isinstance(result, ExposureError):
            missed.append(result)
        else:
            results.append((np.arange(offset, offset + len(group)), result))
        offset += len(group)
    if not results:  # it reaches none of them: as for all the areas at once
        raise missed[0]
    columns: dict[str, Any] = {"area": [*(name for group in groups
                                          for name in group[field].astype(str)), OUTSIDE]}
    inside = {c: sum(r.inside[c] for _, r in results) for c in FIGURES}
    totals = results[0][1].totals  # the whole raster: the same from every country
    for col in FIGURES:
        values = np.zeros(offset + 1)
        for positions, result in results:
            values[positions] = result.table[col].to_numpy()[:-1]
        values[-1] = totals[col] - inside[col]
        columns[col] = values
    first = results[0][1]
    overlaps = [r.overlaps for _, r in results if len(r.overlaps)]
    return Exposure(pd.DataFrame(columns), threshold, first.units, inside,
                    pd.concat(overlaps, ignore_index=True) if overlaps else first.overlaps,
                    first.notes)


def _hazard_columns(scenario: Scenario, filters: Filters, areas: gpd.GeoDataFrame,
                    field: str, table: pd.DataFrame, notes: list[Phrase],
                    scheduler: str | None = None, *,
                    groups: list[gpd.GeoDataFrame] | None = None
                    ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Add <hazard>_km2 and people_exposed_<hazard> columns to ``table`` (one row
    per area, then OUTSIDE) for each hazard layer chosen and loaded. Returns
    the overlapping pairs of areas (area_a, area_b, km2) and, per hazard, the
    people exposed inside any area with each cell counted once. ``groups``: the
    areas country by country, which do not overlap (``_exposure_by_country``)."""
    overlaps = pd.DataFrame(columns=["area_a", "area_b", "km2"])
    inside: dict[str, float] = {}
    for hazard, layer, threshold in (("flood", "flood", filters.flood_threshold_m),
                                     ("cyclone", "wind", filters.wind_threshold_kt)):
        if hazard not in filters.hazards or layer not in scenario.layers:
            continue
        try:
            result = _exposure_by_country(scenario[layer], threshold, groups, field,
                                          scenario["population"], scheduler) if groups \
                else exposure(scenario[layer], threshold, areas, field,
                              population=scenario["population"], scheduler=scheduler)
        except ExposureError:  # the hazard lies outside the region: nobody exposed
            table[f"{hazard}_km2"] = 0.0
            table[f"people_exposed_{hazard}"] = 0.0
            notes.append(Phrase(N_("{hazard}: the hazard layer does not reach this region."),
                                {"hazard": Phrase(HAZARD_LAYER_NAMES[hazard])}))
            inside[hazard] = 0.0
            continue
        table[f"{hazard}_km2"] = result.table["hazard_km2"].to_numpy()
        table[f"people_exposed_{hazard}"] = result.table["people_exposed"].round().to_numpy()
        notes.extend(Phrase(N_("{hazard}: {note}"), {"hazard": Phrase(HAZARD_LAYER_NAMES[hazard]),
                                                    "note": n}) for n in result.notes)
        inside[hazard] = float(round(result.inside["people_exposed"]))
        overlaps = result.overlaps
    return overlaps, inside


def _admin_table(scenario: Scenario, filters: Filters, region: Region, every: _Located,
                 incidents, current, notes: list[Phrase]
                 ) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The same figures per admin area (each country's finest level), clipped to the
    region, and the admin areas that overlap; ``notes`` gets what users should
    know of the areas (the shipped provinces' vintage)."""
    none = pd.DataFrame(columns=["area_a", "area_b", "km2"])
    boundaries = scenario["boundaries"]
    admin = finest_areas(boundaries, admin_only=True)
    if admin.empty:
        return None, none
    groups = None
    if region.whole_countries and region.parts:
        # A country's own areas, within its own shape: countries' areas drawn apart
        # share slivers along borders, which would count twice.
        by_country = _REFERENCE.get_or(boundaries, "admin by country", lambda: {
            code: group for code, group in admin.groupby("iso3", sort=False)})
        shapes = dict(region.parts)
        parts = [_CLIPPED.get_or(
            (fingerprint.of_table(group, ["code", "name"]), fingerprint.of_shape(shapes[code])),
            functools.partial(_clipped, group, shapes[code]))
            for code, group in by_country.items() if code in shapes]
        groups = [part for part in parts if len(part)]
        admin = pd.concat(parts or [admin.iloc[0:0]])
    else:
        parts = [_clipped(admin, region.geometry)]
        admin = parts[0]
    admin = admin.reset_index(drop=True)
    if admin.empty:
        return None, none
    table = pd.DataFrame({"code": [*admin["code"], pd.NA], "area": [*admin["name"], OUTSIDE]})
    if ADMIN1_SOURCE in set(admin["source"].dropna()):
        notes.append(ADMIN1_VINTAGE)
    overlaps, _ = _hazard_columns(scenario, filters, admin, "code", table, [], groups=groups)
    for col, frame, weight in (("incidents", incidents, None), ("displaced", current, "figure")):
        located = frame[frame.geometry.notna()]
        idx = (every.area_index(located, parts) if frame is incidents and region.whole_countries
               else area_index(located.geometry, admin)) if len(located) else np.zeros(0, int)
        weights = np.ones(len(located)) if weight is None else located[weight].to_numpy(float)
        sums = np.bincount(idx + 1, weights=weights, minlength=len(admin) + 1)
        table[col] = np.roll(sums, -1).round().astype("int64")
    return _without_layers_off(table, filters.hazards), overlaps


_CLIPPED: Kept[gpd.GeoDataFrame] = Kept(32)  # each country's areas within its shape
_PER_TABLE: KeptFor[_RowValues] = KeptFor(64)  # per scenario table and question


class _RowValues:
    """Values worked out for rows of one table, each row once, as rows are asked
    for: a first summary pays for its own rows only, and sessions asking at once
    wait for each other's rows instead of working them out twice."""

    def __init__(self, size: int, make: Callable[[gpd.GeoDataFrame], dict[str, np.ndarray]]):
        self._make = make  # rows -> {name: one value per row}; never holds the table
        self._known = np.zeros(size, dtype=bool)
        self._values: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def at(self, table: gpd.GeoDataFrame, positions: np.ndarray) -> dict[str, np.ndarray]:
        with self._lock:
            missing = np.unique(positions[~self._known[positions]])
            if len(missing) or not self._values:  # none asked yet: learn the names
                for name, values in self._make(table.iloc[missing]).items():
                    if name not in self._values:
                        self._values[name] = np.empty(len(self._known), dtype=values.dtype)
                    self._values[name][missing] = values
                self._known[missing] = True
            return {name: values[positions] for name, values in self._values.items()}


class _Located:
    """What each incident's location gives (its country outline and nearest
    border, its H3 cell, its admin area), kept per row of the scenario's table
    while the table lives: every region's incidents are rows of it, so a filter
    change looks most of them up instead of joining them again. Tables whose
    rows cannot be found again by label (a repeated index) or holding records
    without a location are joined as they are asked for."""

    def __init__(self, table: gpd.GeoDataFrame):
        self.table = table
        self.whole = bool(table.index.is_unique and table.geometry.notna().all())

    def _values(self, rows: pd.DataFrame, key: tuple,
                make: Callable[[gpd.GeoDataFrame], dict[str, np.ndarray]]
                ) -> dict[str, np.ndarray]:
        table = self.table
        values = _PER_TABLE.get_or(table, key, lambda: _RowValues(len(table), make))
        return values.at(table, table.index.get_indexer(rows.index))

    def joined(self, rows: gpd.GeoDataFrame, countries: gpd.GeoDataFrame,
               borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``join_areas`` of ``rows`` (rows of the table)."""
        if not self.whole:
            return join_areas(rows, countries, borders)[0]

        def make(part: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
            columns, _ = area_columns(part, countries, borders)
            return {c: columns[c].to_numpy(dtype=object) for c in columns}

        key = ("areas", fingerprint.of_frame(countries, ["code", "name"]),
               fingerprint.of_frame(borders, ["pair"]))
        found = self._values(rows, key, make)
        return rows.join(pd.DataFrame(
            {c: np.asarray(v, dtype=float) if c == "border_km" else pd.array(v, dtype="string")
             for c, v in found.items()}, index=rows.index))

    def cells(self, rows: pd.DataFrame, res: int) -> pd.Series | None:
        """Each row's H3 cell at ``res`` (None: let ``hotspots`` work them out)."""
        if not self.whole:
            return None
        found = self._values(rows, ("h3", res), lambda part: {
            "cell": hotspots.h3_cells(part.geometry, res)})
        return pd.Series(found["cell"], index=rows.index)

    def area_index(self, rows: gpd.GeoDataFrame, parts: list[gpd.GeoDataFrame]) -> np.ndarray:
        """``area_index`` of ``rows`` in the areas of ``parts`` one after another
        (each country's, kept apart and never changed: known by identity once
        hashed): the first area holding a point wins, as in one index of all of them."""
        if not self.whole:
            return area_index(rows.geometry, pd.concat(parts))
        out = np.full(len(rows), -1, dtype=np.int64)
        offset = 0
        for part in parts:
            here = self._values(rows, ("admin", fingerprint.of_table(part, ["code"])),
                                functools.partial(_index_in, part))["index"]
            new = (out < 0) & (here >= 0)
            out[new] = here[new] + offset
            offset += len(part)
        return out


def _index_in(areas: gpd.GeoDataFrame, located: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    return {"index": area_index(located.geometry, areas)}


def _clipped(areas: gpd.GeoDataFrame, within: shapely.Geometry) -> gpd.GeoDataFrame:
    """``areas`` cut to ``within``; those left empty left out."""
    clipped = areas.copy()
    clipped["geometry"] = shapely.intersection(areas.geometry.values, within)
    return clipped[~clipped.geometry.is_empty]


def _needs(table: pd.DataFrame, needs: Mapping[str, MinimumNeeds]) -> pd.DataFrame:
    """The minimum needs of each area's displaced people, at its country's
    standard (the default's where the country has none)."""
    default = needs.get("default", MinimumNeeds())
    rows = []
    displaced_column = table["displaced"] if "displaced" in table else [None] * len(table)
    for area, iso3, displaced in zip(table["area"], table["iso3"], displaced_column,
                                     strict=True):
        if pd.isna(displaced) or not displaced > 0:
            continue
        rates = needs.get(iso3, default) if isinstance(iso3, str) else default
        rows.append({"area": area, "iso3": iso3, "displaced": int(displaced),
                     **needs_for(float(displaced), rates), "standard": rates.standard})
    return pd.DataFrame(rows, columns=["area", "iso3", "displaced", *NEEDS_COLUMNS,
                                       "standard"])


# Results that depend on few inputs, which most filter changes leave as they were.
_BORDERS: Kept[gpd.GeoDataFrame] = Kept(8)  # per set of country outlines
_STORMS: KeptFor[tuple] = KeptFor(16)  # per track table, period and country outlines


def _storms(table: gpd.GeoDataFrame, period: Period, countries: gpd.GeoDataFrame
            ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """The storms of ``period`` wherever they went: their observed positions, a
    line, landfall and wind swaths each (storm by storm, so a region's storms are
    rows of these). Kept per period: a change of region looks them up."""
    def make():
        # Observed positions only: a forecast (ATCF a-deck) is not where a storm has
        # been; early-warning rules use the forecasts.
        tracks = table[period.contains(table["time"]) & ~table["forecast"]]
        return (tracks, cyclones.track_lines(tracks),
                cyclones.landfall(tracks, countries).set_index("storm_id"),
                cyclones.wind_swaths(tracks))

    return _STORMS.get_or(table, (period.start, period.end,
                                  fingerprint.of_table(countries, ["iso3"])), make)


def _cyclones(lines: gpd.GeoDataFrame, landfalls: pd.DataFrame, swaths: gpd.GeoDataFrame,
              region: Region, wanted: bool) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The storms whose track comes within 5 degrees of the region (landfall,
    peak wind ...) and their swaths, from the period's (``_storms``)."""
    empty = pd.DataFrame(columns=["storm_id", "name", "start", "end", "max_wind_kt",
                                  "min_pressure_hpa", "landfall_time", "landfall_country",
                                  "landfall_wind_kt"])
    if not wanted or lines.empty:
        return empty, swaths.iloc[0:0].copy()
    near = lines[region.near(lines.geometry.values, 5.0)]
    storms = pd.DataFrame(lines.drop(columns="geometry")).set_index("storm_id").loc[
        near["storm_id"]]
    land = landfalls.reindex(storms.index)  # (an empty frame would take a series' rows)
    storms["landfall_time"] = land["time"]
    storms["landfall_country"] = land["country"]
    storms["landfall_wind_kt"] = land["wind_kt"]
    return (storms.reset_index()[empty.columns],
            swaths[swaths["storm_id"].isin(near["storm_id"])].reset_index(drop=True))


_UNDER_SWATHS: Kept[np.ndarray] = Kept(64, stored_as="people-under-swaths")  # swaths x countries


def _swath_people(swaths, population, areas, *,
                  groups: list[gpd.GeoDataFrame] | None = None) -> np.ndarray:
    """People in the region's areas under each swath (from the track's radii);
    ``groups``: the areas country by country (kept frames), which do not overlap,
    so each country's people are kept apart and added (another choice of
    countries recomputes none)."""
    if swaths.empty:
        return np.zeros(0)
    key = (fingerprint.of_frame(swaths, ["storm_id", "threshold_kt"]),
           fingerprint.of_raster(population))
    people = sum(_UNDER_SWATHS.get_or((*key, fingerprint.of_table(group, ["name"]) if groups
                                       else fingerprint.of_frame(group, ["name"])),
                                      functools.partial(_people_under, swaths, population,
                                                        group))
                 for group in groups or [areas])
    return np.round(np.asarray(people, dtype=float))


def _people_under(swaths, population, areas) -> np.ndarray:
    table = cyclones.swath_exposure(swaths, population, areas)
    inside = table[table["area"] != OUTSIDE]
    totals = inside.groupby(["storm_id", "threshold_kt"])["people_exposed"].sum()
    keys = list(zip(swaths["storm_id"], swaths["threshold_kt"], strict=True))
    return np.array([float(totals.get(k, 0.0)) for k in keys])
