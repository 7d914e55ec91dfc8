"""Cyclone tracks: track lines, wind swaths (34/50/64 kt) and landfall.

Swaths are built from the track's quadrant wind radii when present: each fix
becomes a four-quadrant polygon (geodesic arcs), and consecutive fixes are
joined by their convex hull, so the swath is the area swept between fixes.

Fallback when a fix has no radii: a symmetric radius from the modified
Rankine vortex, V(r) = Vmax (Rmax / r)^0.55 with Rmax = 35 - 0.18 Vmax nmi
(12-30 nmi), i.e. r_k = Rmax (Vmax / k)^(1 / 0.55). It is documented in the
output (``radii_source``) so a reader knows which swaths are estimates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
import xarray as xr
from pyproj import Geod

from .exposure import ExposureError, exposure
from .grid import Grid

THRESHOLDS_KT = (34, 50, 64)
QUADRANTS = {"ne": (0, 90), "se": (90, 180), "sw": (180, 270), "nw": (270, 360)}
NMI_M = 1852.0
PROFILE_B = 0.55
GEOD = Geod(ellps="WGS84")


def fallback_radius_nmi(wind_kt: float, threshold: float) -> float:
    """Symmetric radius (nmi) of ``threshold`` kt winds from intensity alone."""
    if not wind_kt >= threshold:
        return float("nan")
    rmax = float(np.clip(35 - 0.18 * wind_kt, 12, 30))
    return rmax * (wind_kt / threshold) ** (1 / PROFILE_B)


def fix_polygon(lon: float, lat: float, radii_nmi: dict[str, float], steps: int = 12):
    """Four quadrant arcs around a storm centre; None when every radius is 0/NaN."""
    if not any(r > 0 for r in radii_nmi.values()):
        return None
    xs, ys = [], []
    for q, (a0, a1) in QUADRANTS.items():
        r = radii_nmi.get(q, 0.0)
        r = 0.0 if not r > 0 else r
        az = np.linspace(a0, a1, steps)
        lons, lats, _ = GEOD.fwd(np.full(steps, lon), np.full(steps, lat), az,
                                 np.full(steps, r * NMI_M))
        xs.extend(lons)
        ys.extend(lats)
    return shapely.make_valid(shapely.Polygon(np.column_stack([xs, ys])))


def _radii(fix: pd.Series, threshold: int) -> tuple[dict[str, float], str]:
    given = {q: fix.get(f"r{threshold}_{q}") for q in QUADRANTS}
    if any(pd.notna(v) for v in given.values()):
        return {q: (0.0 if pd.isna(v) else float(v)) for q, v in given.items()}, "track radii"
    r = fallback_radius_nmi(fix["wind_kt"], threshold)
    return {q: r for q in QUADRANTS}, "fallback from intensity"


def track_line(lon: np.ndarray, lat: np.ndarray) -> shapely.Geometry:
    """The line through a storm's fixes; a track that crosses the dateline is
    split there into a MultiLineString (never a line back across the world)."""
    lines, current = [], [(lon[0], lat[0])]
    for i in range(1, len(lon)):
        step = lon[i] - lon[i - 1]
        if abs(step) > 180:  # e.g. 179.5 -> -179.5 crosses +180 going east
            edge = 180.0 if step < 0 else -180.0
            unwrapped = lon[i] + (360.0 if step < 0 else -360.0)
            at = lat[i - 1] + (lat[i] - lat[i - 1]) * (edge - lon[i - 1]) / (
                unwrapped - lon[i - 1])
            lines.append([*current, (edge, at)])
            current = [(-edge, at)]
        current.append((lon[i], lat[i]))
    lines.append(current)
    return shapely.LineString(lines[0]) if len(lines) == 1 else shapely.MultiLineString(lines)


def track_lines(tracks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One line per storm with name, first/last time, peak wind and lowest pressure."""
    rows = []
    for storm, fixes in tracks.sort_values("time").groupby("storm_id", sort=True):
        pts = fixes.geometry.values
        geom = track_line(shapely.get_x(pts), shapely.get_y(pts)) if len(pts) > 1 else pts[0]
        rows.append({"storm_id": storm, "name": fixes["name"].iloc[0],
                     "start": fixes["time"].min(), "end": fixes["time"].max(),
                     "max_wind_kt": fixes["wind_kt"].max(),
                     "min_pressure_hpa": fixes["pressure_hpa"].min(),
                     "demo": bool(fixes["demo"].any()), "geometry": geom})
    return gpd.GeoDataFrame(rows, columns=["storm_id", "name", "start", "end", "max_wind_kt",
                                           "min_pressure_hpa", "demo", "geometry"],
                            geometry="geometry", crs="EPSG:4326")


