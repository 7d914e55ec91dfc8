"""The feeds we ingest. Each source fetches its files and reads them with the
ordinary readers, returning canonical ReadResults."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import geopandas as gpd
import pandas as pd
import shapely

from model.schema import SAARC_ISO3, ReadResult, Rejection

from ..alerts import parse_xml, read_cap, read_gdacs_geojson, read_gdacs_rss
from ..cyclones import read_ibtracs
from ..detect import read_any
from ..errors import DataSourceError, FormatError
from ..incidents import ACLED_COLUMNS, read_acled
from ..settings import Settings
from ..validate import conform
from .http import Fetcher, redact

# South Asia and its seas (west, south, east, north): what regional feeds keep.
SOUTH_ASIA = (60.0, -2.0, 98.0, 40.0)


@dataclass
class Batch:
    """What one source run produced: results to store, files fetched, whether
    every file was unchanged (HTTP 304)."""

    results: list[ReadResult]
    fetched: int
    unchanged: bool


def _in_south_asia(result: ReadResult[gpd.GeoDataFrame]) -> ReadResult[gpd.GeoDataFrame]:
    data = result.data
    located = data.geometry.notna() & ~data.geometry.is_empty
    west, south, east, north = SOUTH_ASIA
    keep = ~located | data.geometry.intersects(shapely.box(west, south, east, north))
    result.data = data[keep].reset_index(drop=True)
    return result


def gdacs_events(s: Settings, f: Fetcher) -> Batch:
    got = f.fetch(s.gdacs_events_url, "gdacs-events", ".geojson")
    return Batch([_in_south_asia(read_gdacs_geojson(got.path))], 1, got.not_modified)


def gdacs_rss(s: Settings, f: Fetcher) -> Batch:
    got = f.fetch(s.gdacs_rss_url, "gdacs-rss", ".xml")
    return Batch([_in_south_asia(read_gdacs_rss(got.path))], 1, got.not_modified)


def cap_feeds(s: Settings, f: Fetcher) -> Batch:
    """Every CAP message linked from each configured RSS/Atom index."""
    results, fetched, unchanged = [], 0, True
    for i, index_url in enumerate(s.cap_feeds):
        index = f.fetch(index_url, f"cap-index-{i}", ".xml")
        fetched += 1
        unchanged &= index.not_modified
        root = parse_xml(index.path)
        links: list[str] = []
        for el in root.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            href = el.get("href")
            if tag == "link" and href:  # Atom
                links.append(href)
            elif tag == "link" and el.text and el.text.strip().startswith("http"):  # RSS
                links.append(el.text.strip())
        index_host = urlsplit(index_url).hostname or ""
        allowed = frozenset({index_host, *s.cap_link_hosts})
        refused: list[Rejection] = []
        for j, link in enumerate(dict.fromkeys(links), start=1):
            if link.rstrip("/") == index_url.rstrip("/"):
                continue
            # One bad link or message is one rejection; the other messages are read.
            reason = _link_refused(link, index_host, allowed, s.cap_allow_private)
            if reason:
                refused.append(Rejection(j, "link", f"{redact(link)}: {reason}"))
                continue
            try:
                msg = f.fetch(link, f"cap-{i}-{j}", ".xml", allowed_hosts=allowed)
                fetched += 1
                unchanged &= msg.not_modified
                results.append(read_cap(msg.path))
            except DataSourceError as exc:
                refused.append(Rejection(j, "link", f"{redact(link)}: {exc.message}"))
        if refused:
            results.append(ReadResult("alerts", "cap", redact(index_url),
                                      conform("alerts", {}, gpd.GeoSeries([], crs="EPSG:4326")),
                                      refused))
    return Batch(results, fetched, unchanged)


def _link_refused(link: str, index_host: str, allowed: frozenset[str],
                  allow_private: bool) -> str | None:
    """Why a link found in a CAP index must not be fetched, or None. Links go to
    the index's host or a configured one, over http(s); a host other than the
    index's never resolves to a private, loopback or link-local address unless
    configured (a feed must not make this server reach into its own network)."""
    parts = urlsplit(link)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return f"scheme '{parts.scheme}' is not fetched"
    if host not in allowed:
        return f"host {host} is not the index's host nor one allowed (SAMON_CAP_LINK_HOSTS)"
    if host == index_host or allow_private:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 80)}
    except OSError:
        return f"host {host} cannot be resolved"
    inner = [a for a in map(str, addresses) if not ipaddress.ip_address(a.split("%")[0]).is_global]
    if inner:
        return (f"host {host} resolves to a private, loopback or link-local address "
                f"({inner[0]}); set SAMON_CAP_ALLOW_PRIVATE to allow it")
    return None


# ReliefWeb disaster type codes -> GDACS event types (read by the GDACS reader).
RELIEFWEB_TYPES = {"FL": "FL", "FF": "FL", "TC": "TC", "EQ": "EQ", "DR": "DR", "WF": "WF"}


def reliefweb(s: Settings, f: Fetcher) -> Batch:
    """ReliefWeb disasters in the SAARC countries, as alerts. ReliefWeb has no
    alert level: records are 'green' with ReliefWeb's status in source_level."""
    if not s.reliefweb_appname:
        raise FormatError("ReliefWeb needs an application name (SAMON_RELIEFWEB_APPNAME)")
    query = {"appname": s.reliefweb_appname, "profile": "full", "limit": 200,
             "filter[field]": "country.iso3", "filter[value][]": list(SAARC_ISO3)}
    got = f.fetch(f"{s.reliefweb_url}?{urlencode(query, doseq=True)}", "reliefweb", ".json")
    doc = json.loads(got.path.read_text(encoding="utf-8"))
    features = []
    for item in doc.get("data", []):
        fields = item.get("fields", {})
        kind = (fields.get("primary_type") or {}).get("code", "")
        countries = [c.get("iso3", "").upper() for c in fields.get("country", [])]
        loc = next((c.get("location") for c in fields.get("country", []) if c.get("location")),
                   None)
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [loc["lon"], loc["lat"]]}
                         if loc else None,
                         "properties": {
                             "eventtype": RELIEFWEB_TYPES.get(kind, "VO"),
                             "eventid": str(item.get("id")), "alertlevel": "Green",
                             "fromdate": (fields.get("date") or {}).get("event"),
                             "name": fields.get("name"), "description": fields.get("description"),
                             "url": {"report": fields.get("url")},
                             "affectedcountries": [{"iso3": c} for c in countries]}})
    path = got.path.with_suffix(".alerts.geojson")
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = read_gdacs_geojson(path)
    result.data["source"] = "ReliefWeb"
    result.data["id"] = "ReliefWeb:" + result.data["source_id"]
    reports = f.fetch(f"{s.reliefweb_reports_url}?{urlencode(query, doseq=True)}",
                      "reliefweb-reports", ".json")
    return Batch([result, _reliefweb_reports(reports.path)], 2,
                 got.not_modified and reports.not_modified)


