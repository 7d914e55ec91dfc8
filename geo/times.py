"""All analysis times are UTC."""

from __future__ import annotations

import pandas as pd


def utc(value) -> pd.Timestamp:
    """A timestamp in UTC; naive values are taken to be UTC already."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
