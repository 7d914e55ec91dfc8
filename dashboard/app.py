"""Entry point: ``streamlit run dashboard/app.py``.

Thin by design: read the filters, ask the situation service (service/) for
the summary once, hand it to the view the user chose.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ first on the path; the
# project's packages live one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import data, language, login  # noqa: E402
from dashboard.context import Context, set_current, set_viewer  # noqa: E402
from dashboard.errors import reported_errors  # noqa: E402
from dashboard.map_component import RUN  # noqa: E402
from dashboard.sidebar import sidebar  # noqa: E402
from data_sources.errors import DataSourceError  # noqa: E402
from geo.regions import RegionError  # noqa: E402
from model.i18n import _, said  # noqa: E402
from model.needs import NeedsError  # noqa: E402

# No page or favicon icons: Streamlit fetches Material icons for those from Google's servers.
st.set_page_config(page_title="South Asia Monitor", layout="wide")
st.session_state[RUN] = st.session_state.get(RUN, 0) + 1  # the map knows a new frame by it
with reported_errors():
    try:
        service = data.service()
        data.static_assets()  # the map's scripts and the fonts, before a page asks
        digits = service.settings.digits
        lang = language.choose(service.settings.language, digits)
        token = service.token()
        viewer = login.viewer(service)
        lang = language.prefer(viewer, digits) or lang
        language.style(lang)
        if not viewer.may("see") or st.session_state.pop("show_login", False):
            login.login_page(service)
            st.stop()
        added = st.session_state.get("user_results", [])
        options = service.options(added, viewer)
    except DataSourceError as exc:
        st.error(_("The scenario could not be loaded: {error}", error=said(exc)))
        st.stop()
    except NeedsError as exc:
        st.error(_("The minimum-needs file cannot be used: {error}", error=said(exc)))
        st.stop()
    set_viewer(viewer)
    login.account_box(service, viewer)
    choice, polygon = sidebar(
        options, language.query(service.settings.language),
        # A user's choice is theirs from now on, at every login.
        on_language=lambda: service.access.set_language(viewer, st.session_state[language.KEY]))

    regional = st.Page("views/overview.py", title=_("Situation overview"), default=True)
    pages = st.navigation([
        regional,
        incidents := st.Page("views/incidents.py", title=_("Border incidents and hotspots")),
        st.Page("views/warnings.py", title=_("Warnings")),
        st.Page("views/network.py", title=_("Network")),
        reports := st.Page("views/reports.py", title=_("Reports and exports")),
        st.Page("views/add_data.py", title=_("Add data")),
        *([st.Page("views/access_admin.py", title=_("Access and audit"))]
          if viewer.kind == "user" and viewer.may("admin") else []),
    ])
    # The views on the region's situation (the others need no summary).
    if pages.url_path in (regional.url_path, incidents.url_path, reports.url_path):
        if data.nothing_chosen(choice, polygon):
            st.info(_("Choose at least one country, a border corridor or an area of interest in "
                      "the sidebar."))
            st.stop()
        try:
            region = service.region(countries=choice.countries, admin_codes=choice.admin_codes,
                                    corridor_km=choice.corridor_km,
                                    corridor_pair=choice.corridor_pair, polygon=polygon,
                                    added=added, viewer=viewer, view=choice.view)
            with st.spinner(_("Computing the situation…")):
                summary = service.summary(data.filters(choice, region), added, viewer)
        except RegionError as exc:
            st.error(_("The region cannot be used: {error}", error=said(exc)))
            st.stop()
        set_current(Context(choice, summary, options.scenario_name))
    if service.live:
        @st.fragment(run_every=30)
        def watch_store() -> None:
            """New data in the store: redraw with it, keeping the user's filters."""
            if service.token() != token:
                st.rerun(scope="app")

        watch_store()
    pages.run()
