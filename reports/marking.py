"""The marking every exported record carries: as-of time, source, DEMO, TLP.

Put on each row (CSV, GeoJSON properties, GeoPackage attributes), so a file
forwarded on its own, or a row pasted elsewhere, still says where it came
from, how fresh it is, whether it is synthetic and how it may be shared.
"""

from __future__ import annotations

import pandas as pd

from model.situation import Summary

MARK_COLUMNS = ("as_of", "source", "demo", "tlp")
MARK_TAGS = {"as_of": "#date+asof", "source": "#meta+source", "demo": "#meta+demo",
             "tlp": "#meta+tlp"}


def derived_source(summary: Summary) -> str:
    """Source of a figure computed from several layers: those layers' sources."""
    names = dict.fromkeys(str(s) for s in summary.sources["source"])
    return "derived from: " + "; ".join(names)


def mark(frame: pd.DataFrame, summary: Summary, tlp: str) -> pd.DataFrame:
    """A copy of ``frame`` with the marking columns; records keep their own
    ``source`` and ``demo`` where they have them."""
    out = frame.copy()
    out["as_of"] = f"{summary.as_of:%Y-%m-%dT%H:%M:%SZ}"
    if "source" not in out:
        out["source"] = derived_source(summary)
    if "demo" not in out:
        out["demo"] = summary.demo
    out["demo"] = out["demo"].map({True: "DEMO", False: ""}).fillna("")
    out["tlp"] = tlp
    return out
