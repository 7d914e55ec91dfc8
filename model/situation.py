"""What a user asks for and what every renderer receives.

``Filters`` (with a ``Region`` and a ``Period``) go into the situation service;
a ``Summary`` comes out, carrying every figure and every geometry a map, a
table, a report or an export shows. Renderers take a ``Summary`` only: none
reaches into the scenario and none re-derives a figure.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from .i18n import N_, Phrase, _, number, when
from .period import Period

HAZARD_LAYERS = ("flood", "cyclone", "alerts", "incidents", "displacement")
HAZARD_LAYER_NAMES = {"flood": N_("Flood"), "cyclone": N_("Cyclone"), "alerts": N_("Alerts"),
                      "incidents": N_("Border incidents"), "displacement": N_("Displacement")}

# Figure name -> label; the order is the order shown everywhere.
KEY_FIGURES = {
    "people_exposed_flood": N_("People exposed to flooding"),
    "people_exposed_cyclone": N_("People exposed to cyclone winds"),
    "displaced": N_("People displaced"),
    "incidents": N_("Border incidents"),
    "active_alerts": N_("Active alerts"),
}
# The layer each key figure comes from: a figure whose layer is off is "off", not 0.
FIGURE_LAYER = {"people_exposed_flood": "flood", "people_exposed_cyclone": "cyclone",
                "displaced": "displacement", "incidents": "incidents",
                "active_alerts": "alerts"}
# The scenario layers (sources) each key figure is computed from.
FIGURE_SOURCES = {"people_exposed_flood": ("flood", "population"),
                  "people_exposed_cyclone": ("tracks", "population"),
                  "displaced": ("displacement",), "incidents": ("incidents",),
                  "active_alerts": ("alerts",)}



@dataclass(frozen=True)
class Region:
    """An area in EPSG:4326 with a label. ``iso3``: the countries it lies in,
    when known; ``whole_countries``: it is exactly those countries, so a
    record's own country attribute decides membership (a coarse coastline must
    not drop a coastal town). ``notes`` say how the area was made when it is
    not what the label suggests (a country with no polygon at this scale)."""

    label: str
    shape: shapely.Geometry | None  # None: the union of ``parts`` (``geometry``)
    iso3: tuple[str, ...] = ()
    whole_countries: bool = False
    notes: tuple[Phrase, ...] = ()
    # Whole countries: each one's own shape (iso3, geometry), which the figures are
    # broken down by; their union is ``geometry``.
    parts: tuple[tuple[str, shapely.Geometry], ...] = ()

    def __post_init__(self):
        if self.shape is None and not self.parts:
            raise ValueError("a region needs a shape or parts")

    @functools.cached_property
    def geometry(self) -> shapely.Geometry:
        """The region as one (Multi)Polygon. Made of parts, it is their union,
        made when first asked for (a tenth of a second for several countries,
        which the summary does without: it asks the parts)."""
        if self.shape is not None:
            return self.shape
        return shapely.union_all([shape for _, shape in self.parts])

    def _shapes(self) -> list[shapely.Geometry]:
        return [shape for _, shape in self.parts] if self.shape is None else [self.shape]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """west, south, east, north (degrees)."""
        boxes = np.array([shape.bounds for shape in self._shapes()])
        return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()),
                float(boxes[:, 3].max()))

    @property
    def note(self) -> str | None:
        """The notes in the language in use, or None."""
        return " ".join(n.text() for n in self.notes) or None

    def contains(self, points: gpd.GeoSeries) -> np.ndarray:
        """Boolean array: which points (EPSG:4326) fall inside the region."""
        return self.near(points.values, 0.0)

    def near(self, geoms: np.ndarray, degrees: float) -> np.ndarray:
        """Boolean array: which of ``geoms`` (EPSG:4326) touch the region or lie
        within ``degrees`` of it."""
        hit = np.zeros(len(geoms), dtype=bool)
        for shape in self._shapes():
            shapely.prepare(shape)
            hit |= np.asarray(shapely.intersects(shape, geoms) if degrees == 0 else
                              shapely.dwithin(shape, geoms, degrees), dtype=bool)
        return hit

    def key(self) -> tuple:
        """Identity for caches: label and exact geometry (its parts' when made of parts)."""
        shapes = tuple(shapely.to_wkb(shape).hex() for shape in self._shapes())
        return (self.label, shapes, self.iso3, self.whole_countries)


@dataclass(frozen=True)
class Filters:
    """What the user chose. None means the scenario's default (the SAARC
    countries; the 90 days before the data's as-of time)."""

    region: Region | None = None
    hazards: frozenset[str] = frozenset(HAZARD_LAYERS)
    period: Period | None = None
    flood_threshold_m: float = 0.5
    wind_threshold_kt: float = 34.0
    categories: tuple[str, ...] | None = None  # incident categories; None: all
    alert_levels: tuple[str, ...] = ("green", "orange", "red")
    alert_hazards: tuple[str, ...] | None = None  # alerts of these hazards only; None: all
    h3_res: int = 6
    top_n: int = 10
    trend_days: int | None = None  # None: the period against the one before it
    wind_time: pd.Timestamp | None = None  # a time step of the storms; None: their whole track
    view: str | None = None  # whose outlines of disputed areas; None: the data's own

    def key(self) -> tuple:
        """Identity for caches (the region by its exact geometry)."""
        return (self.region.key() if self.region else None, tuple(sorted(self.hazards)),
                self.period, self.flood_threshold_m, self.wind_threshold_kt, self.categories,
                self.alert_levels, self.alert_hazards, self.h3_res, self.top_n,
                self.trend_days, self.wind_time, self.view)


@dataclass(frozen=True)
class FilterOptions:
    """What a user can choose from, for the data at hand: the data's name and
    as-of time, admin areas loaded (code -> name), international border pairs
    touching a member state, and the wind raster's time steps (ISO, UTC)."""

    scenario_name: str
    as_of: pd.Timestamp
    admin_areas: dict[str, str]
    border_pairs: tuple[str, ...]
    wind_steps: tuple[str, ...]
    views: tuple[str, ...] = ()  # points of view the boundaries hold (geo/views.py)


@dataclass(frozen=True)
class Details:
    """The parts of a summary that no map draws: tables below the map, in the
    other views and in reports."""

    top_hotspots: pd.DataFrame
    admin_areas: pd.DataFrame | None  # per admin area, when admin boundaries are loaded
    overlaps: pd.DataFrame  # area_a, area_b, km2: areas that overlap
    notes: list[Phrase]  # what making them adds to the summary's notes
    displacement: pd.DataFrame  # per country: current, previous, change
    # Minimum needs of the displaced per area: area, iso3, displaced, the columns of
    # model.needs.NEEDS_COLUMNS, standard (which minimum standard each row used).
    needs: pd.DataFrame
    displacement_by_cause: pd.DataFrame


class Later:
    """``Details`` worked out when first read, once, even when several sessions
    read them at once: a page sends its figures and its map before it waits for
    the tables below them."""

    def __init__(self, make: Callable[[], Details]):
        self._make: Callable[[], Details] | None = make
        self._value: Details | None = None
        self._lock = threading.Lock()

    def get(self) -> Details:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    assert self._make is not None
                    self._value = self._make()
                    self._make = None  # what it held is no longer needed
        return self._value


@dataclass
class Summary:
    """Everything one view, report or export needs, computed once.

    Tables are DataFrames; what is drawn is a GeoDataFrame in EPSG:4326.
    Nothing reading a summary changes it: the service hands one summary to every
    session with the same filters, and the reference frames (countries, borders,
    places, admin outlines, rivers) are shared by every summary of the same data.
    ``flood`` and ``wind`` are the hazard rasters (lazily opened, native CRS)
    when their layer is on and loaded. ``sources`` has one row per layer:
    layer, kind, format, records, rejected, source, updated, demo.
    """

    filters: Filters
    region: Region
    period: Period
    as_of: pd.Timestamp
    demo: bool
    tlp: str  # the marking the data carries; nothing made from it may be marked lower
    key_figures: dict[str, float]
    areas: pd.DataFrame  # per country: iso3, area, figures...; last row OUTSIDE
    area_shapes: gpd.GeoDataFrame  # iso3, name, geometry: the countries clipped to the region
    countries: gpd.GeoDataFrame  # every admin-0 outline loaded (the map's background)
    places: gpd.GeoDataFrame  # populated places (name, country, population): the map's labels
    borders: gpd.GeoDataFrame  # international borders between them
    incidents: gpd.GeoDataFrame
    hotspot_cells: gpd.GeoDataFrame
    alerts: gpd.GeoDataFrame
    cyclones: pd.DataFrame
    swaths: gpd.GeoDataFrame
    tracks: gpd.GeoDataFrame  # track points of the storms in ``cyclones``
    # The storms at Filters.wind_time: centre, intensity, and per wind threshold the
    # area within that radius and the people in the region's areas there (empty: no step).
    storm_step: gpd.GeoDataFrame
    flood: xr.DataArray | None
    wind: xr.DataArray | None
    displacement_records: gpd.GeoDataFrame  # the period's figure per source record
    sources: pd.DataFrame
    details: Later  # top hotspots, admin areas, needs... (see the properties below)
    # How the figures were made, as phrases (``notes`` adds those of the details).
    first_notes: list[Phrase] = field(default_factory=list)
    # Each country's finest admin areas (iso3, code, name, geometry), whole: drawn on the map.
    admin_outlines: gpd.GeoDataFrame | None = None
    rivers: gpd.GeoDataFrame | None = None  # background lines for the maps (source, geometry)
    views: tuple[str, ...] = ()  # the boundaries' points of view; Filters.view is the one used
    key: str = ""  # identifies the data and filters it was computed from (set by the service)
    # Whose rights it was computed with (Viewer.key(): users of one agency share
    # it; documents are made only for them), and the restricted distributions of
    # what it contains ('country IND', 'agency DEMO-PAK' ...): no copy may go wider.
    made_for: tuple = ()
    audience: tuple[str, ...] = ()

    @property
    def top_hotspots(self) -> pd.DataFrame:
        return self.details.get().top_hotspots

    @property
    def admin_areas(self) -> pd.DataFrame | None:
        return self.details.get().admin_areas

    @property
    def overlaps(self) -> pd.DataFrame:
        return self.details.get().overlaps

    @property
    def displacement(self) -> pd.DataFrame:
        return self.details.get().displacement

    @property
    def needs(self) -> pd.DataFrame:
        return self.details.get().needs

    @property
    def displacement_by_cause(self) -> pd.DataFrame:
        return self.details.get().displacement_by_cause

    @property
    def notes(self) -> list[Phrase]:
        return [*self.first_notes, *self.details.get().notes]

    @property
    def region_label(self) -> str:
        return self.region.label

    @property
    def region_bounds(self) -> tuple[float, float, float, float]:
        """west, south, east, north (degrees)."""
        return self.region.bounds

    @property
    def view_text(self) -> str:
        """Whose outlines the map and the per-area figures follow: said wherever the
        boundaries hold more than one view ('' where they hold one)."""
        if not self.views:
            return ""
        if self.filters.view:
            return _("Boundaries as {view} draws them", view=self.filters.view)
        return _("Boundaries as the data's source draws them (no member state's view)")

    def layer_on(self, layer: str) -> bool:
        return layer in self.filters.hazards

    def admin_areas_with_figures(self) -> tuple[pd.DataFrame | None, str]:
        """The per-admin-area rows with a figure in any column, and a sentence
        counting the areas with none ('' when every area has one): tables list
        the first and say the second, so that a few flooded provinces are not
        lost among a hundred rows of zeros."""
        table = self.admin_areas
        if table is None:
            return None, ""
        figures = table.drop(columns=["code", "area"]).fillna(0)
        shown = (figures != 0).any(axis=1)
        without = int((~shown & table["code"].notna()).sum())  # not the "outside" row
        return table[shown].reset_index(drop=True), _(
            "Admin areas of this selection with no figure in any column, not listed: {count}.",
            count=number(without)) if without else ""

    def figure_sources(self, name: str) -> tuple[str, str]:
        """Where a key figure comes from: its sources ('DEMO flood model; DEMO
        population surface', each DEMO-flagged) and the oldest of their
        last updates ('2026-09-30 06:00 UTC', or 'reference data')."""
        names, oldest, _demo = self._figure_provenance[name]
        return names or "—", when(oldest) if oldest is not None else _("reference data")

    def figure_uses_demo(self, name: str) -> bool:
        """A key figure computed from a DEMO layer (the DEMO population under
        live hazards, say): it must say so where it is shown."""
        return self._figure_provenance[name][2]

    @functools.cached_property
    def _figure_provenance(self) -> dict[str, tuple[str, pd.Timestamp | None, bool]]:
        """Per key figure: its sources' names, the oldest of their updates, and
        whether any is DEMO; worked out once (every page shows them all), in
        no language, so that each page says them in its own."""
        # Plain Python over the few rows (one per layer): pandas' per-call cost
        # made this a tenth of a filter change.
        rows = self.sources[["layer", "source", "updated", "demo"]].to_dict("records")
        provenance = {}
        for name, layers in FIGURE_SOURCES.items():
            used = [r for r in rows if r["layer"] in layers]
            names = "; ".join(dict.fromkeys(
                f"{r['source']} (DEMO)" if r["demo"] else str(r["source"]) for r in used))
            updated = [pd.Timestamp(r["updated"]) for r in used
                       if r["updated"] is not None and pd.notna(r["updated"])]
            provenance[name] = (names, min(t.tz_localize("UTC") if t.tzinfo is None
                                           else t.tz_convert("UTC") for t in updated)
                                if updated else None, any(bool(r["demo"]) for r in used))
        return provenance

    def figure_text(self, name: str) -> str:
        """A key figure as shown everywhere: '1,234', or 'off' when its layer is off."""
        if not self.layer_on(FIGURE_LAYER[name]):
            return _("off")
        return number(self.key_figures[name], decimals=0)
