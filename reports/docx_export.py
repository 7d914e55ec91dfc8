"""The situation report as an editable Word document (python-docx)."""

from __future__ import annotations

import io

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

from .content import SECTIONS, SECTORS, ReportContent, cell_text
from .static_map import render_png


def _table(doc, frame: pd.DataFrame, empty: str) -> None:
    if frame.empty:
        doc.add_paragraph(empty)
        return
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(name)
    for values in frame.itertuples(index=False):
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = cell_text(value)


def render_docx(content: ReportContent) -> bytes:
    s, f = content.summary, content.fields
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    for section in doc.sections:  # the TLP marking on every page, top and bottom
        for part in (section.header, section.footer):
            p = part.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = p.add_run(f.tlp + ("  ·  DEMO DATA" if s.demo else ""))
            run.bold = True
    doc.add_heading(f.title, 0)
    doc.add_paragraph(" · ".join(x for x in (f.agency, f.contact) if x)
                      or "Issuing agency not given")
    if content.issue_line:
        doc.add_paragraph(content.issue_line)
    doc.add_paragraph(f"As of {content.as_of_utc:%Y-%m-%d %H:%M} UTC "
                      f"({content.as_of_local:%Y-%m-%d %H:%M} {content.as_of_local.tzname()}) · "
                      f"period {s.period.label} · region: {s.region_label}")
    doc.add_paragraph(content.marking_line)
    if s.demo:
        run = doc.add_paragraph().add_run(
            "DEMO DATA: hazards, incidents, displacement and alerts in this report are "
            "synthetic and must not be used for decisions.")
        run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
    if content.empty:
        doc.add_heading("Nothing to report for this selection", 1)
        doc.add_paragraph("The selected region and period contain no hazard exposure, "
                          "displacement, border incidents or active alerts.")
    doc.add_heading("Highlights", 1)
    for line in content.highlights:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("Key figures", 1)
    _table(doc, content.key_figures, "")
    doc.add_heading("Situation overview", 1)
    doc.add_picture(io.BytesIO(render_png(s)), width=Cm(15))
    _table(doc, content.areas, "No areas in this selection.")
    if content.admin_areas is not None:
        doc.add_heading("By admin area", 2)
        _table(doc, content.admin_areas, "No admin areas in this selection.")
    doc.add_heading("Minimum needs of the displaced", 1)
    doc.add_paragraph(content.needs_note)
    _table(doc, content.needs, content.needs_empty)
    doc.add_heading("Border incident hotspots", 1)
    _table(doc, content.hotspots, "No statistically significant hotspot in this selection.")
    doc.add_heading("Active alerts", 1)
    _table(doc, content.alerts, "No active alerts in this selection.")
    doc.add_heading("Cyclones", 1)
    _table(doc, content.cyclones, "No cyclone in this selection.")
    doc.add_heading("Needs and response", 1)
    for sector in SECTORS:
        doc.add_heading(sector, 2)
        doc.add_paragraph(f.sections.get(sector, "").strip() or "(not reported)")
    for name in SECTIONS[1:]:
        doc.add_heading(name, 1)
        doc.add_paragraph(f.sections.get(name, "").strip() or "(not reported)")
    doc.add_heading("Sources and method", 1)
    _table(doc, content.sources, "")
    for note in content.notes:
        doc.add_paragraph(note, style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
