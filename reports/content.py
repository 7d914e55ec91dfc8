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
from model.i18n import N_, Said, _, direction, number, when
from model.i18n import current as current_language
from model.needs import NEEDS_COLUMNS, needs_note, no_needs_text
from model.situation import KEY_FIGURES, Summary

TLP_MEANING = {
    "TLP:CLEAR": N_("Disclosure is not limited."),
    "TLP:GREEN": N_("Limited disclosure: recipients may share within their community."),
    "TLP:AMBER": N_("Limited disclosure: recipients may share only within their organisation "
                    "and its clients on a need-to-know basis."),
    "TLP:AMBER+STRICT": N_("Limited disclosure: recipients may share only within their "
                           "organisation."),
    "TLP:RED": N_("For the eyes and ears of individual recipients only; no further "
                  "disclosure."),
}
# OCHA situation report sections a coordinator writes (keys of ReportFields.sections).
SECTIONS = (N_("Needs and response"), N_("Coordination"))
SECTORS = (N_("Shelter"), N_("Food security"), N_("Health"), N_("WASH"), N_("Protection"),
           N_("Logistics"))
# The report's own words (not data), one list for every format: headings, empty
# states, the DEMO warning. ``build_content`` puts them in the language in use.
WORDS = {
    "agency_missing": N_("Issuing agency not given"),
    "demo": N_("DEMO DATA: hazards, incidents, displacement and alerts in this report are "
               "synthetic and must not be used for decisions."),
    "demo_mark": N_("DEMO DATA"),
    "nothing": N_("Nothing to report for this selection"),
    "nothing_text": N_("The selected region and period contain no hazard exposure, "
                       "displacement, border incidents or active alerts."),
    "highlights": N_("Highlights"),
    "key_figures": N_("Key figures"),
    "overview": N_("Situation overview"),
    "no_areas": N_("No areas in this selection."),
    "by_admin": N_("By admin area"),
    "no_admin": N_("No admin areas in this selection."),
    "needs": N_("Minimum needs of the displaced"),
    "hotspots": N_("Border incident hotspots"),
    "no_hotspots": N_("No statistically significant hotspot in this selection."),
    "alerts": N_("Active alerts"),
    "no_alerts": N_("No active alerts in this selection."),
    "cyclones": N_("Cyclones"),
    "no_cyclones": N_("No cyclone in this selection."),
    "not_reported": N_("(not reported)"),
    "sources": N_("Sources and method"),
    "map": N_("Map"),
}
TIMEZONES = {"AFG": "Asia/Kabul", "BGD": "Asia/Dhaka", "BTN": "Asia/Thimphu",
             "IND": "Asia/Kolkata", "MDV": "Indian/Maldives", "NPL": "Asia/Kathmandu",
             "PAK": "Asia/Karachi", "LKA": "Asia/Colombo"}


class ReportError(Said, ValueError):
    """Report fields that cannot be used (unknown TLP level ...)."""


@dataclass
class ReportFields:
    """What the issuing agency fills in (all optional but the TLP marking)."""

    title: str = ""  # empty: "Situation report" in the report's language
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
            raise ReportError(N_("unknown TLP marking '{value}'; use one of {choices}"),
                              value=self.tlp, choices=", ".join(TLP_LEVELS))


