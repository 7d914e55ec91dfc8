"""A Bay of Bengal cyclone: IBTrACS-layout track points and a wind-field NetCDF.

Both come from one wind model (a modified Rankine vortex with a forward-motion
asymmetry), so the wind radii in the track file agree with the raster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from pyproj import Geod

NMI_KM = 1.852
KMH_PER_KT = 1.852
GEOD = Geod(ellps="WGS84")

STORM_ID = "2026265N13088"
STORM_NAME = "DEMO"
# Every 12 h: (time UTC, lon, lat, max sustained wind kt). Landfall on the
# Bangladesh coast near Patuakhali on 26 September around 12 UTC.
TRACK_KNOTS = [
    ("2026-09-22T00:00", 87.6, 12.8, 25), ("2026-09-22T12:00", 87.5, 13.6, 30),
    ("2026-09-23T00:00", 87.5, 14.5, 35), ("2026-09-23T12:00", 87.6, 15.5, 45),
    ("2026-09-24T00:00", 87.9, 16.6, 60), ("2026-09-24T12:00", 88.3, 17.7, 75),
    ("2026-09-25T00:00", 88.7, 18.8, 90), ("2026-09-25T12:00", 89.2, 19.9, 105),
    ("2026-09-26T00:00", 89.7, 21.0, 100), ("2026-09-26T12:00", 90.3, 22.3, 90),
    ("2026-09-27T00:00", 90.9, 23.7, 45), ("2026-09-27T12:00", 91.5, 24.9, 28),
    ("2026-09-28T00:00", 92.0, 25.8, 20),
]
QUADRANTS = {"ne": 45.0, "se": 135.0, "sw": 225.0, "nw": 315.0}
PROFILE_B = 0.55  # outer decay exponent of the vortex
OUTER_NMI = 330.0  # e-folding scale of the outer taper, so far-field winds die out
WIND_GRID = (84.0, 15.0, 95.0, 27.0, 0.05)  # west, south, east, north, step (degrees)
WIND_FROM = pd.Timestamp("2026-09-24T00:00", tz="UTC")


def track() -> pd.DataFrame:
    """6-hourly track: time, lon, lat, wind_kt, pressure_hpa, rmw_nmi, heading, speed_kt."""
    knots = pd.DataFrame(TRACK_KNOTS, columns=["time", "lon", "lat", "wind_kt"])
    knots["time"] = pd.to_datetime(knots["time"], utc=True)
    six_hourly = pd.date_range(knots["time"].iloc[0], knots["time"].iloc[-1], freq="6h")
    t = (knots["time"] - knots["time"].iloc[0]).dt.total_seconds().to_numpy()
    tt = (six_hourly - knots["time"].iloc[0]).total_seconds().to_numpy()
    out = pd.DataFrame({"time": six_hourly})
    for col in ("lon", "lat", "wind_kt"):
        out[col] = np.round(np.interp(tt, t, knots[col].to_numpy()), 2)
    out["wind_kt"] = (out["wind_kt"] / 5).round() * 5
    # Atkinson-Holliday wind-pressure relation, inverted.
    out["pressure_hpa"] = np.round(1010 - (out["wind_kt"] / 6.7) ** (1 / 0.644))
    out["rmw_nmi"] = np.clip(35 - 0.18 * out["wind_kt"], 12, 30)
    lon, lat = out["lon"].to_numpy(), out["lat"].to_numpy()
    az, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    out["heading"] = np.append(az, az[-1]) % 360
    out["speed_kt"] = np.append(dist, dist[-1]) / 1000 / 6 / KMH_PER_KT
    return out


def _symmetric(fix) -> tuple[float, float]:
    """(asymmetry amplitude kt, symmetric peak kt) for one fix."""
    asym = 0.5 * fix.speed_kt
    return asym, max(fix.wind_kt - asym, 0.0)


def wind_at(fix, r_nmi: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
    """Wind speed (kt) at distance ``r_nmi`` and azimuth (degrees from north)."""
    asym, peak = _symmetric(fix)
    rm = fix.rmw_nmi
    r = np.maximum(r_nmi, 1e-9)
    sym = np.where(r < rm, peak * r / rm, peak * (rm / r) ** PROFILE_B)
    motion = asym * np.minimum(r / rm, 1) * np.cos(np.radians(azimuth - (fix.heading + 90)))
    return np.clip((sym + motion) * np.exp(-((r / OUTER_NMI) ** 2)), 0, None)


def wind_radii(fix, threshold: float) -> dict[str, float]:
    """Outermost radius (nmi) of ``threshold`` kt winds along each quadrant's
    mid-bearing; NaN when the storm nowhere reaches it, 0 in a quadrant that does not."""
    if fix.wind_kt < threshold:
        return {q: np.nan for q in QUADRANTS}
    r = np.arange(0.0, 800.0, 1.0)
    radii = {}
    for q, bearing in QUADRANTS.items():
        reached = np.flatnonzero(wind_at(fix, r, np.full_like(r, bearing)) >= threshold)
        radii[q] = float(r[reached[-1]]) if len(reached) else 0.0
    return radii


def wind_field(fix, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Wind speed (kt) at lon/lat (degrees) for one track fix."""
    az, _, dist_m = GEOD.inv(np.full(lon.shape, fix.lon), np.full(lat.shape, fix.lat), lon, lat)
    return wind_at(fix, dist_m / 1000 / NMI_KM, az)


