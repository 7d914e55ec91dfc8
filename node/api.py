"""The node's API: its shared collections under OGC API – Features (GeoJSON,
``bbox``, ``datetime``, ``limit`` and a ``next`` link to page on), its CAP
warnings as an Atom feed, each collection as an HXL-tagged CSV, and an
OpenAPI document. Every request needs a bearer token (``python -m access
token create``): one per peer node or person; each is answered only what
the token's agency may see (``service.network``).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from data_sources.network import read_features
from data_sources.store import FEATURE_TABLES
from model.access import AccessError, Viewer
from model.period import Period
from model.schema import TABLES
from reports.bundle import ALERT_TAGS, INCIDENT_TAGS, hxl_csv, with_lonlat
from reports.marking import MARK_TAGS
from service.access import LoginError
from service.network import PAGE_LIMIT, NetworkService
from service.warning_runs import WarningRuns

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
TITLES = {"incidents": "Border and security incidents", "alerts": "Hazard alerts",
          "tracks": "Cyclone track positions", "displacement": "Displacement figures",
          "documents": "Situation documents"}
SOUTH_ASIA_EXTENT = [[60.0, -2.0, 98.0, 40.0]]
HXL_TAGS = {"incidents": INCIDENT_TAGS, "alerts": ALERT_TAGS}
# Every row says who it comes from and who may see it.
NODE_MARK_TAGS = {**MARK_TAGS, "agency": "#org+code", "agency_country": "#country+code+org",
                  "share": "#meta+share"}


class BadRequest(ValueError):
    """A parameter the API cannot use (400, with the reason)."""


def _error(status: int, code: str, text: str, **headers: str) -> JSONResponse:
    return JSONResponse({"code": code, "description": text}, status_code=status,
                        headers=headers)


def _json(doc: object, media: str = "application/json") -> Response:
    return Response(json.dumps(doc, ensure_ascii=False), media_type=media)


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise BadRequest("bbox is four numbers: west,south,east,north (degrees)") from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise BadRequest("bbox must be west <= east within -180..180 and south <= north "
                         "within -90..90")
    return west, south, east, north


def _period(text: str | None) -> Period | None:
    """OGC datetime: an instant, or start/end with '..' for an open end."""
    if not text:
        return None
    try:
        if "/" not in text:
            instant = pd.Timestamp(text)
            return Period(instant, instant + pd.Timedelta(microseconds=1))
        start_text, end_text = text.split("/", 1)
        start = pd.Timestamp("1900-01-01T00:00Z") if start_text in ("", "..") else \
            pd.Timestamp(start_text)
        end = pd.Timestamp("2200-01-01T00:00Z") if end_text in ("", "..") else \
            pd.Timestamp(end_text) + pd.Timedelta(microseconds=1)
        return Period(start, end)
    except ValueError as exc:
        raise BadRequest(f"datetime '{text[:60]}' is not an RFC 3339 instant or interval "
                         f"({exc})") from None


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value


def create_app(network: NetworkService, warnings: WarningRuns | None = None) -> Starlette:
    base = network.settings.node_url.rstrip("/")

    def caller(request: Request) -> Viewer:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return network.caller(token.strip() if scheme.lower() == "bearer" else None)

    def guarded(handler):
        """Authentication, then the handler; refusals as OGC exception documents."""
        async def endpoint(request: Request) -> Response:
            try:
                viewer = caller(request)
            except LoginError as exc:
                return _error(401, "Unauthorized", str(exc),
                              **{"WWW-Authenticate": 'Bearer realm="samon-node"'})
            try:
                return handler(request, viewer)
            except AccessError as exc:
                return _error(403, "Forbidden", str(exc))
            except BadRequest as exc:
                return _error(400, "InvalidParameterValue", str(exc))
            except KeyError:
                return _error(404, "NotFound", "no such collection or record")
        return endpoint

    def landing(request: Request, viewer: Viewer) -> Response:
        return _json({
            "title": f"Regional security network node {network.settings.node_name}",
            "description": "Shared collections of this node, as its sharing rules allow the "
                           "caller to see them.",
            "links": [
                {"href": f"{base}/", "rel": "self", "type": "application/json"},
                {"href": f"{base}/api", "rel": "service-desc",
                 "type": "application/vnd.oai.openapi+json;version=3.0"},
                {"href": f"{base}/conformance", "rel": "conformance",
                 "type": "application/json"},
                {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
                {"href": f"{base}/alerts.atom", "rel": "alternate",
                 "type": "application/atom+xml", "title": "CAP warnings of this node"},
            ]})

    def conformance(request: Request, viewer: Viewer) -> Response:
        return _json({"conformsTo": CONFORMANCE})

    def _collection(kind: str) -> dict:
        return {
            "id": kind, "title": TITLES[kind], "itemType": "feature",
            "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
            "extent": {"spatial": {"bbox": SOUTH_ASIA_EXTENT}},
            "links": [
                {"href": f"{base}/collections/{kind}", "rel": "self",
                 "type": "application/json"},
                {"href": f"{base}/collections/{kind}/items", "rel": "items", "type": GEOJSON},
                {"href": f"{base}/hxl/{kind}.csv", "rel": "alternate", "type": "text/csv",
                 "title": "HXL-tagged CSV"},
            ]}

    def collections(request: Request, viewer: Viewer) -> Response:
        return _json({"collections": [_collection(k) for k in FEATURE_TABLES],
                      "links": [{"href": f"{base}/collections", "rel": "self",
                                 "type": "application/json"}]})

    def collection(request: Request, viewer: Viewer) -> Response:
        kind = request.path_params["kind"]
        if kind not in FEATURE_TABLES:
            raise KeyError(kind)
        return _json(_collection(kind))

    def items(request: Request, viewer: Viewer) -> Response:
        kind = request.path_params["kind"]
        limit = _int(request, "limit", 100, 1, PAGE_LIMIT)
        after = _int(request, "after", 0, 0, 2**62)
        bbox = _bbox(request.query_params.get("bbox"))
        period = _period(request.query_params.get("datetime"))
        page = network.page(viewer, kind, after=after, limit=limit, bbox=bbox, period=period)
        kept = {k: v for k, v in request.query_params.items() if k not in ("after", "f")}
        url = f"{base}/collections/{kind}/items"
        links = [{"href": f"{url}?{urlencode({**kept, 'after': after})}", "rel": "self",
                  "type": GEOJSON},
                 {"href": f"{base}/collections/{kind}", "rel": "collection",
                  "type": "application/json"}]
        if page.next_after is not None:
            links.append({"href": f"{url}?{urlencode({**kept, 'after': page.next_after})}",
                          "rel": "next", "type": GEOJSON})
        return _json({"type": "FeatureCollection", "features": page.features,
                      "numberReturned": len(page.features),
                      "timeStamp": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "rsn:next_after": page.next_after, "links": links}, GEOJSON)

    def item(request: Request, viewer: Viewer) -> Response:
        try:
            fid = int(request.path_params["fid"])
        except ValueError:
            raise KeyError("fid") from None
        body = network.item(viewer, request.path_params["kind"], fid)
        if body is None:
            raise KeyError("fid")
        return Response(body, media_type=GEOJSON)

    def hxl(request: Request, viewer: Viewer) -> Response:
        kind = request.path_params["kind"]
        features: list[dict] = []
        after: int | None = 0
        while after is not None:
            page = network.page(viewer, kind, after=after, limit=PAGE_LIMIT)
            features += page.features
            after = page.next_after
        frame = with_lonlat(read_features(features, kind, path=kind).data)
        frame["as_of"] = pd.Timestamp.now(tz="UTC")
        generic = {c.name: f"#x_{c.name.replace('_', '')}" for c in TABLES[kind]
                   if c.name != "geometry"}
        tags = {**generic, **HXL_TAGS.get(kind, {}), "latitude": "#geo+lat",
                "longitude": "#geo+lon", **NODE_MARK_TAGS}
        return Response(hxl_csv(frame, tags), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{kind}.csv"'})

    def atom(request: Request, viewer: Viewer) -> Response:
        if warnings is None:
            raise KeyError("alerts.atom")
        return Response(warnings.feed(viewer), media_type="application/atom+xml")

    def openapi(request: Request, viewer: Viewer) -> Response:
        return _json(openapi_document(base), "application/vnd.oai.openapi+json;version=3.0")

    routes = [
        Route("/", guarded(landing)),
        Route("/api", guarded(openapi)),
        Route("/conformance", guarded(conformance)),
        Route("/collections", guarded(collections)),
        Route("/collections/{kind}", guarded(collection)),
        Route("/collections/{kind}/items", guarded(items)),
        Route("/collections/{kind}/items/{fid}", guarded(item)),
        Route("/hxl/{kind}.csv", guarded(hxl)),
        Route("/alerts.atom", guarded(atom)),
    ]
    return Starlette(routes=routes)


def openapi_document(base: str) -> dict:
    """The API described for clients (OpenAPI 3.0)."""
    kinds = list(FEATURE_TABLES)
    kind = {"name": "kind", "in": "path", "required": True,
            "schema": {"type": "string", "enum": kinds}}

    def query(name: str, text: str, schema: dict) -> dict:
        return {"name": name, "in": "query", "required": False, "description": text,
                "schema": schema}

    ok_json = {"200": {"description": "OK", "content": {"application/json": {}}},
               "401": {"description": "no token, or one unknown, expired or revoked"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Regional security network node", "version": "1.0"},
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/": {"get": {"summary": "Landing page", "responses": ok_json}},
            "/conformance": {"get": {"summary": "Conformance classes", "responses": ok_json}},
            "/collections": {"get": {"summary": "The shared collections", "responses": ok_json}},
            "/collections/{kind}": {"get": {"summary": "One collection", "parameters": [kind],
                                            "responses": ok_json}},
            "/collections/{kind}/items": {"get": {
                "summary": "Records the caller may see, in the order they were stored",
                "parameters": [
                    kind,
                    query("bbox", "west,south,east,north in degrees",
                          {"type": "array", "items": {"type": "number"}, "minItems": 4,
                           "maxItems": 4}),
                    query("datetime", "RFC 3339 instant or interval (.. for open)",
                          {"type": "string"}),
                    query("limit", f"features per page (1..{PAGE_LIMIT})",
                          {"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT,
                           "default": 100}),
                    query("after", "the page cursor (follow the 'next' link)",
                          {"type": "integer", "minimum": 0, "default": 0}),
                ],
                "responses": {"200": {"description": "GeoJSON FeatureCollection",
                                      "content": {GEOJSON: {}}},
                              "400": {"description": "a parameter the API cannot use"},
                              "401": {"description": "no valid token"}}}},
            "/collections/{kind}/items/{fid}": {"get": {
                "summary": "One record (the bytes its notification's sha256 covers)",
                "parameters": [kind, {"name": "fid", "in": "path", "required": True,
                                      "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "GeoJSON Feature",
                                      "content": {GEOJSON: {}}},
                              "404": {"description": "no such record for this caller"}}}},
            "/hxl/{kind}.csv": {"get": {"summary": "The collection as HXL-tagged CSV",
                                        "parameters": [kind],
                                        "responses": {"200": {"description": "CSV",
                                                              "content": {"text/csv": {}}}}}},
            "/alerts.atom": {"get": {"summary": "This node's CAP warnings (Atom)",
                                     "responses": {"200": {"description": "Atom feed",
                                                           "content": {
                                                               "application/atom+xml": {}}}}}},
        },
    }