def cell_text(value) -> str:
    """A table cell as text, the same in every format."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return number(value, decimals=1 if abs(value) < 100 and value != int(value) else 0)
    if isinstance(value, int):
        return number(value)
    return str(value)


def _fmt(value: float) -> str:
    return number(value, decimals=0)


def default_highlights(summary: Summary) -> list[str]:
    """Sentences generated from the figures; editable before export."""
    k = summary.key_figures
    out = []
    if k["people_exposed_flood"]:
        out.append(_("{people} people live where flood water is at least {depth} m deep.",
                     people=_fmt(k["people_exposed_flood"]),
                     depth=number(summary.filters.flood_threshold_m)))
    if k["people_exposed_cyclone"]:
        out.append(_("{people} people were exposed to cyclone winds of {wind} kt or more.",
                     people=_fmt(k["people_exposed_cyclone"]),
                     wind=number(summary.filters.wind_threshold_kt)))
    for storm in summary.cyclones.itertuples():
        if pd.notna(storm.landfall_time):
            out.append(_("Cyclone {name} made landfall in {country} on {time} with winds near "
                         "{wind} kt.", name=storm.name, country=storm.landfall_country,
                         time=when(storm.landfall_time),
                         wind=number(storm.landfall_wind_kt, decimals=0)))
    if k["displaced"]:
        out.append(_("{people} people are displaced.", people=_fmt(k["displaced"])))
    if k["incidents"]:
        top = summary.top_hotspots.head(1)
        if not len(top):
            out.append(_("{count} border incidents were recorded.",
                         count=_fmt(k["incidents"])))
        elif pd.notna(top["place"].iloc[0]):
            out.append(_("{count} border incidents were recorded; the most significant hotspot "
                         "lies near {place} ({place_km} km), {border_km} km from the {border} "
                         "border.", count=_fmt(k["incidents"]), place=top["place"].iloc[0],
                         place_km=_fmt(top["place_km"].iloc[0]),
                         border_km=_fmt(top["border_km"].iloc[0]),
                         border=top["border_pair"].iloc[0]))
        else:
            out.append(_("{count} border incidents were recorded; the most significant hotspot "
                         "lies {border_km} km from the {border} border.",
                         count=_fmt(k["incidents"]), border_km=_fmt(top["border_km"].iloc[0]),
                         border=top["border_pair"].iloc[0]))
    if k["active_alerts"]:
        red = int((summary.alerts["alert_level"].astype(str) == "red").sum())
        out.append(_("{count} alerts are active, {red} of them red.",
                     count=_fmt(k["active_alerts"]), red=number(red)))
    return out or [_("No hazard exposure, displacement, incidents or alerts in this selection.")]


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
    admin_left_out: str  # how many admin areas have no figure (not listed), or ""
    hotspots: pd.DataFrame
    alerts: pd.DataFrame
    cyclones: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str]
    words: dict[str, str]  # WORDS in the report's language
    title: str  # the agency's, else "Situation report" in the report's language
    as_of_line: str  # as of (UTC and local), period, region
    language: str  # its code (model.i18n)
    direction: str  # "ltr" or "rtl"

    def section_text(self, name: str) -> str:
        """What the agency wrote under a section or sector, or "(not reported)"."""
        return self.fields.sections.get(name, "").strip() or self.words["not_reported"]

    @property
    def marking_line(self) -> str:
        """The TLP and its meaning, and the distributions of what the report
        holds: the same line in every format."""
        line = f"{self.fields.tlp}: {_(TLP_MEANING[self.fields.tlp])}"
        if self.summary.audience:
            line += " " + _("Holds data shared only with: {audience}: send it no further.",
                            audience="; ".join(self.summary.audience))
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
        "area": _("Area"), "flood_km2": _("Flooded km²"),
        "people_exposed_flood": _("Exposed (flood)"), "cyclone_km2": _("Cyclone km²"),
        "people_exposed_cyclone": _("Exposed (cyclone)"), "incidents": _("Incidents"),
        "displaced": _("Displaced")})


def build_content(summary: Summary, fields: ReportFields) -> ReportContent:
    if TLP_LEVELS.index(fields.tlp) < TLP_LEVELS.index(summary.tlp):
        raise ReportError(N_("the data is marked {data}: a report made from it cannot be "
                             "marked {report}"), data=summary.tlp, report=fields.tlp)
    region_iso = pd.Series(summary.region.iso3, dtype="string")
    tz = fields.timezone or TIMEZONES.get(region_iso.iloc[0] if len(region_iso) else "", "UTC")
    as_of = summary.as_of
    outside = _("Outside every country polygon")
    areas = _display(summary.areas.drop(columns=["iso3"]), outside)
    admin, admin_without = summary.admin_areas_with_figures()
    if admin is not None:
        admin = _display(admin.drop(columns=["code"]), _("Outside every admin area"))
    hotspots = summary.top_hotspots.reindex(columns=[
        "place", "place_km", "area", "h3", "count", "gi_class", "previous", "recent", "change",
        "border_pair", "border_km"])
    hotspots["gi_class"] = hotspots["gi_class"].astype(str).map(_)
    hotspots = hotspots.rename(columns={
        "place": _("Near"), "place_km": _("Km to place"), "area": _("Area"),
        "h3": _("H3 cell"), "count": _("Incidents"), "gi_class": _("Class"),
        "previous": _("Previous"), "recent": _("Recent"), "change": _("Change"),
        "border_pair": _("Border"), "border_km": _("Km to border")})
    alerts = pd.DataFrame({
        _("Level"): summary.alerts["alert_level"].astype(str),
        _("Hazard"): summary.alerts["hazard"].astype(str),
        _("Headline"): summary.alerts["headline"], _("Source"): summary.alerts["source"],
        _("Since"): [when(t) for t in summary.alerts["start"]]})
    cyclones = pd.DataFrame({
        _("Storm"): summary.cyclones["name"],
        _("Peak wind (kt)"): summary.cyclones["max_wind_kt"],
        _("Lowest pressure (hPa)"): summary.cyclones["min_pressure_hpa"],
        _("Landfall"): [when(t) for t in pd.to_datetime(summary.cyclones["landfall_time"])],
        _("Landfall country"): summary.cyclones["landfall_country"]})
    sources = pd.DataFrame({
        _("Layer"): summary.sources["layer"], _("Source"): summary.sources["source"],
        _("Updated"): [when(u) if u is not None and pd.notna(u) else _("reference data")
                       for u in summary.sources["updated"]],
        _("Records"): summary.sources["records"],
        _("DEMO"): summary.sources["demo"].map({True: "DEMO", False: ""})})
    figures = []
    for name, label in KEY_FIGURES.items():
        source, updated = summary.figure_sources(name)
        figures.append((_(label), summary.figure_text(name), source, updated))
    for label, value in ((_("People affected (assessed)"), fields.affected),
                         (_("People in need (assessed)"), fields.in_need)):
        figures.append((label, number(value) if value is not None else _("not reported"),
                        fields.assessed_by or "—", _("as reported")))
    issue = [_("No. {number}", number=fields.number) if fields.number is not None else "",
             _("next update {time}", time=when(fields.next_update))
             if fields.next_update is not None else ""]
    needs = summary.needs.drop(columns=["iso3"])
    needs["area"] = needs["area"].replace(OUTSIDE, outside)
    needs = needs.rename(columns={"area": _("Area"), "displaced": _("Displaced"),
                                  **{k: _(v) for k, v in NEEDS_COLUMNS.items()},
                                  "standard": _("Standard")})
    local = as_of.tz_convert(ZoneInfo(tz))
    as_of_line = _("As of {utc} ({local} {zone}) · period {period} · region: {region}",
                   utc=when(as_of), local=f"{local:%Y-%m-%d %H:%M}", zone=local.tzname(),
                   period=summary.period.text(), region=summary.region_label)
    if summary.view_text:  # whose outlines shaped the per-area figures
        as_of_line += f" · {summary.view_text}"
    return ReportContent(
        fields=fields, summary=summary, as_of_utc=as_of,
        issue_line=" · ".join(x for x in issue if x),
        key_figures=pd.DataFrame(figures, columns=[_("Figure"), _("Value"), _("Source"),
                                                   _("As of")]),
        needs=needs,
        as_of_local=local,
        highlights=list(fields.highlights) if fields.highlights is not None
        else default_highlights(summary),
        areas=areas, admin_areas=admin,
        admin_left_out=admin_without, hotspots=hotspots, alerts=alerts, cyclones=cyclones,
        sources=sources,
        notes=[*(note.text() for note in summary.notes),
               _("Figures are computed once by the situation service for the dashboard and "
                 "every export."), _(DISCLAIMER)],
        words={key: _(text) for key, text in WORDS.items()}, as_of_line=as_of_line,
        title=fields.title or _("Situation report"),
        language=current_language().code, direction=direction(),
    )
