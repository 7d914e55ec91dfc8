"""The regional network's formats and wires: records as GeoJSON features (what
a node's API serves and its peers read), WIS2-style notification messages
(what a node announces on the MQTT broker), an HTTP client for a peer's API
and the MQTT links that publish and subscribe.

What may leave a node is decided above (``service.network``); this module
only encodes, decodes and checks. Decoding a peer's features runs the same
kind of row checks as the file readers: a bad feature is a rejection naming
its position, field and reason, and the others are kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import queue
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from model.access import MARKING_COLUMNS, TLP_LEVELS, MarkingError, check_marking
from model.schema import CATEGORIES, TABLES, ReadResult, Rejection

from .errors import DataSourceError
from .store import KEYS, _stored

# WIS2 Notification Message, core conformance class.
WNM_CONFORMANCE = "http://wis.wmo.int/spec/wnm/1/conf/core"
ORIGIN = "rsn:origin"  # the node a record was first published on
ORIGIN_VERSION = "rsn:origin_version"  # its version number there
MAX_PAGE_BYTES = 200_000_000  # one page of a peer's API
MAX_MESSAGE_BYTES = 1_000_000  # one notification message


class PeerError(DataSourceError):
    """A peer's API or message could not be used (unreachable, token refused,
    a body that is not what the API promises)."""

    status: int | None = None


# -- records as GeoJSON features ------------------------------------------------------------

def record_keys(kind: str, frame: pd.DataFrame) -> pd.Series:
    """One text key per record, the same on every node: its store key
    (source and source id; storm and fix time for tracks)."""
    k1, k2 = KEYS[kind]
    second = frame[k2]
    if pd.api.types.is_datetime64_any_dtype(second):
        second = second.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame[k1].astype("string").fillna("") + "|" + second.astype("string").fillna("")


def _plain(value):
    """A cell as JSON: times in UTC ISO 8601, nulls (NA, NaN, NaT) as null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    return str(value)


def record_features(kind: str, frame: gpd.GeoDataFrame, *, origins: Mapping[str, tuple[str, int]],
                    node: str) -> list[dict]:
    """``frame`` (rows of ``query(after_fid=...)``: with fid and version) as
    GeoJSON features; each names the node it was first published on and its
    version there (``origins``: record key -> (node, version) for records
    received from peers; the others are this node's own)."""
    columns = [c for c in _stored(kind)]
    keys = record_keys(kind, frame).tolist()
    geometries = shapely.to_geojson(frame.geometry.values).tolist() \
        if len(frame) else []
    values = {c: frame[c].astype(object).tolist() for c in [*columns, "version", "fid"]}
    features = []
    for i, key in enumerate(keys):
        props = {c: _plain(values[c][i]) for c in columns}
        origin, version = origins.get(key, (node, int(values["version"][i])))
        props[ORIGIN], props[ORIGIN_VERSION] = origin, int(version)
        geometry = geometries[i]
        features.append({"type": "Feature", "id": str(int(values["fid"][i])),
                         "geometry": None if geometry is None else json.loads(geometry),
                         "properties": props})
    return features


def canonical_bytes(document: object) -> bytes:
    """The one serialisation of a feature: its integrity hash is over these bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def integrity(body: bytes) -> dict:
    """WIS2's integrity object: the SHA-256 of the linked content, base64."""
    return {"method": "sha256", "value": base64.b64encode(hashlib.sha256(body).digest()).decode()}


