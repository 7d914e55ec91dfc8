"""Readers for border and security incidents -> the canonical ``incidents`` table.

Formats: the ACLED event export (31 columns), UCDP GED CSV (raw, or as
republished on HDX with an HXL tag row), and any CSV / GeoJSON / GeoPackage of
points with a column mapping.
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import pandas as pd

from model.i18n import N_
from model.schema import (
    INCIDENT_CATEGORIES,
    LOCATION_PRECISIONS,
    SAARC_ISO3,
    SOUTH_ASIA_EQDC,
    Notice,
    ReadResult,
)

from . import validate as v
from .countries import to_iso3
from .errors import FormatError
from .textio import read_csv_table, require_columns
from .vectors import read_vector_as_text

ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
)

# ACLED event type -> our category; sub-event types refine two of them.
_ACLED_EVENT_TYPES = {
    "battles": "armed clash",
    "explosions/remote violence": "explosion/IED",
    "violence against civilians": "other",
    "protests": "protest/unrest",
    "riots": "protest/unrest",
    "strategic developments": "other",
    # The taxonomy before 2019 (exports of 1997-2018 data).
    "battle-no change of territory": "armed clash",
    "battle-government regains territory": "armed clash",
    "battle-non-state actor overtakes territory": "armed clash",
    "remote violence": "explosion/IED",
    "riots/protests": "protest/unrest",
    "strategic development": "other",
    "headquarters or base established": "other",
    "non-violent transfer of territory": "other",
}
_ACLED_SUB_EVENTS = {
    "shelling/artillery/missile attack": "cross-border firing/shelling",
    "arrests": "arrest/seizure",
    "disrupted weapons use": "arrest/seizure",
}
_ACLED_PRECISION = {"1": "exact", "2": "near", "3": "admin1"}

# UCDP GED where_prec (1 exact .. 7 international waters) -> our precision.
_UCDP_PRECISION = {
    "1": "exact", "2": "near", "3": "admin2", "4": "admin1", "5": "admin1",
    "6": "country", "7": "country",
}
_UCDP_VIOLENCE = {"1": "armed clash", "2": "armed clash", "3": "other"}

# Base severity by category; fatalities raise it (see severity_from).
_BASE_SEVERITY = {
    "illegal crossing": 1, "arrest/seizure": 1, "smuggling/trafficking": 2,
    "protest/unrest": 2, "other": 2, "cross-border firing/shelling": 3,
    "armed clash": 3, "explosion/IED": 3,
}

# Accepted spellings of our categories in user files.
CATEGORY_ALIASES = {c: c for c in INCIDENT_CATEGORIES} | {
    "illegal_crossing": "illegal crossing",
    "smuggling": "smuggling/trafficking",
    "trafficking": "smuggling/trafficking",
    "cross-border firing": "cross-border firing/shelling",
    "shelling": "cross-border firing/shelling",
    "firing": "cross-border firing/shelling",
    "armed clash": "armed clash",
    "clash": "armed clash",
    "explosion": "explosion/IED",
    "ied": "explosion/IED",
    "arrest": "arrest/seizure",
    "seizure": "arrest/seizure",
    "protest": "protest/unrest",
    "unrest": "protest/unrest",
}


def severity_from(category: pd.Series, fatalities: pd.Series) -> pd.Series:
    """Severity 1-5: a base per category, +1 with any death, +2 with 10 or more."""
    base = category.astype("string").map(_BASE_SEVERITY).astype("Int64")
    deaths = fatalities.fillna(0)
    bump = (deaths >= 1).astype("Int64") + (deaths >= 10).astype("Int64")
    return (base + bump).clip(upper=5)


def _finish(fmt: str, path, df, points, check: v.RowChecker, columns: dict
            ) -> ReadResult[gpd.GeoDataFrame]:
    """Align every parsed column to the rows that survived, derive id and severity."""
    idx = df.index
    columns = {k: c.loc[idx] for k, c in columns.items()}
    columns["source_id"] = columns["source_id"].astype("string")
    columns["id"] = columns["source"] + ":" + columns["source_id"]
    if "severity" not in columns:
        columns["severity"] = severity_from(columns["category"], columns["fatalities"])
    data = v.conform("incidents", columns, points.loc[idx])
    return ReadResult("incidents", fmt, str(path), data, check.sorted())


def _constant(df: pd.DataFrame, value: str) -> pd.Series:
    return pd.Series(value, index=df.index, dtype="string")


def _country(df: pd.DataFrame, check: v.RowChecker, *cols: str):
    """ISO3 from the first of ``cols`` that resolves; rows resolving to none are rejected."""
    present = [c for c in cols if c in df]
    country = pd.Series(pd.NA, index=df.index, dtype="string")
    for col in present:
        country = country.fillna(to_iso3(df[col]))
    shown = df[present[0]].astype("string").fillna("") if present else ""
    df = check.drop(df, country.isna(), present[0] if present else "country",
                    N_("unknown country '{value}'"), value=shown)
    return df, country


def read_acled(path: str | Path, *, encoding: str | None = None) -> ReadResult[gpd.GeoDataFrame]:
    """Read an ACLED event export CSV: today's 31-column layout, or an older one
    (upper-case names, GWNO, no ISO, the event types before 2019). Column names
    match whatever their case and surrounding spaces."""
    table = read_csv_table(path, encoding)
    notices = _normalise_column_names(table)
    require_columns(
        table, ("event_id_cnty", "event_date", "event_type", "latitude", "longitude",
                "country", "fatalities"), "ACLED export",
    )
    df, check = table.frame, v.RowChecker()
    df = check.drop(df, v.blank(df["event_id_cnty"]), "event_id_cnty",
                    N_("event id is missing"))
    df, when = v.times(df, "event_date", check, dayfirst=True)
    df, category = v.vocabulary(df, "event_type", _ACLED_EVENT_TYPES, check)
    if "sub_event_type" in df:
        refined = df["sub_event_type"].str.strip().str.lower().map(_ACLED_SUB_EVENTS)
        category = refined.fillna(category.loc[df.index])
    df, fatalities = v.non_negative(df, "fatalities", check)
    df, country = _country(df, check, "country", "iso")
    df, points = v.coordinates(df, "latitude", "longitude", check)
    result = _finish("acled", path, df, points, check, {
        "source": _constant(df, "ACLED"),
        "source_id": v.text(df, "event_id_cnty"),
        "time": when,
        "country": country,
        "admin1": v.text(df, "admin1"),
        "admin2": v.text(df, "admin2"),
        "category": category,
        "fatalities": fatalities,
        "location_precision": v.text(df, "geo_precision").map(_ACLED_PRECISION),
        "notes": v.text(df, "notes"),
    })
    result.warnings.extend(notices)
    return result


def _normalise_column_names(table) -> list[Notice]:
    """Lower-case, stripped column names (older exports write EVENT_DATE, GWNO ...)."""
    renamed = {c: c.strip().lower() for c in table.frame.columns if c != "_row"}
    changed = [c for c, new in renamed.items() if c != new]
    table.frame = table.frame.rename(columns=renamed)
    if not changed:
        return []
    return [Notice(None, N_("{count} column names matched regardless of case or spaces "
                            "(e.g. '{example}')"), {"count": len(changed), "example": changed[0]})]


def read_ucdp(path: str | Path, *, encoding: str | None = None) -> ReadResult[gpd.GeoDataFrame]:
    """Read UCDP GED events: the raw CSV, or HDX's copy with an HXL tag row.

    Category comes from ``type_of_violence`` (state-based and non-state ->
    armed clash, one-sided -> other); fatalities are the ``best`` estimate.
    """
    table = read_csv_table(path, encoding)
    require_columns(
        table, ("id", "type_of_violence", "latitude", "longitude", "date_start", "best"),
        "UCDP GED",
    )
    df, check = table.frame, v.RowChecker()
    df = check.drop(df, v.blank(df["id"]), "id", N_("event id is missing"))
    df, when = v.times(df, "date_start", check)
    df, category = v.vocabulary(df, "type_of_violence", _UCDP_VIOLENCE, check)
    df, fatalities = v.non_negative(df, "best", check, required=True)
    df, country = _country(df, check, "iso3", "country")
    df, points = v.coordinates(df, "latitude", "longitude", check)
    notes = v.text(df, "dyad_name").fillna("") + ": " + v.text(df, "source_headline").fillna("")
    return _finish("ucdp-hxl" if table.tags else "ucdp", path, df, points, check, {
        "source": _constant(df, "UCDP GED"),
        "source_id": v.text(df, "id"),
        "time": when,
        "country": country,
        "admin1": v.text(df, "adm_1"),
        "admin2": v.text(df, "adm_2"),
        "category": category,
        "fatalities": fatalities,
        "location_precision": v.text(df, "where_prec").map(_UCDP_PRECISION),
        "notes": notes.str.strip(": ").replace("", pd.NA),
    })


# Canonical field -> names tried, in order, when no mapping is given.
POINT_FIELDS = {
    "source_id": ("source_id", "id", "event_id", "fid"),
    "time": ("time", "date", "event_date", "datetime", "timestamp"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
    "country": ("country", "iso3", "country_code", "iso"),
    "admin1": ("admin1", "adm1", "province", "state"),
    "admin2": ("admin2", "adm2", "district"),
    "category": ("category", "type", "event_type"),
    "fatalities": ("fatalities", "deaths", "killed"),
    "severity": ("severity",),
    "location_precision": ("location_precision", "precision"),
    "notes": ("notes", "description", "note"),
    "source": ("source",),
    "demo": ("demo",),
}


def _resolve_mapping(columns, mapping: dict[str, str] | None, path) -> dict[str, str]:
    lower = {c.lower(): c for c in columns}
    resolved = {}
    for field, names in POINT_FIELDS.items():
        if mapping and field in mapping:
            if mapping[field] not in columns:
                raise FormatError(N_("mapped column '{column}' is not in the file"),
                                  path=path, field=field, column=mapping[field])
            resolved[field] = mapping[field]
            continue
        found = next((lower[n] for n in names if n in lower), None)
        if found:
            resolved[field] = found
    return resolved


def read_points(
    path: str | Path,
    mapping: dict[str, str] | None = None,
    *,
    source: str | None = None,
    encoding: str | None = None,
) -> ReadResult[gpd.GeoDataFrame]:
    """Read incidents from any CSV, GeoJSON or GeoPackage of points.

    ``mapping`` maps canonical fields (``time``, ``latitude``, ``longitude``,
    ``category``, ``country``, ``fatalities``, ``notes`` ...) to the file's
    column names; fields not mapped are looked up by common names. Vector files
    use their point geometry (reprojected to EPSG:4326). Categories must be in
    our vocabulary (or a listed alias); other values are rejected.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        df = read_csv_table(path, encoding).frame
        fields = _resolve_mapping(df.columns, mapping, path)
        for needed in ("latitude", "longitude"):
            if needed not in fields:
                raise FormatError(N_("no {column} column found; map one explicitly"), path=path,
                                  column=needed)
        geometry = None
    else:
        df, geometry = read_vector_as_text(path)
        fields = _resolve_mapping(df.columns, mapping, path)
    for needed in ("time", "category"):
        if needed not in fields:
            raise FormatError(N_("no {column} column found; map one explicitly"), path=path,
                              column=needed)
    check = v.RowChecker()
    df, when = v.times(df, fields["time"], check)
    df, category = v.vocabulary(df, fields["category"], CATEGORY_ALIASES, check)
    if "fatalities" in fields:
        df, fatalities = v.non_negative(df, fields["fatalities"], check)
    else:
        fatalities = pd.Series(pd.NA, index=df.index, dtype="Int64")
    # Coordinates first: a bad coordinate is the reason shown, not a country it hides.
    if geometry is None:
        df, geometry = v.coordinates(df, fields["latitude"], fields["longitude"], check)
    else:
        df, geometry = v.point_geometries(df, geometry, check)
    notices: list[Notice] = []
    if "country" in fields:
        df, country = _country(df, check, fields["country"])
    else:
        df, country, notices = _country_from_location(df, geometry.loc[df.index], check)
    cols = {
        "source": v.text(df, fields.get("source")).fillna(source or path.name),
        "source_id": v.text(df, fields.get("source_id")).fillna(df["_row"].astype("string")),
        "time": when, "country": country, "category": category, "fatalities": fatalities,
        "admin1": v.text(df, fields.get("admin1")), "admin2": v.text(df, fields.get("admin2")),
        "location_precision": v.text(df, fields.get("location_precision")),
        "notes": v.text(df, fields.get("notes")),
    }
    if "severity" in fields:
        df, severity = v.numbers(df, fields["severity"], check, required=False)
        df = check.drop(df, ~severity.between(1, 5) & severity.notna(), fields["severity"],
                        N_("{value} is not a severity from 1 to 5"),
                        value=severity.astype("string"))
        cols["severity"] = severity.astype("Int64")
    if "demo" in fields:
        cols["demo"] = v.text(df, fields["demo"]).str.lower().isin(["true", "1", "yes"])
    precision = cols["location_precision"]
    df = check.drop(df, precision.notna() & ~precision.isin(LOCATION_PRECISIONS),
                    fields.get("location_precision"), N_("unknown value '{value}'"),
                    value=precision)
    result = _finish("points", path, df, geometry, check, cols)
    result.warnings.extend(notices)
    return result


