"""The situation report as PDF (fpdf2 with HarfBuzz shaping and bundled Noto
fonts, so Urdu, Bengali, Hindi, Nepali, Sinhala, Tamil, Dari, Pashto, Dzongkha and
Dhivehi render); right to left for Urdu, Dari, Pashto and Dhivehi."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import FontFace

from model.i18n import _, direction

from .content import SECTIONS, SECTORS, ReportContent, cell_text
from .static_map import render_png

FONTS = Path(__file__).resolve().parent / "fonts"
FALLBACKS = {  # family -> file; tried in order for characters NotoSans lacks
    "NotoBengali": "NotoSansBengali-Regular.ttf",
    "NotoDevanagari": "NotoSansDevanagari-Regular.ttf",
    "NotoSinhala": "NotoSansSinhala-Regular.ttf", "NotoTamil": "NotoSansTamil-Regular.ttf",
    "NotoUrdu": "NotoNastaliqUrdu-Regular.ttf", "NotoArabic": "NotoNaskhArabic-Regular.ttf",
    "NotoThaana": "NotoSansThaana-Regular.ttf", "NotoTibetan": "NotoSerifTibetan-Regular.ttf",
}
# FIRST TLP 2.0 colours: (text, background)
TLP_COLOURS = {"TLP:CLEAR": ((255, 255, 255), (0, 0, 0)), "TLP:GREEN": ((51, 255, 0), (0, 0, 0)),
               "TLP:AMBER": ((255, 192, 0), (0, 0, 0)),
               "TLP:AMBER+STRICT": ((255, 192, 0), (0, 0, 0)),
               "TLP:RED": ((255, 43, 43), (0, 0, 0))}


class _Doc(FPDF):
    def __init__(self, content: ReportContent):
        super().__init__(format="A4")
        self.content = content
        self.set_auto_page_break(True, margin=18)
        self.add_font("NotoSans", "", FONTS / "NotoSans-Regular.ttf")
        self.add_font("NotoSans", "B", FONTS / "NotoSans-Bold.ttf")
        for family, file in FALLBACKS.items():
            self.add_font(family, "", FONTS / file)
        self.set_fallback_fonts(list(FALLBACKS), exact_match=False)
        self.set_text_shaping(True)
        self.set_title(content.fields.title)
        self.set_author(content.fields.agency or "South Asia Monitor")
        self.set_subject(f"{content.fields.tlp} situation report")

    def _tlp(self, y: float) -> None:
        tlp = self.content.fields.tlp
        fg, bg = TLP_COLOURS[tlp]
        self.set_font("NotoSans", "B", 9)
        self.set_text_color(*fg)
        self.set_fill_color(*bg)
        width = self.get_string_width(tlp) + 6
        self.set_xy(self.w - self.r_margin - width, y)
        self.cell(width, 6, tlp, fill=True, align="C")
        self.set_text_color(0, 0, 0)

    def header(self):
        self._tlp(6)
        self.set_xy(self.l_margin, 6)
        self.set_font("NotoSans", "", 8)
        self.cell(0, 6, self.content.fields.title[:90])
        self.ln(10)

    def footer(self):
        self.set_y(-13)
        self.set_font("NotoSans", "", 7)
        demo = f"{self.content.words['demo_mark']} · " if self.content.summary.demo else ""
        self.cell(0, 6, f"{demo}{self.page_no()}/{{nb}}")
        self._tlp(self.h - 13)


# fpdf2 orders mixed-direction lines itself (Unicode bidi): the direction
# isolates model.i18n puts around values are left out.
_NO_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")


@cache
def _main_font() -> frozenset[int]:
    return frozenset(TTFont(FONTS / "NotoSans-Regular.ttf").getBestCmap())


def _plain(text: str) -> str:
    """``text`` as drawn: without isolates; right-to-left text led by a right-to-left
    mark (its paragraph direction). Text that starts with a character NotoSans lacks
    (Urdu, Bengali ...) is led by a direction mark, which NotoSans has: it keeps
    fpdf2 2.8.9 from drawing the next paragraph's Latin text with the fallback font
    (it garbled "AFG, BGD" after an Urdu line)."""
    text = text.translate(_NO_ISOLATES)
    if direction() == "rtl":
        return "\u200f" + text
    return text if not text or ord(text[0]) in _main_font() else "\u200e" + text


def _align() -> str:
    """Paragraphs start on the right in right-to-left languages."""
    return "R" if direction() == "rtl" else "L"


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("NotoSans", "B", 12)
    pdf.cell(0, 8, _plain(text), align=_align(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 9)


def _para(pdf: FPDF, text: str, size: int = 9) -> None:
    pdf.set_font("NotoSans", "", size)
    pdf.multi_cell(0, 5, _plain(text), align=_align(), new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, frame: pd.DataFrame, empty: str, widths=None) -> None:
    if frame.empty:
        _para(pdf, empty)
        return
    rtl = _align() == "R"
    if rtl:  # the first column on the right
        frame = frame[frame.columns[::-1]]
        widths = widths[::-1] if widths else None
    pdf.set_font("NotoSans", "", 7.5)
    with pdf.table(col_widths=widths, text_align="RIGHT" if rtl else "LEFT", line_height=4.2,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230))) as t:
        t.row([_plain(str(c)) for c in frame.columns])
        for values in frame.itertuples(index=False):
            t.row([_plain(cell_text(v)) for v in values])
    pdf.ln(2)


def render_pdf(content: ReportContent) -> bytes:
    s, f, w = content.summary, content.fields, content.words
    pdf = _Doc(content)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("NotoSans", "B", 16)
    pdf.multi_cell(0, 8, f.title, align=_align(), new_x="LMARGIN", new_y="NEXT")
    _para(pdf, " · ".join(x for x in (f.agency, f.contact) if x) or w["agency_missing"])
    if content.issue_line:
        _para(pdf, content.issue_line)
    _para(pdf, content.as_of_line)
    _para(pdf, content.marking_line, 8)
    if s.demo:
        pdf.set_text_color(176, 0, 32)
        _para(pdf, w["demo"], 10)
        pdf.set_text_color(0, 0, 0)
    if content.empty:
        _heading(pdf, w["nothing"])
        _para(pdf, w["nothing_text"])
    _heading(pdf, w["highlights"])
    for line in content.highlights:
        _para(pdf, f"• {line}")
    _heading(pdf, w["key_figures"])
    _table(pdf, content.key_figures, "", (2.2, 1, 2.6, 1.2))
    _heading(pdf, w["overview"])
    pdf.image(render_png(s), w=pdf.epw, h=125, keep_aspect_ratio=True)
    _table(pdf, content.areas, w["no_areas"])
    if content.admin_areas is not None:
        _heading(pdf, w["by_admin"])
        _table(pdf, content.admin_areas, w["no_admin"])
    _heading(pdf, w["needs"])
    _para(pdf, content.needs_note, 8)
    _table(pdf, content.needs, content.needs_empty)
    _heading(pdf, w["hotspots"])
    _table(pdf, content.hotspots, w["no_hotspots"])
    _heading(pdf, w["alerts"])
    _table(pdf, content.alerts, w["no_alerts"], (1, 1.2, 4, 1.6, 1.3))
    _heading(pdf, w["cyclones"])
    _table(pdf, content.cyclones, w["no_cyclones"])
    _heading(pdf, _(SECTIONS[0]))
    for sector in SECTORS:
        _para(pdf, f"{_(sector)}: {content.section_text(sector)}")
    for section in SECTIONS[1:]:
        _heading(pdf, _(section))
        _para(pdf, content.section_text(section))
    _heading(pdf, w["sources"])
    _table(pdf, content.sources, "", (1, 3, 1.6, 0.8, 0.6))
    for note in content.notes:
        _para(pdf, f"• {note}", 8)
    return bytes(pdf.output())
