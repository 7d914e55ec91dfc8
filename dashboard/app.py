"""Entry point: ``streamlit run dashboard/app.py``.

Thin by design: read the filters, compute the situation once (cached, in
geo/), hand it to the view the user chose.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ first on the path; the
# project's packages live one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import data  # noqa: E402
from dashboard.context import Context, set_current  # noqa: E402
from dashboard.sidebar import sidebar  # noqa: E402
from data_sources.errors import DataSourceError  # noqa: E402
from data_sources.scenario import with_results  # noqa: E402
from geo.regions import RegionError  # noqa: E402

# No page or favicon icons: Streamlit fetches Material icons for those from Google's servers.
st.set_page_config(page_title="South Asia Monitor", layout="wide")
token = data.store_token()
try:
    base = data.scenario(token)
except DataSourceError as exc:
    st.error(f"The scenario could not be loaded: {exc}")
    st.stop()
added = st.session_state.get("user_results", [])
scenario = with_results(base, added) if added else base
choice, polygon = sidebar(scenario)

pages = st.navigation([
    st.Page("views/overview.py", title="Situation overview",
            default=True),
    st.Page("views/incidents.py", title="Border incidents and hotspots"),
    st.Page("views/reports.py", title="Reports and exports"),
    st.Page("views/add_data.py", title="Add data"),
])
if pages.title != "Add data":
    if data.no_countries_selected(choice) and not polygon and not choice.admin_codes:
        st.info("Choose at least one country, a border corridor or an area of interest in the "
                "sidebar.")
        st.stop()
    try:
        region = data.region(choice, scenario, polygon)
    except RegionError as exc:
        st.error(f"The region cannot be used: {exc}")
        st.stop()
    key = data.scenario_key(scenario) + f"|{token}|" + ",".join(
        f"{name}:{id(result)}" for name, result in added)
    summary = data.summary(scenario, key, data.filters(choice, region))
    set_current(Context(scenario, choice, summary, key))
if token != "demo":
    @st.fragment(run_every=30)
    def watch_store() -> None:
        """New data in the store: redraw with it, keeping the user's filters."""
        if data.store_token() != token:
            st.rerun(scope="app")

    watch_store()
pages.run()