def _checked(values: list, col, kind: str, rejections: list[Rejection], rows: list[int],
             bad: set[int]) -> list:
    """One column of a page's properties, checked cell by cell against the schema."""
    out: list = []
    for value, row in zip(values, rows, strict=True):
        problem = None
        if value is None:
            out.append(None)
            continue
        if col.dtype.startswith("datetime64"):
            try:
                value = pd.Timestamp(value)
                value = (value.tz_localize("UTC") if value.tzinfo is None else
                         value.tz_convert("UTC")).as_unit("ns")  # the store's resolution
            except (ValueError, TypeError, OverflowError):
                problem = f"'{str(value)[:40]}' is not a time pandas can hold"
        elif col.dtype == "Int64":
            if isinstance(value, bool) or not isinstance(value, int):
                problem = f"'{str(value)[:40]}' is not a whole number"
            elif abs(value) > 2**53:
                problem = f"{value} is out of range"
        elif col.dtype == "float64":
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                problem = f"'{str(value)[:40]}' is not a finite number"
        elif col.dtype == "bool":
            if not isinstance(value, bool):
                problem = f"'{str(value)[:40]}' is not true or false"
        elif col.dtype == "category":
            if value not in CATEGORIES[(kind, col.name)]:
                problem = f"'{str(value)[:40]}' is not one of the {col.name} values"
        elif not isinstance(value, str):
            problem = f"'{str(value)[:40]}' is not text"
        if problem:
            rejections.append(Rejection(row, col.name, problem))
            bad.add(row)
            value = None
        out.append(value)
    return out


def read_features(features: list, kind: str, *, path: str) -> ReadResult[gpd.GeoDataFrame]:
    """A peer's features of ``kind`` as canonical records with their markings,
    ``rsn:origin``, ``rsn:origin_version`` and the peer's ``fid``. A feature
    that breaks the schema, has no key or no valid marking, or is TLP:RED
    (which never leaves its node) is rejected, by its 1-based position."""
    rejections: list[Rejection] = []
    bad: set[int] = set()
    props, geoms, rows = [], [], []
    for i, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            rejections.append(Rejection(i, None, "not a GeoJSON feature with properties"))
            continue
        try:
            geometry = feature.get("geometry")
            geom = None if geometry is None else shapely.geometry.shape(geometry)
            if geom is not None and not geom.is_empty and not (
                    -180 <= geom.bounds[0] <= geom.bounds[2] <= 180
                    and -90 <= geom.bounds[1] <= geom.bounds[3] <= 90):
                raise ValueError("outside lon/lat degrees")
        except (ValueError, TypeError, AttributeError, KeyError,
                shapely.errors.ShapelyError) as exc:
            rejections.append(Rejection(i, "geometry", f"not a valid geometry ({exc})"))
            continue
        props.append(feature["properties"])
        geoms.append(geom)
        rows.append(i)
    columns: dict[str, list] = {}
    for col in TABLES[kind]:
        if col.name != "geometry":
            columns[col.name] = _checked([p.get(col.name) for p in props], col, kind,
                                         rejections, rows, bad)
    for name in MARKING_COLUMNS:
        columns[name] = [p.get(name) if isinstance(p.get(name), str) else None for p in props]
    columns["version"] = [p.get(ORIGIN_VERSION) for p in props]
    columns["origin"] = [p.get(ORIGIN) for p in props]
    columns["fid"] = [_fid(features[row - 1].get("id")) for row in rows]
    for j, row in enumerate(rows):
        if row in bad:
            continue
        problem = None
        for key in KEYS[kind]:
            if columns[key][j] in (None, ""):
                problem = (key, "is empty: a record needs its key")
        if problem is None and not all(columns[c][j] for c in ("agency", "tlp", "share")):
            problem = ("tlp", "a record without its marking (agency, tlp, share) is refused")
        if problem is None:
            try:
                check_marking(columns["tlp"][j], columns["share"][j])
            except MarkingError as exc:
                problem = ("share", str(exc))
        if problem is None and columns["tlp"][j] == TLP_LEVELS[-1]:
            problem = ("tlp", "TLP:RED records never leave their node")
        version = columns["version"][j]
        if problem is None and (isinstance(version, bool) or not isinstance(version, int)
                                or version < 1 or not isinstance(columns["origin"][j], str)
                                or not columns["origin"][j]):
            problem = (ORIGIN, "no originating node and version")
        if problem is None and columns["fid"][j] is None:
            problem = ("id", "the feature id is not the peer's row number")
        if problem:
            rejections.append(Rejection(row, *problem))
            bad.add(row)
    keep = [j for j, row in enumerate(rows) if row not in bad]
    frame = pd.DataFrame({name: [values[j] for j in keep] for name, values in columns.items()})
    geometry = gpd.GeoSeries([geoms[j] for j in keep], crs="EPSG:4326")
    out = _canonical_frame(kind, frame, geometry)
    rejections.sort(key=lambda r: r.row or 0)
    return ReadResult(kind, "rsn-features", path, out, rejections)


