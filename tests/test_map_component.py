"""The dashboard's map component sends a layer's drawing parts only when the
frame does not hold them yet, and again when the frame says it lost them."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from dashboard import map_component
    from layers.builders import Layer
    from layers.map import MapSpec

    calls = st.session_state.setdefault("calls", [])
    st.session_state[map_component.RUN] = st.session_state.get(map_component.RUN, 0) + 1
    version = st.session_state.get("version", 1)
    layers = [Layer("boundaries", "Boundaries", [{"kind": "geojson", "n": 1}]),
              Layer("incidents", "Incidents", [{"kind": "geojson", "n": version}])]
    map_component._component = lambda **kwargs: calls.append(
        (kwargs["layers"], kwargs["parts"], {layer.id: layer.parts for layer in layers}))
    map_component.show_map(MapSpec({"bounds": [0, 0, 1, 1]}, layers), key="m", height=100)


def sent(call) -> dict:
    """Which layers' parts were sent; the parts themselves, checked against them."""
    items, parts, drawn = call
    assert json.loads(parts) == [drawn[item["id"]] for item in items if item["sent"]]
    return {item["id"]: item["sent"] for item in items}


def test_only_new_layers_are_sent_and_lost_ones_again():
    at = AppTest.from_function(_script).run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": True, "incidents": True}
    at.session_state["version"] = 2  # a filter change: the incidents changed
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": False, "incidents": True}
    at.run()  # nothing changed: nothing is sent again
    assert sent(at.session_state["calls"][-1]) == {"boundaries": False, "incidents": False}
    held = at.session_state["calls"][-1][0][0]["hash"]
    at.session_state["samon_map_m"] = {"seq": "frame2:1", "missing": [held], "clicked": None}
    at.run()  # a new frame lacked the boundaries: sent again, once
    assert sent(at.session_state["calls"][-1]) == {"boundaries": True, "incidents": False}
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": False, "incidents": False}


def test_a_map_not_drawn_by_the_run_before_is_a_new_frame():
    """Back from another page, the map's frame is new: everything is sent."""
    from dashboard.map_component import RUN

    at = AppTest.from_function(_script).run()
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": False, "incidents": False}
    at.session_state[RUN] = at.session_state[RUN] + 1  # a run of a page without this map
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": True, "incidents": True}
