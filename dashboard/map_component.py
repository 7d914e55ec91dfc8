"""The dashboard's map: a Streamlit component drawing a ``layers.map.MapSpec``
with the same renderer as the exported map, updated in place.

Each session remembers which drawing parts (their hashes) its map frame holds,
and sends a part only when it is new to it: a filter change sends what changed
(one country less sends no incidents at all), and a pan, a zoom or a toggled
layer stays as the user left it. A frame that lost what it held (a reload,
another page and back) names the hashes it lacks and they are sent again on
the next run.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from layers.map import MapSpec, component_args

_component = components.declare_component(
    "samon_map", path=str(Path(__file__).resolve().parent / "map_frontend"))

_HELD = "_samon_map_held"  # {map key: set of part hashes its frame holds}
_SEEN = "_samon_map_seen"  # {map key: sequence number of the last value handled}
_DRAWN = "_samon_map_drawn"  # {map key: the app run that last drew it}
RUN = "_samon_app_run"  # counted by the app script at each full run


def show_map(spec: MapSpec, *, key: str, height: int, report_clicks: bool = False
             ) -> dict | None:
    """Draw ``spec``; returns the last map click ({'lat', 'lng'}) not yet
    returned when ``report_clicks``, else None."""
    held = st.session_state.setdefault(_HELD, {}).setdefault(key, set())
    seen = st.session_state.setdefault(_SEEN, {})
    run = st.session_state.get(RUN, 0)
    drawn = st.session_state.setdefault(_DRAWN, {})
    if drawn.get(key) != run - 1:  # not drawn by the run before: a new frame holds nothing
        held.clear()
    drawn[key] = run
    value = st.session_state.get(f"samon_map_{key}")
    click = None
    if value and value.get("seq") != seen.get(key):
        seen[key] = value.get("seq")
        held.difference_update(value.get("missing") or ())
        click = value.get("clicked")
    items, parts = component_args(spec, held)
    _component(frame=spec.frame, layers=items, parts=parts, height=height,
               report_clicks=report_clicks, key=f"samon_map_{key}", default=None)
    st.session_state[_HELD][key] = set(spec.part_hashes())
    return click if report_clicks else None
