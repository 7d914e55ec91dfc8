"""A static map of the filtered view for printed reports: matplotlib, no
browser and no internet. Legend, scale bar, north arrow and the disclaimer."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: reports are made on servers

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from rasterio.enums import Resampling  # noqa: E402

from layers.builders import (  # noqa: E402
    CATEGORY_COLOURS,
    FLOOD_BINS,
    GI_COLOURS,
    LEVEL_COLOURS,
    RIVER_COLOUR,
)
from layers.html import DISCLAIMER  # noqa: E402
from model.situation import Summary  # noqa: E402

KM_PER_DEG = 111.32


def _raster(ax, da, bins, colours, alpha):
    small = da.rio.reproject("EPSG:4326", shape=(400, 400), resampling=Resampling.max,
                             nodata=np.nan)
    values = np.ma.masked_where(~(small.values >= bins[0]), small.values)
    west, south, east, north = small.rio.bounds()
    ax.imshow(values, extent=(west, east, south, north), origin="upper", alpha=alpha,
              cmap=ListedColormap(colours), norm=BoundaryNorm([*bins, np.inf], len(colours)),
              zorder=2, interpolation="nearest")


def _scale_bar(ax, west, south, east, north):
    lat = south + (north - south) * 0.06
    km_per_deg = KM_PER_DEG * np.cos(np.radians(lat))
    target = (east - west) * km_per_deg / 5
    length = next(v for v in (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1) if v <= target)
    x0 = west + (east - west) * 0.05
    ax.plot([x0, x0 + length / km_per_deg], [lat, lat], color="black", lw=3, zorder=6)
    ax.text(x0 + length / km_per_deg / 2, lat + (north - south) * 0.015, f"{length} km",
            ha="center", va="bottom", fontsize=7, zorder=6)


def _north_arrow(ax):
    ax.annotate("N", xy=(0.95, 0.93), xytext=(0.95, 0.83), xycoords="axes fraction",
                ha="center", va="center", fontsize=10, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5}, zorder=7)


def render_png(summary: Summary, width_in: float = 7.0,
               dpi: int = 150) -> bytes:
    """The map of ``summary`` as PNG bytes."""
    west, south, east, north = summary.region_bounds
    pad_x, pad_y = (east - west) * 0.05 + 0.2, (north - south) * 0.05 + 0.2
    west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
    aspect = (north - south) / ((east - west) * np.cos(np.radians((north + south) / 2)))
    fig, ax = plt.subplots(figsize=(width_in, max(3.0, min(9.0, width_in * aspect))), dpi=dpi)
    ax.set_facecolor("#dfe7ee")
    summary.countries.plot(ax=ax, color="#f2efe9", edgecolor="#777", lw=0.4, zorder=1)
    handles: list[Line2D | Patch] = [
        Line2D([], [], color="#222", lw=1.2, label="International border")]
    if summary.rivers is not None and len(summary.rivers):
        summary.rivers.plot(ax=ax, color=RIVER_COLOUR, lw=0.7, zorder=1.2)
        handles.append(Line2D([], [], color=RIVER_COLOUR, lw=0.7, label="River"))
    if "disputed" in summary.countries and summary.countries["disputed"].fillna(False).any():
        claimed = summary.countries[summary.countries["disputed"].fillna(False).astype(bool)]
        claimed.plot(ax=ax, facecolor="#f2efe9", edgecolor="#8c6d46", hatch="///", lw=0.4,
                     zorder=1.5)
        handles.append(Patch(facecolor="#f2efe9", edgecolor="#8c6d46", hatch="///",
                             label="Disputed area, as the data marks it"))
    hazards = summary.filters.hazards
    if summary.flood is not None:
        bins, colours = FLOOD_BINS
        _raster(ax, summary.flood, bins, colours, 0.85)
        handles.append(Patch(color=colours[2], label="Flood depth ≥ 0.05 m (darker: deeper)"))
    if "cyclone" in hazards and len(summary.swaths):
        for swath, colour in zip(summary.swaths.sort_values("threshold_kt").itertuples(),
                                 ("#fed976", "#fd8d3c", "#e31a1c"), strict=False):
            ax.plot(*swath.geometry.exterior.xy, color=colour, lw=1, zorder=3) \
                if swath.geometry.geom_type == "Polygon" else None
            handles.append(Line2D([], [], color=colour, lw=1,
                                  label=f"{swath.threshold_kt} kt wind swath"))
        tracks = summary.tracks
        ax.plot(tracks.geometry.x, tracks.geometry.y, "k.-", ms=2, lw=1, zorder=4)
        handles.append(Line2D([], [], color="black", marker=".", lw=1, label="Cyclone track"))
    disputed = (summary.borders["disputed"].fillna(False).astype(bool)
                if "disputed" in summary.borders else np.zeros(len(summary.borders), bool))
    summary.borders[~disputed].plot(ax=ax, color="#222", lw=0.9, zorder=3)
    if disputed.any():
        summary.borders[disputed].plot(ax=ax, color="#222", lw=0.9, linestyle="--", zorder=3)
        handles.append(Line2D([], [], color="#222", lw=0.9, linestyle="--",
                              label="Disputed border, as the data marks it"))
    hot = summary.hotspot_cells
    hot = hot[hot["gi_class"].astype(str).str.startswith("hot")] if len(hot) else hot
    if len(hot):
        # Colours as lists: a Series would be looked up by label, and the rows'
        # labels need not start at 0 (a KeyError on the first label otherwise).
        hot.plot(ax=ax, color=hot["gi_class"].astype(str).map(GI_COLOURS).tolist(),
                 edgecolor="#555",
                 lw=0.2, zorder=4)
        handles.append(Patch(color=GI_COLOURS["hot 99%"], label="Incident hotspot (Gi*)"))
    if len(summary.incidents):
        cats = summary.incidents["category"].astype(str)
        summary.incidents.plot(ax=ax, color=cats.map(CATEGORY_COLOURS).tolist(), markersize=3,
                               zorder=5)
        handles.append(Line2D([], [], color="#d62728", marker="o", lw=0, ms=3,
                              label="Incident (colour: category)"))
    if len(summary.alerts):
        located = summary.alerts[summary.alerts.geometry.notna()]
        located.plot(ax=ax, facecolor="none", markersize=60, lw=1.5, zorder=6,
                     edgecolor=located["alert_level"].astype(str).map(LEVEL_COLOURS).tolist())
        handles.append(Line2D([], [], color=LEVEL_COLOURS["red"], marker="o", lw=0, ms=7,
                              fillstyle="none", label="Alert (colour: level)"))
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / np.cos(np.radians((north + south) / 2)))
    ax.tick_params(labelsize=6)
    _scale_bar(ax, west, south, east, north)
    _north_arrow(ax)
    ax.legend(handles=handles, loc="lower right", fontsize=6, framealpha=0.9)
    if summary.demo:
        ax.text(0.5, 0.5, "DEMO", transform=ax.transAxes, fontsize=60, color="#b00020",
                alpha=0.12, ha="center", va="center", rotation=25, zorder=8)
    # English: matplotlib does not shape Arabic or Indic scripts (the report's
    # notes carry the disclaimer in the report's language).
    fig.text(0.01, 0.005, DISCLAIMER, fontsize=5.5, color="#444")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()
