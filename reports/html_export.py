"""The situation report as one self-contained HTML file with the interactive map."""

from __future__ import annotations

import html

import pandas as pd

from layers.assets import standalone_html
from layers.html import esc
from layers.map import MapOptions, build_map
from model.i18n import _

from .content import SECTIONS, SECTORS, ReportContent, cell_text

STYLE = """
body { font-family: "Noto Sans", sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
.tlp { float: right; background: #000; font-weight: bold; padding: 2px 8px; }
.demo { color: #b00020; font-weight: bold; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: start; }
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
    s, f, w = content.summary, content.fields, content.words
    tlp = f'<span class="tlp" style="color:{TLP_TEXT[f.tlp]}">{esc(f.tlp)}</span>'
    map_page = standalone_html(build_map(s, MapOptions(language=content.language)))
    parts = [
        f"<!DOCTYPE html><html lang='{content.language}' dir='{content.direction}'><head>"
        "<meta charset='utf-8'>",
        f"<title>{esc(f.title)}</title><style>{STYLE}</style></head><body>",
        f"<header>{tlp}<h1>{esc(f.title)}</h1>",
        f"<p>{esc(' · '.join(x for x in (f.agency, f.contact) if x) or w['agency_missing'])}"
        "</p>",
        f"<p>{esc(content.issue_line)}</p>" if content.issue_line else "",
        f"<p>{esc(content.as_of_line)}</p>",
        f"<p><small>{esc(content.marking_line)}</small></p></header>",
    ]
    if s.demo:
        parts.append(f'<p class="demo">{esc(w["demo"])}</p>')
    if content.empty:
        parts.append(f"<h2>{esc(w['nothing'])}</h2><p>{esc(w['nothing_text'])}</p>")
    parts.append(f"<h2>{esc(w['highlights'])}</h2><ul>"
                 + "".join(f"<li>{esc(h)}</li>" for h in content.highlights) + "</ul>")
    parts.append(f"<h2>{esc(w['key_figures'])}</h2>" + _table(content.key_figures, ""))
    parts.append(f"<h2>{esc(w['overview'])}</h2><iframe title=\"{esc(w['map'])}\" "
                 f'srcdoc="{html.escape(map_page, quote=True)}"></iframe>')
    parts.append(_table(content.areas, w["no_areas"]))
    if content.admin_areas is not None:
        parts.append(f"<h3>{esc(w['by_admin'])}</h3>" + _table(content.admin_areas,
                                                               w["no_admin"]))
    parts.append(f"<h2>{esc(w['needs'])}</h2>"
                 f"<p><small>{esc(content.needs_note)}</small></p>"
                 + _table(content.needs, content.needs_empty))
    parts.append(f"<h2>{esc(w['hotspots'])}</h2>" + _table(content.hotspots, w["no_hotspots"]))
    parts.append(f"<h2>{esc(w['alerts'])}</h2>" + _table(content.alerts, w["no_alerts"]))
    parts.append(f"<h2>{esc(w['cyclones'])}</h2>" + _table(content.cyclones, w["no_cyclones"]))
    parts.append(f"<h2>{esc(_(SECTIONS[0]))}</h2>" + "".join(
        f"<h3>{esc(_(sector))}</h3><p>{esc(content.section_text(sector))}</p>"
        for sector in SECTORS))
    for section in SECTIONS[1:]:
        parts.append(f"<h2>{esc(_(section))}</h2><p>{esc(content.section_text(section))}</p>")
    parts.append(f"<h2>{esc(w['sources'])}</h2>" + _table(content.sources, "")
                 + "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in content.notes) + "</ul>")
    parts.append(f"<footer>{tlp}</footer></body></html>")
    return "".join(parts).encode("utf-8")
