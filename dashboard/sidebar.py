"""The sidebar: every filter, read from and written to the URL."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from model.i18n import N_, _, ngettext, said, when
from model.schema import ALERT_LEVELS, INCIDENT_CATEGORIES, SAARC_ISO3
from model.situation import HAZARD_LAYER_NAMES, HAZARD_LAYERS, FilterOptions

from . import language
from .state import (
    CORRIDOR_KM,
    FLOOD_M,
    H3_RESOLUTIONS,
    WIND_THRESHOLDS,
    Choice,
    defaults,
    from_query,
    to_query,
)

COUNTRY_NAMES = {"AFG": N_("Afghanistan"), "BGD": N_("Bangladesh"), "BTN": N_("Bhutan"),
                 "IND": N_("India"), "MDV": N_("Maldives"), "NPL": N_("Nepal"),
                 "PAK": N_("Pakistan"), "LKA": N_("Sri Lanka")}
EVERY_BORDER = "every border"  # the border-pair choice that is no pair
INCIDENT_MODES = {"auto": N_("auto"), "markers": N_("markers"), "clusters": N_("clusters"),
                  "heatmap": N_("heatmap")}


def _init(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def sidebar(options: FilterOptions, lang_query: dict[str, str],
            on_language=None) -> tuple[Choice, dict | None]:
    """Render the filters; returns the choice and the user polygon (GeoJSON) if any.
    ``lang_query``: the language's part of the link, kept beside the filters;
    ``on_language``: run when the user chooses another language."""
    start = from_query(dict(st.query_params), defaults(options.as_of))
    _init("countries", start.countries)
    _init("hazards", start.hazards)
    _init("categories", start.categories)
    _init("levels", start.alert_levels)
    _init("period", (start.start.date(), start.end.date()))
    _init("corridor_on", start.corridor_km is not None)
    _init("corridor_km", start.corridor_km or 25.0)
    _init("corridor_pair", start.corridor_pair or "every border")
    _init("flood_m", start.flood_m)
    _init("wind_kt", start.wind_kt)
    _init("h3_res", start.h3_res)
    _init("incident_mode", start.incident_mode)

    sb = st.sidebar
    language.selector(sb, on_language)
    sb.header(_("Filters"))
    sb.multiselect(_("Countries"), SAARC_ISO3, key="countries",
                   format_func=lambda c: f"{_(COUNTRY_NAMES[c])} ({c})")
    names = options.admin_areas
    if not names:
        sb.caption(_("Admin areas: none loaded (add admin boundaries under Add data)."))
    else:
        _init("admin_codes", [c for c in start.admin_codes if c in names])
        sb.multiselect(_("Admin areas"), sorted(names), key="admin_codes",
                       format_func=lambda c: f"{names[c]} ({c})",
                       help=_("When chosen, the view covers these areas instead of countries"))
    sb.checkbox(_("Border corridor"), key="corridor_on")
    if st.session_state["corridor_on"]:
        sb.slider(_("Corridor width (km either side)"), *CORRIDOR_KM, key="corridor_km",
                  step=1.0)
        sb.selectbox(_("Border pair"), [EVERY_BORDER, *options.border_pairs],
                     key="corridor_pair",
                     format_func=lambda p: _("every border") if p == EVERY_BORDER else p)
    polygon = _polygon_upload(sb) or _drawing(sb)
    if options.views:  # the boundaries hold member states' outlines of disputed areas
        _init("view", start.view if start.view in options.views else "")
        sb.selectbox(_("Boundaries as drawn by"), ["", *options.views], key="view",
                     format_func=lambda v: v or _("the data's source (no member state's view)"),
                     help=_("Disputed areas are outlined, and their figures counted, as the "
                            "chosen member state draws them; the choice is named on the "
                            "map, the figures and the reports."))
    sb.multiselect(_("Hazard layers"), HAZARD_LAYERS, key="hazards",
                   format_func=lambda h: _(HAZARD_LAYER_NAMES[h]))
    sb.multiselect(_("Incident categories"), INCIDENT_CATEGORIES, key="categories",
                   format_func=_)
    sb.date_input(_("Period"), key="period", min_value=pd.Timestamp("2000-01-01").date(),
                  max_value=(options.as_of + pd.Timedelta(days=1)).date())
    sb.multiselect(_("Alert levels"), ALERT_LEVELS, key="levels", format_func=_)
    with sb.expander(_("Thresholds and display")):
        st.slider(_("Flood depth threshold (m)"), *FLOOD_M, key="flood_m", step=0.1)
        st.selectbox(_("Cyclone wind threshold (kt)"), WIND_THRESHOLDS, key="wind_kt")
        st.selectbox(_("Hotspot H3 resolution"), H3_RESOLUTIONS, key="h3_res",
                     help=_("Higher is finer: 5 ≈ 250 km², 6 ≈ 36 km², 7 ≈ 5 km² per hexagon"))
        st.selectbox(_("Incidents shown as"), list(INCIDENT_MODES), key="incident_mode",
                     format_func=lambda m: _(INCIDENT_MODES[m]),
                     help=_("auto: markers up to 2,000 incidents, clusters beyond"))
        steps = options.wind_steps
        if steps:
            _init("wind_time", start.wind_time if start.wind_time in steps else "maximum")
            st.select_slider(_("Cyclone wind time step"), ["maximum", *steps],
                             key="wind_time", format_func=lambda t: _("maximum")
                             if t == "maximum" else when(t))

    period = st.session_state["period"]
    first = pd.Timestamp(period[0], tz="UTC") if len(period) else start.start
    last = pd.Timestamp(period[-1], tz="UTC") if len(period) else start.end
    choice = Choice(
        countries=list(st.session_state["countries"]), hazards=list(st.session_state["hazards"]),
        categories=list(st.session_state["categories"]),
        alert_levels=list(st.session_state["levels"]), start=first, end=last,
        corridor_km=st.session_state["corridor_km"] if st.session_state["corridor_on"] else None,
        corridor_pair=(None if st.session_state["corridor_pair"] == EVERY_BORDER
                       else st.session_state["corridor_pair"]),
        flood_m=float(st.session_state["flood_m"]), wind_kt=int(st.session_state["wind_kt"]),
        h3_res=int(st.session_state["h3_res"]), incident_mode=st.session_state["incident_mode"],
        admin_codes=list(st.session_state.get("admin_codes", [])),
        wind_time=(None if st.session_state.get("wind_time", "maximum") == "maximum"
                   else st.session_state["wind_time"]),
        view=(st.session_state.get("view") or None) if options.views else None,
    )
    st.query_params.from_dict({**to_query(choice), **lang_query})
    return choice, polygon


def add_vertex(points: list[list[float]], click: dict | None) -> bool:
    """Append a map click ({'lat', 'lng'}) as a corner; False when it is not new."""
    if not click or click.get("lat") is None:
        return False
    vertex = [round(float(click["lng"]), 5), round(float(click["lat"]), 5)]
    if points and points[-1] == vertex:
        return False
    points.append(vertex)
    return True


def drawn_polygon(points: list[list[float]]) -> dict | None:
    """The drawn corners (lon, lat) as a closed GeoJSON polygon; None under 3 corners."""
    if len(points) < 3:
        return None
    return {"type": "Polygon", "coordinates": [[*points, points[0]]]}


def _drawing(sb) -> dict | None:
    """Draw an area on the map: each click adds a corner (see components.map_view)."""
    _init("draw_points", [])
    sb.checkbox(_("Draw an area on the map"), key="draw_mode",
                help=_("Click the map to add corners, then use the area"))
    if st.session_state.get("draw_mode"):
        points = st.session_state["draw_points"]
        sb.caption(ngettext("{n} corner drawn", "{n} corners drawn", len(points))
                   + (" — " + _("click the map to add more") if len(points) < 3 else ""))
        use, clear = sb.columns(2)
        if use.button(_("Use drawn area"), key="draw_use", disabled=len(points) < 3):
            st.session_state["drawn_area"] = drawn_polygon(points)
        if clear.button(_("Clear"), key="draw_clear"):
            st.session_state["draw_points"] = []
            st.session_state.pop("drawn_area", None)
    area = st.session_state.get("drawn_area")
    if area:
        sb.caption(_("Using the drawn area instead of countries and corridor."))
        return {"type": "Feature", "properties": {}, "geometry": area}
    return None


def _polygon_upload(sb) -> dict | None:
    upload = sb.file_uploader(_("Area of interest (GeoJSON polygon)"),
                              type=["geojson", "json"], key="polygon_file")
    if upload is None:
        return None
    try:
        doc = json.loads(upload.getvalue().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        sb.error(_("{file}: not valid GeoJSON ({error})", file=upload.name, error=said(exc)))
        return None
    sb.caption(_("Using the polygon from {file} instead of countries and corridor.",
                 file=upload.name))
    return doc
