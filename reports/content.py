"""What a situation report says: built from the situation summary (geo/) plus
the fields a coordinator fills in. Every format (PDF, DOCX, HTML) renders this
one object, so the figures agree across formats and with the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd

from geo.exposure import OUTSIDE
from layers.html import DISCLAIMER
from model.access import TLP_LEVELS
from model.needs import NEEDS_COLUMNS, needs_note, no_needs_text
from model.situation import KEY_FIGURES, Summary

TLP_MEANING = {
    "TLP:CLEAR": "Disclosure is not limited.",
    "TLP:GREEN": "Limited disclosure: recipients may share within their community.",
    "TLP:AMBER": "Limited disclosure: recipients may share only within their organisation and "
                 "its clients on a need-to-know basis.",
    "TLP:AMBER+STRICT": "Limited disclosure: recipients may share only within their "
                        "organisation.",
    "TLP:RED": "For the eyes and ears of individual recipients only; no further disclosure.",
}
# OCHA situation report sections a coordinator writes.
SECTIONS = ("Needs and response", "Coordination")
SECTORS = ("Shelter", "Food security", "Health", "WASH", "Protection", "Logistics")
TIMEZONES = {"AFG": "Asia/Kabul", "BGD": "Asia/Dhaka", "BTN": "Asia/Thimphu",
             "IND": "Asia/Kolkata", "MDV": "Indian/Maldives", "NPL": "Asia/Kathmandu",
             "PAK": "Asia/Karachi", "LKA": "Asia/Colombo"}


class ReportError(ValueError):
    """Report fields that cannot be used (unknown TLP level ...)."""


@dataclass
class ReportFields:
    """What the issuing agency fills in (all optional but the TLP marking)."""

    title: str = "Situation report"
    agency: str = ""
    contact: str = ""
    tlp: str = "TLP:AMBER"
    timezone: str | None = None  # local time zone for "as of"; default from the region
    number: int | None = None  # the sitrep's number in its series
    next_update: pd.Timestamp | None = None  # when the next one is due (UTC)
    # Assessed figures the agency reports (not computed here), with their source.
    affected: int | None = None
    in_need: int | None = None
    assessed_by: str = ""
    highlights: list[str] | None = None  # None: generated from the figures
    sections: dict[str, str] = field(default_factory=dict)  # section/sector -> text

    def __post_init__(self):
        if self.tlp not in TLP_LEVELS:
            raise ReportError(f"unknown TLP marking '{self.tlp}'; use one of "
                              f"{', '.join(TLP_LEVELS)}")


def cell_text(value) -> str:
    """A table cell as text, the same in every format."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 and value != int(value) else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def default_highlights(summary: Summary) -> list[str]:
    """Sentences generated from the figures; editable before export."""
    k = summary.key_figures
    out = []
    if k["people_exposed_flood"]:
        out.append(f"{_fmt(k['people_exposed_flood'])} people live where flood water is at least "
                   f"{summary.filters.flood_threshold_m:g} m deep.")
    if k["people_exposed_cyclone"]:
        out.append(f"{_fmt(k['people_exposed_cyclone'])} people were exposed to cyclone winds of "
                   f"{summary.filters.wind_threshold_kt:g} kt or more.")
    for storm in summary.cyclones.itertuples():
        if pd.notna(storm.landfall_time):
            out.append(f"Cyclone {storm.name} made landfall in {storm.landfall_country} on "
                       f"{storm.landfall_time:%d %B %Y at %H:%M} UTC with winds near "
                       f"{storm.landfall_wind_kt:.0f} kt.")
    if k["displaced"]:
        out.append(f"{_fmt(k['displaced'])} people are displaced.")
    if k["incidents"]:
        top = summary.top_hotspots.head(1)
        near = (f" near {top['place'].iloc[0]} ({top['place_km'].iloc[0]:.0f} km)"
                if len(top) and pd.notna(top["place"].iloc[0]) else "")
        where = (f"; the most significant hotspot lies{near} {top['border_km'].iloc[0]:.0f} km "
                 f"from the {top['border_pair'].iloc[0]} border" if len(top) else "")
        out.append(f"{_fmt(k['incidents'])} border incidents were recorded{where}.")
    if k["active_alerts"]:
        red = int((summary.alerts["alert_level"].astype(str) == "red").sum())
        out.append(f"{_fmt(k['active_alerts'])} alerts are active, {red} of them red.")
    return out or ["No hazard exposure, displacement, incidents or alerts in this selection."]


@dataclass
class ReportContent:
    fields: ReportFields
    summary: Summary
    as_of_utc: pd.Timestamp
    as_of_local: pd.Timestamp
    highlights: list[str]
    issue_line: str  # "No. 7 · next update 2026-10-01 06:00 UTC", or ""
    key_figures: pd.DataFrame  # Figure, Value, Source, As of
    needs: pd.DataFrame  # display-ready minimum needs of the displaced per area
    areas: pd.DataFrame  # display-ready per-country table
    admin_areas: pd.DataFrame | None  # display-ready per-admin-area table, when loaded
    hotspots: pd.DataFrame
    alerts: pd.DataFrame
    cyclones: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str]

    @property
    def marking_line(self) -> str:
        """The TLP and its meaning, and the distributions of what the report
        holds: the same line in every format."""
        line = f"{self.fields.tlp}: {TLP_MEANING[self.fields.tlp]}"
        if self.summary.audience:
            line += (" Holds data shared only with: " + "; ".join(self.summary.audience)
                     + ": send it no further.")
        return line

    @property
    def needs_empty(self) -> str:
        return no_needs_text(self.summary.layer_on("displacement"))

    @property
    def needs_note(self) -> str:
        return needs_note(self.summary.needs["standard"])

    @property
    def empty(self) -> bool:
        k = self.summary.key_figures
        return not any(k[n] for n in KEY_FIGURES)


