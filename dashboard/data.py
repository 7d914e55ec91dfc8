"""The dashboard's handle on the situation service, and what only the
dashboard needs (the offline map assets, the basemap probe).

One service per process serves every session; it owns the caches of
scenarios, summaries and documents.
"""

from __future__ import annotations

import gc
from pathlib import Path

import httpx
import pandas as pd
import streamlit as st

from data_sources.settings import Settings
from layers.assets import copy_if_changed, install_static
from layers.map import MapOptions, situation_map
from model.period import Period
from model.situation import Filters, Region
from reports.fonts import FONTS
from service import SituationService

from .state import Choice, defaults

STATIC = Path(__file__).resolve().parent / "static"
ASSET_URL = "/app/static/vendor"
BASEMAP_ATTRIBUTION = "© OpenStreetMap contributors © CARTO"


@st.cache_resource(show_spinner="Loading the data (the demo is generated on first start)…")
def service() -> SituationService:
    """The process's one service, loaded and warmed under the spinner."""
    return warmed_service()


def warmed_service(settings: Settings | None = None) -> SituationService:
    """A new service, its data loaded, the first page's figures worked out (the
    sidebar's defaults, for a visitor without a link) and the layers every map
    shares drawn (outlines and names, the rasters' images): a new dashboard
    process's first visitors find them kept."""
    svc = SituationService(settings)
    first = svc.warm(lambda region, as_of: filters(defaults(as_of), region))
    if first is not None:
        situation_map(first, MapOptions(asset_base_url=ASSET_URL, digits=svc.settings.digits))
        gc.freeze()  # what the map keeps, too, as the service does its data (_settle_memory)
    return svc


@st.cache_resource
def static_assets() -> Path:
    """Leaflet and plugins copied from installed packages into our static folder,
    and the Noto fonts of the region's scripts (``.streamlit/config.toml`` names
    them; a browser fetches one only when a page holds its script)."""
    folder = install_static(STATIC / "vendor")
    (folder / "fonts").mkdir(exist_ok=True)
    for font in FONTS.glob("*.ttf"):
        copy_if_changed(font, folder / "fonts" / font.name)
    return folder


@st.cache_resource(ttl=600)
def basemap_url() -> str | None:
    """The basemap tile URL when its server answers (checked every 10 minutes);
    None gives a plain background. SAMON_BASEMAP_URL="" turns tiles off."""
    url = service().settings.basemap_url
    if not url:
        return None
    probe = url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    try:
        return url if httpx.head(probe, timeout=1.5).status_code < 400 else None
    except httpx.HTTPError:
        return None


def filters(choice: Choice, region: Region | None) -> Filters:
    """Filters for a sidebar choice: both dates of the period count in full."""
    return Filters(region=region, hazards=frozenset(choice.hazards),
                   period=Period.of_days(choice.start, choice.end),
                   flood_threshold_m=choice.flood_m, wind_threshold_kt=choice.wind_kt,
                   categories=tuple(choice.categories), alert_levels=tuple(choice.alert_levels),
                   h3_res=choice.h3_res, view=choice.view,
                   wind_time=pd.Timestamp(choice.wind_time, tz="UTC") if choice.wind_time
                   else None)


def nothing_chosen(choice: Choice, polygon: dict | None) -> bool:
    return not (choice.countries or choice.corridor_km or choice.admin_codes or polygon)
