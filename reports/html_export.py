"""The situation report as one self-contained HTML file with the interactive map."""

from __future__ import annotations

import html

import pandas as pd

from layers.assets import standalone_html
from layers.html import esc
from layers.map import MapOptions, build_map

from .content import SECTIONS, SECTORS, ReportContent, cell_text

STYLE = """
body { font-family: "Noto Sans", sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
.tlp { float: right; background: #000; font-weight: bold; padding: 2px 8px; }
.demo { color: #b00020; font-weight: bold; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: left; }
th { background: #eee; }
iframe { width: 100%; height: 600px; border: 1px solid #999; }
"""
TLP_TEXT = {"TLP:CLEAR": "#fff", "TLP:GREEN": "#33ff00", "TLP:AMBER": "#ffc000",
            "TLP:AMBER+STRICT": "#ffc000", "TLP:RED": "#ff2b2b"}


def _table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{esc(cell_text(v))}</td>" for v in values) + "</tr>"
                   for values in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def render_html(content: ReportContent) -> bytes:
    s, f = content.summary, content.fields
    tlp = f'<span class="tlp" style="color:{TLP_TEXT[f.tlp]}">{esc(f.tlp)}</span>'
    map_page = standalone_html(build_map(s, MapOptions()))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(f.title)}</title><style>{STYLE}</style></head><body>",
        f"<header>{tlp}<h1>{esc(f.title)}</h1>",
        f"<p>{esc(' · '.join(x for x in (f.agency, f.contact) if x) or 'Issuing agency not given')}"
        "</p>",
        f"<p>{esc(content.issue_line)}</p>" if content.issue_line else "",
        f"<p>As of {content.as_of_utc:%Y-%m-%d %H:%M} UTC ({content.as_of_local:%Y-%m-%d %H:%M} "
        f"{esc(content.as_of_local.tzname())}) · period {s.period.label}"
        f" · region: {esc(s.region_label)}</p>",
        f"<p><small>{esc(content.marking_line)}</small></p></header>",
    ]
    if s.demo:
        parts.append('<p class="demo">DEMO DATA: hazards, incidents, displacement and alerts '
                     "in this report are synthetic and must not be used for decisions.</p>")
    if content.empty:
        parts.append("<h2>Nothing to report for this selection</h2><p>The selected region and "
                     "period contain no hazard exposure, displacement, border incidents or "
                     "active alerts.</p>")
    parts.append("<h2>Highlights</h2><ul>" + "".join(f"<li>{esc(h)}</li>"
                                                    for h in content.highlights) + "</ul>")
    parts.append("<h2>Key figures</h2>" + _table(content.key_figures, ""))
    parts.append("<h2>Situation overview</h2>"
                 f'<iframe title="map" srcdoc="{html.escape(map_page, quote=True)}"></iframe>')
    parts.append(_table(content.areas, "No areas in this selection."))
    if content.admin_areas is not None:
        parts.append("<h3>By admin area</h3>" + _table(content.admin_areas,
                                                        "No admin areas in this selection."))
    parts.append("<h2>Minimum needs of the displaced</h2>"
                 f"<p><small>{esc(content.needs_note)}</small></p>"
                 + _table(content.needs, content.needs_empty))
    parts.append("<h2>Border incident hotspots</h2>" + _table(
        content.hotspots, "No statistically significant hotspot in this selection."))
    parts.append("<h2>Active alerts</h2>" + _table(content.alerts,
                                                    "No active alerts in this selection."))
    parts.append("<h2>Cyclones</h2>" + _table(content.cyclones, "No cyclone in this selection."))
    parts.append("<h2>Needs and response</h2>" + "".join(
        f"<h3>{esc(sector)}</h3><p>{esc(f.sections.get(sector, '').strip() or '(not reported)')}"
        "</p>" for sector in SECTORS))
    for section in SECTIONS[1:]:
        parts.append(f"<h2>{esc(section)}</h2><p>"
                     f"{esc(f.sections.get(section, '').strip() or '(not reported)')}</p>")
    parts.append("<h2>Sources and method</h2>" + _table(content.sources, "")
                 + "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in content.notes) + "</ul>")
    parts.append(f"<footer>{tlp}</footer></body></html>")
    return "".join(parts).encode("utf-8")
