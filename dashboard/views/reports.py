"""Reports and exports: for relief coordinators."""

import streamlit as st

from dashboard import components
from dashboard.context import current
from reports.csv_export import area_table_csv

ctx = current()
s = ctx.summary
st.title("Reports and exports")
components.demo_banner(s, ctx.scenario)
components.period_caption(s)
st.write("Figures below are the ones shown on the overview for the same filters.")
components.key_figures(s)
st.download_button("Per-area table (CSV)", area_table_csv(s), file_name="per_area.csv",
                   mime="text/csv")
st.caption("Situation reports (PDF, Word, HTML), the GeoPackage bundle, HXL CSVs and CAP "
           "alerts are not built yet; this view will hold them.")