def _display(table: pd.DataFrame, outside: str) -> pd.DataFrame:
    table = table.copy()
    table["area"] = table["area"].replace(OUTSIDE, outside)
    return table.rename(columns={
        "area": "Area", "flood_km2": "Flooded km²", "people_exposed_flood": "Exposed (flood)",
        "cyclone_km2": "Cyclone km²", "people_exposed_cyclone": "Exposed (cyclone)",
        "incidents": "Incidents", "displaced": "Displaced"})


def build_content(summary: Summary, fields: ReportFields) -> ReportContent:
    if TLP_LEVELS.index(fields.tlp) < TLP_LEVELS.index(summary.tlp):
        raise ReportError(f"the data is marked {summary.tlp}: a report made from it cannot be "
                          f"marked {fields.tlp}")
    region_iso = pd.Series(summary.region.iso3, dtype="string")
    tz = fields.timezone or TIMEZONES.get(region_iso.iloc[0] if len(region_iso) else "", "UTC")
    as_of = summary.as_of
    areas = _display(summary.areas.drop(columns=["iso3"]), "Outside every country polygon")
    admin = (None if summary.admin_areas is None else
             _display(summary.admin_areas.drop(columns=["code"]), "Outside every admin area"))
    hotspots = summary.top_hotspots.reindex(columns=[
        "place", "place_km", "area", "h3", "count", "gi_class", "previous", "recent", "change",
        "border_pair", "border_km"])
    hotspots = hotspots.rename(columns={
        "place": "Near", "place_km": "Km to place", "area": "Area",
        "h3": "H3 cell", "count": "Incidents", "gi_class": "Class", "previous": "Previous",
        "recent": "Recent", "change": "Change", "border_pair": "Border",
        "border_km": "Km to border"})
    alerts = pd.DataFrame({
        "Level": summary.alerts["alert_level"].astype(str),
        "Hazard": summary.alerts["hazard"].astype(str),
        "Headline": summary.alerts["headline"], "Source": summary.alerts["source"],
        "Since": summary.alerts["start"].dt.strftime("%Y-%m-%d")})
    cyclones = pd.DataFrame({
        "Storm": summary.cyclones["name"], "Peak wind (kt)": summary.cyclones["max_wind_kt"],
        "Lowest pressure (hPa)": summary.cyclones["min_pressure_hpa"],
        "Landfall (UTC)": pd.to_datetime(summary.cyclones["landfall_time"]).dt.strftime(
            "%Y-%m-%d %H:%M"),
        "Landfall country": summary.cyclones["landfall_country"]})
    sources = summary.sources.assign(
        updated=[f"{pd.Timestamp(u):%Y-%m-%d %H:%M} UTC" if u is not None and pd.notna(u)
                 else "reference data" for u in summary.sources["updated"]],
        demo=summary.sources["demo"].map({True: "DEMO", False: ""}),
    )[["layer", "source", "updated", "records", "demo"]]
    figures = []
    for name, label in KEY_FIGURES.items():
        source, updated = summary.figure_sources(name)
        figures.append((label, summary.figure_text(name), source, updated))
    for label, value in (("People affected (assessed)", fields.affected),
                         ("People in need (assessed)", fields.in_need)):
        figures.append((label, f"{value:,}" if value is not None else "not reported",
                        fields.assessed_by or "—", "as reported"))
    issue = [f"No. {fields.number}" if fields.number is not None else "",
             f"next update {pd.Timestamp(fields.next_update):%Y-%m-%d %H:%M} UTC"
             if fields.next_update is not None else ""]
    needs = summary.needs.drop(columns=["iso3"]).rename(
        columns={"area": "Area", "displaced": "Displaced", **NEEDS_COLUMNS,
                 "standard": "Standard"})
    needs["Area"] = needs["Area"].replace(OUTSIDE, "Outside every country polygon")
    return ReportContent(
        fields=fields, summary=summary, as_of_utc=as_of,
        issue_line=" · ".join(x for x in issue if x),
        key_figures=pd.DataFrame(figures, columns=["Figure", "Value", "Source", "As of"]),
        needs=needs,
        as_of_local=as_of.tz_convert(ZoneInfo(tz)),
        highlights=list(fields.highlights) if fields.highlights is not None
        else default_highlights(summary),
        areas=areas, admin_areas=admin, hotspots=hotspots, alerts=alerts, cyclones=cyclones,
        sources=sources,
        notes=[*summary.notes, "Figures are computed once by the situation service for the "
               "dashboard and every export.", DISCLAIMER],
    )
