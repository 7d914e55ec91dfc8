"""Situation overview: for disaster-management officials."""

import streamlit as st

from dashboard import components, data
from dashboard.context import current

ctx = current()
st.title("Situation overview")
components.demo_banner(ctx.summary, ctx.scenario_name)
components.period_caption(ctx.summary)
components.key_figures(ctx.summary)
components.storm_step(ctx.summary)
components.map_view(ctx.summary, ctx.layers, ctx.choice.incident_mode, "overview",
                    focus=components.chosen_alert_bounds(ctx.summary))

if "alerts" in ctx.choice.hazards:
    st.subheader("Alerts")
    components.alerts_list(ctx.summary)

st.subheader("By area")
table = ctx.summary.areas.drop(columns=["iso3"]).rename(columns={
    "area": "Area", "flood_km2": "Flooded km²", "people_exposed_flood": "People exposed (flood)",
    "cyclone_km2": "Cyclone km²", "people_exposed_cyclone": "People exposed (cyclone)",
    "incidents": "Incidents", "displaced": "Displaced"})
# A static table: light to load on poor connections (no data-grid bundle).
st.table(table.set_index("Area").style.format("{:,.0f}", na_rep="—"))
if ctx.summary.admin_areas is not None:
    st.subheader("By admin area")
    admin = ctx.summary.admin_areas.drop(columns=["code"]).set_index("area")
    st.table(admin.style.format("{:,.0f}", na_rep="—"))
st.caption("'outside any area' holds hazard cells and records outside every country "
           "polygon (sea, neighbours, or just off a coarse coastline), so columns add up.")
st.subheader("Minimum needs of the displaced")
components.needs_table(ctx.summary)
if ctx.summary.notes:
    with st.expander("Method notes"):
        for note in ctx.summary.notes:
            st.markdown(f"- {note}")

st.subheader("Data freshness")
components.feeds(data.service().feed_status())
components.freshness(ctx.summary)