COAST_KM = 25.0  # a point this close to a member state's coarse coastline belongs to it


@functools.cache
def _member_states() -> gpd.GeoDataFrame:
    """Natural Earth admin-0 of the member states and neighbours (shipped with pyogrio)."""
    from .demo.geography import countries  # reference data, not the demo's synthetic layers

    return countries()[["iso3", "geometry"]]


def _country_from_location(df: pd.DataFrame, points: gpd.GeoSeries, check: v.RowChecker
                           ) -> tuple[pd.DataFrame, pd.Series, list[Notice]]:
    """A file with no country column: the country is the one the point lies in
    (or within COAST_KM of, off a coarse coastline). Points in no member state
    are rejected with that reason; a notice says the country was inferred."""
    states = _member_states()
    inside = gpd.sjoin(gpd.GeoDataFrame(geometry=points), states, predicate="within",
                       how="left")
    country = inside["iso3"].groupby(level=0).first().reindex(df.index).astype("string")
    missing = country.isna()
    if missing.any():
        metric = points[missing].to_crs(SOUTH_ASIA_EQDC)
        near = gpd.sjoin_nearest(gpd.GeoDataFrame(geometry=metric),
                                 states.to_crs(SOUTH_ASIA_EQDC), how="left",
                                 max_distance=COAST_KM * 1000)
        country = country.fillna(near["iso3"].groupby(level=0).first().astype("string"))
    df = check.drop(df, country.isna(), "latitude/longitude",
                    N_("lies in no country (the file has no country column, so the country is "
                       "taken from the location)"))
    country = country.loc[df.index]
    foreign = ~country.isin(SAARC_ISO3)
    df = check.drop(df, foreign, "latitude/longitude",
                    N_("lies in {country}, not a member state"), country=country)
    notices = [Notice("country", N_("no country column: the country of each point was taken "
                                    "from its location (Natural Earth 1:110m)"))] if len(df) else []
    return df, country.loc[df.index], notices
