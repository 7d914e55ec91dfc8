"""Readers for admin boundaries and populated places.

Boundaries come as GeoPackage, GeoJSON or zipped Shapefile, in the attribute
conventions of Natural Earth, geoBoundaries, GADM and OCHA COD-AB; places as a
GeoNames-style CSV or any point file with name and population.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from model.i18n import N_, written_in
from model.schema import Notice, ReadResult

from . import validate as v
from .countries import to_iso3
from .errors import FormatError
from .textio import read_csv_table
from .vectors import read_vector_as_text

# OCHA COD-AB since its 2024 common schema (HDX "cod-ab-<iso3>" v03 on):
# adm<N>_name, adm<N>_pcode, with every level above the file's own beside them.
_COD_AB_LEVELS = (4, 3, 2, 1, 0)
# Conventions, tried in order: (name columns, code columns, iso3 columns).
_NAME = ("name", "shapeName", "NAME_2", "NAME_1", "NAME_0", "ADM2_EN", "ADM1_EN", "ADM0_EN",
         *(f"adm{n}_name" for n in _COD_AB_LEVELS), "admin", "NAME")
_CODE = ("code", "shapeID", "GID_2", "GID_1", "GID_0", "ADM2_PCODE", "ADM1_PCODE",
         "ADM0_PCODE", *(f"adm{n}_pcode" for n in _COD_AB_LEVELS), "iso_a3", "ISO_A3")
_ISO3 = ("iso3", "iso_a3", "ISO_A3", "adm0_a3", "ADM0_A3", "shapeGroup", "GID_0", "ADM0_PCODE",
         "adm0_pcode")
_LEVEL_HINTS = (("NAME_2", 2), ("ADM2_EN", 2), ("NAME_1", 1), ("ADM1_EN", 1),
                *((f"adm{n}_name", n) for n in _COD_AB_LEVELS if n))


# Natural Earth publishes each country's point of view as ne_10m_admin_0_countries_ind ...
_NATURAL_EARTH_VIEW = re.compile(r"^ne_\d+m_admin_0_countries_([a-z]{3})$")


def _pick(columns, names) -> str | None:
    return next((c for c in names if c in columns), None)


def read_boundaries(
    path: str | Path, *, admin_level: int | None = None, name_field: str | None = None,
    code_field: str | None = None, source: str | None = None,
) -> ReadResult[gpd.GeoDataFrame]:
    """Read admin areas (polygons) into the canonical ``boundaries`` table.

    ``admin_level`` is taken from an ``admin_level`` column, else from the
    attribute convention (GADM NAME_1 -> 1 ...), else from geoBoundaries'
    ``shapeType`` (ADM1 -> 1), else the argument, else 0.
    """
    df, geometry = read_vector_as_text(path)
    cols = df.columns
    code_col = code_field or _pick(cols, _CODE)
    notices: list[Notice] = []
    name_col = name_field or _pick(cols, _NAME)
    if name_col is None and name_field is None and code_col is not None:
        # Some UN boundary files carry codes only: name the areas by their code, and say so.
        name_col = code_col
        notices.append(Notice(code_col, N_("no area name column: areas are named by their code "
                                           "('{column}')"), {"column": code_col}))
    if name_col is None or name_col not in cols:
        raise FormatError(N_("has no area name column (tried {columns})"), path=path,
                          field=name_field, columns=", ".join(_NAME))
    iso_col = _pick(cols, _ISO3)
    check = v.RowChecker()
    kinds = geometry.geom_type.astype("string")
    df = check.drop(df, ~kinds.isin(["Polygon", "MultiPolygon"]), "geometry",
                    N_("{kind} is not a polygon"), kind=kinds.fillna("missing geometry"))
    bounds = geometry.loc[df.index].bounds
    outside = (bounds.abs() > [180, 90, 180, 90]).any(axis=1)
    df = check.drop(df, outside, "geometry",
                    N_("coordinates are outside the globe (wrong CRS?)"))
    df = check.drop(df, v.blank(df[name_col]), name_col, N_("name is missing"))
    if "admin_level" in cols:
        df, level = v.non_negative(df, "admin_level", check, required=True)
    else:
        hinted = next((lvl for col, lvl in _LEVEL_HINTS if col in cols), None)
        if hinted is None and "shapeType" in cols:
            digits = df["shapeType"].str.extract(r"(\d)", expand=False)
            level = pd.to_numeric(digits).fillna(admin_level or 0).astype("Int64")
        else:
            level = pd.Series(hinted if hinted is not None else (admin_level or 0),
                              index=df.index, dtype="Int64")
    iso3 = to_iso3(df[iso_col].str[:3]) if iso_col else pd.Series(pd.NA, index=df.index)
    columns = {
        "admin_level": level, "iso3": iso3.astype("string"),
        "code": v.text(df, code_col), "name": v.text(df, name_col),
        "source": v.text(df, "source").fillna(source or Path(path).stem)
        if "source" in cols else pd.Series(source or Path(path).stem, index=df.index),
    }
    view_col = _pick(cols, ("view", "pov", "POV"))
    if view_col:
        columns["view"] = v.text(df, view_col).str.strip().str.upper()
    elif pov := _NATURAL_EARTH_VIEW.match(Path(path).stem):
        columns["view"] = pd.Series(pov.group(1).upper(), index=df.index, dtype="string")
        notices.append(Notice(None, N_("the outlines are drawn as {view} sees them (Natural Earth "
                                       "point-of-view file, by its name)"),
                                {"view": pov.group(1).upper()}))
    disputed_col = _pick(cols, ("disputed", "DISPUTED"))
    class_col = _pick(cols, ("featurecla", "FEATURECLA"))
    if disputed_col:
        columns["disputed"] = df[disputed_col].str.strip().str.lower().isin(
            ["true", "1", "yes", "y"])
    elif class_col:  # Natural Earth: "Disputed", "Breakaway", "Indeterminate" areas
        marked = df[class_col].fillna("").str.contains("disput|breakaway|indeterminate",
                                                      case=False)
        columns["disputed"] = marked
        if marked.any():
            notices.append(Notice(class_col, N_("{count} areas taken as disputed from their "
                                                "class ({column}: Disputed, Breakaway, "
                                                "Indeterminate)"),
                                  {"count": int(marked.sum()), "column": class_col}))
    if "demo" in cols:
        columns["demo"] = df["demo"].str.lower().isin(["true", "1"])
    data = v.conform("boundaries", columns, geometry, index=df.index)
    return ReadResult("boundaries", "vector", str(path), data, check.sorted(), notices)


_PLACE_FIELDS = {
    "name": ("name", "asciiname", "NAME", "place"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "x"),
    "population": ("population", "pop", "pop_max", "POP_MAX"),
    "country": ("countrycode", "country", "iso3", "country_code"),
}


def _local_names(names) -> str | None:
    """The names written in one of the region's scripts (লাহোর, لاہور ...),
    '|'-separated: GeoNames' alternate names also hold transliterations, codes and
    names in other scripts, left out here."""
    if not isinstance(names, str):
        return None
    kept = [n.strip() for n in names.split(",") if n.strip() and written_in(n.strip())]
    return "|".join(dict.fromkeys(kept)) or None


def read_places(path: str | Path, *, source: str | None = None,
                encoding: str | None = None) -> ReadResult[gpd.GeoDataFrame]:
    """Read populated places (name, country, population, point) from CSV or a point file.

    GeoNames exports (``cities15000``) are read as they are.
    """
    path = Path(path)
    is_csv = path.suffix.lower() == ".csv"
    if is_csv:
        df, geometry = read_csv_table(path, encoding).frame, None
    else:
        df, geometry = read_vector_as_text(path)
    fields = {k: _pick(df.columns, names) for k, names in _PLACE_FIELDS.items()}
    needed = ("name", "population") + (("latitude", "longitude") if is_csv else ())
    missing = [k for k in needed if fields[k] is None]
    if missing:
        raise FormatError(N_("is not a places file: no {columns} column"), path=path,
                          columns=", ".join(missing))
    name_col, population_col = str(fields["name"]), str(fields["population"])
    check = v.RowChecker()
    df = check.drop(df, v.blank(df[name_col]), name_col, N_("name is missing"))
    df, population = v.non_negative(df, population_col, check, required=True)
    country = (to_iso3(df[fields["country"]]) if fields["country"]
               else pd.Series(pd.NA, index=df.index, dtype="string"))
    if is_csv:
        df, geometry = v.coordinates(df, str(fields["latitude"]), str(fields["longitude"]),
                                     check)
    else:
        df, geometry = v.point_geometries(df, geometry, check)
    src = source or ("GeoNames" if "geonameid" in df.columns else path.stem)
    columns = {
        "name": v.text(df, fields["name"]), "country": country, "population": population,
        "source": pd.Series(src, index=df.index, dtype="string"),
    }
    if "alternatenames" in df.columns:  # GeoNames: every other name, comma-separated
        columns["local_names"] = df["alternatenames"].map(_local_names).astype("string")
    if "demo" in df.columns:
        columns["demo"] = df["demo"].str.lower().isin(["true", "1"])
    data = v.conform("places", columns, geometry, index=df.index)
    return ReadResult("places", "geonames" if "geonameid" in df.columns else "points",
                      str(path), data, check.sorted())