def _fid(value) -> int | None:
    try:
        return int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _canonical_frame(kind: str, frame: pd.DataFrame, geometry: gpd.GeoSeries) -> gpd.GeoDataFrame:
    from .store import canonical

    for name in ("version", "fid"):
        frame[name] = frame[name].astype("Int64") if name in frame else pd.Series(dtype="Int64")
    frame["origin"] = frame["origin"].astype("string") if "origin" in frame else \
        pd.Series(dtype="string")
    frame = frame.reindex(columns=[*_stored(kind), "version", "fid", "origin"])
    return canonical(kind, frame.reset_index(drop=True), geometry.reset_index(drop=True).values)


# -- WIS2-style notifications ---------------------------------------------------------------

def topic_part(text: str) -> str:
    """A topic level from a code: MQTT wildcards and separators replaced."""
    cleaned = "".join("_" if c in "/+#\0" else c for c in (text or "").strip())
    return cleaned or "_"


def notification(feature: dict, body: bytes, *, kind: str, href: str, pubtime: pd.Timestamp,
                 public: bool) -> dict:
    """The message announcing one record: what it is (an opaque id unless the
    record is public), when it was published, the hash of the content at
    ``href`` and, for public records only, where and when it is."""
    props = feature["properties"]
    key = f"{props.get(ORIGIN)}|{kind}|" + "|".join(str(props.get(k)) for k in KEYS[kind])
    data_id = props.get("id") if public and props.get("id") else \
        hashlib.sha256(key.encode()).hexdigest()[:24]
    properties = {
        "data_id": f"{topic_part(props.get(ORIGIN, ''))}/{kind}/{data_id}",
        "pubtime": pubtime.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "integrity": integrity(body),
        "rsn:kind": kind,
        "rsn:tlp": props.get("tlp"),
        "rsn:origin": props.get(ORIGIN),
    }
    if public:
        properties["datetime"] = props.get("time") or props.get("start") or props.get("date")
    return {"id": str(uuid.uuid4()), "conformsTo": [WNM_CONFORMANCE], "type": "Feature",
            "geometry": feature["geometry"] if public else None, "properties": properties,
            "links": [{"href": href, "rel": "canonical", "type": "application/geo+json"}]}


@dataclass(frozen=True)
class Notice:
    """A notification message, checked: what to fetch and what it must hash to."""

    kind: str
    href: str
    sha256: str
    pubtime: pd.Timestamp
    data_id: str


