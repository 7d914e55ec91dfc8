"""The situation report as an editable Word document (python-docx); in two
languages, each text beside its translation in a two-column table on landscape
pages, the data tables and the map once."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Cm, Pt, RGBColor

from .outline import Block, Pages, bilingual_cell
from .static_map import render_png

_HEADINGS = {"title": 0, "heading": 1, "subheading": 2}


def _right_to_left(paragraph) -> None:
    """A paragraph and its runs right to left (Word's bidi and rtl properties:
    python-docx has no call for them)."""
    paragraph._p.get_or_add_pPr().insert(0, OxmlElement("w:bidi"))
    for run in paragraph.runs:
        run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def _text(container, block: Block, rtl: bool) -> None:
    """A text block into the document or a table cell, in its direction."""
    if block.kind in _HEADINGS:
        style = "Title" if block.kind == "title" else f"Heading {_HEADINGS[block.kind]}"
        paragraphs = [container.add_paragraph(block.text, style=style)]
    elif block.kind.endswith("bullets"):
        paragraphs = [container.add_paragraph(item, style="List Bullet") for item in block.items]
    else:
        paragraphs = [container.add_paragraph()]
        run = paragraphs[0].add_run(block.text)
        if block.kind == "small":
            run.font.size = Pt(8)
        elif block.kind == "alert":
            run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
    for paragraph in paragraphs:
        if block.kind == "small_bullets":
            for run in paragraph.runs:
                run.font.size = Pt(8)
        if rtl:
            _right_to_left(paragraph)


def _fill(cell, texts: list[tuple[str, bool]]) -> None:
    cell.text = texts[0][0]
    paragraphs = [cell.paragraphs[0]] + [cell.add_paragraph(text) for text, _rtl in texts[1:]]
    for paragraph, rtl in zip(paragraphs, (rtl for _text, rtl in texts), strict=True):
        if rtl:
            _right_to_left(paragraph)


def _table(doc, sides: list[tuple[Block, bool]]) -> None:
    directions = [rtl for _, rtl in sides]
    columns = list(zip(*(b.columns for b, _ in sides), strict=True))
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Light Grid Accent 1"
    if directions[0]:
        table._tbl.tblPr.append(OxmlElement("w:bidiVisual"))  # the first column on the right
    for cell, names in zip(table.rows[0].cells, columns, strict=True):
        _fill(cell, bilingual_cell(list(zip(names, directions, strict=True))))
    for row in zip(*(b.rows for b, _ in sides), strict=True):
        for cell, texts in zip(table.add_row().cells, zip(*row, strict=True), strict=True):
            _fill(cell, bilingual_cell(list(zip(texts, directions, strict=True))))


def render_docx(pages: Pages) -> bytes:
    first = pages.first
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    section = doc.sections[0]
    if len(pages.outlines) > 1:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for part in (section.header, section.footer):  # the TLP marking on every page
        p = part.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(first.fields.tlp + (f"  ·  {pages.word('demo_mark')}"
                                            if first.summary.demo else ""))
        run.bold = True
    pairs_table = None  # consecutive text blocks in two languages share one table
    for sides in pages.sides():
        kind = sides[0][0].kind
        if kind in ("map", "table"):
            pairs_table = None
            if kind == "map":
                doc.add_picture(io.BytesIO(render_png(first.summary)), width=Cm(15))
            else:
                _table(doc, sides)
        elif len(sides) == 1:
            _text(doc, *sides[0])
        else:
            if pairs_table is None:
                pairs_table = doc.add_table(rows=0, cols=len(sides))
                if sides[0][1]:  # the first language on the right for a right-to-left reader
                    pairs_table._tbl.tblPr.append(OxmlElement("w:bidiVisual"))
            row = pairs_table.add_row()
            for cell, (block, rtl) in zip(row.cells, sides, strict=True):
                cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
                _text(cell, block, rtl)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
