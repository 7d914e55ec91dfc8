"""One builder per map layer. Each returns a ``Layer``: what the map's
renderer (layers/static/samon-map.js) draws, and its legend (HTML from
escaped text). Builders take geo results (the
situation summary) and canonical tables; they compute no figures themselves."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geo import fingerprint
from geo.hotspots import CLASS_ORDER, h3_cells
from geo.kept import Kept
from model.i18n import N_, _, local_name, ngettext, number

from .html import esc, esc_each, legend, safe_url
from .raster import to_png_overlay

MARKER_LIMIT = 2000  # above this, incidents are aggregated on the server

# One colour per incident category for the map, its legend, the charts and the
# reports: the Okabe-Ito palette, told apart by readers with any common colour
# vision deficiency (Okabe & Ito 2008; its yellow left out: too pale on land).
CATEGORY_COLOURS = {
    "illegal crossing": "#0072B2", "smuggling/trafficking": "#CC79A7",
    "cross-border firing/shelling": "#D55E00", "armed clash": "#000000",
    "explosion/IED": "#E69F00", "arrest/seizure": "#009E73", "protest/unrest": "#56B4E9",
    "other": "#999999",
}
GI_COLOURS = {"hot 99%": "#b2182b", "hot 95%": "#ef8a62", "hot 90%": "#fddbc7",
              "not significant": "#f7f7f7", "cold 90%": "#d1e5f0", "cold 95%": "#67a9cf",
              "cold 99%": "#2166ac"}
LEVEL_COLOURS = {"green": "#2ca02c", "orange": "#ff7f0e", "red": "#d62728"}
FLOOD_BINS = ([0.05, 0.5, 1.0, 2.0, 3.0], ["#c6dbef", "#6baed6", "#3182bd", "#08519c",
                                           "#08306b"])
WIND_BINS = ([34.0, 50.0, 64.0, 96.0], ["#fed976", "#fd8d3c", "#e31a1c", "#800026"])
AREA_OUTLINE = "#1f5fbf"
RIVER_COLOUR = "#4a86c5"
DISPLACEMENT_COLOURS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]


# Drawing order (panes, bottom to top), see layers/static/samon-map.js.
FILLS, WATER, RASTERS, LINES, POINTS, HOTSPOTS, LABELS, ALERTS, DRAWING = (
    "fills", "water", "rasters", "lines", "points", "hotspots", "labels", "alerts", "drawing")
# Place names from this zoom on, by population: the map stays readable at every zoom.
LABEL_ZOOMS = ((5_000_000, 4), (1_000_000, 5), (300_000, 6), (100_000, 7), (0, 8))
MOST_LABELS = 1500  # the most populous places labelled (sent once per session)
COORDINATE_DECIMALS = 5  # about 1 m: finer than any layer we draw, and a third of the bytes


# The columns these layers are drawn from, and all they read of their rows: the
# map keeps such a layer by these values (layers/map.py) and builds it again only
# when they change (a filter change often leaves a region's alerts and storms as they were).
ALERT_COLUMNS = ("headline", "alert_level", "hazard", "source", "start", "link", "agency",
                 "agency_country")
TRACK_COLUMNS = ("storm_id", "name", "time", "wind_kt", "pressure_hpa")
SWATH_COLUMNS = ("name", "threshold_kt", "radii_source")
STEP_COLUMNS = ("storm_id", "name", "time", "lon", "lat", "wind_kt", "threshold_kt",
                "people_exposed")


def drawn_from(frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The ``columns`` ``frame`` has, and its geometry: what a layer drawn from it reads."""
    return frame[[c for c in columns if c in frame.columns] + [frame.geometry.name]]


@dataclass(frozen=True)
class Layer:
    """One map layer as the renderer draws it: ``parts`` are JSON-ready
    drawing instructions (features with styles and fields, an image, a heatmap),
    ``legend`` HTML built from escaped text."""

    id: str
    name: str
    parts: list[dict]
    legend: str | None = None

    @functools.cached_property
    def part_jsons(self) -> tuple[bytes, ...]:
        """Each drawing part as JSON, encoded once: a layer is not changed once
        built, and every session it is sent to (and its hashes) share the text."""
        return tuple(json.dumps(part, default=str, separators=(",", ":")).encode()
                     for part in self.parts)

    @functools.cached_property
    def part_digests(self) -> tuple[str, ...]:
        """Each part's content hash: a map frame holding a part is not sent it
        again, even when the layer around it changed (one country's incidents
        more or less leaves the others' parts as they were)."""
        return tuple(hashlib.sha256(text).hexdigest()[:24] for text in self.part_jsons)

    @functools.cached_property
    def digest(self) -> str:
        """Its content hash (its name and its parts'), computed once."""
        return hashlib.sha256(json.dumps([self.id, self.name, *self.part_digests]).encode()
                              ).hexdigest()[:24]