def parse_notification(payload: bytes, *, kinds: Iterable[str]) -> Notice:
    """A received message, refused with the reason when it is not a WIS2
    notification we can act on."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise PeerError(f"a notification of {len(payload):,} bytes (limit {MAX_MESSAGE_BYTES:,})")
    try:
        message = json.loads(payload)
        props = message["properties"]
        check = props["integrity"]
        link = next(link for link in message["links"] if link.get("rel") == "canonical")
        kind, href = props["rsn:kind"], link["href"]
        pubtime = pd.Timestamp(props["pubtime"])
        if check["method"] != "sha256" or not isinstance(check["value"], str):
            raise ValueError(f"integrity method {check['method']!r}, not sha256")
    except (ValueError, KeyError, TypeError, StopIteration, AttributeError) as exc:
        raise PeerError(f"not a notification message ({type(exc).__name__}: "
                        f"{str(exc)[:80]})") from None
    if kind not in set(kinds):
        raise PeerError(f"announces records of kind {str(kind)[:40]!r}, which we do not keep")
    if urlsplit(href).scheme not in ("http", "https"):
        raise PeerError("its link is not an http(s) address")
    pubtime = pubtime.tz_localize("UTC") if pubtime.tzinfo is None else pubtime.tz_convert("UTC")
    return Notice(kind, href, check["value"], pubtime, str(props.get("data_id", "")))


# -- a peer's API ---------------------------------------------------------------------------

class PeerClient:
    """Reads a peer node's API with the token it gave us."""

    def __init__(self, url: str, token: str, *, timeout: float = 20.0,
                 client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/geo+json"}

    def close(self) -> None:
        self._client.close()

    def owns(self, href: str) -> bool:
        """Whether ``href`` is on this peer's API (we send our token nowhere else)."""
        return href == self.url or href.startswith(self.url + "/")

    def get(self, href: str, params: dict | None = None) -> bytes:
        if not self.owns(href):
            raise PeerError(f"a link outside the peer's API ({href[:80]}); not followed",
                            path=self.url)
        try:
            with self._client.stream("GET", href, params=params, headers=self._headers) as r:
                if r.status_code != 200:
                    error = PeerError(_refusal(r.status_code), path=self.url)
                    error.status = r.status_code
                    raise error
                chunks, size = [], 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > MAX_PAGE_BYTES:
                        raise PeerError(f"answered more than {MAX_PAGE_BYTES:,} bytes",
                                        path=self.url)
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise PeerError(f"cannot be reached ({type(exc).__name__}: {exc})",
                            path=self.url) from None

    def page(self, kind: str, after_fid: int, limit: int) -> tuple[list, int | None]:
        """Up to ``limit`` features of ``kind`` stored after the peer's row
        ``after_fid``, and the cursor for the next page (None: no more)."""
        body = self.get(f"{self.url}/collections/{kind}/items",
                        {"after": str(after_fid), "limit": str(limit)})
        try:
            doc = json.loads(body)
            features = doc["features"]
            cursor = doc.get("rsn:next_after")
            if not isinstance(features, list) or (cursor is not None and not isinstance(cursor,
                                                                                        int)):
                raise ValueError("features is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise PeerError(f"answered a page that is not a feature collection ({exc})",
                            path=self.url) from None
        return features, cursor


def _refusal(status: int) -> str:
    if status == 401:
        return "refused our token (HTTP 401): it is unknown, expired or revoked there"
    if status == 404:
        return "has no such record for us (HTTP 404)"
    return f"answered HTTP {status}"


# -- MQTT -----------------------------------------------------------------------------------

def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise DataSourceError(f"'{url}' is not an MQTT address like mqtt://host:1883")
    return parts.hostname, parts.port or 1883


class MqttLink:
    """One connection to the broker, kept open and re-established by paho.
    Subscribed messages land in ``received`` (topic, payload); the session is
    persistent (clean session off, QoS 1), so the broker keeps what arrives
    for us while we are away."""

    def __init__(self, url: str, client_id: str, topics: Iterable[str] = (), *,
                 timeout: float = 10.0):
        import paho.mqtt.client as mqtt

        self._mqtt = mqtt
        self.host, self.port = _host_port(url)
        self.topics = list(topics)
        self.timeout = timeout
        self.received: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected_at: list[float] = []  # each (re)connection: catch up after it
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False, protocol=mqtt.MQTTv311)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            return
        for topic in self.topics:
            client.subscribe(topic, qos=1)
        import time

        self.connected_at.append(time.monotonic())

    def _on_message(self, client, userdata, message) -> None:
        self.received.put((message.topic, message.payload))

    @property
    def is_connected(self) -> bool:
        return self.client.is_connected()

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish with QoS 1 and wait until the broker confirms it."""
        if not self.client.is_connected():
            raise PeerError(f"the broker {self.host}:{self.port} is not connected")
        info = self.client.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(timeout=self.timeout)
        except (RuntimeError, ValueError) as exc:
            raise PeerError(f"the broker {self.host}:{self.port}: {exc}") from None
        if not info.is_published():
            raise PeerError(f"the broker {self.host}:{self.port} did not confirm a message")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
