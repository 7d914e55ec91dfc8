"""Border incidents and hotspots: for border-security planners."""

import pandas as pd
import streamlit as st

from dashboard import components
from dashboard.context import current
from layers.builders import CATEGORY_COLOURS

ctx = current()
s = ctx.summary
st.title("Border incidents and hotspots")
components.demo_banner(s, ctx.scenario_name)
components.period_caption(s)
if "incidents" not in ctx.choice.hazards:
    components.empty_state("Incidents are switched off in the sidebar (Hazard layers).")
    st.stop()
components.key_figures(s, ("incidents",))
components.map_view(s, {"boundaries", "hotspots", "incidents"},
                    ctx.choice.incident_mode, "hotspots")
if s.incidents.empty:
    components.empty_state("No incidents match these filters. Widen the period, the region or "
                           "the categories.")
    st.stop()

st.subheader("Top hotspots")
if s.top_hotspots.empty:
    components.empty_state("No statistically significant hotspot in this view.")
else:
    top = s.top_hotspots.rename(columns={
        "place": "Near", "place_km": "Km to place", "area": "Area",
        "h3": "H3 cell", "count": "Incidents", "gi_z": "Gi* z", "gi_class": "Class",
        "recent": "This period", "previous": "Previous period", "change": "Change",
        "border_pair": "Nearest border", "border_km": "Distance (km)"})
    first = ["Near", "Km to place", "Area"]
    top = top[first + [c for c in top.columns if c not in (*first, "lat", "lon")]]
    st.dataframe(top, hide_index=True, width="stretch",
                 column_config={"Gi* z": st.column_config.NumberColumn(format="%.2f"),
                                "Km to place": st.column_config.NumberColumn(format="%.0f"),
                                "Distance (km)": st.column_config.NumberColumn(format="%.1f")})
    st.caption("Trend: incidents in the selected period against the period of the same "
               "length just before it.")

st.subheader("Incidents over time")
weekly = (s.incidents.assign(week=s.incidents["time"].dt.tz_localize(None).dt.to_period("W")
                             .dt.start_time, category=s.incidents["category"].astype(str))
          .pivot_table(index="week", columns="category", values="id", aggfunc="count",
                       fill_value=0))
# The map's colours: a category looks the same in the chart, the map and the reports.
st.bar_chart(weekly, x_label="Week", y_label="Incidents per week",
             color=[CATEGORY_COLOURS.get(c, "#999999") for c in weekly.columns])

st.subheader("Incidents")
search = st.text_input("Search notes, categories, countries or areas", key="incident_search")
table = pd.DataFrame({
    "time (UTC)": s.incidents["time"].dt.strftime("%Y-%m-%d %H:%M"),
    "category": s.incidents["category"].astype(str), "country": s.incidents["country"],
    "area": s.incidents["area_name"], "fatalities": s.incidents["fatalities"],
    "nearest border": s.incidents["border_pair"], "border km": s.incidents["border_km"].round(1),
    "notes": s.incidents["notes"], "source": s.incidents["source"],
})
if search:
    text = table[["category", "country", "area", "notes", "nearest border"]].astype(str)
    table = table[text.apply(lambda col: col.str.contains(search, case=False, regex=False))
                  .any(axis=1)]
st.caption(f"{len(table):,} of {len(s.incidents):,} incidents")
st.dataframe(table.sort_values("time (UTC)", ascending=False), hide_index=True, width="stretch")
