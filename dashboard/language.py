"""The interface language of a session: from its link (``?lang=ur``), the
sidebar's choice, or the node's setting (SAMON_LANGUAGE); numbers in the digits
SAMON_DIGITS names. Right-to-left languages mirror the page."""

from __future__ import annotations

import streamlit as st

from model import i18n
from model.access import Viewer
from model.i18n import LANGUAGES, Language, _

KEY = "lang"
PREFERRED = "lang_preferred_for"  # the user whose own language this session took
# Key figures scale with the window: "৭,৪৩,৪৯,২৬০" is wider than "74,349,260" and
# Streamlit cuts a figure that does not fit its column.
FIGURE_STYLE = """[data-testid="stMetricValue"] { font-size: clamp(1.5rem, 2.3vw, 2.25rem); }"""
# The plain tables (components.table): numbers line up at their end (the left in
# right-to-left pages), the header stands apart; lines in the text's own colour,
# so a dark theme keeps them.
TABLE_STYLE = """
table.samon-table { border-collapse: collapse; width: 100%; font-size: 0.875rem;
  margin-bottom: 1rem; }
.samon-table th, .samon-table td { padding: 0.25rem 0.5rem; text-align: start;
  vertical-align: top; border-bottom: 1px solid color-mix(in srgb, currentColor 20%, transparent); }
.samon-table thead th { border-bottom-width: 2px; }
.samon-table .num { text-align: end; font-variant-numeric: tabular-nums; white-space: nowrap; }"""
# Streamlit lays its page out left to right: for right-to-left languages the
# main area, the sidebar and tables are mirrored here (the map mirrors its boxes).
RTL_STYLE = """
[data-testid="stMain"], [data-testid="stSidebar"], [data-testid="stSidebarContent"],
.stMarkdown, .samon-table, [data-testid="stMetric"], [data-testid="stCaptionContainer"]
{ direction: rtl; text-align: right; }"""


def choose(default: str, digits: str) -> Language:
    """Speak the session's language in this page run (before any text is written)."""
    if KEY not in st.session_state:
        st.session_state[KEY] = i18n.find(st.query_params.get(KEY) or default).code
    return i18n.use(st.session_state[KEY], digits=digits)


def prefer(viewer: Viewer, digits: str) -> Language | None:
    """A user's own language (kept from an earlier choice, or their identity
    provider's locale), on their first page after logging in, unless the link
    names one."""
    if not viewer.language or KEY in st.query_params or st.session_state.get(PREFERRED) == \
            viewer.name:
        return None
    st.session_state[PREFERRED] = viewer.name
    st.session_state[KEY] = viewer.language
    return i18n.use(viewer.language, digits=digits)


def selector(sidebar, on_change=None) -> None:
    """The language choice; ``on_change`` (no arguments) runs when it changes."""
    sidebar.selectbox(_("Language"), list(LANGUAGES), key=KEY, on_change=on_change,
                      format_func=lambda code: f"{LANGUAGES[code].native} · "
                                               f"{LANGUAGES[code].name}")


def style(lang: Language) -> None:
    st.html(f"<style>{FIGURE_STYLE}{TABLE_STYLE}{RTL_STYLE if lang.rtl else ''}</style>")


def query(default: str) -> dict[str, str]:
    """The language's part of the page's link (nothing for the node's default)."""
    code = st.session_state.get(KEY, default)
    return {} if code == default else {KEY: code}
