"""The situation report as an editable Word document (python-docx)."""

from __future__ import annotations

import io

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Cm, Pt, RGBColor

from model.i18n import _

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


def _paragraphs(doc):
    yield from doc.paragraphs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def _right_to_left(doc) -> None:
    """Every paragraph and run right to left (Word's bidi and rtl properties:
    python-docx has no call for them)."""
    for paragraph in _paragraphs(doc):
        paragraph._p.get_or_add_pPr().insert(0, OxmlElement("w:bidi"))
        for run in paragraph.runs:
            run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def render_docx(content: ReportContent) -> bytes:
    s, f, w = content.summary, content.fields, content.words
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    for section in doc.sections:  # the TLP marking on every page, top and bottom
        for part in (section.header, section.footer):
            p = part.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = p.add_run(f.tlp + (f"  ·  {w['demo_mark']}" if s.demo else ""))
            run.bold = True
    doc.add_heading(f.title, 0)
    doc.add_paragraph(" · ".join(x for x in (f.agency, f.contact) if x) or w["agency_missing"])
    if content.issue_line:
        doc.add_paragraph(content.issue_line)
    doc.add_paragraph(content.as_of_line)
    doc.add_paragraph(content.marking_line)
    if s.demo:
        run = doc.add_paragraph().add_run(w["demo"])
        run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
    if content.empty:
        doc.add_heading(w["nothing"], 1)
        doc.add_paragraph(w["nothing_text"])
    doc.add_heading(w["highlights"], 1)
    for line in content.highlights:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading(w["key_figures"], 1)
    _table(doc, content.key_figures, "")
    doc.add_heading(w["overview"], 1)
    doc.add_picture(io.BytesIO(render_png(s)), width=Cm(15))
    _table(doc, content.areas, w["no_areas"])
    if content.admin_areas is not None:
        doc.add_heading(w["by_admin"], 2)
        _table(doc, content.admin_areas, w["no_admin"])
    doc.add_heading(w["needs"], 1)
    doc.add_paragraph(content.needs_note)
    _table(doc, content.needs, content.needs_empty)
    doc.add_heading(w["hotspots"], 1)
    _table(doc, content.hotspots, w["no_hotspots"])
    doc.add_heading(w["alerts"], 1)
    _table(doc, content.alerts, w["no_alerts"])
    doc.add_heading(w["cyclones"], 1)
    _table(doc, content.cyclones, w["no_cyclones"])
    doc.add_heading(_(SECTIONS[0]), 1)
    for sector in SECTORS:
        doc.add_heading(_(sector), 2)
        doc.add_paragraph(content.section_text(sector))
    for name in SECTIONS[1:]:
        doc.add_heading(_(name), 1)
        doc.add_paragraph(content.section_text(name))
    doc.add_heading(w["sources"], 1)
    _table(doc, content.sources, "")
    for note in content.notes:
        doc.add_paragraph(note, style="List Bullet")
    if content.direction == "rtl":
        _right_to_left(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
