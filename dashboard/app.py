"""Entry point: ``streamlit run dashboard/app.py``.

For now one page lists the loaded scenario's layers and their counts; the
map and views arrive with the dashboard issue.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_sources.errors import DataSourceError  # noqa: E402
from data_sources.scenario import Scenario, load_demo  # noqa: E402


@st.cache_resource(show_spinner="Preparing the demo scenario (first start only)…")
def scenario() -> Scenario:
    # A resource, not data: rasters stay lazily opened files rather than pickled arrays.
    return load_demo()


def main() -> None:
    st.set_page_config(page_title="South Asia Monitor", layout="wide")
    st.title("South Asia border and disaster monitor")
    try:
        sc = scenario()
    except DataSourceError as exc:
        st.error(f"The scenario could not be loaded: {exc}")
        return
    if sc.demo:
        st.warning(f"**DEMO DATA** — {sc.name}. Figures are synthetic and must not be used "
                   "for decisions. Boundaries (Natural Earth) and places (GeoNames) are real.")
    st.caption(f"As of {sc.as_of:%Y-%m-%d %H:%M} UTC")
    summary = sc.summary()
    summary["demo"] = summary["demo"].map({True: "DEMO", False: "real"})
    st.subheader("Loaded layers")
    st.dataframe(summary, hide_index=True, width="stretch")
    st.caption("Boundaries and names shown do not imply official endorsement or acceptance.")


main()
