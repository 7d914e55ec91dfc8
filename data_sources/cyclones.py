"""Reader for cyclone track points: IBTrACS CSV -> the canonical ``tracks`` table.

IBTrACS v04 CSV as published has a second *units* row and writes missing
values as a blank (a single space); files rebuilt from the shapefile have no
units row and use -999.9. Both are read.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from model.schema import Notice, ReadResult

from . import validate as v
from .textio import CsvTable, read_csv_table, require_columns
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
        return check.drop(df, short, "ISO_TIME", "'" + raw.fillna("") + "' has a two-digit "
                          "year and the file has no SEASON column to tell its century")
    season = pd.to_numeric(df["SEASON"], errors="coerce")
    yy = pd.to_numeric(parts[1], errors="coerce")
    year = ((season - yy + 50) // 100) * 100 + yy
    far = short & (season.isna() | ((year - season).abs() > 1))
    df = check.drop(df, far, "ISO_TIME", "'" + raw.fillna("") + "' has a two-digit year that "
                    "no century places within a year of SEASON " + df["SEASON"].astype(str))
    fixed = short.loc[df.index]
    full = (parts[0] + year.astype("Int64").astype("string") + parts[2].fillna("")).loc[df.index]
    notices.append(Notice("ISO_TIME", f"{int(fixed.sum())} dates with two-digit years: the "
                                      "century taken from the SEASON column"))
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
    df = check.drop(df, v.blank(df["SID"]), "SID", "storm id is missing")
    df = _four_digit_years(df, check, notices)
    df, when = v.times(df, "ISO_TIME", check, dayfirst=True)
    df, wind = _first_numbers(df, _WIND, check)
    df = check.drop(df, wind.loc[df.index] < 0, "WMO_WIND", "wind speed is negative")
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
