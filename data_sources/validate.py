"""Vectorised row checks shared by the readers.

Readers load raw text into a DataFrame with a ``_row`` column (the row number
the user sees in their file), then pass it through these checks. A failing row
is removed *and* recorded as a Rejection naming the row, the field and the
reason, so nothing is ever dropped silently.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from model.i18n import N_
from model.schema import CATEGORIES, CRS, TABLES, Notice, Rejection


class RowChecker:
    """Removes bad rows from a frame and remembers why."""

    def __init__(self) -> None:
        self.rejections: list[Rejection] = []

    def drop(self, df: pd.DataFrame, bad: pd.Series, field: str | None, message: str,
             **params: object) -> pd.DataFrame:
        """Return ``df`` without the rows where ``bad`` is True, recording each.

        ``message`` is the catalogue message of the reason; a parameter is one
        value for all rows, or a Series aligned with ``df`` (the cell as written).
        """
        bad = bad.fillna(False).astype(bool)
        if not bad.any():
            return df
        rows = df.loc[bad, "_row"].tolist()
        columns = {k: (v[bad].tolist() if isinstance(v, pd.Series) else [v] * len(rows))
                   for k, v in params.items()}
        self.rejections.extend(
            Rejection(int(r), field, message, {k: "" if pd.isna(vs[i]) else vs[i]
                                               for k, vs in columns.items()})
            for i, r in enumerate(rows)
        )
        return df.loc[~bad]

    def sorted(self) -> list[Rejection]:
        return sorted(self.rejections, key=lambda r: (r.row is None, r.row or 0))


def _shown(df: pd.DataFrame, col: str) -> pd.Series:
    """The cell text as the user wrote it, for messages."""
    return df[col].astype("string").str.strip()


def blank(values: pd.Series) -> pd.Series:
    """True where a raw text cell is empty or whitespace."""
    return values.isna() | (values.astype("string").str.strip() == "")


def numbers(
    df: pd.DataFrame, col: str, check: RowChecker, *, required: bool, missing=()
) -> tuple[pd.DataFrame, pd.Series]:
    """Parse ``col`` as float. Blank (or a value in ``missing``) is NaN unless
    required. Infinite values ('inf', '1e400') are rejected: no figure is infinite."""
    raw = df[col].astype("string").str.strip()
    is_missing = blank(raw) | raw.isin([str(m) for m in missing])
    values = pd.to_numeric(raw.where(~is_missing), errors="coerce").astype("float64")
    df = check.drop(df, values.isna() & ~is_missing, col, N_("'{value}' is not a number"),
                    value=raw)
    df = check.drop(df, np.isinf(values.loc[df.index]), col,
                    N_("'{value}' is not a finite number"), value=raw.loc[df.index])
    if required:
        df = check.drop(df, is_missing.loc[df.index], col, N_("value is missing"))
    return df, values.loc[df.index].astype("float64")


def coordinates(
    df: pd.DataFrame, lat: str, lon: str, check: RowChecker, *, wrap: bool = False,
    notices: list[Notice] | None = None,
) -> tuple[pd.DataFrame, gpd.GeoSeries]:
    """Parse latitude/longitude columns into points, rejecting impossible ones.

    Rejected: missing or non-numeric values, |lat| > 90, |lon| > 180, and the
    exact point 0,0 (almost always a geocoding failure, never a South Asian event).
    ``wrap``: the source writes longitudes 0..360 (IBTrACS past the dateline):
    those over 180 become lon - 360, and a notice in ``notices`` says how many.
    """
    df, la = numbers(df, lat, check, required=True)
    df, lo = numbers(df, lon, check, required=True)
    la, lo = la.loc[df.index], lo.loc[df.index]
    df = check.drop(df, la.abs() > 90, lat, N_("{value} is outside -90..90"),
                    value=_shown(df, lat))
    lo = lo.loc[df.index]
    if wrap:
        east = (lo > 180) & (lo <= 360)
        if east.any() and notices is not None:
            notices.append(Notice(lon, N_("{count} longitudes past 180° (0..360 convention) "
                                          "normalised to -180..180"), {"count": int(east.sum())}))
        lo = lo.where(~east, lo - 360)
    df = check.drop(df, lo.abs() > 180, lon, N_("{value} is outside -180..180"),
                    value=_shown(df, lon))
    la, lo = la.loc[df.index], lo.loc[df.index]
    df = check.drop(df, (la == 0) & (lo == 0), f"{lat}/{lon}", N_("0,0 is not a real location"))
    idx = df.index
    return df, gpd.GeoSeries(gpd.points_from_xy(lo.loc[idx], la.loc[idx]), index=idx, crs=CRS)


_FIRST_TIME = pd.Timestamp("1678-01-01", tz="UTC")
_LAST_TIME = pd.Timestamp("2261-12-31", tz="UTC")


def times(
    df: pd.DataFrame, col: str, check: RowChecker, *, required: bool = True, dayfirst=False
) -> tuple[pd.DataFrame, pd.Series]:
    """Parse ``col`` as date-times; naive values are taken as UTC.

    Tries ISO 8601 first (fast, unambiguous); other layouts are parsed value by
    value. ``dayfirst`` resolves 03/01/2016 as 3 January.
    """
    raw = df[col].astype("string").str.strip()
    missing = blank(raw)
    parsed = pd.to_datetime(raw.where(~missing), errors="coerce", utc=True, format="ISO8601")
    retry = parsed.isna() & ~missing
    if retry.any():
        parsed.loc[retry] = pd.to_datetime(
            raw[retry], errors="coerce", utc=True, format="mixed", dayfirst=dayfirst
        )
    df = check.drop(df, parsed.isna() & ~missing, col, N_("'{value}' is not a date"), value=raw)
    parsed = parsed.loc[df.index]
    # Our tables hold nanosecond times: 1677-09-21 to 2262-04-11.
    beyond = parsed.notna() & ((parsed < _FIRST_TIME) | (parsed > _LAST_TIME))
    df = check.drop(df, beyond, col, N_("'{value}' is outside the years 1678 to 2261"),
                    value=raw.loc[df.index])
    if required:
        df = check.drop(df, missing.loc[df.index], col, N_("date is missing"))
    return df, parsed.loc[df.index].astype("datetime64[ns, UTC]")


MAX_COUNT = 10_000_000_000  # no count of people or events reaches the world's population


def non_negative(
    df: pd.DataFrame, col: str, check: RowChecker, *, required: bool = False
) -> tuple[pd.DataFrame, pd.Series]:
    """Parse a count (people, fatalities): whole, >= 0, and at most MAX_COUNT."""
    df, values = numbers(df, col, check, required=required)
    df = check.drop(df, values < 0, col, N_("{value} is negative"), value=_shown(df, col))
    values = values.loc[df.index]
    df = check.drop(df, values > MAX_COUNT, col,
                    N_("{value} is more than {most} (more people than live)"),
                    value=_shown(df, col), most=MAX_COUNT)
    values = values.loc[df.index]
    df = check.drop(df, values.notna() & (values != values.round()), col,
                    N_("{value} is not a whole number"), value=_shown(df, col))
    return df, values.loc[df.index].round().astype("Int64")


def vocabulary(
    df: pd.DataFrame, col: str, mapping: dict[str, str], check: RowChecker, *, label=None
) -> tuple[pd.DataFrame, pd.Series]:
    """Map source values (case-insensitive) onto our vocabulary; unknown values are rejected."""
    lowered = {k.strip().lower(): v for k, v in mapping.items()}
    raw = df[col].astype("string").str.strip()
    mapped = raw.str.lower().map(lowered)
    df = check.drop(df, mapped.isna(), label or col, N_("unknown value '{value}'"), value=raw)
    return df, mapped.loc[df.index]


def text(df: pd.DataFrame, col: str | None) -> pd.Series:
    """A text column, stripped, with blanks as <NA>; all <NA> when ``col`` is None."""
    if col is None or col not in df:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    values = df[col].astype("string").str.strip()
    return values.mask(values == "")


def conform(kind: str, columns: dict, geometry, *, index=None) -> gpd.GeoDataFrame:
    """Build the canonical GeoDataFrame for ``kind`` from column values.

    When ``index`` is given, Series values are first aligned to it (readers pass
    the index of the rows that survived every check). Missing columns are filled
    with nulls; dtypes and column order follow the schema, so every reader's
    output is interchangeable.
    """
    spec = TABLES[kind]
    if index is not None:
        columns = {k: (c.loc[index] if isinstance(c, pd.Series) else c) for k, c in columns.items()}
        if isinstance(geometry, pd.Series):
            geometry = geometry.loc[index]
    length = len(geometry)
    out = {}
    for col in spec:
        if col.name == "geometry":
            continue
        values = columns.get(col.name)
        if values is None:
            values = pd.Series([pd.NA] * length, dtype="object")
        values = pd.Series(np.asarray(values, dtype=object) if not isinstance(values, pd.Series)
                           else values.to_numpy(dtype=object), dtype="object")
        if col.dtype == "category":
            values = pd.Categorical(values, categories=CATEGORIES[(kind, col.name)])
        elif col.dtype == "bool":
            values = values.fillna(False).astype(bool)
        elif col.dtype.startswith("datetime64"):
            values = pd.to_datetime(values, utc=True).astype(col.dtype)
        elif col.dtype == "float64":
            values = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            values = values.astype(col.dtype)
        out[col.name] = values
    geoms = geometry.values if isinstance(geometry, pd.Series) else geometry
    frame = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=CRS).values, crs=CRS)
    return frame


def point_geometries(
    df: pd.DataFrame, geometry: gpd.GeoSeries, check: RowChecker
) -> tuple[pd.DataFrame, gpd.GeoSeries]:
    """Keep rows whose geometry is a point with possible lon/lat coordinates."""
    geometry = geometry.loc[df.index]
    df = check.drop(df, geometry.isna() | geometry.is_empty, "geometry",
                    N_("geometry is missing"))
    geometry = geometry.loc[df.index]
    kinds = geometry.geom_type.astype("string")
    df = check.drop(df, kinds != "Point", "geometry", N_("{kind} is not a point"), kind=kinds)
    geometry = geometry.loc[df.index]
    x, y = geometry.x, geometry.y
    df = check.drop(df, ~(x.abs() <= 180) | ~(y.abs() <= 90), "geometry",
                    N_("coordinates {x}, {y} are outside the globe (wrong CRS?)"),
                    x=x.astype("string"), y=y.astype("string"))
    geometry = geometry.loc[df.index]
    df = check.drop(df, (geometry.x == 0) & (geometry.y == 0), "geometry",
                    N_("0,0 is not a real location"))
    return df, geometry.loc[df.index]