def write_ibtracs_csv(path: Path, fixes: pd.DataFrame) -> None:
    """Track points in the IBTrACS v04 CSV layout, units row included."""
    radii_cols = [f"USA_R{k}_{q.upper()}" for k in (34, 50, 64) for q in QUADRANTS]
    header = ["SID", "SEASON", "NUMBER", "BASIN", "SUBBASIN", "NAME", "ISO_TIME", "NATURE",
              "LAT", "LON", "WMO_WIND", "WMO_PRES", "WMO_AGENCY", "TRACK_TYPE", "USA_RMW",
              *radii_cols]
    units = [" ", "Year", " ", " ", " ", " ", " ", " ", "degrees_north", "degrees_east",
             "kts", "mb", " ", " ", "nmile", *(["nmile"] * len(radii_cols))]
    rows = []
    for fix in fixes.itertuples():
        radii = {f"USA_R{k}_{q.upper()}": r for k in (34, 50, 64)
                 for q, r in wind_radii(fix, k).items()}
        rows.append([
            STORM_ID, "2026", "45", "NI", "BB", STORM_NAME, fix.time.strftime("%Y-%m-%d %H:%M:%S"),
            "TS", f"{fix.lat:.2f}", f"{fix.lon:.2f}", f"{fix.wind_kt:.0f}",
            f"{fix.pressure_hpa:.0f}", "newdelhi", "main", f"{fix.rmw_nmi:.0f}",
            *[" " if np.isnan(radii[c]) else f"{radii[c]:.0f}" for c in radii_cols],
        ])
    pd.DataFrame([units, *rows], columns=header).to_csv(path, index=False)


def write_wind_netcdf(path: Path, fixes: pd.DataFrame) -> None:
    """Wind speed (kt) every 6 h from WIND_FROM while the storm is near land."""
    west, south, east, north, step = WIND_GRID
    lons = np.round(np.arange(west + step / 2, east, step), 4)
    lats = np.round(np.arange(north - step / 2, south, -step), 4)
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    steps = fixes[fixes["time"] >= WIND_FROM]
    fields = np.stack([wind_field(fix, grid_lon, grid_lat) for fix in steps.itertuples()])
    times = steps["time"].dt.tz_localize(None).to_numpy()
    da = xr.DataArray(
        np.round(fields, 1).astype("float32"), dims=("time", "lat", "lon"),
        coords={"time": times, "lat": lats, "lon": lons}, name="wind_speed",
        attrs={"units": "kt", "long_name": "maximum sustained wind speed (DEMO model)",
               "variable": "wind_speed"},
    )
    da["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude"}
    da["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude"}
    ds = da.to_dataset()
    ds.attrs = {"Conventions": "CF-1.8", "title": "DEMO cyclone wind field",
                "source": "DEMO cyclone wind model (Bay of Bengal, September 2026)",
                "demo": "true"}
    encoding: dict[str, dict[str, Any]] = {
        "wind_speed": {"zlib": True, "complevel": 4, "_FillValue": -999.0},
        "time": {"units": "hours since 2026-09-24 00:00:00", "calendar": "standard"}}
    ds.to_netcdf(path, engine="netcdf4", encoding=encoding)
