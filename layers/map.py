"""The layered map of a situation summary."""

from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from model.situation import Summary

from . import builders
from .assets import localize
from .html import DISCLAIMER, MapBox, esc, sources_box

LAYERS = ("boundaries", "flood", "cyclone", "alerts", "incidents", "hotspots", "displacement")
REGION_BOUNDS = (60.5, -0.7, 97.4, 38.5)  # west, south, east, north: the eight member states
PLAIN_BACKGROUND = "#dfe7ee"  # water-like grey-blue when no basemap tiles are used


@dataclass(frozen=True)
class MapOptions:
    """What to draw. ``asset_base_url``: where Leaflet and plugins are served
    (our app's static folder); ``basemap_url``: a tile URL template, or None for
    a plain background (closed networks)."""

    layers: frozenset[str] = frozenset(LAYERS)
    incident_mode: str = "auto"  # auto, markers, clusters, heatmap
    wind_time: pd.Timestamp | None = None  # None: maximum over the storm
    asset_base_url: str = "/app/static/vendor"
    basemap_url: str | None = None
    basemap_attribution: str = ""
    height: int = 620
    drawing: tuple[tuple[float, float], ...] | None = None  # corners (lon, lat) being drawn


def _base_map(bounds, options: MapOptions) -> folium.Map:
    """An empty map centred on ``bounds`` (west, south, east, north): the plain
    background, and the basemap when the options name one."""
    west, south, east, north = bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=5,
                   tiles=None, control_scale=True, prefer_canvas=True)
    m.get_root().header.add_child(folium.Element(  # type: ignore[attr-defined]
        f"<style>.leaflet-container {{ background: {PLAIN_BACKGROUND}; }}</style>"))
    if options.basemap_url:
        folium.TileLayer(options.basemap_url, attr=esc(options.basemap_attribution),
                         name="Basemap", overlay=False).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


def build_map(summary: Summary, options: MapOptions = MapOptions()) -> folium.Map:
    """A folium map of ``summary`` with a legend per layer, a sources box with
    each source's last update and DEMO flag, and the boundary disclaimer."""
    m = _base_map(summary.region_bounds, options)
    wanted = options.layers & set(summary.filters.hazards | {"boundaries", "hotspots"})
    legends = []

    def add(layer: builders.Layer) -> None:
        layer.group.add_to(m)
        if layer.legend:
            legends.append(layer.legend)

    if "boundaries" in wanted:
        add(builders.boundaries_layer(summary.countries, summary.borders, summary.area_shapes))
    if "displacement" in wanted:
        figures = summary.areas.dropna(subset=["iso3"]).set_index("iso3")["displaced"]
        shapes = summary.area_shapes
        add(builders.displacement_layer(shapes, figures.reindex(shapes["iso3"]).set_axis(
            shapes.index)))
    if "flood" in wanted and summary.flood is not None:
        add(builders.flood_layer(summary.flood))
    if "cyclone" in wanted and len(summary.cyclones):
        add(builders.cyclone_layer(summary.tracks, summary.swaths, summary.wind,
                                   options.wind_time))
    if "hotspots" in wanted and "incidents" in summary.filters.hazards:
        add(builders.hotspots_layer(summary.hotspot_cells))
    if "incidents" in wanted:
        add(builders.incidents_layer(summary.incidents, options.incident_mode))
    if "alerts" in wanted:
        add(builders.alerts_layer(summary.alerts))

    if options.drawing is not None:
        add(builders.drawing_layer(options.drawing))
    folium.LayerControl(collapsed=False).add_to(m)
    if legends:
        MapBox("<details open><summary>Legend</summary>" + "".join(legends) + "</details>",
               "bottomright", "samon-legends").add_to(m)
    MapBox(sources_box(summary.sources.to_dict("records")), "bottomleft",
           "samon-sources").add_to(m)
    banner = ('<span class="samon-demo">DEMO DATA</span> — ' if summary.demo else "")
    MapBox(f"{banner}{esc(summary.region_label)}, {summary.period.label}"
           f"<br><small>{esc(DISCLAIMER)}</small>", "topleft",
           "samon-disclaimer").add_to(m)
    return localize(m, options.asset_base_url)


def warnings_map(active: pd.DataFrame, options: MapOptions = MapOptions(), *,
                 demo: bool = False) -> folium.Map:
    """The areas of the active warnings (rows of ``early_warning`` messages),
    framed on them (on the region when there are none), with the severity legend."""
    shapes = gpd.GeoSeries.from_wkt(active["geometry"].dropna().tolist())
    m = _base_map(tuple(shapes.total_bounds) if len(shapes) else REGION_BOUNDS, options)
    layer = builders.warnings_layer(active)
    layer.group.add_to(m)
    MapBox(str(layer.legend), "bottomright", "samon-legends").add_to(m)
    banner = '<span class="samon-demo">DEMO DATA</span> — ' if demo else ""
    MapBox(f"{banner}{len(active)} active warning(s)<br><small>{esc(DISCLAIMER)}</small>",
           "topleft", "samon-disclaimer").add_to(m)
    return localize(m, options.asset_base_url)