def wind_swaths(tracks: gpd.GeoDataFrame, thresholds=THRESHOLDS_KT) -> gpd.GeoDataFrame:
    """Swath polygons per storm and threshold: columns storm_id, name,
    threshold_kt, radii_source, area_km2 (geodesic), geometry (EPSG:4326)."""
    rows = []
    for storm, fixes in tracks.sort_values("time").groupby("storm_id", sort=True):
        for k in thresholds:
            shapes, sources = [], set()
            for _, fix in fixes.iterrows():
                radii, source = _radii(fix, k)
                poly = fix_polygon(fix.geometry.x, fix.geometry.y, radii)
                shapes.append(poly)
                if poly is not None:
                    sources.add(source)
            hulls = [shapely.convex_hull(shapely.union(a, b)) if a is not None and b is not None
                     else (a or b) for a, b in zip(shapes[:-1], shapes[1:], strict=True)]
            pieces = [h for h in hulls if h is not None] or [s for s in shapes if s is not None]
            if not pieces:
                continue
            swath = shapely.union_all(pieces)
            area, _ = GEOD.geometry_area_perimeter(swath)
            rows.append({"storm_id": storm, "name": fixes["name"].iloc[0], "threshold_kt": k,
                         "radii_source": " and ".join(sorted(sources)),
                         "area_km2": abs(area) / 1e6, "geometry": swath})
    return gpd.GeoDataFrame(rows, columns=["storm_id", "name", "threshold_kt", "radii_source",
                                           "area_km2", "geometry"],
                            geometry="geometry", crs="EPSG:4326")


