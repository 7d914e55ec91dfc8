"""What every view of one run works with: computed once in app.py per run."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from model.access import Viewer
from model.situation import Summary

from .state import Choice


@dataclass
class Context:
    choice: Choice
    summary: Summary
    scenario_name: str

    @property
    def layers(self) -> set[str]:
        return {"boundaries", "hotspots", *self.choice.hazards}


def set_current(ctx: Context) -> None:
    st.session_state["_context"] = ctx


def current() -> Context:
    return st.session_state["_context"]


def set_viewer(viewer: Viewer) -> None:
    st.session_state["_viewer"] = viewer


def current_viewer() -> Viewer:
    """Who is at the screen in this run (set by app.py before any view runs)."""
    return st.session_state["_viewer"]
