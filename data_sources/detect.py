"""Recognise what a file holds and read it with the right reader."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from model.i18n import N_
from model.schema import ReadResult

from . import alerts, boundaries, cyclones, displacement, incidents, rasters
from .errors import UnknownKindError
from .textio import CsvTable, read_bytes, read_csv_table
from .vectors import VECTOR_SUFFIXES, read_vector

# Format name -> reader taking (path) and returning a ReadResult.
READERS: dict[str, Callable[..., ReadResult]] = {
    "acled": incidents.read_acled,
    "ucdp": incidents.read_ucdp,
    "points": incidents.read_points,
    "ibtracs": cyclones.read_ibtracs,
    "atcf": cyclones.read_atcf,
    "gdacs-rss": alerts.read_gdacs_rss,
    "gdacs-geojson": alerts.read_gdacs_geojson,
    "cap": alerts.read_cap,
    "raster": rasters.open_raster,
    "idmc-idu": displacement.read_idmc_idu,
    "dtm": displacement.read_hxl_displacement,
    "hxl-displacement": displacement.read_hxl_displacement,
    "boundaries": boundaries.read_boundaries,
    "places": boundaries.read_places,
}

# Formats that take an ``encoding`` argument (text formats).
_TEXT_FORMATS = {"acled", "ucdp", "points", "ibtracs", "atcf", "idmc-idu", "dtm",
                 "hxl-displacement", "places"}


def _csv_format(table: CsvTable) -> str | None:
    lower = {c.strip().lower() for c in table.frame.columns}
    if {"event_id_cnty", "event_type"} <= lower:  # ACLED, old exports in upper case too
        return "acled"
    if table.has("type_of_violence", "where_prec"):
        return "ucdp"
    if table.has("SID", "ISO_TIME"):
        return "ibtracs"
    if table.has("displacement_type", "figure"):
        return "idmc-idu"
    if table.has("numPresentIdpInd"):
        return "dtm"
    if any(table.column_for_tag(t) for t in ("#affected+idps", "#affected+displaced",
                                            "#affected+refugees", "#affected+returnees")):
        return "hxl-displacement"
    if table.has("geonameid") or (table.has("population") and not table.has("category")):
        return "places"
    if lower & {"lat", "latitude", "y"} and lower & {"category", "event_type", "type"}:
        return "points"
    return None


def _json_format(path: Path) -> str | None:
    try:
        doc = json.loads(read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not features or not isinstance(features, list):
        return None
    props = features[0].get("properties") or {}
    if "eventtype" in props and "alertlevel" in props:
        return "gdacs-geojson"
    return None


def detect_format(path: str | Path, encoding: str | None = None) -> str:
    """The format name (a key of READERS) for a file, from its name and content."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in rasters.TIFF_SUFFIXES + rasters.NETCDF_SUFFIXES:
        return "raster"
    head = read_bytes(path)[:4096]
    if suffix in (".xml", ".rss", ".cap", ".atom") or head.lstrip(b"\xef\xbb\xbf").startswith(b"<"):
        if alerts.looks_like_cap(head):
            return "cap"
        if b"gdacs" in head.lower():
            return "gdacs-rss"
        raise UnknownKindError(N_("is XML but neither a CAP alert nor a GDACS RSS feed"),
                               path=path)
    if suffix in (".dat", ".txt", ".csv") and cyclones.looks_like_atcf(head):
        return "atcf"
    if suffix in (".csv", ".txt"):
        fmt = _csv_format(read_csv_table(path, encoding))
        if fmt:
            return fmt
        raise UnknownKindError(
            N_("is a CSV whose columns match no known layout (ACLED, UCDP, IBTrACS, IDMC, "
               "DTM, HXL, GeoNames, points with latitude/longitude/category); pass --kind"),
            path=path,
        )
    if suffix in (".json", ".geojson") and (fmt := _json_format(path)):
        return fmt
    if suffix in VECTOR_SUFFIXES:
        frame = read_vector(path)
        types = set(frame.geom_type.dropna())
        if types <= {"Polygon", "MultiPolygon"}:
            return "boundaries"
        if {"SID", "ISO_TIME"} <= set(frame.columns):
            return "ibtracs"
        lower = {c.lower() for c in frame.columns}
        if types <= {"Point"} and lower & {"category", "event_type", "type"}:
            return "points"
        if types <= {"Point"} and "population" in lower:
            return "places"
        raise UnknownKindError(
            N_("holds {kinds} features without the columns of a known layout (category, "
               "population, SID); pass --kind"), path=path, kinds=", ".join(sorted(types)))
    raise UnknownKindError(N_("has an extension ('{suffix}') we do not read"), path=path,
                           suffix=suffix)


def read_any(path: str | Path, fmt: str | None = None, *, encoding: str | None = None,
             **options) -> ReadResult[Any]:
    """Read a file with the reader for ``fmt`` (detected when None)."""
    fmt = fmt or detect_format(path, encoding)
    if fmt not in READERS:
        raise UnknownKindError(N_("unknown kind '{value}'; choose one of {choices}"), path=path,
                               value=fmt, choices=", ".join(READERS))
    if encoding and fmt in _TEXT_FORMATS:
        options["encoding"] = encoding
    return READERS[fmt](path, **options)