def landfall(tracks: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> pd.DataFrame:
    """First crossing from sea to land per storm: time (interpolated along the
    segment), lon, lat, country (ISO3) and wind (kt, interpolated)."""
    land = countries.geometry.union_all()
    shapely.prepare(land)
    rows = []
    for storm, fixes in tracks.sort_values("time").groupby("storm_id", sort=True):
        pts = fixes.geometry.values
        on_land = shapely.intersects(land, pts)
        for i in range(1, len(pts)):
            if on_land[i] and not on_land[i - 1]:
                seg = shapely.LineString([pts[i - 1], pts[i]])
                crossing = shapely.intersection(seg, land.boundary)
                first = min(shapely.get_parts(crossing), key=lambda p: seg.project(p),
                            default=pts[i])
                first = shapely.get_point(first, 0) if first.geom_type != "Point" else first
                frac = seg.project(first) / seg.length if seg.length else 1.0
                t0, t1 = fixes["time"].iloc[i - 1], fixes["time"].iloc[i]
                w0, w1 = fixes["wind_kt"].iloc[i - 1], fixes["wind_kt"].iloc[i]
                hit = countries[countries.intersects(first.buffer(0.01))]
                rows.append({"storm_id": storm, "name": fixes["name"].iloc[0],
                             "time": t0 + (t1 - t0) * frac, "lon": first.x, "lat": first.y,
                             "country": hit["iso3"].iloc[0] if len(hit) else pd.NA,
                             "wind_kt": w0 + (w1 - w0) * frac})
                break
    return pd.DataFrame(rows, columns=["storm_id", "name", "time", "lon", "lat", "country",
                                       "wind_kt"])


def swath_exposure(swaths: gpd.GeoDataFrame, population: xr.DataArray,
                   areas: gpd.GeoDataFrame, area_field: str = "name") -> pd.DataFrame:
    """People exposed per area under each swath: columns storm_id, threshold_kt,
    area, hazard_km2, people_exposed (an OUTSIDE row per swath keeps the sums whole).

    Each swath is burned onto the population grid (cell centres) and passed
    through ``geo.exposure.exposure``, so the figures tile like any other hazard.
    """
    grid = Grid.of(population)
    frames = []
    for swath in swaths.itertuples():
        shape = gpd.GeoSeries([swath.geometry], crs=swaths.crs).to_crs(grid.crs).iloc[0]
        inside = rasterio.features.rasterize([(shape, 1)], out_shape=grid.shape,
                                             transform=grid.transform, dtype="uint8")
        footprint = population.copy(data=inside.astype("float32"))
        footprint.attrs.update(variable="wind_swath", units=f"inside {swath.threshold_kt} kt")
        try:
            result = exposure(footprint, 1, areas, area_field, population=population)
        except ExposureError:  # the swath stays away from every area
            continue
        table = result.table[["area", "hazard_km2", "people_exposed"]].copy()
        table.insert(0, "threshold_kt", swath.threshold_kt)
        table.insert(0, "storm_id", swath.storm_id)
        frames.append(table)
    columns = ["storm_id", "threshold_kt", "area", "hazard_km2", "people_exposed"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def storm_at(tracks: gpd.GeoDataFrame, time: pd.Timestamp,
             thresholds=THRESHOLDS_KT) -> gpd.GeoDataFrame:
    """Each storm at ``time`` (UTC), between two of its fixes: the centre and
    intensity interpolated linearly in time, and the area within each wind
    radius (34/50/64 kt) there, from the quadrant radii interpolated the same way
    (or the fallback from intensity, as for swaths).

    Columns: storm_id, name, time, lon, lat, wind_kt, threshold_kt,
    radii_source, geometry (the radius polygon; storms whose winds stay below a
    threshold have no row for it). A storm whose track does not span ``time``
    has no rows.
    """
    columns = ["storm_id", "name", "time", "lon", "lat", "wind_kt", "threshold_kt",
               "radii_source", "geometry"]
    rows = []
    when = pd.Timestamp(time)
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    for storm, fixes in tracks.sort_values("time").groupby("storm_id", sort=True):
        times = fixes["time"]
        if not (times.iloc[0] <= when <= times.iloc[-1]):
            continue
        after = int(times.searchsorted(when, side="left"))
        after = min(max(after, 1), len(fixes) - 1) if len(fixes) > 1 else 0
        a, b = fixes.iloc[max(after - 1, 0)], fixes.iloc[after]
        span = (b["time"] - a["time"]).total_seconds()
        w = (when - a["time"]).total_seconds() / span if span > 0 else 0.0

        def mix(x, y, w=w):
            return float(x) + (float(y) - float(x)) * w

        lon, lat = mix(a.geometry.x, b.geometry.x), mix(a.geometry.y, b.geometry.y)
        here = pd.Series({"wind_kt": mix(a["wind_kt"], b["wind_kt"]),
                          **{f"r{k}_{q}": _mix_radius(a.get(f"r{k}_{q}"), b.get(f"r{k}_{q}"), w)
                             for k in thresholds for q in QUADRANTS}})
        for k in thresholds:
            radii, source = _radii(here, k)
            shape = fix_polygon(lon, lat, radii)
            if shape is None:
                continue
            rows.append({"storm_id": storm, "name": fixes["name"].iloc[0], "time": when,
                         "lon": lon, "lat": lat, "wind_kt": here["wind_kt"], "threshold_kt": k,
                         "radii_source": source, "geometry": shape})
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:4326")


def _mix_radius(x, y, w: float) -> float:
    """A quadrant radius between two fixes; a radius given at one fix only is
    taken as 0 at the other (the wind has not reached, or no longer reaches,
    that speed there)."""
    if pd.isna(x) and pd.isna(y):
        return float("nan")
    x = 0.0 if pd.isna(x) else float(x)
    y = 0.0 if pd.isna(y) else float(y)
    return x + (y - x) * w
