"""Border incidents concentrated near international borders, with hotspots."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

N_INCIDENTS = 3000
KM_PER_DEG = 111.32

# Border pair -> (share of incidents, category probabilities). Shares and mixes
# follow the character of each border as reported publicly, not real counts.
PAIRS = {
    ("AFG", "PAK"): (0.28, {"cross-border firing/shelling": 0.30, "armed clash": 0.25,
                             "explosion/IED": 0.20, "smuggling/trafficking": 0.10,
                             "illegal crossing": 0.10, "arrest/seizure": 0.05}),
    ("IND", "PAK"): (0.20, {"cross-border firing/shelling": 0.45, "illegal crossing": 0.15,
                             "smuggling/trafficking": 0.20, "arrest/seizure": 0.15, "other": 0.05}),
    ("BGD", "IND"): (0.25, {"illegal crossing": 0.35, "smuggling/trafficking": 0.35,
                             "arrest/seizure": 0.20, "cross-border firing/shelling": 0.05,
                             "protest/unrest": 0.05}),
    ("IND", "NPL"): (0.10, {"smuggling/trafficking": 0.40, "illegal crossing": 0.20,
                             "arrest/seizure": 0.30, "protest/unrest": 0.10}),
    ("BTN", "IND"): (0.03, {"smuggling/trafficking": 0.50, "arrest/seizure": 0.50}),
    ("CHN", "IND"): (0.04, {"armed clash": 0.30, "other": 0.70}),
    ("BGD", "MMR"): (0.06, {"illegal crossing": 0.50, "smuggling/trafficking": 0.30,
                             "cross-border firing/shelling": 0.20}),
    ("IRN", "PAK"): (0.04, {"smuggling/trafficking": 0.60, "illegal crossing": 0.40}),
}
# Named crossings and flashpoints (lon, lat), snapped to the border line.
# A surge hotspot has half of its incidents in the last 60 days.
HOTSPOTS = [
    (("AFG", "PAK"), "Torkham (طورخم)", 71.10, 34.11, True),
    (("AFG", "PAK"), "Chaman / Spin Boldak (چمن)", 66.45, 30.92, False),
    (("AFG", "PAK"), "Kurram (کرم)", 70.09, 33.90, True),
    (("IND", "PAK"), "Attari–Wagah (واہگہ)", 74.57, 31.60, False),
    (("IND", "PAK"), "Samba–Kathua sector", 75.05, 32.50, True),
    (("BGD", "IND"), "Benapole–Petrapole (বেনাপোল)", 88.95, 23.05, False),
    (("BGD", "IND"), "Hili (হিলি)", 88.99, 25.28, False),
    (("BGD", "IND"), "Sylhet–Meghalaya (সিলেট)", 91.90, 25.15, True),
    (("IND", "NPL"), "Raxaul–Birgunj (वीरगंज)", 84.86, 27.00, False),
    (("BGD", "MMR"), "Teknaf, Naf river (টেকনাফ)", 92.28, 20.87, True),
    (("BTN", "IND"), "Phuentsholing (ཕུན་ཚོགས་གླིང)", 89.38, 26.85, False),
    (("IRN", "PAK"), "Taftan (تفتان)", 61.60, 28.95, False),
]
FATALITY_RATE = {"cross-border firing/shelling": 0.4, "armed clash": 0.9, "explosion/IED": 1.3,
                 "protest/unrest": 0.05}
PRECISION = (["exact", "near", "admin2"], [0.7, 0.25, 0.05])


def border_line(a: shapely.Geometry, b: shapely.Geometry) -> shapely.Geometry:
    """The stretch of a's outline that runs along b (within about 5 km)."""
    return shapely.line_merge(shapely.intersection(a.boundary, b.buffer(0.05)))


def generate(countries: gpd.GeoDataFrame, rng: np.random.Generator,
             period_end: pd.Timestamp, days: int = 365) -> pd.DataFrame:
    """Incident rows in the canonical points CSV layout (all marked DEMO)."""
    shapes = dict(zip(countries["iso3"], countries.geometry, strict=True))
    rows = []
    for pair, (share, mix) in PAIRS.items():
        a, b = shapes[pair[0]], shapes[pair[1]]
        line = border_line(a, b)
        n = int(round(share * N_INCIDENTS))
        spots = [(name, line.project(shapely.Point(lon, lat)), surge)
                 for p, name, lon, lat, surge in HOTSPOTS if p == pair]
        pos, spot_idx = _positions_along(line, spots, n * 3, rng)
        # Offsets in km, converted to degrees at the border's latitude.
        spread = np.where(spot_idx >= 0, 4.0, 9.0)
        anchors = shapely.line_interpolate_point(line, pos)
        ax, ay = shapely.get_x(anchors), shapely.get_y(anchors)
        lat = ay + rng.normal(0, 1, len(pos)) * spread / KM_PER_DEG
        lon = ax + rng.normal(0, 1, len(pos)) * spread / (KM_PER_DEG * np.cos(np.radians(ay)))
        in_a, in_b = shapely.contains_xy(a, lon, lat), shapely.contains_xy(b, lon, lat)
        keep = np.flatnonzero(in_a | in_b)[:n]
        cats = rng.choice(list(mix), size=len(keep), p=list(mix.values()))
        for k, cat in zip(keep, cats, strict=True):
            s = spot_idx[k]
            surge = s >= 0 and spots[s][2] and rng.random() < 0.5
            age = rng.uniform(0, 60 if surge else days)
            place = spots[s][0] if s >= 0 else f"the {pair[0]}–{pair[1]} border"
            rows.append({
                "time": period_end - pd.Timedelta(days=age),
                "latitude": round(float(lat[k]), 5), "longitude": round(float(lon[k]), 5),
                "country": pair[0] if in_a[k] else pair[1], "category": cat,
                "fatalities": int(rng.poisson(FATALITY_RATE.get(cat, 0.0))),
                "location_precision": rng.choice(PRECISION[0], p=PRECISION[1]),
                "notes": f"DEMO: {cat} reported near {place}",
            })
    frame = pd.DataFrame(rows).sort_values("time", kind="stable").reset_index(drop=True)
    frame["time"] = frame["time"].dt.floor("min").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.insert(0, "source_id", [f"DEMO-INC-{i + 1:05d}" for i in range(len(frame))])
    frame["source"] = "DEMO scenario"
    frame["demo"] = True
    return frame



def _positions_along(line, spots, n, rng):
    """Distances along ``line`` (degrees): 60% near a hotspot when there are any."""
    uniform = rng.uniform(0, line.length, n)
    if not spots:
        return uniform, np.full(n, -1)
    spot_idx = np.where(rng.random(n) < 0.6, rng.integers(0, len(spots), n), -1)
    centres = np.array([s[1] for s in spots])
    near = np.clip(centres[np.maximum(spot_idx, 0)] + rng.normal(0, 0.08, n), 0, line.length)
    return np.where(spot_idx >= 0, near, uniform), spot_idx
