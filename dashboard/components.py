"""Pieces shared by the views: DEMO banner, key figures, the map, freshness."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from layers.html import esc
from layers.map import MapOptions, situation_map, warnings_spec
from model.i18n import _, current, number, when
from model.needs import NEEDS_COLUMNS, needs_note, no_needs_text
from model.situation import KEY_FIGURES, Summary

from . import data
from .map_component import show_map
from .sidebar import add_vertex


def figure(value) -> str:
    """A whole figure as the language writes it; "—" where there is none (NaN)."""
    return "—" if pd.isna(value) else number(value, decimals=0)


def table_html(frame: pd.DataFrame, numbers: Callable[[object], str] = figure) -> str:
    """``frame`` as an HTML table: its index as row headers (named by the index's
    name), every text escaped; numeric columns written by ``numbers`` and
    aligned at their end; a missing text as "—"."""
    def text(value) -> str:
        return "—" if value is None or (not isinstance(value, str) and pd.isna(value)) \
            else esc(str(value))

    columns, head = [], []
    for name in frame.columns:
        values = frame[name]
        numeric = pd.api.types.is_numeric_dtype(values) and \
            not pd.api.types.is_bool_dtype(values)
        cells = [esc(numbers(v)) for v in values] if numeric else [text(v) for v in values]
        tag = '<td class="num">' if numeric else "<td>"
        columns.append([f"{tag}{cell}</td>" for cell in cells])
        # A column of figures is headed where its figures end.
        head.append(('<th scope="col" class="num">' if numeric else '<th scope="col">')
                    + f"{text(name)}</th>")
    corner = text(frame.index.name) if frame.index.name is not None else ""
    rows = "".join(f'<tr><th scope="row">{text(label)}</th>{"".join(cells)}</tr>'
                   for label, *cells in zip(frame.index, *columns, strict=True))
    return (f'<table class="samon-table"><thead><tr><th scope="col">{corner}</th>'
            f'{"".join(head)}</tr></thead><tbody>{rows}</tbody></table>')


def table(frame: pd.DataFrame, numbers: Callable[[object], str] = figure) -> None:
    """``frame`` as a plain table (see ``table_html``): light for the server
    (no styler) and for the page (one element, no data-grid bundle)."""
    st.html(table_html(frame, numbers))


def _demo_layers(summary: Summary) -> list[str]:
    return summary.sources.loc[summary.sources["demo"], "layer"].tolist()


def _all_demo(demo_layers: list[str]) -> bool:
    """The DEMO scenario itself (not real feeds beside some DEMO reference layer)."""
    return bool({"incidents", "alerts"} & set(demo_layers))


def demo_banner(summary: Summary, scenario_name: str) -> None:
    if not summary.demo:
        return
    demo_layers = _demo_layers(summary)
    if _all_demo(demo_layers):
        st.warning("**" + _("DEMO DATA") + "** — " + _(
            "{scenario}. Hazards, incidents and displacement are synthetic and must not be "
            "used for decisions. Boundaries (Natural Earth) and places (GeoNames) are real.",
            scenario=scenario_name))
    else:
        st.warning("**" + _("DEMO DATA") + "** " + _(
            "in: {layers}. Figures that use these layers (people exposed) are illustrative "
            "until real data replaces them.", layers=", ".join(demo_layers)))


def period_caption(summary: Summary) -> None:
    if summary.region.note:
        st.info(summary.region.note)
    shared = (" · " + _("shared only with: {audience}", audience="; ".join(summary.audience))
              if summary.audience else "")
    view = f" · {summary.view_text}" if summary.view_text else ""
    st.caption(f"{summary.region_label} · {summary.period.text()} · "
               + _("data as of {time}", time=when(summary.as_of))
               + f" · {summary.tlp}{view}{shared}")


def key_figures(summary: Summary, names=tuple(KEY_FIGURES)) -> None:
    """Each key figure, with its sources and as-of time (in its help)."""
    cols = st.columns(len(names))
    all_demo = _all_demo(_demo_layers(summary))
    for col, name in zip(cols, names, strict=True):
        source, as_of = summary.figure_sources(name)
        # Beside real data, a figure made with a DEMO layer says so on its face (in the
        # DEMO scenario the banner above says it of everything).
        mixed = summary.figure_uses_demo(name) and not all_demo
        col.metric(_(KEY_FIGURES[name]) + (" " + _("(uses DEMO data)") if mixed else ""),
                   summary.figure_text(name),
                   help=_("Source: {source}. As of {time}.", source=source, time=as_of))


def needs_table(summary: Summary) -> None:
    """The minimum needs of the displaced per area, with the standard used."""
    needs = summary.needs
    if needs.empty:
        empty_state(no_needs_text(summary.layer_on("displacement")))
        return
    shown = needs.drop(columns=["iso3", "standard"]).rename(
        columns={"area": _("Area"), "displaced": _("Displaced"),
                 **{k: _(v) for k, v in NEEDS_COLUMNS.items()}}).set_index(_("Area"))
    table(shown)
    st.caption(needs_note(needs["standard"]) + " "
               + _("A country's own standard: SAMON_NEEDS_FILE (README)."))


def storm_step(summary: Summary) -> None:
    """At the chosen wind time step: each storm's centre and intensity, and the
    people within each wind radius then (in the areas chosen)."""
    step = summary.storm_step
    for _storm, rows in step.groupby("storm_id", sort=False):
        first = rows.iloc[0]
        # Plain text: a storm's name comes from data, never rendered as markdown.
        st.text(_("{name} at {time}: centre {lat}° N {lon}° E, {wind} kt (radii: {radii})",
                  name=first["name"], time=when(first["time"]),
                  lat=number(first["lat"], decimals=1), lon=number(first["lon"], decimals=1),
                  wind=number(first["wind_kt"], decimals=0),
                  radii="; ".join(sorted(set(rows["radii_source"])))))
        cols = st.columns(len(rows))
        for col, row in zip(cols, rows.sort_values("threshold_kt").itertuples(), strict=True):
            col.metric(_("People within {wind} kt winds then", wind=row.threshold_kt),
                       number(row.people_exposed, decimals=0))
    if summary.filters.wind_time is not None and step.empty and summary.layer_on("cyclone"):
        st.caption(_("No storm in this view at {time}.", time=when(summary.filters.wind_time)))


def map_view(summary: Summary, layers, incident_mode: str, key: str, focus=None) -> None:
    """The layered map. Panning, zooming and the map's own layer toggles do not
    rerun the script; a filter change redraws only the layers that changed."""
    data.static_assets()
    drawing = bool(st.session_state.get("draw_mode"))
    points = tuple(tuple(p) for p in st.session_state.get("draw_points", [])) if drawing else None
    options = MapOptions(layers=frozenset(layers), incident_mode=incident_mode,
                         asset_base_url=data.ASSET_URL, drawing=points,
                         language=current().code, digits=data.service().settings.digits,
                         focus=focus,
                         basemap_url=data.basemap_url(),
                         basemap_attribution=data.BASEMAP_ATTRIBUTION)
    click = show_map(situation_map(summary, options), key=key, height=options.height,
                     report_clicks=drawing)
    if drawing and add_vertex(st.session_state.setdefault("draw_points", []), click):
        st.rerun()


def warnings_map_view(active: pd.DataFrame, *, demo: bool, key: str) -> None:
    """The active warnings' areas; panning and zooming do not rerun."""
    data.static_assets()
    options = MapOptions(asset_base_url=data.ASSET_URL, basemap_url=data.basemap_url(),
                         basemap_attribution=data.BASEMAP_ATTRIBUTION, height=460,
                         language=current().code, digits=data.service().settings.digits)
    show_map(warnings_spec(active, options, demo=demo), key=key, height=options.height)