# Areas made of provinces are drawn simplified to about 2 km (figures use the full
# outlines): invisible at the zooms a country is seen at, and a third of the bytes.
DRAWN_TOLERANCE = 0.02  # degrees
DRAWN_DECIMALS = 3  # about 100 m: well within the simplification


_DRAWN: Kept[dict] = Kept(1024)  # every province and country, several times over


def _drawn(geoms: np.ndarray) -> list[dict]:
    """Each area simplified to DRAWN_TOLERANCE and written as the renderer reads
    it, kept by its exact shape: the same provinces and countries come back with
    every filter change, and only their figures differ."""
    def written(geom: shapely.Geometry) -> dict:
        return _written(np.array([shapely.simplify(geom, DRAWN_TOLERANCE,
                                                   preserve_topology=True)]), DRAWN_DECIMALS)[0]

    return [_DRAWN.get_or(fingerprint.of_shape(geom), functools.partial(written, geom))
            for geom in geoms]


def _written(shapes: np.ndarray, decimals: int) -> list[dict]:
    """GeoJSON geometries of ``shapes`` (none missing or empty), rounded to
    ``decimals``: points straight from their coordinate arrays, other shapes with
    shapely's GeoJSON writer, their positions as integer steps (``packed``)."""
    if (shapely.get_type_id(shapes) == shapely.GeometryType.POINT).all():
        return [{"type": "Point", "coordinates": xy} for xy in
                np.round(shapely.get_coordinates(shapes), decimals).tolist()]
    rounded = shapely.transform(shapes, lambda xy: np.round(xy, decimals))
    return [packed(json.loads(text), 10 ** decimals)
            for text in shapely.to_geojson(rounded).tolist()]


def _geojson(frame: gpd.GeoDataFrame, props: dict[str, pd.Series],
             decimals: int = COORDINATE_DECIMALS, simplified: bool = False) -> dict:
    """A FeatureCollection with escaped text properties (numbers kept as numbers);
    rows without geometry are left out, coordinates rounded for the screen
    (``simplified``: areas drawn to DRAWN_TOLERANCE and DRAWN_DECIMALS instead).
    (Built column by column; this runs on every filter change.)"""
    columns = []
    for col in props.values():
        values = pd.Series(col).reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            columns.append(values.astype(object).where(values.notna(), None).tolist())
        else:
            columns.append(esc_each(values))
    geoms = np.asarray(frame.geometry.values)
    drawn = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    geometries = _drawn(geoms[drawn]) if simplified else _written(geoms[drawn], decimals)
    if len(drawn) < len(geoms):
        columns = [[values[i] for i in drawn.tolist()] for values in columns]
    keys = list(props)
    features = [{"type": "Feature", "properties": dict(zip(keys, row, strict=True)),
                 "geometry": geometry}
                for geometry, *row in zip(geometries, *columns, strict=True)]
    return {"type": "FeatureCollection", "features": features}


def packed(geometry: dict, scale: int) -> dict:
    """Lines and polygons with each run of positions as integer steps
    (``[dx1, dy1, dx2, dy2 ...]`` in 1/``scale`` degrees, the first from 0) and
    ``scale`` beside them: a third fewer bytes on the wire once deflated than
    decimal positions, for the same coordinates (the renderer's ``unpack``
    divides back). Points stay as GeoJSON has them; a collection packs its members."""
    if geometry["type"] in ("Point", "MultiPoint"):
        return geometry
    if geometry["type"] == "GeometryCollection":
        return {"type": "GeometryCollection",
                "geometries": [packed(g, scale) for g in geometry["geometries"]]}

    def steps(coords: list) -> list:
        if not coords or not isinstance(coords[0][0], list):  # a run of positions
            ints = np.rint(np.asarray(coords, dtype=float).reshape(-1, 2) * scale)
            return np.diff(ints, axis=0, prepend=0).astype(np.int64).ravel().tolist()
        return [steps(c) for c in coords]

    return {"type": geometry["type"], "steps": steps(geometry["coordinates"]), "scale": scale}


