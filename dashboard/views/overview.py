"""Situation overview: for disaster-management officials."""

import streamlit as st

from dashboard import components, data
from dashboard.context import current
from model.i18n import _

ctx = current()
st.title(_("Situation overview"))
components.demo_banner(ctx.summary, ctx.scenario_name)
components.period_caption(ctx.summary)
components.key_figures(ctx.summary)
components.storm_step(ctx.summary)
components.map_view(ctx.summary, ctx.layers, ctx.choice.incident_mode, "overview",
                    focus=components.chosen_alert_bounds(ctx.summary))

if "alerts" in ctx.choice.hazards:
    st.subheader(_("Alerts"))
    components.alerts_list(ctx.summary)

st.subheader(_("By area"))
COLUMNS = {"area": _("Area"), "flood_km2": _("Flooded km²"),
           "people_exposed_flood": _("People exposed (flood)"), "cyclone_km2": _("Cyclone km²"),
           "people_exposed_cyclone": _("People exposed (cyclone)"), "incidents": _("Incidents"),
           "displaced": _("Displaced")}
components.table(ctx.summary.areas.drop(columns=["iso3"]).rename(columns=COLUMNS)
                 .set_index(_("Area")))
admin, without = ctx.summary.admin_areas_with_figures()
if admin is not None:
    st.subheader(_("By admin area"))
    if len(admin):
        components.table(admin.drop(columns=["code"]).rename(columns=COLUMNS)
                         .set_index(_("Area")))
    if without:
        st.caption(without)
st.caption(_("'outside any area' holds hazard cells and records outside every country "
             "polygon (sea, neighbours, or just off a coarse coastline), so columns add up."))
st.subheader(_("Minimum needs of the displaced"))
components.needs_table(ctx.summary)
if ctx.summary.notes:
    with st.expander(_("Method notes")):
        for note in ctx.summary.notes:
            st.text(f"• {note.text()}")  # text from data (place names) is never markdown

st.subheader(_("Data freshness"))
components.feeds(data.service().feed_status())
components.freshness(ctx.summary)