ALERTS_CHOICE = "alert_on_map"  # the widget key of the overview's "show on the map" choice


def _alert_names(alerts) -> list[str]:
    return [f"{i + 1}. {_(level)} {hazard}: {headline}" for i, (level, hazard, headline) in
            enumerate(zip(alerts["alert_level"].astype(str), alerts["hazard"].astype(str),
                          alerts["headline"].fillna(""), strict=True))]


def chosen_alert_bounds(summary: Summary) -> tuple[float, float, float, float] | None:
    """The bounds of the alert chosen under the alerts list (drawn below the map,
    so its choice is read from the session before the map is drawn)."""
    names = _alert_names(summary.alerts)
    chosen = st.session_state.get(ALERTS_CHOICE)
    if chosen not in names:
        return None
    shape = summary.alerts.geometry.iloc[names.index(chosen)]
    if shape is None or shape.is_empty:
        return None
    west, south, east, north = shape.bounds
    return (west, south, east, north)


def alerts_list(summary: Summary) -> None:
    """The active alerts (level in words, not only colour) as a plain table (no
    data-grid bundle to load), and a choice that brings the map to one."""
    alerts = summary.alerts
    if alerts.empty:
        empty_state(_("No alert is active for these filters."))
        return

    def utc(times) -> list[str]:
        return [when(t) for t in times]

    listed = pd.DataFrame({
        _("Level"): [_(level) for level in alerts["alert_level"].astype(str)],
        _("Hazard"): alerts["hazard"].astype(str).tolist(),
        _("Headline"): alerts["headline"].tolist(), _("Source"): alerts["source"].tolist(),
        _("Since"): utc(alerts["start"]), _("Until"): utc(alerts["end"]),
        _("Updated"): utc(alerts["updated"])}, index=pd.RangeIndex(1, len(alerts) + 1, name="#"))
    table(listed)
    located = [n for n, g in zip(_alert_names(alerts), alerts.geometry, strict=True)
               if g is not None and not g.is_empty]
    st.selectbox(_("Show an alert on the map"), located, index=None, key=ALERTS_CHOICE,
                 placeholder=_("Choose an alert"))