def _reliefweb_reports(path) -> ReadResult[gpd.GeoDataFrame]:
    """ReliefWeb reports (situation reports, updates) as canonical documents."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    rows, rejections = [], []
    for n, item in enumerate(doc.get("data", []), start=1):
        fields = item.get("fields", {})
        date = pd.to_datetime((fields.get("date") or {}).get("created"), utc=True,
                              errors="coerce")
        if pd.isna(date) or not fields.get("title"):
            rejections.append(Rejection(n, "date" if pd.isna(date) else "title",
                                        "missing or not a date" if pd.isna(date)
                                        else "title is missing"))
            continue
        rows.append({"source": "ReliefWeb", "source_id": str(item.get("id")),
                     "title": fields["title"], "date": date,
                     "countries": ";".join(sorted({c.get("iso3", "").upper()
                                                   for c in fields.get("country", [])})),
                     "publisher": ", ".join(s.get("shortname") or s.get("name", "")
                                            for s in fields.get("source", [])),
                     "link": fields.get("url")})
    frame = pd.DataFrame(rows, columns=["source", "source_id", "title", "date", "countries",
                                        "publisher", "link"])
    frame["id"] = frame["source"] + ":" + frame["source_id"]
    data = conform("documents", {c: frame[c] for c in frame.columns}, [None] * len(frame))
    return ReadResult("documents", "reliefweb-reports", str(path), data, rejections)


def acled(s: Settings, f: Fetcher) -> Batch:
    """ACLED events for the SAARC countries; key and e-mail from the settings only."""
    if s.acled_key is None or s.acled_email is None:
        raise FormatError("ACLED needs SAMON_ACLED_KEY and SAMON_ACLED_EMAIL")
    query = {"key": s.acled_key.get_secret_value(), "email": s.acled_email.get_secret_value(),
             "iso": "|".join(["4", "50", "64", "356", "462", "524", "586", "144"]),
             "limit": 0}
    got = f.fetch(f"{s.acled_url}?{urlencode(query)}", "acled", ".json")
    rows = json.loads(got.path.read_text(encoding="utf-8")).get("data", [])
    csv = got.path.with_suffix(".csv")
    pd.DataFrame(rows, columns=list(ACLED_COLUMNS)).to_csv(csv, index=False)
    return Batch([read_acled(csv)], 1, got.not_modified)


def ibtracs(s: Settings, f: Fetcher) -> Batch:
    got = f.fetch(s.ibtracs_url, "ibtracs-ni", ".csv")
    return Batch([read_ibtracs(got.path, basin="NI")], 1, got.not_modified)


def hdx(s: Settings, f: Fetcher) -> Batch:
    """The first CSV resource of each configured HDX (CKAN) dataset."""
    results, fetched, unchanged = [], 0, True
    for dataset in s.hdx_datasets:
        meta = f.fetch(f"{s.hdx_url}?{urlencode({'id': dataset})}", f"hdx-{dataset}", ".json")
        doc = json.loads(meta.path.read_text(encoding="utf-8"))
        resources = (doc.get("result") or {}).get("resources", [])
        csv = next((r for r in resources if str(r.get("format", "")).lower() == "csv"), None)
        if csv is None:
            raise FormatError(f"HDX dataset {dataset} has no CSV resource")
        got = f.fetch(csv["url"], f"hdx-{dataset}-data", ".csv")
        fetched += 2
        unchanged &= meta.not_modified and got.not_modified
        results.append(read_any(got.path))
    return Batch(results, fetched, unchanged)


SOURCES: dict[str, Callable[[Settings, Fetcher], Batch]] = {
    "gdacs-events": gdacs_events, "gdacs-rss": gdacs_rss, "cap": cap_feeds,
    "reliefweb": reliefweb, "acled": acled, "ibtracs": ibtracs, "hdx": hdx,
}
