"""The data bundle: every filtered layer as GeoPackage, HXL-tagged CSV and
GeoJSON, plus the active alerts as CAP 1.2 XML. Every record comes from the
summary (nothing is re-derived here) and carries the marking (as-of time,
source, DEMO, TLP: see ``marking``)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from model.situation import Summary

from .cap_export import alerts_to_cap
from .csv_export import safe_csv
from .files import safe_filename
from .marking import MARK_TAGS, mark

# column -> HXL tag; #x_ hashtags are HXL extensions for what the core lacks.
INCIDENT_TAGS = {
    "id": "#event+id", "time": "#date+occurred", "category": "#event+type",
    "country": "#country+code", "admin1": "#adm1+name", "area_name": "#country+name",
    "latitude": "#geo+lat", "longitude": "#geo+lon", "fatalities": "#affected+killed",
    "severity": "#severity", "border_pair": "#x_border+name", "border_km": "#x_border+km",
    "notes": "#description", **MARK_TAGS,
}
AREA_TAGS = {
    "area": "#country+name", "iso3": "#country+code", "flood_km2": "#x_hazard+flood+km2",
    "people_exposed_flood": "#affected+exposed+flood", "cyclone_km2": "#x_hazard+cyclone+km2",
    "people_exposed_cyclone": "#affected+exposed+cyclone", "incidents": "#x_incidents+num",
    "displaced": "#affected+displaced", **MARK_TAGS,
}
DISPLACEMENT_FIGURE_TAGS = {"IDP stock": "#affected+idps", "new displacements":
                            "#affected+displaced", "refugees": "#affected+refugees",
                            "returns": "#affected+returnees"}
ALERT_TAGS = {"id": "#event+id", "hazard": "#event+type", "alert_level": "#severity+level",
              "start": "#date+start", "end": "#date+end", "countries": "#country+code",
              "headline": "#description+headline", "link": "#meta+url",
              "language": "#meta+lang", **MARK_TAGS}


def hxl_csv(frame: pd.DataFrame, tags: dict[str, str]) -> bytes:
    """A CSV with the HXL tag row under the header; cells neutralised for spreadsheets."""
    table = frame[[c for c in tags if c in frame]].copy()
    for col in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[col]):
            table[col] = table[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    tag_row = pd.DataFrame([[tags[c] for c in table.columns]], columns=table.columns)
    return safe_csv(pd.concat([tag_row, table.astype(object)], ignore_index=True))


def with_lonlat(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    located = frame.geometry.notna() & ~frame.geometry.is_empty
    out["latitude"] = frame.geometry.y.where(located).round(6)
    out["longitude"] = frame.geometry.x.where(located).round(6)
    return out


def _plain(frame: gpd.GeoDataFrame, keep_times: bool = False) -> gpd.GeoDataFrame:
    """Categories as text, and times as ISO text unless the format has a time type."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(str)
        elif pd.api.types.is_datetime64_any_dtype(out[col]) and not keep_times:
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


BUNDLE_FORMATS = ("gpkg", "csv", "geojson", "cap")


def write_bundle(summary: Summary, out: Path, *, sender: str = "",
                 tlp: str = "TLP:AMBER", name: str = "sitrep",
                 formats=BUNDLE_FORMATS) -> list[Path]:
    """Write the bundle (the chosen ``formats``) into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_filename(name)
    written: list[Path] = []

    def put(file: str, data: bytes) -> None:
        path = out / safe_filename(file)
        path.write_bytes(data)
        written.append(path)

    # Marked once, written in every format.
    marked = {name: mark(frame, summary, tlp) for name, frame in {
        "incidents": summary.incidents, "alerts": summary.alerts,
        "hotspots": summary.hotspot_cells, "wind_swaths": summary.swaths,
        "areas": summary.areas, "displacement": summary.displacement_records,
    }.items()}
    if "gpkg" in formats:
        gpkg = out / f"{stem}.gpkg"
        gpkg.unlink(missing_ok=True)
        areas = summary.area_shapes[["iso3", "geometry"]].merge(
            marked["areas"].dropna(subset=["iso3"]), on="iso3")
        disp = marked["displacement"]
        layers = {**marked, "areas": gpd.GeoDataFrame(areas, geometry="geometry",
                                                      crs="EPSG:4326"),
                  "displacement": disp[disp.geometry.notna()]}
        for layer, frame in layers.items():
            if len(frame):
                _plain(frame, keep_times=True).to_file(gpkg, layer=layer, driver="GPKG")
        if gpkg.exists():
            written.append(gpkg)
    if "csv" in formats:
        _write_csvs(marked, stem, put)
    if "geojson" in formats:
        for layer in ("incidents", "alerts"):
            put(f"{stem}_{layer}.geojson", _plain(marked[layer]).to_json(
                drop_id=True, ensure_ascii=False).encode("utf-8"))
    if "cap" in formats:
        for file, xml in alerts_to_cap(summary, sender or "sitrep@localhost", tlp).items():
            put(f"cap_{file}", xml)
    return written


def _write_csvs(marked: dict[str, pd.DataFrame], stem: str, put) -> None:
    """Every CSV, displacement with unlocated records too (they count in the totals)."""
    put(f"{stem}_incidents.csv", hxl_csv(with_lonlat(marked["incidents"]), INCIDENT_TAGS))
    put(f"{stem}_areas.csv", hxl_csv(marked["areas"], AREA_TAGS))
    put(f"{stem}_alerts.csv", hxl_csv(pd.DataFrame(marked["alerts"]), ALERT_TAGS))
    disp = marked["displacement"]
    located = with_lonlat(disp.assign(type=disp["type"].astype(str)))
    for kind, tag in DISPLACEMENT_FIGURE_TAGS.items():
        part = located[located["type"] == kind]
        if len(part):
            put(f"{stem}_displacement_{kind}.csv", hxl_csv(part, {
                "source_id": "#meta+id", "country": "#country+code", "area_name": "#loc+name",
                "area_code": "#adm2+code", "date": "#date+reported", "figure": tag,
                "cause": "#cause+type", "latitude": "#geo+lat", "longitude": "#geo+lon",
                **MARK_TAGS}))
