"""Readers for displacement figures -> the canonical ``displacement`` table.

Formats: IDMC Internal Displacement Updates (IDU) CSV, IOM DTM CSV (with or
without its HXL tag row), and any HXL-tagged CSV, whose columns are found by
their tags (#adm1+name, #affected+idps, #date+reported ...).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from model.i18n import N_
from model.schema import CRS, Notice, ReadResult

from . import validate as v
from .countries import to_iso3
from .errors import FormatError
from .textio import CsvTable, read_csv_table, require_columns

# Words in a source's cause/hazard text -> our cause vocabulary (first match wins).
_CAUSE_WORDS = [
    ("conflict", "conflict"), ("violence", "conflict"), ("flood", "flood"),
    ("cyclone", "cyclone"), ("storm", "cyclone"), ("typhoon", "cyclone"),
    ("earthquake", "earthquake"), ("drought", "drought"), ("landslide", "landslide"),
    ("mass movement", "landslide"), ("wildfire", "wildfire"), ("fire", "wildfire"),
    ("disaster", "other disaster"), ("weather", "other disaster"),
]


def cause_from_text(values: pd.Series) -> pd.Series:
    """Our cause for free-text causes; 'other' when no known word appears."""
    lowered = values.astype("string").str.lower().fillna("")
    out = pd.Series("other", index=values.index, dtype="string")
    for word, cause in reversed(_CAUSE_WORDS):
        out = out.mask(lowered.str.contains(word, regex=False), cause)
    return out


def _finish(fmt, path, df, check, columns, geometry=None) -> ReadResult[gpd.GeoDataFrame]:
    idx = df.index
    columns = {k: c.loc[idx] for k, c in columns.items()}
    columns["source_id"] = columns["source_id"].astype("string")
    columns["id"] = columns["source"] + ":" + columns["source_id"]
    if geometry is None:
        geometry = gpd.GeoSeries([None] * len(idx), index=idx, crs=CRS)
    data = v.conform("displacement", columns, geometry.loc[idx])
    return ReadResult("displacement", fmt, str(path), data, check.sorted())


def read_idmc_idu(path: str | Path, *, encoding: str | None = None) -> ReadResult[gpd.GeoDataFrame]:
    """Read IDMC IDU events: each row is new displacements for one event and place."""
    table = read_csv_table(path, encoding)
    require_columns(table, ("id", "iso3", "figure", "displacement_date", "displacement_type"),
                    "IDMC IDU")
    df, check = table.frame, v.RowChecker()
    df = check.drop(df, v.blank(df["id"]), "id", N_("id is missing"))
    df, figure = v.non_negative(df, "figure", check, required=True)
    df, date = v.times(df, "displacement_date", check)
    country = to_iso3(df["iso3"])
    df = check.drop(df, country.isna(), "iso3", N_("unknown country '{value}'"),
                    value=df["iso3"])
    conflict = df["displacement_type"].str.strip().str.lower() == "conflict"
    hazard_text = v.text(df, "type").fillna("") + " " + v.text(df, "category").fillna("")
    cause = cause_from_text(hazard_text).where(~conflict, "conflict")
    cause = cause.mask(~conflict & (cause == "other"), "other disaster")
    geometry = None
    if table.has("latitude", "longitude"):
        located = ~(v.blank(df["latitude"]) | v.blank(df["longitude"]))
        unlocated = df[~located]
        df, points = v.coordinates(df[located], "latitude", "longitude", check)
        df = pd.concat([df, unlocated]).sort_index()
        geometry = gpd.GeoSeries(points.reindex(df.index), crs=CRS)
    return _finish("idmc-idu", path, df, check, {
        "source": pd.Series("IDMC", index=df.index, dtype="string"),
        "source_id": v.text(df, "id"),
        "area_name": v.text(df, "event_name"),
        "country": country,
        "date": date, "figure": figure,
        "type": pd.Series("new displacements", index=df.index, dtype="string"),
        "cause": cause,
    }, geometry)


# IOM DTM column names -> their HXL tags, for DTM files saved without the tag row.
DTM_TAGS = {
    "admin0Pcode": "#country+code", "admin1Name": "#adm1+name", "admin1Pcode": "#adm1+code",
    "admin2Name": "#adm2+name", "admin2Pcode": "#adm2+code",
    "numPresentIdpInd": "#affected+idps+ind",
    "reportingDate": "#date+reported", "displacementReason": "#cause+type", "id": "#meta+id",
}

# HXL figure tags -> our displacement type.
_FIGURE_TAGS = [
    ("#affected+idps", "IDP stock"), ("#affected+displaced", "new displacements"),
    ("#affected+refugees", "refugees"), ("#affected+returnees", "returns"),
]


def read_hxl_displacement(
    path: str | Path, *, source: str | None = None, encoding: str | None = None
) -> ReadResult[gpd.GeoDataFrame]:
    """Read displacement figures from any HXL-tagged CSV (IOM DTM included).

    Columns are found by tag: area (#adm2/#adm1/#loc +name, else +code),
    figure (#affected+idps / +displaced / +refugees / +returnees, which also
    sets the type), date (#date), country (#country+code), cause (#cause).
    """
    table = read_csv_table(path, encoding)
    fmt = "hxl"
    if not table.tags and table.has("numPresentIdpInd", "admin0Pcode"):
        table = CsvTable(table.path, table.frame,
                         {c: t for c, t in DTM_TAGS.items() if c in table.frame})
    if table.has("numPresentIdpInd"):
        fmt = "dtm"
    if not table.tags:
        raise FormatError(N_("has no HXL tag row (e.g. #adm1+name, #affected+idps)"), path=path)
    figure_col, kind = next(((c, k) for t, k in _FIGURE_TAGS
                             if (c := table.column_for_tag(t))), (None, None))
    date_col = table.column_for_tag("#date")
    area_col = next((c for t in ("#adm2+name", "#adm1+name", "#loc+name", "#adm2+code",
                                 "#adm1+code") if (c := table.column_for_tag(t))), None)
    missing = [name for name, col in (("#affected+idps (or +displaced, +refugees, +returnees)",
                                      figure_col), ("#date", date_col), ("#adm1+name", area_col))
               if col is None]
    if missing or figure_col is None or date_col is None or area_col is None:
        raise FormatError(N_("HXL tags missing: {tags}"), path=path, tags=", ".join(missing))
    code_col = table.column_for_tag("#adm2+code") or table.column_for_tag("#adm1+code")
    country_col = table.column_for_tag("#country+code") or table.column_for_tag("#country")
    if fmt == "dtm" and country_col is None and "admin0Pcode" in table.frame:
        country_col = "admin0Pcode"
    df, check = table.frame, v.RowChecker()
    df, area, code, notices = _totals_at_their_level(table, df, area_col, code_col, date_col,
                                                     country_col)
    df = check.drop(df, v.blank(area.loc[df.index]), area_col, N_("area is missing"))
    df, figure = v.non_negative(df, figure_col, check, required=True)
    df, date = v.times(df, date_col, check)
    country = to_iso3(df[country_col]) if country_col else pd.Series(pd.NA, index=df.index)
    if country_col:
        df = check.drop(df, country.isna(), country_col,
                        N_("unknown country '{value}'"), value=df[country_col])
    cause_col = table.column_for_tag("#cause")
    cause = (cause_from_text(df[cause_col]) if cause_col
             else pd.Series("other", index=df.index, dtype="string"))
    geometry = None
    lat_col, lon_col = table.column_for_tag("#geo+lat"), table.column_for_tag("#geo+lon")
    if lat_col and lon_col:
        df, geometry = v.coordinates(df, lat_col, lon_col, check)
    id_col = table.column_for_tag("#meta+id")
    src = v.text(df, table.column_for_tag("#meta+source")).fillna(
        source or ("IOM DTM" if fmt == "dtm" else Path(path).stem))
    result = _finish(fmt, path, df, check, {
        "source": src,
        "source_id": v.text(df, id_col).fillna(df["_row"].astype("string")),
        "area_name": area.loc[df.index], "area_code": code.loc[df.index],
        "country": country.astype("string"), "date": date, "figure": figure,
        "type": pd.Series(kind, index=df.index, dtype="string"), "cause": cause,
    }, geometry)
    result.warnings.extend(notices)
    return result


def _totals_at_their_level(table: CsvTable, df: pd.DataFrame, area_col: str,
                           code_col: str | None, date_col: str, country_col: str | None
                           ) -> tuple[pd.DataFrame, pd.Series, pd.Series, list[Notice]]:
    """Rows with no area at the file's finest level but one at a coarser level
    are totals (IOM DTM writes admin-1 and admin-0 totals among admin-2 rows).
    A total whose finer rows are in the file is not a record: counting it would
    count its people twice, so it is left out (not rejected) and a notice says
    so. A total with no finer rows is kept, at its own level. Returns the rows,
    each row's area name and code, and the notices."""
    area = v.text(df, area_col)
    code = v.text(df, code_col)
    coarser = [(table.column_for_tag("#adm1+name"), table.column_for_tag("#adm1+code"),
                "admin 1"),
               (table.column_for_tag("#country+name") or country_col, None, "admin 0")]
    coarser = [(n, c, level) for n, c, level in coarser if n and n != area_col]
    if not coarser:
        return df, area, code, []
    notices: list[Notice] = []
    detail = area.notna()
    dates = df[date_col].astype("string").str.strip()
    dropped = pd.Series(False, index=df.index)
    for name_col, level_code_col, level in coarser:
        parent = v.text(df, name_col)
        total = area.isna() & parent.notna() & ~dropped
        if not total.any():
            continue
        has_children = pd.MultiIndex.from_arrays([parent[total], dates[total]]).isin(
            pd.MultiIndex.from_arrays([parent[detail], dates[detail]]))
        covered = total.copy()
        covered[total] = has_children
        kept = total & ~covered
        if covered.any():
            notices.append(Notice(name_col, N_("{count} {level} total rows left out: the finer "
                                               "rows under them are counted"),
                                    {"count": int(covered.sum()), "level": level}))
        if kept.any():
            notices.append(Notice(name_col, N_("{count} {level} total rows with no finer rows "
                                               "kept at their own level"),
                                    {"count": int(kept.sum()), "level": level}))
        area = area.where(~kept, parent)
        code = code.where(~kept, v.text(df, level_code_col) if level_code_col else pd.NA)
        dropped |= covered
        detail = area.notna() & ~dropped
    return df[~dropped], area, code, notices
