"""The layered map of a situation summary, as a *spec*: the frame (bounds,
banner, sources, basemap) and the layers in drawing order, which one renderer
(``layers/static/samon-map.js``) draws in the dashboard's map component and
in the exported HTML page (``layers.page``)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Set
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo import fingerprint
from geo.kept import Kept, KeptFor
from model.i18n import _, current, direction, language, ngettext
from model.situation import Summary

from . import builders
from .html import DISCLAIMER, esc, sources_box

LAYERS = ("boundaries", "flood", "cyclone", "alerts", "incidents", "hotspots", "displacement")
REGION_BOUNDS = (60.5, -0.7, 97.4, 38.5)  # west, south, east, north: the eight member states


@dataclass(frozen=True)
class MapOptions:
    """What to draw. ``asset_base_url``: where Leaflet and our renderer are
    served (the app's static folder); ``basemap_url``: a tile URL template, or
    None for a plain background (closed networks)."""

    layers: frozenset[str] = frozenset(LAYERS)
    incident_mode: str = "auto"  # auto, markers, clusters, heatmap
    asset_base_url: str = "/app/static/vendor"
    basemap_url: str | None = None
    basemap_attribution: str = ""
    height: int = 620
    drawing: tuple[tuple[float, float], ...] | None = None  # corners (lon, lat) being drawn
    focus: tuple[float, float, float, float] | None = None  # west, south, east, north to show
    language: str = "en"  # of names, legends and notes (model.i18n)
    digits: str = "locale"


@dataclass(frozen=True)
class MapSpec:
    """What the renderer draws: ``frame`` (bounds, boxes, basemap) and ``layers``
    in drawing order. Layers and their parts carry hashes of their content: an
    unchanged layer is not redrawn, and a part the map frame holds is not sent
    again."""

    frame: dict
    layers: list[builders.Layer]

    @functools.cached_property
    def _part_hashes(self) -> frozenset[str]:
        return frozenset(d for layer in self.layers for d in layer.part_digests)

    def part_hashes(self) -> frozenset[str]:
        """The hashes of every part drawn: what a frame holds once it drew this."""
        return self._part_hashes

    def to_json(self) -> dict:
        """The whole spec, every part included (an exported map): as the map
        component sends it to a frame holding nothing."""
        items, parts = component_args(self, frozenset())
        return {"frame": self.frame, "layers": items, "parts": json.loads(parts)}


def layer_hash(layer: builders.Layer) -> str:
    return layer.digest


def component_args(spec: MapSpec, held: Set[str]) -> tuple[list[dict], bytes]:
    """What a map frame holding the parts ``held`` (their hashes) is sent to draw
    ``spec``: each layer's entry in drawing order ``{id, name, hash, legend,
    parts}`` (``parts``: its parts' hashes, in drawing order), and the parts new
    to the frame as one JSON object {hash: part} in bytes. A part's JSON is made
    once, so sessions sent the same part share it."""
    items, texts, sent = [], [], set(held)
    for layer in spec.layers:
        items.append({"id": layer.id, "name": layer.name, "hash": layer.digest,
                      "legend": layer.legend, "parts": list(layer.part_digests)})
        for digest, text in zip(layer.part_digests, layer.part_jsons, strict=True):
            if digest not in sent:
                sent.add(digest)
                texts.append(b'"' + digest.encode() + b'":' + text)
    return items, b"{" + b",".join(texts) + b"}"


def _frame(bounds, banner: str, sources: str, options: MapOptions) -> dict:
    return {"bounds": [float(b) for b in bounds], "banner": banner, "sources": sources,
            "lang": current().code, "dir": direction(), "legend_title": _("Legend"),
            "focus": [float(b) for b in options.focus] if options.focus else None,
            "basemap_url": options.basemap_url,
            "basemap_attribution": esc(options.basemap_attribution)}


# Specs already built, per summary (the service hands the same Summary object to
# every session with the same filters and viewer) and options; they go with it.
_SPECS: KeptFor[MapSpec] = KeptFor(64)


def situation_map(summary: Summary, options: MapOptions = MapOptions()) -> MapSpec:
    """The map of ``summary``: a legend per layer, a sources box with each
    source's last update and DEMO flag, and the boundary disclaimer. Built
    once per summary and options; sessions looking at the same summary share
    it (those asking at once wait for the one building it)."""
    def make() -> MapSpec:
        with language(options.language, digits=options.digits):
            spec = _situation_map(summary, options)
        spec.part_hashes()  # computed once, here
        return spec

    return _SPECS.get_or(summary, options, make)


def _situation_map(summary: Summary, options: MapOptions) -> MapSpec:
    wanted = options.layers & set(summary.filters.hazards | {"boundaries", "hotspots"})
    layers = []
    if "boundaries" in wanted:
        layers.append(_boundaries_layer(summary, options))
        layers.append(builders.covered_layer(summary.area_shapes))
    if "displacement" in wanted:
        figures = summary.areas.dropna(subset=["iso3"]).set_index("iso3")["displaced"]
        shapes = summary.area_shapes
        layers.append(builders.displacement_layer(
            shapes, figures.reindex(shapes["iso3"]).set_axis(shapes.index)))
    if "flood" in wanted and summary.flood is not None:
        layers.append(builders.flood_layer(summary.flood))
    if "cyclone" in wanted and len(summary.cyclones):
        layers.append(_kept_layer(
            ("cyclone", _rows(summary.tracks, builders.TRACK_COLUMNS),
             _rows(summary.swaths, builders.SWATH_COLUMNS),
             _rows(summary.storm_step, builders.STEP_COLUMNS),
             None if summary.wind is None else fingerprint.of_raster(summary.wind),
             str(summary.filters.wind_time)),
            options, lambda: builders.cyclone_layer(summary.tracks, summary.swaths, summary.wind,
                                                    summary.storm_step,
                                                    summary.filters.wind_time)))
    if "incidents" in wanted:
        layers.append(builders.incidents_layer(summary.incidents, options.incident_mode))
    if "hotspots" in wanted and "incidents" in summary.filters.hazards:
        layers.append(builders.hotspots_layer(summary.hotspot_cells))
    if "alerts" in wanted:
        layers.append(_kept_layer(("alerts", _rows(summary.alerts, builders.ALERT_COLUMNS)),
                                  options,
                                  lambda: builders.alerts_layer(summary.alerts)))
    if "boundaries" in wanted:
        layers.append(_kept_layer(
            ("labels", fingerprint.of_table(summary.countries, ["name"]),
             fingerprint.of_table(summary.places, list(summary.places.columns.drop("geometry")))),
            options, lambda: builders.labels_layer(summary.countries, summary.places)))
    if options.drawing is not None:
        layers.append(builders.drawing_layer(options.drawing))
    banner = _demo_mark() if summary.demo else ""
    banner += (f"{esc(summary.region_label)}, {esc(summary.period.text())}"
               f"<br><small>{esc(_(DISCLAIMER))}</small>")
    return MapSpec(_frame(summary.region_bounds, banner,
                          sources_box(summary.sources.to_dict("records")), options), layers)


# Also for the next process: the outlines and names of a dashboard's first map.
_KEPT_LAYERS: Kept[builders.Layer] = Kept(32, stored_as="map-layers")


def _kept_layer(inputs: tuple, options: MapOptions,
                build: Callable[[], builders.Layer]) -> builders.Layer:
    """A layer kept by what it is drawn from (``inputs``: its name and the
    fingerprints of its data) and the language it is written in: the outlines,
    borders, provinces and names are the same whatever region is chosen, and
    the alerts and storms of a region often those of the one before, so a
    filter change does not rebuild them."""
    return _KEPT_LAYERS.get_or((*inputs, options.language, options.digits), build)


def _rows(frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> str:
    """A fingerprint of what a layer reads of ``frame``: its shapes and ``columns``."""
    return fingerprint.of_frame(frame, [c for c in columns if c in frame.columns])


def _boundaries_layer(summary: Summary, options: MapOptions) -> builders.Layer:
    admin = summary.admin_outlines
    inputs = ("boundaries", fingerprint.of_table(summary.countries, ["iso3", "name"]),
              fingerprint.of_table(summary.borders, ["pair"]),
              None if admin is None else fingerprint.of_table(admin, ["code", "name"]),
              None if summary.rivers is None else fingerprint.of_table(summary.rivers, []),
              summary.view_text)
    return _kept_layer(inputs, options, lambda: builders.boundaries_layer(
        summary.countries, summary.borders, summary.view_text, admin, summary.rivers))


def _demo_mark() -> str:
    mark = _("DEMO DATA")  # outside the f-string: pybabel does not extract from one
    return f'<span class="samon-demo">{esc(mark)}</span> — '


def warnings_spec(active: pd.DataFrame, options: MapOptions = MapOptions(), *,
                  demo: bool = False) -> MapSpec:
    """The areas of the active warnings (rows of ``early_warning`` messages),
    framed on them (on the region when there are none), with the severity legend."""
    shapes = gpd.GeoSeries.from_wkt(active["geometry"].dropna().tolist())
    bounds = tuple(shapes.total_bounds) if len(shapes) else REGION_BOUNDS
    banner = _demo_mark() if demo else ""
    banner += (esc(ngettext("{n} active warning", "{n} active warnings", len(active)))
               + f"<br><small>{esc(_(DISCLAIMER))}</small>")
    return MapSpec(_frame(bounds, banner, "", options), [builders.warnings_layer(active)])
