"""The dashboard's map component sends a drawing part only when the frame does
not hold it yet, and again when the frame says it lost it."""

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
              Layer("incidents", "Incidents", [{"kind": "geojson", "n": version}]),
              Layer("alerts", "Alerts", [{"kind": "geojson", "country": c}
                                         for c in st.session_state.get("alerted", ["AFG"])])]
    map_component._component = lambda **kwargs: calls.append(
        (kwargs["layers"], kwargs["parts"], {layer.id: layer.parts for layer in layers}))
    map_component.show_map(MapSpec({"bounds": [0, 0, 1, 1]}, layers), key="m", height=100)


def sent(call) -> dict:
    """Per layer, how many of its parts were sent (each checked against the
    layer's part of that hash); nothing else is sent."""
    items, parts, drawn = call
    parts = json.loads(parts)
    counts, named = {}, set()
    for item in items:
        assert len(item["parts"]) == len(drawn[item["id"]])
        for digest, part in zip(item["parts"], drawn[item["id"]], strict=True):
            named.add(digest)
            if digest in parts:
                assert parts[digest] == part
        counts[item["id"]] = sum(digest in parts for digest in item["parts"])
    assert set(parts) <= named
    return counts


def test_only_new_layers_are_sent_and_lost_ones_again():
    at = AppTest.from_function(_script).run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 1, "incidents": 1, "alerts": 1}
    at.session_state["version"] = 2  # a filter change: the incidents changed
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 0, "incidents": 1, "alerts": 0}
    at.run()  # nothing changed: nothing is sent again
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 0, "incidents": 0, "alerts": 0}
    held = at.session_state["calls"][-1][0][0]["parts"][0]
    at.session_state["samon_map_m"] = {"seq": "frame2:1", "missing": [held], "clicked": None}
    at.run()  # a new frame lacked the boundaries: sent again, once
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 1, "incidents": 0, "alerts": 0}
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 0, "incidents": 0, "alerts": 0}


def test_a_changed_layer_sends_only_its_new_parts():
    """One country more in a layer of a part per country: that part is sent, the
    others the frame holds are named only; one country less sends nothing."""
    at = AppTest.from_function(_script).run()
    at.session_state["alerted"] = ["AFG", "BGD"]
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 0, "incidents": 0, "alerts": 1}
    at.session_state["alerted"] = ["BGD"]
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 0, "incidents": 0, "alerts": 0}
    at.session_state["alerted"] = ["AFG", "BGD"]
    at.run()  # the frame gave up AFG's part when it drew the map without it
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 0, "incidents": 0, "alerts": 1}


def test_a_map_not_drawn_by_the_run_before_is_a_new_frame():
    """Back from another page, the map's frame is new: everything is sent."""
    from dashboard.map_component import RUN

    at = AppTest.from_function(_script).run()
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 0, "incidents": 0, "alerts": 0}
    at.session_state[RUN] = at.session_state[RUN] + 1  # a run of a page without this map
    at.run()
    assert sent(at.session_state["calls"][-1]) == {"boundaries": 1, "incidents": 1, "alerts": 1}
