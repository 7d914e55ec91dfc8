"""Readers for hazard alerts -> the canonical ``alerts`` table.

Formats: GDACS RSS, the GDACS events API GeoJSON, and CAP 1.2 (also 1.1)
XML. XML is parsed with defusedxml: documents with a DTD, entity
declarations or external references are refused outright.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from model.i18n import N_
from model.schema import ReadResult

from . import validate as v
from .countries import to_iso3
from .errors import FormatError, UnsafeXMLError
from .textio import decode, read_bytes

# "EQx" appears in real GDACS archives for earthquake events re-issued by hand.
GDACS_HAZARDS = {
    "EQ": "earthquake", "EQX": "earthquake", "TC": "cyclone", "FL": "flood", "DR": "drought",
    "WF": "wildfire", "VO": "other", "TS": "other",
}
GDACS_LEVELS = {"green": "green", "orange": "orange", "red": "red"}

# CAP <severity> -> our alert level. CAP has no "green"; Moderate and below
# are informational at the regional scale.
CAP_LEVELS = {
    "extreme": "red", "severe": "orange", "moderate": "green", "minor": "green",
    "unknown": "green",
}
_CAP_HAZARD_WORDS = [
    ("flood", "flood"), ("inundation", "flood"), ("cyclon", "cyclone"), ("hurricane", "cyclone"),
    ("typhoon", "cyclone"), ("storm surge", "cyclone"), ("depression", "cyclone"),
    ("earthquake", "earthquake"), ("drought", "drought"), ("landslide", "landslide"),
    ("mudslide", "landslide"), ("wildfire", "wildfire"), ("forest fire", "wildfire"),
]
_GEOD = Geod(ellps="WGS84")


def parse_xml(path: str | Path) -> Element:
    """Parse XML safely; refuse DTDs and entities, report syntax errors with a line."""
    data = read_bytes(path)
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden,
            defusedxml.ExternalReferenceForbidden) as exc:
        raise UnsafeXMLError(
            N_("refused: the XML declares a DTD or entities ({detail}), which can be used "
               "for XXE or entity-expansion attacks"), path=path, detail=type(exc).__name__,
        ) from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FormatError(N_("is not well-formed XML: {detail}"), path=path, row=line,
                          detail=str(exc)) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: Element, name: str) -> Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Element, name: str) -> str | None:
    child = _child(el, name)
    return child.text.strip() if child is not None and child.text else None


def _records(items: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(items, dtype="object")
    df.insert(0, "_row", range(1, len(df) + 1))
    return df


def _countries(values: pd.Series) -> pd.Series:
    """';'-joined ISO3 codes from a list of names or codes per row."""
    def join(names):
        if not isinstance(names, list):
            return pd.NA
        codes = to_iso3(pd.Series(names, dtype="string")).dropna().unique()
        return ";".join(codes) if len(codes) else pd.NA
    return values.map(join).astype("string")


def _finish(fmt, path, df, check, columns, geometry) -> ReadResult[gpd.GeoDataFrame]:
    idx = df.index
    columns = {k: (c.loc[idx] if isinstance(c, pd.Series) else c) for k, c in columns.items()}
    columns["id"] = columns["source"] + ":" + columns["source_id"]
    data = v.conform("alerts", columns, geometry.loc[idx])
    return ReadResult("alerts", fmt, str(path), data, check.sorted())


def _gdacs_common(df: pd.DataFrame, check: v.RowChecker):
    df = check.drop(df, v.blank(df["eventid"]), "eventid", N_("event id is missing"))
    df, hazard = v.vocabulary(df, "eventtype", GDACS_HAZARDS, check)
    df, level = v.vocabulary(df, "alertlevel", GDACS_LEVELS, check)
    df, start = v.times(df, "fromdate", check)
    df, end = v.times(df, "todate", check, required=False)
    df, updated = v.times(df, "updated", check, required=False)
    df, severity = v.numbers(df, "severity_value", check, required=False)
    source_id = v.text(df, "eventtype").str.upper() + v.text(df, "eventid")
    return df, {
        "source": pd.Series("GDACS", index=df.index, dtype="string"),
        "source_id": source_id, "hazard": hazard, "alert_level": level,
        "source_level": v.text(df, "alertlevel"), "severity_value": severity,
        "severity_unit": v.text(df, "severity_unit"), "start": start, "end": end,
        "updated": updated, "countries": _countries(df["countries"]),
        "headline": v.text(df, "headline"), "description": v.text(df, "description"),
        "link": v.text(df, "link"),
    }


def read_gdacs_rss(path: str | Path) -> ReadResult[gpd.GeoDataFrame]:
    """Read a GDACS RSS feed (gdacs:, georss: and geo: namespaces)."""
    root = parse_xml(path)
    channel = _child(root, "channel") if _local(root.tag) == "rss" else None
    if channel is None:
        raise FormatError(N_("is not an RSS feed (no <rss><channel>)"), path=path)
    items = []
    for item in _children(channel, "item"):
        severity = _child(item, "severity")
        point = _text(item, "point")  # georss:point "lat lon"
        countries = [c for c in (_text(item, "iso3"), _text(item, "country")) if c]
        items.append({
            "eventid": _text(item, "eventid"), "eventtype": _text(item, "eventtype"),
            "alertlevel": _text(item, "alertlevel"), "fromdate": _text(item, "fromdate"),
            "todate": _text(item, "todate"), "updated": _text(item, "pubDate"),
            "severity_value": severity.get("value") if severity is not None else None,
            "severity_unit": severity.get("unit") if severity is not None else None,
            "countries": [p.strip() for c in countries for p in c.split(",")],
            "headline": _text(item, "title"), "description": _text(item, "description"),
            "link": _text(item, "link"), "point": point,
        })
    if not items:
        raise FormatError(N_("is an RSS feed with no <item>"), path=path)
    df, check = _records(items), v.RowChecker()
    latlon = df["point"].astype("string").str.split(r"\s+", expand=True, regex=True)
    df["lat"], df["lon"] = latlon[0], latlon[1] if latlon.shape[1] > 1 else None
    df, columns = _gdacs_common(df, check)
    df, points = v.coordinates(df, "lat", "lon", check)
    return _finish("gdacs-rss", path, df, check, columns, points)


def read_gdacs_geojson(path: str | Path) -> ReadResult[gpd.GeoDataFrame]:
    """Read the GDACS events API GeoJSON (FeatureCollection of event points)."""
    text = decode(read_bytes(path), path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(N_("is not valid JSON: {detail}"), path=path, row=exc.lineno,
                          detail=exc.msg) from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise FormatError(N_("is not a GeoJSON FeatureCollection with features"), path=path)
    items = []
    for feature in features:
        props = feature.get("properties") or {}
        sev = props.get("severitydata") or {}
        url = props.get("url") or {}
        affected = [c.get("iso3") or c.get("countryname") for c in
                    props.get("affectedcountries") or [] if isinstance(c, dict)]
        items.append({
            "eventid": str(props.get("eventid", "") or ""),
            "eventtype": props.get("eventtype"), "alertlevel": props.get("alertlevel"),
            "fromdate": props.get("fromdate"), "todate": props.get("todate"),
            "updated": props.get("datemodified"),
            "severity_value": sev.get("severity"), "severity_unit": sev.get("severityunit"),
            "countries": affected or [c for c in (props.get("iso3"), props.get("country")) if c],
            "headline": props.get("name") or props.get("eventname"),
            "description": props.get("description"),
            "link": url.get("report") if isinstance(url, dict) else None,
            "geometry": feature.get("geometry"),
        })
    df, check = _records(items), v.RowChecker()
    for col in df.columns.difference(["_row", "countries", "geometry"]):
        df[col] = df[col].map(lambda x: None if x is None else str(x))
    df, columns = _gdacs_common(df, check)
    geoms = pd.Series(
        [shapely.geometry.shape(g) if isinstance(g, dict) and g.get("type") else None
         for g in df["geometry"]], index=df.index, dtype="object",
    )
    df, geometry = v.point_geometries(df, geoms.pipe(_as_geoseries), check)
    return _finish("gdacs-geojson", path, df, check, columns, geometry)


def _as_geoseries(values: pd.Series):
    import geopandas as gpd
    return gpd.GeoSeries(values, index=values.index, crs="EPSG:4326")


def _cap_polygon(text: str) -> shapely.Polygon:
    """CAP polygon: 'lat,lon lat,lon ...' (latitude first), closed, >= 4 pairs."""
    pairs = [p.split(",") for p in text.split()]
    coords = np.array([[float(lon), float(lat)] for lat, lon in pairs])
    if len(coords) < 4:
        raise ValueError(N_("'{value}' has {count} points; CAP needs at least 4"),
                         {"count": len(coords)})
    if (np.abs(coords[:, 1]) > 90).any() or (np.abs(coords[:, 0]) > 180).any():
        raise ValueError(N_("'{value}' has coordinates outside the globe"), {})
    return shapely.make_valid(shapely.Polygon(coords))


def _cap_circle(text: str) -> shapely.Polygon:
    """CAP circle: 'lat,lon radius_km' -> a geodesic 72-gon."""
    centre, radius = text.split()
    lat, lon = (float(x) for x in centre.split(","))
    if abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(N_("'{value}': the centre is outside the globe"), {})
    radius_m = float(radius) * 1000
    if radius_m <= 0:
        return shapely.Point(lon, lat)
    az = np.linspace(0, 360, 72, endpoint=False)
    lons, lats, _ = _GEOD.fwd(np.full(72, lon), np.full(72, lat), az, np.full(72, radius_m))
    return shapely.Polygon(np.column_stack([lons, lats]))


def _cap_hazard(*texts: str | None) -> str:
    joined = " ".join(t for t in texts if t).lower()
    return next((h for word, h in _CAP_HAZARD_WORDS if word in joined), "other")


def read_cap(path: str | Path) -> ReadResult[gpd.GeoDataFrame]:
    """Read one CAP 1.2 (or 1.1) alert; one record per ``<info>`` block.

    ``row`` in rejections is the 1-based ``<info>`` number. Polygons are read
    latitude-first as CAP specifies; circles become geodesic polygons; the
    footprint is the union of all ``<area>`` shapes (None when only geocodes
    are given). Test, Exercise and Draft messages are rejected: they must never
    appear as real alerts.
    """
    root = parse_xml(path)
    if _local(root.tag) != "alert":
        raise FormatError(N_("is not a CAP alert (root element <{tag}>)"), path=path,
                          tag=_local(root.tag))
    identifier, sent = _text(root, "identifier"), _text(root, "sent")
    if not identifier:
        raise FormatError(N_("CAP alert has no <identifier>"), path=path, field="identifier")
    status, sender = _text(root, "status") or "", _text(root, "sender")
    items, problems = [], {}
    for n, info in enumerate(_children(root, "info"), start=1):
        shapes = []
        for area in _children(info, "area"):
            for kind, parse in (("polygon", _cap_polygon), ("circle", _cap_circle)):
                for el in _children(area, kind):
                    try:
                        shapes.append(parse((el.text or "").strip()))
                    except (ValueError, TypeError) as exc:
                        # Our own checks say what is wrong; a number that does not parse
                        # is simply not valid.
                        message, params = (exc.args if len(exc.args) == 2
                                           and isinstance(exc.args[1], dict)
                                           else (N_("'{value}' is not valid"), {}))
                        problems[n] = (f"area/{kind}", message,
                                       {"value": (el.text or "").strip()[:60], **params})
        areas = [_text(a, "areaDesc") for a in _children(info, "area")]
        items.append({
            "status": status, "severity": _text(info, "severity"),
            "hazard": _cap_hazard(_text(info, "event"), _text(info, "category")),
            "start": _text(info, "onset") or _text(info, "effective") or sent,
            "end": _text(info, "expires"), "updated": sent,
            "headline": _text(info, "headline") or _text(info, "event"),
            "description": _text(info, "description"), "link": _text(info, "web"),
            "language": _text(info, "language") or "en-US",
            "areas": "; ".join(a for a in areas if a),
            "geometry": shapely.union_all(shapes) if shapes else None,
        })
    if not items:
        raise FormatError(N_("CAP alert has no <info> block"), path=path, field="info")
    df, check = _records(items), v.RowChecker()
    bad = df["_row"].isin(problems)
    if bad.any():
        for row, (field, message, params) in problems.items():
            check.drop(df[df["_row"] == row], pd.Series(True, index=df.index[df["_row"] == row]),
                       field, message, **params)
        df = df[~bad]
    df = check.drop(df, df["status"].str.lower().isin(["test", "exercise", "draft"]), "status",
                    N_("status '{value}' is not a real alert"), value=df["status"])
    df, level = v.vocabulary(df, "severity", CAP_LEVELS, check)
    df, start = v.times(df, "start", check)
    df, end = v.times(df, "end", check, required=False)
    df, updated = v.times(df, "updated", check, required=False)
    description = v.text(df, "description")
    areas = v.text(df, "areas")
    description = description.where(areas.isna(), areas.fillna("") + " — " + description.fillna(""))
    columns = {
        "source": pd.Series(f"CAP {sender or ''}".strip(), index=df.index, dtype="string"),
        "source_id": identifier + "#" + df["_row"].astype("string"),
        "hazard": df["hazard"], "alert_level": level, "source_level": v.text(df, "severity"),
        "start": start, "end": end, "updated": updated,
        "headline": v.text(df, "headline"), "description": description,
        "link": v.text(df, "link"), "language": v.text(df, "language"),
    }
    geometry = _as_geoseries(df["geometry"])
    df, columns["language"] = _one_record_per_alert(df, columns, geometry)
    return _finish("cap", path, df, check, columns, geometry)


def _one_record_per_alert(df: pd.DataFrame, columns: dict, geometry: gpd.GeoSeries
                          ) -> tuple[pd.DataFrame, pd.Series]:
    """CAP says the same alert in several languages with one ``<info>`` each:
    those are one alert. Blocks with the same level, times and area, and the
    same hazard (an event word we cannot read, such as a Bengali one, takes the
    hazard of its siblings when they agree), are merged into the first (English
    preferred), whose ``language`` then lists every language, e.g.
    'bn-BD, en-US'. Blocks that differ stay apart. Updates columns["hazard"]."""
    if len(df) < 2:
        return df, columns["language"]
    base = pd.DataFrame({
        "level": columns["alert_level"].astype(str), "start": columns["start"].astype(str),
        "end": columns["end"].astype(str),
        "area": [g.wkb_hex if g is not None else "" for g in geometry.loc[df.index]],
    }, index=df.index).groupby(["level", "start", "end", "area"], sort=False).ngroup()
    named = columns["hazard"].astype("string").fillna("other")
    known = named.where(named != "other")
    agreed = {b: s.dropna().iloc[0] for b, s in known.groupby(base) if s.dropna().nunique() == 1}
    hazard = named.where(named != "other", base.map(agreed).astype("string").fillna("other"))
    group = pd.DataFrame({"base": base, "hazard": hazard}).groupby(
        ["base", "hazard"], sort=False, dropna=False).ngroup()
    language = columns["language"].fillna("")
    english_first = (~language.str.lower().str.startswith("en")).astype(int)
    order = pd.DataFrame({"group": group, "english_first": english_first}, index=df.index)
    keep = order.sort_values(["group", "english_first"], kind="stable").drop_duplicates("group")
    keep = keep.index.sort_values()
    languages = language.groupby(group).agg(lambda s: ", ".join(dict.fromkeys(x for x in s if x)))
    merged = pd.Series(group.loc[keep].map(languages).to_numpy(), index=keep,
                       dtype="string").replace("", pd.NA)
    headline = columns["headline"].fillna("")
    by_language = pd.DataFrame({"group": group, "language": language, "headline": headline})
    translations = {g: json.dumps(dict(zip(part["language"], part["headline"], strict=True)),
                                  ensure_ascii=False)
                    for g, part in by_language.groupby("group") if len(part) > 1}
    columns["headlines"] = pd.Series(group.loc[keep].map(translations).to_numpy(), index=keep,
                                     dtype="string")
    columns["hazard"] = hazard.loc[keep]
    return df.loc[keep], merged


_CAP_NS = re.compile(rb"urn:oasis:names:tc:emergency:cap:1\.[0-2]")


def looks_like_cap(head: bytes) -> bool:
    return bool(_CAP_NS.search(head))
