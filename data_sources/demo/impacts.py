"""Displacement figures and GDACS-like alerts tied to the demo flood and cyclone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rasterio.transform
from pyproj import Transformer

from .cyclone import STORM_NAME, wind_field
from .flood import FLOOD_CRS

# IDP reporting rounds for the flood: (date, share of the peak still displaced).
FLOOD_ROUNDS = [("2026-08-25", 0.6), ("2026-09-08", 1.0), ("2026-09-22", 0.7)]
CYCLONE_ROUND = "2026-09-28"
ISO2_TO_3 = {"PK": "PAK", "IN": "IND", "BD": "BGD", "MM": "MMR", "NP": "NPL", "BT": "BTN"}

HXL_HEADER = ["id", "admin0Pcode", "location", "latitude", "longitude", "reportingDate",
              "numPresentIdpInd", "displacementReason", "source", "demo"]
HXL_TAGS = ["#meta+id", "#country+code", "#loc+name", "#geo+lat", "#geo+lon",
            "#date+reported", "#affected+idps+ind", "#cause+type", "#meta+source", ""]


def _round10(x: np.ndarray) -> np.ndarray:
    return (np.round(x / 10) * 10).astype(int)


def displacement(places: pd.DataFrame, depth: np.ndarray, depth_transform,
                 fixes: pd.DataFrame) -> pd.DataFrame:
    """IDP figures per place: flood rounds in Sindh, one round after the cyclone."""
    rows = []
    to_utm = Transformer.from_crs("EPSG:4326", FLOOD_CRS, always_xy=True)
    pk = places[places["countrycode"] == "PK"]
    x, y = to_utm.transform(pk["longitude"].to_numpy(), pk["latitude"].to_numpy())
    r, c = rasterio.transform.rowcol(depth_transform, x, y)
    r, c = np.asarray(r), np.asarray(c)
    inside = (r >= 0) & (r < depth.shape[0]) & (c >= 0) & (c < depth.shape[1])
    d = np.full(len(pk), np.nan)
    d[inside] = depth[r[inside], c[inside]]
    flooded = pk[np.nan_to_num(d) >= 0.3].assign(depth=d[np.nan_to_num(d) >= 0.3])
    peak = flooded["population"] * np.minimum(0.5, flooded["depth"] / 4)
    for date, share in FLOOD_ROUNDS:
        for place, figure in zip(flooded.itertuples(), _round10(peak * share), strict=True):
            rows.append((place, date, figure, "Flood"))
    coastal = places[places["countrycode"].isin(["BD", "IN", "MM"])]
    lon, lat = coastal["longitude"].to_numpy(), coastal["latitude"].to_numpy()
    peak_wind = np.max([wind_field(f, lon, lat) for f in fixes.itertuples()], axis=0)
    hit = coastal[peak_wind >= 50]
    for place, figure in zip(hit.itertuples(), _round10(hit["population"] * 0.12), strict=True):
        rows.append((place, CYCLONE_ROUND, figure, "Cyclone (tropical storm)"))
    out = pd.DataFrame([{
        "id": f"DEMO-IDP-{i + 1:04d}", "admin0Pcode": ISO2_TO_3[p.countrycode],
        "location": p.name, "latitude": p.latitude, "longitude": p.longitude,
        "reportingDate": date, "numPresentIdpInd": fig, "displacementReason": why,
        "source": "DEMO scenario", "demo": "true",
    } for i, (p, date, fig, why) in enumerate(rows)], columns=HXL_HEADER)
    return out[out["numPresentIdpInd"] > 0]


def write_hxl_csv(path: Path, frame: pd.DataFrame) -> None:
    pd.DataFrame([HXL_TAGS, *frame.to_numpy().tolist()], columns=HXL_HEADER).to_csv(
        path, index=False)


def gdacs_events(fixes: pd.DataFrame, max_depth: float) -> dict:
    """A GDACS events-API-like FeatureCollection for the flood and the cyclone."""
    landfall = fixes.iloc[(fixes["time"] - pd.Timestamp("2026-09-26T12:00Z")).abs().argmin()]
    peak = fixes["wind_kt"].max()
    events: list[dict[str, Any]] = [
        {"eventtype": "FL", "eventid": 9000001, "episodeid": 3, "alertlevel": "Red",
         "name": "DEMO: Flood in Pakistan (lower Indus)",
         "description": "DEMO scenario: monsoon flooding along the lower Indus, Sindh.",
         "fromdate": "2026-08-12T00:00:00", "todate": "2026-09-30T00:00:00",
         "datemodified": "2026-09-29T18:00:00", "iso3": "PAK", "country": "Pakistan",
         "affectedcountries": [{"iso3": "PAK", "countryname": "Pakistan"}],
         "severitydata": {"severity": round(max_depth, 1), "severityunit": "m",
                          "severitytext": f"Flood depth up to {max_depth:.1f} m (DEMO)"},
         "coords": (68.2, 26.5)},
        {"eventtype": "TC", "eventid": 9000002, "episodeid": 22, "alertlevel": "Red",
         "name": f"DEMO: Tropical cyclone {STORM_NAME} (Bay of Bengal)",
         "description": "DEMO scenario: severe cyclonic storm, landfall on the Bangladesh "
                        "coast near Patuakhali on 26 September 2026.",
         "fromdate": "2026-09-22T00:00:00", "todate": "2026-09-28T00:00:00",
         "datemodified": "2026-09-28T00:00:00", "iso3": "BGD", "country": "Bangladesh",
         "affectedcountries": [{"iso3": "BGD", "countryname": "Bangladesh"},
                               {"iso3": "IND", "countryname": "India"},
                               {"iso3": "MMR", "countryname": "Myanmar"}],
         "severitydata": {"severity": round(peak * 1.852), "severityunit": "km/h",
                          "severitytext": f"Maximum wind {peak:.0f} kt (DEMO)"},
         "coords": (float(landfall["lon"]), float(landfall["lat"]))},
        {"eventtype": "EQ", "eventid": 9000003, "episodeid": 1, "alertlevel": "Green",
         "name": "DEMO: Earthquake in Afghanistan (Hindu Kush)",
         "description": "DEMO scenario: M5.1 at 190 km depth; little impact expected.",
         "fromdate": "2026-09-18T03:12:00", "todate": "2026-09-18T03:12:00",
         "datemodified": "2026-09-18T05:00:00", "iso3": "AFG", "country": "Afghanistan",
         "affectedcountries": [{"iso3": "AFG", "countryname": "Afghanistan"}],
         "severitydata": {"severity": 5.1, "severityunit": "M",
                          "severitytext": "Magnitude 5.1M, Depth:190km (DEMO)"},
         "coords": (70.9, 36.5)},
    ]
    features = []
    for e in events:
        lon, lat = e.pop("coords")
        features.append({"type": "Feature", "bbox": [lon, lat, lon, lat],
                         "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {**e, "url": {"report": None}, "demo": True}})
    return {"type": "FeatureCollection", "features": features}


def write_json(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
