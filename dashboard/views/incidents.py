"""Border incidents and hotspots: for border-security planners."""

import pandas as pd
import streamlit as st

from dashboard import components
from dashboard.context import current
from layers.builders import CATEGORY_COLOURS
from model.i18n import _, number, when

ctx = current()
s = ctx.summary
st.title(_("Border incidents and hotspots"))
components.demo_banner(s, ctx.scenario_name)
components.period_caption(s)
if "incidents" not in ctx.choice.hazards:
    components.empty_state(_("Incidents are switched off in the sidebar (Hazard layers)."))
    st.stop()
components.key_figures(s, ("incidents",))
components.map_view(s, {"boundaries", "hotspots", "incidents"},
                    ctx.choice.incident_mode, "hotspots")
if s.incidents.empty:
    components.empty_state(_("No incidents match these filters. Widen the period, the region "
                             "or the categories."))
    st.stop()

st.subheader(_("Top hotspots"))
if s.top_hotspots.empty:
    components.empty_state(_("No statistically significant hotspot in this view."))
else:
    first = ["place", "place_km", "area"]
    top = s.top_hotspots[first + [c for c in s.top_hotspots.columns
                                  if c not in (*first, "lat", "lon")]]
    top = top.assign(gi_class=top["gi_class"].astype(str).map(_))
    names = {"place": _("Near"), "place_km": _("Km to place"), "area": _("Area"),
             "h3": _("H3 cell"), "count": _("Incidents"), "gi_z": _("Gi* z"),
             "gi_class": _("Class"), "recent": _("This period"),
             "previous": _("Previous period"), "change": _("Change"),
             "border_pair": _("Nearest border"), "border_km": _("Distance (km)")}
    st.dataframe(top.rename(columns=names), hide_index=True, width="stretch",
                 column_config={names["gi_z"]: st.column_config.NumberColumn(format="%.2f"),
                                names["place_km"]: st.column_config.NumberColumn(format="%.0f"),
                                names["border_km"]: st.column_config.NumberColumn(format="%.1f")})
    st.caption(_("Trend: incidents in the selected period against the period of the same "
                 "length just before it."))

st.subheader(_("Incidents over time"))
weekly = (s.incidents.assign(week=s.incidents["time"].dt.tz_localize(None).dt.to_period("W")
                             .dt.start_time, category=s.incidents["category"].astype(str))
          .pivot_table(index="week", columns="category", values="id", aggfunc="count",
                       fill_value=0))
# The map's colours: a category looks the same in the chart, the map and the reports.
st.bar_chart(weekly, x_label=_("Week"), y_label=_("Incidents per week"),
             color=[CATEGORY_COLOURS.get(c, "#999999") for c in weekly.columns])

st.subheader(_("Incidents"))
search = st.text_input(_("Search notes, categories, countries or areas"),
                       key="incident_search")
table = pd.DataFrame({
    "time": s.incidents["time"],
    "category": [_(c) for c in s.incidents["category"].astype(str)],
    "country": s.incidents["country"], "area": s.incidents["area_name"],
    "fatalities": s.incidents["fatalities"], "border": s.incidents["border_pair"],
    "border_km": s.incidents["border_km"].round(1), "notes": s.incidents["notes"],
    "source": s.incidents["source"],
})
if search:
    text = table[["category", "country", "area", "notes", "border"]].astype(str)
    table = table[text.apply(lambda col: col.str.contains(search, case=False, regex=False))
                  .any(axis=1)]
st.caption(_("{shown} of {total} incidents", shown=number(len(table)),
             total=number(len(s.incidents))))
table = table.sort_values("time", ascending=False)
st.dataframe(table.assign(time=[when(t) for t in table["time"]]).rename(columns={
    "time": _("Time"), "category": _("Category"), "country": _("Country"), "area": _("Area"),
    "fatalities": _("Fatalities"), "border": _("Nearest border"),
    "border_km": _("Km to border"), "notes": _("Notes"), "source": _("Source")}),
    hide_index=True, width="stretch")
