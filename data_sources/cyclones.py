"""Readers for cyclone track points: IBTrACS CSV and ATCF decks (forecasts and
best tracks) -> the canonical ``tracks`` table.

IBTrACS v04 CSV as published has a second *units* row and writes missing
values as a blank (a single space); files rebuilt from the shapefile have no
units row and use -999.9. Both are read.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from model.i18n import N_
from model.schema import Notice, ReadResult

from . import validate as v
from .errors import FormatError
from .textio import CsvTable, read_bytes, read_csv_table, require_columns
from .vectors import VECTOR_SUFFIXES, read_vector_as_text

_MISSING = ("-999", "-999.0", "-999.9", "-9999")

# Wind and pressure: the WMO agency's figures (New Delhi in the North Indian
# basin, 3-minute winds) when given, else JTWC's (1-minute winds).
_WIND = ("WMO_WIND", "USA_WIND")
_PRES = ("WMO_PRES", "USA_PRES")
_RADII_AGENCIES = ("USA", "REU", "BOM")
# dd-mm-yy hh:mm, as some republished copies (HDX) write ISO_TIME.
_TWO_DIGIT_YEAR = r"^(\d{1,2}[-/.]\d{1,2}[-/.])(\d{2})(\s.*)?$"


def _four_digit_years(df: pd.DataFrame, check: v.RowChecker, notices: list[Notice]
                      ) -> pd.DataFrame:
    """Dates written with two-digit years get their century from the storm's
    SEASON (the year nearest it); without a SEASON, or when no century puts the
    date within a year of it, the row is refused with the reason. Never a 2035
    for a storm of 1935."""
    raw = df["ISO_TIME"].astype("string").str.strip()
    parts = raw.str.extract(_TWO_DIGIT_YEAR)
    short = parts[1].notna()
    if not short.any():
        return df
    if "SEASON" not in df:
        return check.drop(df, short, "ISO_TIME", N_("'{value}' has a two-digit year and the "
                                                 "file has no SEASON column to tell its century"),
                          value=raw)
    season = pd.to_numeric(df["SEASON"], errors="coerce")
    yy = pd.to_numeric(parts[1], errors="coerce")
    year = ((season - yy + 50) // 100) * 100 + yy
    far = short & (season.isna() | ((year - season).abs() > 1))
    df = check.drop(df, far, "ISO_TIME", N_("'{value}' has a two-digit year that no century "
                                         "places within a year of SEASON {season}"),
                    value=raw, season=df["SEASON"].astype(str))
    fixed = short.loc[df.index]
    full = (parts[0] + year.astype("Int64").astype("string") + parts[2].fillna("")).loc[df.index]
    notices.append(Notice("ISO_TIME", N_("{count} dates with two-digit years: the century taken "
                                         "from the SEASON column"), {"count": int(fixed.sum())}))
    return df.assign(ISO_TIME=raw.loc[df.index].where(~fixed, full))


def _first_numbers(df, cols, check):
    out = pd.Series(float("nan"), index=df.index)
    for col in cols:
        if col in df:
            df, values = v.numbers(df, col, check, required=False, missing=_MISSING)
            out = out.loc[df.index].fillna(values)
    return df, out


def read_ibtracs(
    path: str | Path, *, basin: str | None = None, encoding: str | None = None
) -> ReadResult[gpd.GeoDataFrame]:
    """Read IBTrACS track points; ``basin`` (e.g. "NI") keeps only that basin.

    Reads the CSV and also the official points/lines Shapefile or GeoJSON
    (for lines, LAT/LON are the segment's start point).
    """
    if Path(path).suffix.lower() in VECTOR_SUFFIXES:
        df, _ = read_vector_as_text(path)
        table = CsvTable(str(path), df, {})
    else:
        table = read_csv_table(path, encoding)
    require_columns(table, ("SID", "ISO_TIME", "LAT", "LON"), "IBTrACS")
    df = table.frame
    if len(df) and df.iloc[0]["LAT"].strip().lower().startswith("degrees"):
        df = df.iloc[1:]  # the units row
    if basin and "BASIN" in df:
        df = df[df["BASIN"].str.strip().str.upper() == basin.upper()]
    check = v.RowChecker()
    notices: list[Notice] = []
    df = check.drop(df, v.blank(df["SID"]), "SID", N_("storm id is missing"))
    df = _four_digit_years(df, check, notices)
    df, when = v.times(df, "ISO_TIME", check, dayfirst=True)
    df, wind = _first_numbers(df, _WIND, check)
    df = check.drop(df, wind.loc[df.index] < 0, "WMO_WIND", N_("wind speed is negative"))
    df, pressure = _first_numbers(df, _PRES, check)
    radii = {}
    for kt in (34, 50, 64):
        for q in ("ne", "se", "sw", "nw"):
            cols = [f"{a}_R{kt}_{q.upper()}" for a in _RADII_AGENCIES]
            df, radii[f"r{kt}_{q}"] = _first_numbers(df, cols, check)
    # IBTrACS writes longitudes 0..360 for some agencies and storms past the dateline.
    df, points = v.coordinates(df, "LAT", "LON", check, wrap=True, notices=notices)
    columns = {
        "storm_id": v.text(df, "SID"),
        "source": pd.Series("IBTrACS", index=df.index, dtype="string"),
        "name": v.text(df, "NAME").fillna("UNNAMED"),
        "basin": v.text(df, "BASIN"),
        "time": when,
        "wind_kt": wind,
        "pressure_hpa": pressure,
        **radii,
    }
    data = v.conform("tracks", columns, points, index=df.index)
    data = data.sort_values(["storm_id", "time"], kind="stable").reset_index(drop=True)
    return ReadResult("tracks", "ibtracs", str(path), data, check.sorted(), notices)


# ATCF (the Automated Tropical Cyclone Forecasting system of JTWC and NHC): a-decks
# hold forecasts ("aio012026.dat"), b-decks best tracks ("bio012026.dat"); one line
# per position, time and wind radius (34, 50, 64 kt), comma-separated.
ATCF_FIELDS = ("BASIN", "CY", "YYYYMMDDHH", "TECHNUM", "TECH", "TAU", "LAT", "LON", "VMAX",
               "MSLP", "TY", "RAD", "WINDCODE", "RAD1", "RAD2", "RAD3", "RAD4")
ATCF_LINE = re.compile(r"^\s*[A-Z]{2}\s*,\s*\d{1,2}\s*,\s*\d{10}\s*,")
# Official forecasts first: JTWC (North Indian Ocean), then NHC's OFCL; BEST is a b-deck.
ATCF_OFFICIAL = ("BEST", "JTWC", "OFCL")
_ATCF_BASINS = {"IO": "NI", "SH": "SI", "WP": "WP", "AL": "NA", "EP": "EP", "CP": "EP"}
# Quadrant order of RAD1..RAD4 for NEQ (northeast first, clockwise).
_QUADRANTS = ("ne", "se", "sw", "nw")


def looks_like_atcf(head: bytes) -> bool:
    first = head.decode("latin-1").lstrip("\ufeff").splitlines()[:1]
    return bool(first) and bool(ATCF_LINE.match(first[0]))


def read_atcf(path: str | Path, *, tech: str | None = None, encoding: str | None = None
              ) -> ReadResult[gpd.GeoDataFrame]:
    """Read an ATCF a-deck (forecasts) or b-deck (best track).

    Keeps one forecaster (``tech``; default: BEST, else JTWC, else OFCL, the
    first in the file): positions after the forecast's start (TAU > 0) are
    marked ``forecast``; the wind-radius lines of one position become one
    record. Other forecast aids (models) are left out, with a notice.
    """
    raw = read_bytes(path).decode(encoding or "utf-8", errors="replace")
    rows = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if line.strip():
            cells = [c.strip() for c in line.split(",")]
            rows.append([*cells[:len(ATCF_FIELDS)],
                         *[""] * (len(ATCF_FIELDS) - len(cells)), n])
    df = pd.DataFrame(rows, columns=[*ATCF_FIELDS, "_row"], dtype="string")
    df["_row"] = df["_row"].astype(int)
    if df.empty or not df["YYYYMMDDHH"].str.fullmatch(r"\d{10}").all():
        raise FormatError(N_("is not an ATCF deck (BASIN, CY, YYYYMMDDHH, ... on every line)"),
                          path=path)
    notices: list[Notice] = []
    present = list(dict.fromkeys(df["TECH"].str.upper()))
    chosen = (tech or next((t for t in ATCF_OFFICIAL if t in present), present[0])).upper()
    others = df["TECH"].str.upper() != chosen
    if others.any():
        left = sorted(set(df.loc[others, "TECH"].str.upper()))
        names = ", ".join(left[:8]) + (" ..." if len(left) > 8 else "")
        notices.append(Notice("TECH", N_("{count} lines of other forecasters ({names}) left out: "
                                         "this file is read as {chosen}'s"),
                              {"count": int(others.sum()), "chosen": chosen, "names": names}))
    df = df[~others]
    check = v.RowChecker()
    for col, hemi, positive in (("LAT", "NS", "N"), ("LON", "EW", "E")):
        text = df[col].str.upper()
        ok = text.str.fullmatch(rf"\d{{1,4}}[{hemi}]").fillna(False)
        df = check.drop(df, ~ok, col, N_("'{value}' is not tenths of a degree with {a} or {b}"),
                        value=df[col], a=hemi[0], b=hemi[1])
        text = text.loc[df.index]
        sign = text.str[-1].map({positive: 1.0, hemi.replace(positive, ""): -1.0})
        df[col] = (text.str[:-1].astype(float) / 10 * sign).astype("string")
    df["YYYYMMDDHH"] = df["YYYYMMDDHH"].str.replace(
        r"^(\d{4})(\d{2})(\d{2})(\d{2})$", r"\1-\2-\3T\4:00Z", regex=True)
    df, init = v.times(df, "YYYYMMDDHH", check)
    df, tau = v.numbers(df, "TAU", check, required=True)
    df, wind = v.numbers(df, "VMAX", check, required=False)
    df, pressure = v.numbers(df, "MSLP", check, required=False)
    df, rad = v.numbers(df, "RAD", check, required=False)
    df, points = v.coordinates(df, "LAT", "LON", check)
    when = init.loc[df.index] + pd.to_timedelta(tau.loc[df.index], unit="h")
    basin = df["BASIN"].str.upper()
    storm = basin + df["CY"].str.zfill(2) + init.loc[df.index].dt.strftime("%Y")
    key = pd.DataFrame({"storm": storm, "time": when}, index=df.index)
    radii = {f"r{kt}_{q}": pd.Series(float("nan"), index=df.index)
             for kt in (34, 50, 64) for q in _QUADRANTS}
    for kt in (34, 50, 64):
        lines = df.index[(rad.loc[df.index] == kt).to_numpy()]
        full_circle = df.loc[lines, "WINDCODE"].str.upper() == "AAA"
        for q, col in zip(_QUADRANTS, ("RAD1", "RAD2", "RAD3", "RAD4"), strict=True):
            source = df.loc[lines, "RAD1"].where(full_circle, df.loc[lines, col])
            values = pd.to_numeric(source, errors="coerce")
            # Each radius belongs to its position's record, whichever line gave it.
            by_key = pd.Series(values.to_numpy(), index=pd.MultiIndex.from_frame(
                key.loc[lines])).groupby(level=[0, 1]).max()
            radii[f"r{kt}_{q}"] = pd.Series(pd.MultiIndex.from_frame(key).map(
                by_key.to_dict()).to_numpy(dtype=float), index=df.index)
    first = ~key.duplicated()  # one record per position: its first line
    idx = df.index[first.to_numpy()]
    columns = {
        "storm_id": storm, "source": pd.Series(f"ATCF {chosen}", index=df.index,
                                               dtype="string"),
        "name": pd.Series("UNNAMED", index=df.index, dtype="string"),
        "basin": basin.map(lambda b: _ATCF_BASINS.get(b, b)).astype("string"),
        "time": when, "wind_kt": wind, "pressure_hpa": pressure.where(pressure > 0),
        **radii, "forecast": (tau.loc[df.index] > 0) & (chosen != "BEST"),
    }
    data = v.conform("tracks", columns, points, index=idx)
    data = data.sort_values(["storm_id", "time"], kind="stable").reset_index(drop=True)
    return ReadResult("tracks", "atcf", str(path), data, check.sorted(), notices)