def _features(frame: gpd.GeoDataFrame, props: dict[str, pd.Series], *, pane: str,
              style: dict, style_from: dict[str, str] | None = None,
              tooltip: dict[str, str] | None = None,
              popup: dict[str, str] | None = None, simplified: bool = False) -> dict:
    """A part drawing ``frame``'s features: ``style`` for all, ``style_from``
    (style option -> property) per feature, tooltip/popup fields {property: label}
    (labels marked with N_, shown in the language in use); ``simplified``: areas
    drawn to DRAWN_TOLERANCE (provinces, and the countries made of them)."""
    def fields(spec):
        return [[key, esc(_(label))] for key, label in spec.items()] if spec else None

    data = _geojson(frame, props, simplified=simplified)
    return {"kind": "geojson", "pane": pane, "data": data, "style": style,
            "style_from": style_from or {}, "tooltip": fields(tooltip), "popup": fields(popup)}


def _shared_by(frame: pd.DataFrame) -> pd.Series:
    """Each record's originating agency and its country ('NDMA-PK (PAK)'): on a
    node of the network, records of other member states' agencies sit beside
    this node's own."""
    if "agency" not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype="string")
    agency = frame["agency"].astype("string").fillna("")
    country = frame["agency_country"].astype("string").fillna("")
    return (agency + (" (" + country + ")").where(country != "", "")).fillna("")


def _agencies_note(frame: pd.DataFrame, most: int = 6) -> str | None:
    names = [n for n in _shared_by(frame).value_counts().index if n]
    if not names:
        return None
    shown = ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most
                                       else "")
    return f"Shared by {shown}"


def boundaries_layer(countries: gpd.GeoDataFrame, borders: gpd.GeoDataFrame,
                     view_text: str = "", admin: gpd.GeoDataFrame | None = None,
                     rivers: gpd.GeoDataFrame | None = None) -> Layer:
    """Country outlines (thin), admin areas within them (thinner, dotted, named
    on hover), rivers and international borders (thicker; dashed where the data
    marks a border as disputed); ``view_text``: whose outlines they are, where
    the data holds several points of view."""
    disputed = (borders["disputed"].fillna(False).astype(bool) if "disputed" in borders
                else pd.Series(False, index=borders.index))
    claimed = (countries["disputed"].fillna(False).astype(bool) if "disputed" in countries
               else pd.Series(False, index=countries.index))
    parts = [
        _features(countries, {"name": countries["name"], "iso3": countries["iso3"],
                              "status": claimed.map({True: _("disputed, as the data marks it"),
                                                     False: ""}),
                              "cls": claimed.map({True: "samon-disputed", False: None})},
                  pane=FILLS, style={"color": "#555", "weight": 0.8, "fillColor": "#f2efe9",
                                     "fillOpacity": 0.6},
                  style_from={"className": "cls"},
                  tooltip={"name": N_("Country"), "status": N_("Status")}),
        _features(borders, {"pair": borders["pair"], "length_km": borders["length_km"].round(),
                            "disputed": disputed.astype(int),
                            "dash": disputed.map({True: "6 4", False: None})},
                  pane=LINES, style={"color": "#222", "weight": 2},
                  style_from={"dashArray": "dash"},
                  tooltip={"pair": N_("Border"), "length_km": N_("Length (km)")}),
    ]
    items = [("#222", _("International border")), ("#555", _("Country outline"))]
    if admin is not None and len(admin):
        parts.insert(1, _features(admin, {"name": admin["name"], "code": admin["code"]},
                                  pane=FILLS, style={"color": "#666", "weight": 0.8,
                                                     "dashArray": "2 3", "fillOpacity": 0},
                                  tooltip={"name": N_("Admin area"), "code": N_("Code")},
                                  simplified=True))
        items.append(("#666", _("Admin area outline (province, district)")))
    if rivers is not None and len(rivers):
        parts.insert(1, _features(rivers, {}, pane=WATER, style={"color": RIVER_COLOUR,
                                                                 "weight": 1.3, "opacity": 0.9},
                                  simplified=True))
        items.append((RIVER_COLOUR, _("River")))
    if claimed.any():
        items.append(("hatched", _("Disputed area, as the data marks it")))
    notes = [_("Dashed: disputed, where the data marks it"), view_text]
    if rivers is not None and len(rivers):
        notes.append(_("Rivers: {source}", source=", ".join(sorted(set(rivers["source"])))))
    return Layer("boundaries", _("Boundaries and borders"), parts,
                 legend(_("Boundaries"), items, ". ".join(filter(None, notes))))


