"""Cached access to the scenario, the situation summary and the map.

The scenario is a resource (rasters stay lazily opened files); summaries are
computed by ``geo.summary.situation_summary`` and cached per filter choice.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pandas as pd
import shapely
import streamlit as st

from data_sources.ingest import status
from data_sources.scenario import Scenario, load_demo, load_live, load_scenario
from data_sources.settings import Settings
from data_sources.store import Store
from geo.regions import (
    Region,
    admin_region,
    corridor_region,
    countries_region,
    polygon_region,
)
from geo.summary import Filters, Summary, situation_summary
from layers.assets import install_static

from .state import Choice

STATIC = Path(__file__).resolve().parent / "static"
ASSET_URL = "/app/static/vendor"
DEFAULT_BASEMAP = "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png"
BASEMAP_ATTRIBUTION = "© OpenStreetMap contributors © CARTO"


def live_settings() -> Settings | None:
    """Settings when live feeds are configured (SAMON_SOURCES), else None."""
    settings = Settings()
    return settings if settings.sources else None


def store_token() -> str:
    """Changes whenever the store changes; 'demo' when no feed is configured."""
    settings = live_settings()
    if settings is None:
        return "demo"
    with Store(settings.store_path) as store:
        return store.change_token()


def feed_status() -> pd.DataFrame | None:
    settings = live_settings()
    if settings is None:
        return None
    with Store(settings.store_path) as store:
        return status(store, settings)


@st.cache_resource(show_spinner="Loading the data (the demo is generated on first start)…",
                   max_entries=2)
def scenario(token: str = "demo") -> Scenario:
    """The live scenario from the store when feeds are configured; else the one
    named by SAMON_SCENARIO (a manifest JSON); else the DEMO one. ``token``
    (from ``store_token``) makes a changed store load afresh."""
    settings = live_settings()
    if settings is not None:
        with Store(settings.store_path) as store:
            return load_live(store, status(store, settings))
    manifest = os.environ.get("SAMON_SCENARIO")
    return load_scenario(manifest) if manifest else load_demo()


@st.cache_resource
def static_assets() -> Path:
    """Leaflet and plugins copied from installed packages into our static folder."""
    return install_static(STATIC / "vendor")


@st.cache_resource(ttl=600)
def basemap_url() -> str | None:
    """The basemap tile URL when its server answers (checked every 10 minutes);
    None gives a plain background. SAMON_BASEMAP_URL="" turns tiles off."""
    url = os.environ.get("SAMON_BASEMAP_URL", DEFAULT_BASEMAP)
    if not url:
        return None
    probe = url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    try:
        return url if httpx.head(probe, timeout=1.5).status_code < 400 else None
    except httpx.HTTPError:
        return None


def region(choice: Choice, sc: Scenario, polygon: dict | None) -> Region | None:
    """The region chosen: a user polygon, else admin areas, else a border corridor,
    else countries."""
    boundaries = sc["boundaries"]
    if polygon:
        return polygon_region(polygon)
    if choice.admin_codes:
        return admin_region(boundaries, choice.admin_codes)
    if choice.corridor_km:
        countries = boundaries[boundaries["admin_level"] == 0]
        return corridor_region(countries, choice.corridor_km, choice.corridor_pair)
    present = set(boundaries.loc[boundaries["admin_level"] == 0, "iso3"])
    chosen = [c for c in choice.countries if c in present]
    return countries_region(boundaries, chosen) if chosen else None


def filters(choice: Choice, reg: Region | None) -> Filters:
    """geo's Filters for a sidebar choice; the end date counts in full."""
    return Filters(region=reg, hazards=frozenset(choice.hazards), start=choice.start,
                   end=choice.end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1),
                   flood_threshold_m=choice.flood_m, wind_threshold_kt=choice.wind_kt,
                   categories=tuple(choice.categories), alert_levels=tuple(choice.alert_levels),
                   h3_res=choice.h3_res)


def filters_key(f: Filters) -> str:
    """A cache key for Filters: the region by its label and geometry (WKB)."""
    region = (f.region.label, shapely.to_wkb(f.region.geometry).hex()) if f.region else None
    return repr((region, sorted(f.hazards), f.start, f.end, f.flood_threshold_m,
                 f.wind_threshold_kt, f.categories, f.alert_levels, f.h3_res, f.top_n,
                 f.trend_days))


@st.cache_data(show_spinner="Computing the situation…", max_entries=32,
               hash_funcs={Filters: filters_key})
def summary(_sc: Scenario, scenario_key: str, f: Filters) -> Summary:
    return situation_summary(_sc, f)


@st.cache_data(show_spinner="Building the PDF…", max_entries=8,
               hash_funcs={Filters: filters_key})
def report_pdf(_sc: Scenario, _summary: Summary, scenario_key: str, f: Filters,
               fields) -> bytes:
    """The PDF for a summary (identified by scenario key and filters) and the
    report fields (reports.content.ReportFields); cached so that editing one
    field does not rebuild unrelated ones."""
    from reports.sitrep import document  # loaded when a report is made, not at start-up

    return document("pdf", _summary, _sc, fields)


def scenario_key(sc: Scenario) -> str:
    return f"{sc.name}|{sc.as_of}|{sorted(sc.layers)}"


def no_countries_selected(choice: Choice) -> bool:
    return not choice.countries and not choice.corridor_km

