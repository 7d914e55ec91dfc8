"""The situation report as PDF (fpdf2 with HarfBuzz shaping and bundled Noto
fonts, so Urdu, Bengali, Hindi, Nepali, Sinhala, Tamil and Dari names render)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

from .content import SECTIONS, SECTORS, ReportContent, cell_text
from .static_map import render_png

FONTS = Path(__file__).resolve().parent / "fonts"
FALLBACKS = {  # family -> file; tried in order for characters NotoSans lacks
    "NotoBengali": "NotoSansBengali-Regular.ttf",
    "NotoDevanagari": "NotoSansDevanagari-Regular.ttf",
    "NotoSinhala": "NotoSansSinhala-Regular.ttf", "NotoTamil": "NotoSansTamil-Regular.ttf",
    "NotoUrdu": "NotoNastaliqUrdu-Regular.ttf", "NotoArabic": "NotoNaskhArabic-Regular.ttf",
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
        demo = "DEMO DATA — not for operational use · " if self.content.summary.demo else ""
        self.cell(0, 6, f"{demo}Page {self.page_no()}/{{nb}}")
        self._tlp(self.h - 13)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("NotoSans", "B", 12)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 9)


def _para(pdf: FPDF, text: str, size: int = 9) -> None:
    pdf.set_font("NotoSans", "", size)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, frame: pd.DataFrame, empty: str, widths=None) -> None:
    if frame.empty:
        _para(pdf, empty)
        return
    pdf.set_font("NotoSans", "", 7.5)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.2,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230))) as t:
        t.row([str(c) for c in frame.columns])
        for values in frame.itertuples(index=False):
            t.row([cell_text(v) for v in values])
    pdf.ln(2)


def render_pdf(content: ReportContent) -> bytes:
    s, f = content.summary, content.fields
    pdf = _Doc(content)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("NotoSans", "B", 16)
    pdf.multi_cell(0, 8, f.title, new_x="LMARGIN", new_y="NEXT")
    _para(pdf, " · ".join(x for x in (f.agency, f.contact) if x) or "Issuing agency not given")
    if content.issue_line:
        _para(pdf, content.issue_line)
    _para(pdf, f"As of {content.as_of_utc:%Y-%m-%d %H:%M} UTC "
               f"({content.as_of_local:%Y-%m-%d %H:%M} {content.as_of_local.tzname()}) · "
               f"period {s.period.label} · region: {s.region_label}")
    _para(pdf, content.marking_line, 8)
    if s.demo:
        pdf.set_text_color(176, 0, 32)
        _para(pdf, "DEMO DATA: hazards, incidents, displacement and alerts in this report are "
                   "synthetic and must not be used for decisions.", 10)
        pdf.set_text_color(0, 0, 0)
    if content.empty:
        _heading(pdf, "Nothing to report for this selection")
        _para(pdf, "The selected region and period contain no hazard exposure, displacement, "
                   "border incidents or active alerts.")
    _heading(pdf, "Highlights")
    for line in content.highlights:
        _para(pdf, f"• {line}")
    _heading(pdf, "Key figures")
    _table(pdf, content.key_figures, "", (2.2, 1, 2.6, 1.2))
    _heading(pdf, "Situation overview")
    pdf.image(render_png(s), w=pdf.epw, h=125, keep_aspect_ratio=True)
    _table(pdf, content.areas, "No areas in this selection.")
    if content.admin_areas is not None:
        _heading(pdf, "By admin area")
        _table(pdf, content.admin_areas, "No admin areas in this selection.")
    _heading(pdf, "Minimum needs of the displaced")
    _para(pdf, content.needs_note, 8)
    _table(pdf, content.needs, content.needs_empty)
    _heading(pdf, "Border incident hotspots")
    _table(pdf, content.hotspots, "No statistically significant hotspot in this selection.")
    _heading(pdf, "Active alerts")
    _table(pdf, content.alerts, "No active alerts in this selection.", (1, 1.2, 4, 1.6, 1.3))
    _heading(pdf, "Cyclones")
    _table(pdf, content.cyclones, "No cyclone in this selection.")
    _heading(pdf, "Needs and response")
    for sector in SECTORS:
        text = f.sections.get(sector, "").strip()
        _para(pdf, f"{sector}: {text or '(not reported)'}")
    for section in SECTIONS[1:]:
        _heading(pdf, section)
        _para(pdf, f.sections.get(section, "").strip() or "(not reported)")
    _heading(pdf, "Sources and method")
    _table(pdf, content.sources, "", (1, 3, 1.6, 0.8, 0.6))
    for note in content.notes:
        _para(pdf, f"• {note}", 8)
    return bytes(pdf.output())
