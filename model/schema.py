"""The canonical data model: every reader returns one of these tables or arrays.

Vector tables are GeoDataFrames in EPSG:4326 (longitude, latitude in degrees).
Times are timezone-aware UTC (``datetime64[ns, UTC]``). Every table has a
``source`` column naming where each record came from and a boolean ``demo``
column that is True for records of the embedded demo scenario.

Rasters are ``xarray.DataArray`` objects that keep their native CRS and
transform (``da.rio.crs``, ``da.rio.transform()``), with nodata already masked
to NaN and these attributes: ``variable`` (one of ``RASTER_VARIABLES``),
``units``, ``source`` and ``demo``. An optional ``time`` dimension comes first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .i18n import N_, english, render

CRS = "EPSG:4326"
# Metres across the region: equidistant conic, standard parallels 12 N and 32 N
# (scale error under 1.5 % from 0 to 40 N). Used for buffers and nearest searches.
SOUTH_ASIA_EQDC = (
    "+proj=eqdc +lat_0=22 +lat_1=12 +lat_2=32 +lon_0=80 +x_0=0 +y_0=0 +datum=WGS84 +units=m"
)

SAARC_ISO3 = ("AFG", "BGD", "BTN", "IND", "MDV", "NPL", "PAK", "LKA")

INCIDENT_CATEGORIES = (  # codes in the data; N_ marks them for the catalogue (names shown)
    N_("illegal crossing"),
    N_("smuggling/trafficking"),
    N_("cross-border firing/shelling"),
    N_("armed clash"),
    N_("explosion/IED"),
    N_("arrest/seizure"),
    N_("protest/unrest"),
    N_("other"),
)

LOCATION_PRECISIONS = ("exact", "near", "admin2", "admin1", "country")

HAZARDS = (N_("flood"), N_("cyclone"), N_("earthquake"), N_("drought"), N_("landslide"),
           N_("wildfire"), N_("other"))

ALERT_LEVELS = (N_("green"), N_("orange"), N_("red"))

DISPLACEMENT_TYPES = ("new displacements", "IDP stock", "returns", "refugees")

DISPLACEMENT_CAUSES = (
    "conflict",
    "flood",
    "cyclone",
    "earthquake",
    "drought",
    "landslide",
    "wildfire",
    "other disaster",
    "other",
)

# Canonical raster variables and their units.
RASTER_VARIABLES = {
    "flood_depth": "m",
    "flood_extent": "1",  # 0 = dry, 1 = flooded
    "wind_speed": "kt",
    "rainfall": "mm",
    "population": "people",
}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str
    unit: str | None = None


def _common_head() -> list[Column]:
    return [
        Column("id", "string", "Our record id: '<source>:<source_id>'"),
        Column("source", "string", "Publisher or feed the record came from"),
        Column("source_id", "string", "The record's id in its source"),
    ]


def _common_tail() -> list[Column]:
    return [
        Column("demo", "bool", "True for records of the embedded DEMO scenario"),
        Column("geometry", "geometry", "Location", "EPSG:4326 lon/lat degrees"),
    ]


INCIDENTS = [
    *_common_head(),
    Column("time", "datetime64[ns, UTC]", "When the event happened (UTC)"),
    Column("country", "string", "ISO 3166-1 alpha-3 code"),
    Column("admin1", "string", "First-level admin area name, when known"),
    Column("admin2", "string", "Second-level admin area name, when known"),
    Column("category", "category", f"One of {', '.join(INCIDENT_CATEGORIES)}"),
    Column("fatalities", "Int64", "Reported deaths (best estimate)", "people"),
    Column("severity", "Int64", "1 (minor) to 5 (critical); see severity_from()"),
    Column("location_precision", "category", f"One of {', '.join(LOCATION_PRECISIONS)}"),
    Column("notes", "string", "Free text from the source"),
    *_common_tail(),
]

ALERTS = [
    *_common_head(),
    Column("hazard", "category", f"One of {', '.join(HAZARDS)}"),
    Column("alert_level", "category", "green / orange / red, mapped from the source's scale"),
    Column("source_level", "string", "The source's own level text (e.g. 'Orange', 'Severe')"),
    Column("severity_value", "float64", "The source's severity figure", "see severity_unit"),
    Column("severity_unit", "string", "Unit of severity_value (e.g. 'M', 'km/h', 'ha')"),
    Column("start", "datetime64[ns, UTC]", "Start of the event or alert validity (UTC)"),
    Column("end", "datetime64[ns, UTC]", "End of the event or alert validity (UTC), if known"),
    Column("updated", "datetime64[ns, UTC]", "When the source last issued this record (UTC)"),
    Column("countries", "string", "ISO3 codes separated by ';'"),
    Column("headline", "string", "One-line summary"),
    Column("description", "string", "Longer text"),
    Column("link", "string", "URL of the source's page for the event"),
    Column("language", "string", "Language(s) of the text (BCP 47, ', '-separated), when given"),
    Column("headlines", "string", "The headline in each language the source gave, as JSON "
           "{language: headline}, when it gave several"),
    Column("demo", "bool", "True for records of the embedded DEMO scenario"),
    Column("geometry", "geometry", "Footprint: point or polygon; None when only geocodes are given",
           "EPSG:4326"),
]

TRACK_POINTS = [
    Column("storm_id", "string", "Storm id in its source (e.g. IBTrACS SID)"),
    Column("source", "string", "Publisher of the track"),
    Column("name", "string", "Storm name ('UNNAMED' when none)"),
    Column("basin", "string", "Basin code (NI = North Indian)"),
    Column("time", "datetime64[ns, UTC]", "Fix time (UTC)"),
    Column("wind_kt", "float64", "Maximum sustained wind", "kt"),
    Column("pressure_hpa", "float64", "Minimum central pressure", "hPa"),
    *[
        Column(f"r{kt}_{q}", "float64", f"Radius of {kt} kt winds, {q.upper()} quadrant", "nmi")
        for kt in (34, 50, 64)
        for q in ("ne", "se", "sw", "nw")
    ],
    Column("forecast", "bool", "True for a forecast position (not yet observed)"),
    Column("demo", "bool", "True for records of the embedded DEMO scenario"),
    Column("geometry", "geometry", "Storm centre", "EPSG:4326"),
]

DISPLACEMENT = [
    *_common_head(),
    Column("area_name", "string", "Area the figure is for"),
    Column("area_code", "string", "Area code (P-code) when given"),
    Column("country", "string", "ISO3 code"),
    Column("date", "datetime64[ns, UTC]", "Date the figure refers to (UTC)"),
    Column("figure", "Int64", "Number of people", "people"),
    Column("type", "category", f"One of {', '.join(DISPLACEMENT_TYPES)}"),
    Column("cause", "category", f"One of {', '.join(DISPLACEMENT_CAUSES)}"),
    Column("demo", "bool", "True for records of the embedded DEMO scenario"),
    Column("geometry", "geometry", "Point for the area when the source gives one, else None",
           "EPSG:4326"),
]

BOUNDARIES = [
    Column("admin_level", "Int64", "0 = country, 1 = province/state, 2 = district ..."),
    Column("iso3", "string", "Country ISO3 code"),
    Column("code", "string", "Area code (ISO3 for countries, P-code or GID otherwise)"),
    Column("name", "string", "Area name"),
    Column("source", "string", "Publisher of the boundaries"),
    Column("view", "string", "Whose point of view the outline follows ('IND', 'PAK' ...); "
                             "empty: the source's own (geo/views.py)"),
    Column("disputed", "bool", "True where the source marks the area as disputed (drawn "
                               "hatched, its borders dashed: a claim, not a fact)"),
    Column("demo", "bool", "True for records of the embedded DEMO scenario"),
    Column("geometry", "geometry", "Polygon or MultiPolygon", "EPSG:4326"),
]

PLACES = [
    Column("name", "string", "Place name"),
    Column("country", "string", "ISO3 code"),
    Column("population", "Int64", "Inhabitants", "people"),
    Column("local_names", "string",
           "The place's names in non-Latin scripts, '|'-separated (GeoNames alternate names)"),
    Column("source", "string", "Publisher"),
    Column("demo", "bool", "True for records of the embedded DEMO scenario"),
    Column("geometry", "geometry", "Point", "EPSG:4326"),
]

DOCUMENTS = [
    *_common_head(),
    Column("title", "string", "Document title"),
    Column("date", "datetime64[ns, UTC]", "Publication date (UTC)"),
    Column("countries", "string", "ISO3 codes separated by ';'"),
    Column("publisher", "string", "Organisation that wrote the document"),
    Column("link", "string", "URL of the document"),
    Column("demo", "bool", "True for records of the embedded DEMO scenario"),
    Column("geometry", "geometry", "Not used (None); documents cover countries", "EPSG:4326"),
]

TABLES: dict[str, list[Column]] = {
    "incidents": INCIDENTS,
    "alerts": ALERTS,
    "tracks": TRACK_POINTS,
    "displacement": DISPLACEMENT,
    "boundaries": BOUNDARIES,
    "places": PLACES,
    "documents": DOCUMENTS,
}

# The time that dates each kind of record: periods, store indexes and the
# scenario's as-of check use it (an alert's end may lie later: it is a forecast).
RECORD_TIME = {"incidents": "time", "alerts": "start", "tracks": "time", "displacement": "date",
               "documents": "date"}

CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("incidents", "category"): INCIDENT_CATEGORIES,
    ("incidents", "location_precision"): LOCATION_PRECISIONS,
    ("alerts", "hazard"): HAZARDS,
    ("alerts", "alert_level"): ALERT_LEVELS,
    ("displacement", "type"): DISPLACEMENT_TYPES,
    ("displacement", "cause"): DISPLACEMENT_CAUSES,
}


class _Reason:
    """``message`` is a catalogue message (English, with placeholders) and
    ``params`` its values: ``reason`` is the English sentence (JSON, logs),
    ``text()`` the sentence in the language in use."""

    message: str
    params: Mapping[str, object]

    @property
    def reason(self) -> str:
        return english(self.message, self.params)

    def text(self) -> str:
        return render(self.message, self.params)


@dataclass(frozen=True)
class Rejection(_Reason):
    """One input record that was not accepted, and why.

    ``row`` counts as a spreadsheet does for CSV (the header is row 1); for
    XML and GeoJSON it is the 1-based position of the item or feature.
    """

    row: int | None
    field: str | None
    message: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict, hash=False)

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class Notice(_Reason):
    """Something a reader accepted but changed or assumed (a band chosen, rows
    flipped to north-up ...): said, so that nothing is changed silently."""

    field: str | None
    message: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict, hash=False)

    def as_dict(self) -> dict:
        return {"field": self.field, "reason": self.reason}


DataT = TypeVar("DataT")


@dataclass
class ReadResult(Generic[DataT]):
    """What a reader returns: the canonical data plus every rejected record.
    ``ReadResult[gpd.GeoDataFrame]`` for tables, ``ReadResult[xr.DataArray]``
    for rasters."""

    kind: str  # a key of TABLES, or "raster"
    format: str  # e.g. "acled", "gdacs-rss", "geotiff"
    path: str
    data: DataT
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        if self.kind == "raster":
            return 1
        return len(self.data)  # type: ignore[arg-type]  # tables are sized

    @property
    def rejected(self) -> int:
        return len(self.rejections)