def covered_layer(areas: gpd.GeoDataFrame) -> Layer:
    """The outline of the areas the figures cover (a corridor, a polygon, the
    chosen countries, or the Maldives' stand-in): apart from the boundaries,
    which do not change with the region."""
    part = _features(areas, {"name": areas["name"]}, pane=LINES,
                     style={"color": AREA_OUTLINE, "weight": 2, "fill": False},
                     tooltip={"name": N_("Area covered")}, simplified=True)
    return Layer("covered", _("Area the figures cover"), [part],
                 legend(_("Area the figures cover"), [(AREA_OUTLINE, _("Outline"))]))


def labels_layer(countries: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> Layer:
    """Country names, and place names shown from a zoom that depends on the
    place's population (the biggest cities first); never in the way of a click."""
    points = countries.geometry.representative_point()
    labels = [{"text": esc(_(name)), "lon": round(float(p.x), 3), "lat": round(float(p.y), 3),
               "min_zoom": 0, "kind": "country"}
              for name, p in zip(countries["name"], points, strict=True)]
    biggest = places.sort_values("population", ascending=False).head(MOST_LABELS)
    local = biggest["local_names"] if "local_names" in biggest else [None] * len(biggest)
    for name, names, population, p in zip(biggest["name"], local,
                                          biggest["population"].fillna(0), biggest.geometry,
                                          strict=True):
        zoom = next(z for floor, z in LABEL_ZOOMS if population >= floor)
        labels.append({"text": esc(local_name(names, name)), "lon": round(float(p.x), 3),
                       "lat": round(float(p.y), 3), "min_zoom": zoom, "kind": "place"})
    return Layer("labels", _("Place names"), [{"kind": "labels", "pane": LABELS,
                                            "labels": labels}])


def incidents_layer(incidents: gpd.GeoDataFrame, mode: str = "auto") -> Layer:
    """Incidents: markers with popups when few (<= MARKER_LIMIT); otherwise
    aggregated on the server into H3 cells, shown as clusters or a heatmap.

    ``mode``: "auto", "markers", "clusters" or "heatmap".
    """
    n = len(incidents)
    if mode == "auto":
        mode = "markers" if n <= MARKER_LIMIT else "clusters"
    if mode == "markers" and n > MARKER_LIMIT:
        mode = "clusters"
    cats = incidents["category"].astype(str)
    present = set(cats.unique())
    items = [(CATEGORY_COLOURS[c], c) for c in CATEGORY_COLOURS if c in present]
    if n == 0:
        return Layer("incidents", _("Incidents"), [],
                     legend(_("Incidents"), [], _("No incidents in this view")))
    if mode == "markers":
        props = {"category": cats, "time": incidents["time"].dt.strftime("%Y-%m-%d %H:%M UTC"),
                 "country": incidents["country"], "fatalities": incidents["fatalities"],
                 "notes": incidents["notes"], "source": incidents["source"],
                 "shared_by": _shared_by(incidents), "colour": cats.map(CATEGORY_COLOURS)}
        if "border_km" in incidents:
            props["border"] = (incidents["border_pair"].astype(str) + ", "
                               + incidents["border_km"].round(1).astype(str) + " km")
        fields = {"category": N_("Category"), "time": N_("Time"), "country": N_("Country"),
                  "fatalities": N_("Fatalities"), "notes": N_("Notes"),
                  "source": N_("Source"), "shared_by": N_("Shared by")}
        if "border" in props:
            fields["border"] = N_("Nearest border")
        part = _features(incidents, props, pane=POINTS,
                         style={"radius": 5, "weight": 1, "color": "#333", "fillOpacity": 0.85},
                         style_from={"fillColor": "colour"}, popup=fields)
        # A part per country: a region of one country more or less sends and
        # redraws that country's markers only (the map holds parts by hash).
        by_country: dict[str, list] = {}
        for feature in part["data"]["features"]:
            by_country.setdefault(feature["properties"]["country"], []).append(feature)
        parts = [{**part, "data": {"type": "FeatureCollection", "features": by_country[c]}}
                 for c in sorted(by_country)]
        return Layer("incidents", _("Incidents"), parts,
                     legend(_("Incidents"), items, _agencies_note(incidents)))
    cells = _aggregate(incidents, res=6 if mode == "clusters" else 7)
    if mode == "heatmap":
        part = {"kind": "heat", "pane": POINTS, "radius": 14, "blur": 18, "min_opacity": 0.3,
                "points": cells[["lat", "lon", "count"]].round(COORDINATE_DECIMALS)
                .to_numpy().tolist()}
        return Layer("incidents", _("Incidents"), [part],
                     legend(_("Incidents (heatmap)"), [],
                            _("{count} incidents, binned on the server to H3 resolution 7",
                              count=number(n))))
    radius = 4 + 3 * np.sqrt(cells["count"] / cells["count"].max() * 16)
    frame = gpd.GeoDataFrame(cells, geometry=gpd.points_from_xy(cells["lon"], cells["lat"]),
                             crs="EPSG:4326")
    part = _features(frame, {"count": cells["count"], "top": cells["top"].astype(str).map(_),
                             "radius": radius.round(1),
                             "colour": cells["top"].map(CATEGORY_COLOURS)},
                     pane=POINTS, style={"weight": 1, "color": "#333", "fillOpacity": 0.75},
                     style_from={"radius": "radius", "fillColor": "colour"},
                     tooltip={"count": N_("Incidents"), "top": N_("Most frequent")})
    shared = _agencies_note(incidents)
    return Layer("incidents", _("Incidents"), [part],
                 legend(_("Incidents (clusters)"), items,
                        _("{count} incidents grouped into H3 cells; circle size = count",
                          count=number(n)) + (f". {shared}" if shared else "")))


def _aggregate(incidents: gpd.GeoDataFrame, res: int) -> pd.DataFrame:
    """Incident counts per H3 cell with the cell centre and the top category
    (of equally frequent ones, the first in the legend's order); cells in
    ascending order of their index."""
    cells, at = np.unique(h3_cells(incidents.geometry, res), return_inverse=True)
    order = list(CATEGORY_COLOURS)
    order += sorted(set(incidents["category"].astype(str)) - set(order))
    kind = pd.Categorical(incidents["category"].astype(str), categories=order).codes
    # counts[cell, category], filled in one pass
    counts = np.bincount(at * len(order) + kind, minlength=len(cells) * len(order)).reshape(
        len(cells), len(order))
    centres = [h3.cell_to_latlng(h3.int_to_str(int(c))) for c in cells]
    return pd.DataFrame({"cell": cells, "count": counts.sum(axis=1),
                         "top": np.asarray(order, dtype=object)[counts.argmax(axis=1)],
                         "lat": [c[0] for c in centres], "lon": [c[1] for c in centres]})


def hotspots_layer(cells: gpd.GeoDataFrame) -> Layer:
    """H3 hexagons coloured by Gi* class, with count and trend in the tooltip;
    drawn above the incidents, half transparent so that they show through."""
    shown = cells[cells["gi_class"].astype(str) != "not significant"]
    parts = []
    if len(shown):
        classes = shown["gi_class"].astype(str)
        parts.append(_features(
            shown, {"class": classes.map(_), "count": shown["count"], "recent": shown["recent"],
                    "previous": shown["previous"], "change": shown["change"],
                    "z": shown["gi_z"].round(2), "colour": classes.map(GI_COLOURS)},
            pane=HOTSPOTS, style={"color": "#666", "weight": 0.5, "fillOpacity": 0.5},
            style_from={"fillColor": "colour"},
            tooltip={"class": N_("Gi* class"), "count": N_("Incidents"), "z": N_("z-score"),
                     "recent": N_("Recent period"), "previous": N_("Previous period"),
                     "change": N_("Change")}))
    items = [(GI_COLOURS[c], _(c)) for c in CLASS_ORDER if c != "not significant"]
    return Layer("hotspots", _("Incident hotspots (Gi*)"), parts,
                 legend(_("Hotspots (Getis-Ord Gi*)"), items,
                        None if len(shown) else _("No significant hotspots in this view")))


def _left_to_right(text: str) -> str:
    # A range keeps its order inside right-to-left text (Unicode left-to-right isolate).
    return f"\u2066{text}\u2069"


def _range(low: float, high: float, unit: str = "") -> str:
    """'0.5–1 m' in the language's digits, read low to high in every direction."""
    return _left_to_right(f"{number(low)}–{number(high)}{unit}")


def flood_layer(depth) -> Layer:
    """Flood depth (m) as an image overlay."""
    bins, colours = FLOOD_BINS
    url, bounds = to_png_overlay(depth, bins, colours, key=fingerprint.of_raster(depth))
    labels = [_range(a, b, " m") for a, b in zip(bins[:-1], bins[1:], strict=True)] + [
        _left_to_right(f"≥ {number(bins[-1])} m")]
    return Layer("flood", _("Flood depth"),
                 [{"kind": "image", "pane": RASTERS, "url": url, "bounds": bounds,
                   "opacity": 0.7}],
                 legend(_("Flood depth (m)"), list(zip(colours, labels, strict=True)),
                        "No colour: dry or not observed"))


def cyclone_layer(tracks: gpd.GeoDataFrame, swaths: gpd.GeoDataFrame, wind=None,
                  step: gpd.GeoDataFrame | None = None, time=None) -> Layer:
    """Track, wind swaths (34/50/64 kt) and the wind field: its maximum over
    the storm, or at the time step ``time``, where ``step`` (the summary's
    storms at that time) marks each storm's centre and its wind radii, and the
    track is solid up to the step and dashed after it."""
    tracks, swaths = drawn_from(tracks, TRACK_COLUMNS), drawn_from(swaths, SWATH_COLUMNS)
    step = drawn_from(step, STEP_COLUMNS) if step is not None else None
    bins, colours = WIND_BINS
    parts: list[dict] = []
    if wind is not None:
        field = wind.sel(time=np.datetime64(pd.Timestamp(time).tz_convert(None)),
                         method="nearest") if time is not None else wind.max("time")
        url, bounds = to_png_overlay(field, bins, colours,
                                     key=f"{fingerprint.of_raster(wind)}|{time}")
        parts.append({"kind": "image", "pane": RASTERS, "url": url, "bounds": bounds,
                      "opacity": 0.55})
    swath_colours = dict(zip((34, 50, 64), colours[:3], strict=True))
    ordered = swaths.sort_values("threshold_kt")
    if len(ordered):
        parts.append(_features(
            ordered, {"name": ordered["name"],
                      "threshold": ordered["threshold_kt"].astype(str) + " kt",
                      "source": ordered["radii_source"],
                      "colour": ordered["threshold_kt"].map(swath_colours).fillna("#999")},
            pane=LINES, style={"weight": 1.5, "fill": False}, style_from={"color": "colour"},
            tooltip={"name": N_("Storm"), "threshold": N_("Swath"), "source": N_("Radii")}))
    fixes = tracks.sort_values("time")
    step = step if step is not None else gpd.GeoDataFrame(geometry=[])
    centres = step.drop_duplicates("storm_id")
    paths = _track_paths(fixes, centres)
    if len(paths):
        parts.append(_features(paths, {"storm": paths["storm"], "part": paths["part"],
                                       "dash": paths["dash"]},
                               pane=LINES, style={"color": "#000", "weight": 2},
                               style_from={"dashArray": "dash"},
                               tooltip={"storm": N_("Storm"), "part": N_("Track")}))
    if len(fixes):
        parts.append(_features(
            fixes, {"storm": fixes["name"],
                    "time": fixes["time"].dt.strftime("%Y-%m-%d %H:%M UTC"),
                    "wind": fixes["wind_kt"], "pressure": fixes["pressure_hpa"]},
            pane=POINTS, style={"radius": 3, "color": "#000", "fillColor": "#000",
                                "fillOpacity": 1, "weight": 1},
            tooltip={"storm": N_("Storm"), "time": N_("Time"), "wind": N_("Wind (kt)"),
                     "pressure": N_("Pressure (hPa)")}))
    note = "Lines: 34/50/64 kt swaths; black: track"
    if len(step):
        radii = step.sort_values("threshold_kt", ascending=False)
        parts.append(_features(
            radii, {"storm": radii["name"], "threshold": radii["threshold_kt"].astype(str)
                    + " kt", "people": radii["people_exposed"].round().astype("int64"),
                    "colour": radii["threshold_kt"].map(swath_colours).fillna("#999")},
            pane=LINES, style={"weight": 2.5, "dashArray": "2 4", "fillOpacity": 0.12},
            style_from={"color": "colour", "fillColor": "colour"},
            tooltip={"storm": N_("Storm"), "threshold": N_("Within"),
                     "people": N_("People there")}))
        centre_points = gpd.GeoDataFrame(
            centres, geometry=gpd.points_from_xy(centres["lon"], centres["lat"]),
            crs="EPSG:4326")
        parts.append(_features(
            centre_points, {"storm": centre_points["name"],
                            "time": centre_points["time"].dt.strftime("%Y-%m-%d %H:%M UTC"),
                            "wind": centre_points["wind_kt"].round()},
            pane=POINTS, style={"radius": 9, "color": "#000", "weight": 3,
                                "fillColor": "#ffffff", "fillOpacity": 1},
            tooltip={"storm": N_("Storm centre"), "time": N_("At"), "wind": N_("Wind (kt)")}))
        note = ("Lines: 34/50/64 kt swaths; dotted: wind radii at the chosen time; white "
                "circle: the centre then; track solid before, dashed after")
    labels = [*(_range(a, b, " kt") for a, b in ((34, 50), (50, 64), (64, 96))),
              _left_to_right(f"≥ {number(96)} kt")]
    return Layer("cyclone", _("Cyclone"), parts,
                 legend(_("Cyclone wind (kt)"), list(zip(colours, labels, strict=True)), note))


def _track_paths(fixes: gpd.GeoDataFrame, centres: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each storm's track as lines: whole (solid) with no time step; else
    "before" up to the storm's centre at the step (solid) and "after" (dashed)."""
    rows: list[tuple[str, str, str | None, shapely.LineString]] = []
    where = {r.storm_id: (r.lon, r.lat, r.time) for r in centres.itertuples()}
    for storm, path in fixes.groupby("storm_id", sort=False):
        points = [(p.x, p.y) for p in path.geometry]
        name = path["name"].iloc[0]
        if storm not in where:
            if len(points) >= 2:
                rows.append((name, "whole", None, shapely.LineString(points)))
            continue
        lon, lat, when = where[storm]
        before = [pt for pt, t in zip(points, path["time"], strict=True) if t < when]
        after = [pt for pt, t in zip(points, path["time"], strict=True) if t > when]
        for part, line, dash in (("before the chosen time", [*before, (lon, lat)], None),
                                 ("after the chosen time", [(lon, lat), *after], "6 6")):
            if len(line) >= 2:
                rows.append((name, part, dash, shapely.LineString(line)))
    return gpd.GeoDataFrame([r[:3] for r in rows], columns=["storm", "part", "dash"],
                            geometry=[r[3] for r in rows], crs="EPSG:4326")


def displacement_layer(areas: gpd.GeoDataFrame, figures: pd.Series) -> Layer:
    """Choropleth of displaced people per area (``figures`` indexed like ``areas``)."""
    values = figures.reindex(areas.index).fillna(0)
    positive = values[values > 0]
    if positive.empty:
        return Layer("displacement", _("Displacement"), [],
                     legend(_("Displaced people"), [], _("No displacement in this view")))
    edges = np.unique(np.quantile(positive, np.linspace(0, 1, len(DISPLACEMENT_COLOURS) + 1)))
    colours = DISPLACEMENT_COLOURS[-(len(edges) - 1):] if len(edges) > 1 else \
        DISPLACEMENT_COLOURS[-1:]
    bucket = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(colours) - 1)
    fill = pd.Series([colours[b] if v > 0 else "#ffffff" for b, v in zip(bucket, values,
                                                                          strict=True)],
                     index=areas.index)
    part = _features(areas, {"name": areas["name"],
                             "displaced": values.round().astype("int64"), "colour": fill},
                     pane=FILLS, style={"color": "#444", "weight": 0.8, "fillOpacity": 0.65},
                     style_from={"fillColor": "colour"},
                     tooltip={"name": N_("Area"), "displaced": N_("Displaced people")},
                     simplified=True)
    if len(edges) > 1:
        labels = [_range(round(a), round(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    else:
        labels = [number(round(edges[0]))]
    return Layer("displacement", _("Displacement"), [part],
                 legend(_("Displaced people"), list(zip(colours, labels, strict=True))))


def alerts_layer(alerts: gpd.GeoDataFrame) -> Layer:
    """Alert footprints coloured by level, on top of everything; popups with
    headline and source link."""
    alerts = drawn_from(alerts, ALERT_COLUMNS)
    located = alerts[alerts.geometry.notna()]
    parts = []
    if len(located):
        # A list, not Series.map: pandas turns a None from safe_url into NaN, which is truthy.
        page = esc(_("source page"))
        more = [f'<a href="{u}" target="_blank" rel="noopener">{page}</a>' if u else ""
                for u in (safe_url(v) for v in located["link"])]
        props = {"headline": located["headline"],
                 "level": located["alert_level"].astype(str).map(_),
                 "hazard": located["hazard"].astype(str).map(_), "source": located["source"],
                 "start": located["start"].dt.strftime("%Y-%m-%d"),
                 "shared_by": _shared_by(located),
                 "colour": located["alert_level"].astype(str).map(LEVEL_COLOURS)}
        part = _features(located, props, pane=ALERTS,
                         style={"radius": 9, "weight": 2, "fillOpacity": 0.35},
                         style_from={"color": "colour", "fillColor": "colour"},
                         popup={"headline": N_("Alert"), "level": N_("Level"),
                                "hazard": N_("Hazard"), "start": N_("Since"),
                                "source": N_("Source"), "shared_by": N_("Shared by"),
                                "link": N_("Link")})
        for feature, link in zip(part["data"]["features"], more, strict=True):
            feature["properties"]["link"] = link  # built from an escaped, http(s)-only URL
        parts.append(part)
    items = [(c, _(level)) for level, c in LEVEL_COLOURS.items()]
    return Layer("alerts", _("Alerts"), parts,
                 legend(_("Alert level"), items, _agencies_note(located)))


def drawing_layer(points) -> Layer:
    """The area a user is drawing: its corners (lon, lat) and outline so far."""
    style = {"color": "#6a3d9a", "weight": 2}
    corners = gpd.GeoDataFrame(geometry=[shapely.Point(p) for p in points], crs="EPSG:4326")
    parts = [_features(corners, {}, pane=DRAWING,
                       style={**style, "radius": 4, "fillColor": "#6a3d9a", "fillOpacity": 1})]
    if len(points) >= 2:
        ring = gpd.GeoDataFrame(geometry=[shapely.LineString([*points, points[0]])],
                                crs="EPSG:4326")
        parts.insert(0, _features(ring, {}, pane=DRAWING, style={**style, "dashArray": "4 4"}))
    return Layer("drawing", _("Area being drawn"), parts,
                 legend(_("Drawing"),
                        [("#6a3d9a", ngettext("{n} corner drawn", "{n} corners drawn",
                                              len(points)))],
                        _("Click the map to add corners, then use the area")))


# The hues of the Warnings list's badges (red, orange, violet, blue, gray), so that
# a warning has one colour on the map and in the list.
SEVERITY_COLOURS = {"Extreme": "#c0152f", "Severe": "#ff7f0e", "Moderate": "#9467bd",
                    "Minor": "#1f77b4", "Unknown": "#7f7f7f"}


def warnings_layer(active: pd.DataFrame) -> Layer:
    """Active warnings' areas coloured by severity (the most severe drawn last,
    on top); popups with the rule, the area and the latest message."""
    located = active[active["geometry"].notna()]
    parts = []
    if len(located):
        rank = {s: n for n, s in enumerate(reversed(list(SEVERITY_COLOURS)))}
        located = located.assign(_rank=located["severity"].map(rank)).sort_values("_rank")
        shapes = gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_wkt(located["geometry"].tolist()),
                                  crs="EPSG:4326")
        props = {"area": located["area"], "severity": located["severity"],
                 "rule": located["rule_id"], "message": located["kind"],
                 "sent": located["sent"].dt.strftime("%Y-%m-%d %H:%M UTC"),
                 "colour": located["severity"].map(SEVERITY_COLOURS)}
        parts.append(_features(shapes, props, pane=ALERTS,
                               style={"radius": 9, "weight": 2, "fillOpacity": 0.3},
                               style_from={"color": "colour", "fillColor": "colour"},
                               popup={"area": N_("Area"), "severity": N_("Severity"),
                                      "rule": N_("Rule"), "message": N_("Latest message"),
                                      "sent": N_("Sent")}))
    return Layer("warnings", _("Warnings"), parts,
                 legend(_("Warning severity"), [(c, s) for s, c in SEVERITY_COLOURS.items()]))