def feeds(status: pd.DataFrame | None) -> None:
    """Live feeds: last success, age, and a warning for each stale source."""
    if status is None:
        return
    for row in status[status["stale"]].itertuples():
        fetched = row.age_h is not None and pd.notna(row.age_h)
        stale = (_("Feed {source} is stale ({hours} h old).", source=row.source,
                   hours=number(row.age_h, decimals=1)) if fetched
                 else _("Feed {source} is stale (never fetched).", source=row.source))
        # The last error as the ingest log keeps it (English).
        st.warning(stale + (" " + _("Last error: {error}", error=row.last_error)
                            if row.last_error else ""))
    table(pd.DataFrame({
        _("source"): status["source"],
        _("last success"): [when(t) if t is not None and pd.notna(t) else _("never")
                            for t in status["last_success"]],
        _("age (h)"): [number(a, decimals=1) if a is not None and pd.notna(a) else "—"
                       for a in status["age_h"]],
        _("state"): status["stale"].map({True: _("STALE"), False: _("ok")}),
        _("records"): counts(status["accepted"]),
        _("last error"): status["last_error"].fillna(""),
    }).set_index(_("source")))


def counts(values: pd.Series) -> pd.Series:
    """Counts as the language writes them; "–" where there is none; text (a
    raster's "790 x 760" cells) as it is."""
    return values.map(lambda v: v if isinstance(v, str) else "–" if pd.isna(v)
                      else number(int(v)))


def freshness(summary: Summary) -> None:
    """Each source: last update, its age, record count, DEMO or live."""
    sources = summary.sources
    age = (summary.as_of - pd.to_datetime(sources["updated"], utc=True)).dt.total_seconds() / 3600
    table(pd.DataFrame({
        _("layer"): sources["layer"], _("source"): sources["source"],
        _("updated"): [when(u) if u is not None and pd.notna(u) else "—"
                       for u in sources["updated"]],
        _("age"): [_("{n} h", n=number(a, decimals=0)) if pd.notna(a) else _("reference data")
                   for a in age],
        _("records"): counts(sources["records"]), _("rejected"): counts(sources["rejected"]),
        _("status"): sources["demo"].map({True: "DEMO", False: _("real")}),
    }).set_index(_("layer")))


def empty_state(message: str) -> None:
    st.info(message)
