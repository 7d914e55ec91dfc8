"""Filter state: sidebar widgets <-> URL query string <-> model.situation.Filters.

Widgets keep their values in ``st.session_state`` (so they persist across
views); every run writes them to the query string, so a view can be shared as
a link, and a link opened later restores them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from model.schema import ALERT_LEVELS, INCIDENT_CATEGORIES, SAARC_ISO3
from model.situation import HAZARD_LAYERS

WIND_THRESHOLDS = (34, 50, 64)
H3_RESOLUTIONS = (4, 5, 6, 7, 8)


@dataclass
class Choice:
    """Plain values chosen in the sidebar (what goes in the URL)."""

    countries: list[str]
    hazards: list[str]
    categories: list[str]
    alert_levels: list[str]
    start: pd.Timestamp
    end: pd.Timestamp
    corridor_km: float | None  # None: no corridor
    corridor_pair: str | None  # None: every border
    flood_m: float
    wind_kt: int
    h3_res: int
    incident_mode: str
    admin_codes: list[str] = field(default_factory=list)  # admin areas; empty: countries
    wind_time: str | None = None  # ISO time of one wind step; None: maximum over the storm
    view: str | None = None  # whose outlines of disputed areas; None: the data's own


def defaults(as_of: pd.Timestamp) -> Choice:
    end = as_of.normalize()
    return Choice(list(SAARC_ISO3), list(HAZARD_LAYERS), list(INCIDENT_CATEGORIES),
                  list(ALERT_LEVELS), end - pd.Timedelta(days=90), end, None, None, 0.5, 34, 6,
                  "auto")


FLOOD_M = (0.1, 3.0)  # the sidebar's slider range
CORRIDOR_KM = (1.0, 100.0)
FIRST_DAY = pd.Timestamp("2000-01-01", tz="UTC")
_PAIR = re.compile(r"^[A-Za-z]{3}-[A-Za-z]{3}$")


def _number(text: str | None, low: float, high: float) -> float | None:
    """A finite number within [low, high] from a link, else None."""
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def _day(text: str | None, default: pd.Timestamp) -> pd.Timestamp:
    """A day from a link between 2000 and the default's year + 1, else the default."""
    try:
        day = pd.Timestamp(text).tz_localize("UTC").normalize() if text else default
    except (ValueError, TypeError, OverflowError):
        return default
    latest = pd.Timestamp(year=default.year + 1, month=12, day=31, tz="UTC")
    return day if FIRST_DAY <= day <= latest else default


def _split(value: str, allowed) -> list[str]:
    return [v for v in value.split(",") if v in allowed] if value else []


def from_query(params: dict, base: Choice) -> Choice:
    """A Choice from URL parameters, falling back to ``base`` for anything
    missing or invalid (a shared link must never break the page)."""
    c = Choice(**vars(base))
    if "countries" in params:
        c.countries = _split(params["countries"], SAARC_ISO3)
    if "hazards" in params:
        c.hazards = _split(params["hazards"], HAZARD_LAYERS)
    if "categories" in params:
        c.categories = [x for x in params["categories"].split("|") if x in INCIDENT_CATEGORIES]
    if "levels" in params:
        c.alert_levels = _split(params["levels"], ALERT_LEVELS)
    start, end = (_day(params.get("from"), base.start), _day(params.get("to"), base.end))
    if start <= end:  # a period that ends before it starts is not taken from a link
        c.start, c.end = start, end
    if params.get("corridor"):
        *pair, km = params["corridor"].split(":")
        width = _number(km, *CORRIDOR_KM)
        if width is not None and (not pair or not pair[0] or _PAIR.match(pair[0])):
            c.corridor_km = width
            c.corridor_pair = pair[0].upper() if pair and pair[0] else None
    flood = _number(params.get("flood"), *FLOOD_M)
    if flood is not None:
        c.flood_m = flood
    for key, attr, allowed in (("wind", "wind_kt", WIND_THRESHOLDS),
                               ("h3", "h3_res", H3_RESOLUTIONS)):
        value = _number(params.get(key), min(allowed), max(allowed))
        if value is not None and int(value) in allowed:
            setattr(c, attr, int(value))
    if params.get("mode") in ("auto", "markers", "clusters", "heatmap"):
        c.incident_mode = params["mode"]
    if params.get("admin"):
        c.admin_codes = params["admin"].split(",")
    if params.get("view"):  # checked against the views the data holds by the sidebar
        c.view = params["view"]
    if params.get("wt"):
        try:
            c.wind_time = pd.Timestamp(params["wt"]).isoformat()
        except ValueError:
            pass
    return c


def to_query(c: Choice) -> dict[str, str]:
    query = {
        "countries": ",".join(c.countries), "hazards": ",".join(c.hazards),
        "categories": "|".join(c.categories), "levels": ",".join(c.alert_levels),
        "from": f"{c.start:%Y-%m-%d}", "to": f"{c.end:%Y-%m-%d}", "flood": f"{c.flood_m:g}",
        "wind": str(c.wind_kt), "h3": str(c.h3_res), "mode": c.incident_mode,
    }
    if c.corridor_km:
        query["corridor"] = f"{c.corridor_pair or ''}:{c.corridor_km:g}"
    if c.admin_codes:
        query["admin"] = ",".join(c.admin_codes)
    if c.wind_time:
        query["wt"] = c.wind_time
    if c.view:
        query["view"] = c.view
    return query
