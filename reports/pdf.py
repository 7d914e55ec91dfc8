"""The situation report as PDF (fpdf2 with HarfBuzz shaping and bundled Noto
fonts, so Urdu, Bengali, Hindi, Nepali, Sinhala, Tamil, Dari, Pashto, Dzongkha and
Dhivehi render); right to left for Urdu, Dari, Pashto and Dhivehi."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import MethodReturnValue
from fpdf.fonts import FontFace

from .fonts import FALLBACKS, FONTS, MAIN, characters
from .outline import Block, Pages, bilingual_cell
from .static_map import render_png

# FIRST TLP 2.0 colours: (text, background)
TLP_COLOURS = {"TLP:CLEAR": ((255, 255, 255), (0, 0, 0)), "TLP:GREEN": ((51, 255, 0), (0, 0, 0)),
               "TLP:AMBER": ((255, 192, 0), (0, 0, 0)),
               "TLP:AMBER+STRICT": ((255, 192, 0), (0, 0, 0)),
               "TLP:RED": ((255, 43, 43), (0, 0, 0))}


class _Doc(FPDF):
    def __init__(self, pages: Pages):
        # Two languages side by side: a landscape page gives each column the
        # width of a portrait one's text.
        super().__init__(orientation="L" if len(pages.outlines) > 1 else "P", format="A4")
        self.report = pages
        self.set_auto_page_break(True, margin=18)
        self.add_font("NotoSans", "", FONTS / MAIN)
        self.add_font("NotoSans", "B", FONTS / "NotoSans-Bold.ttf")
        for family, file in FALLBACKS.items():
            self.add_font(family, "", FONTS / file)
        self.set_fallback_fonts(list(FALLBACKS), exact_match=False)
        self.set_text_shaping(True)
        self.set_title(pages.title)
        self.set_author(pages.first.fields.agency or "South Asia Monitor")
        self.set_subject(f"{pages.first.fields.tlp} situation report")

    def _tlp(self, y: float) -> None:
        tlp = self.report.first.fields.tlp
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
        self.cell(0, 6, _plain(self.report.title[:90], False))
        self.ln(10)

    def footer(self):
        self.set_y(-13)
        self.set_font("NotoSans", "", 7)
        demo = f"{self.report.word('demo_mark')} · " if self.report.first.summary.demo else ""
        self.cell(0, 6, _plain(f"{demo}{self.page_no()}/{{nb}}", False))
        self._tlp(self.h - 13)


# fpdf2 orders mixed-direction lines itself (Unicode bidi): the direction
# isolates model.i18n puts around values are left out.
_NO_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")


def _plain(text: str, rtl: bool) -> str:
    """``text`` as drawn: without isolates; right-to-left text led by a right-to-left
    mark (its paragraph direction). Text that starts with a character NotoSans lacks
    (Urdu, Bengali ...) is led by a direction mark, which NotoSans has: it keeps
    fpdf2 2.8.9 from drawing the next paragraph's Latin text with the fallback font
    (it garbled "AFG, BGD" after an Urdu line)."""
    text = text.translate(_NO_ISOLATES)
    if rtl:
        return "\u200f" + text
    return text if not text or ord(text[0]) in characters(MAIN) else "\u200e" + text


# Each text block: (font size, bold, line height, space before, colour)
_STYLE = {"title": (16, True, 8, 0, None), "heading": (12, True, 6.5, 2, None),
          "subheading": (10, True, 5.5, 1, None), "para": (9, False, 5, 0, None),
          "small": (8, False, 4.5, 0, None), "alert": (10, False, 5, 0, (176, 0, 32)),
          "bullets": (9, False, 5, 0, None), "small_bullets": (8, False, 4.5, 0, None)}


def _text(pdf: FPDF, block: Block, rtl: bool, x: float, width: float, *,
          dry: bool = False) -> float:
    """Draw a text block in the column at ``x`` (or only measure it): its height."""
    size, bold, line, before, colour = _STYLE[block.kind]
    pdf.set_font("NotoSans", "B" if bold else "", size)
    lines = ([f"• {item}" for item in block.items] if block.kind.endswith("bullets")
             else [block.text])
    height = float(before)
    if colour and not dry:
        pdf.set_text_color(*colour)
    if not dry:
        pdf.set_y(pdf.get_y() + before)
    for text in lines:
        if dry:
            measured = pdf.multi_cell(width, line, _plain(text, rtl), align="R" if rtl else "L",
                                      dry_run=True, output=MethodReturnValue.HEIGHT)
            height += float(measured)  # type: ignore[arg-type]  # HEIGHT asked: a float
        else:
            pdf.set_x(x)
            pdf.multi_cell(width, line, _plain(text, rtl), align="R" if rtl else "L",
                           new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    return height


def _table(pdf: FPDF, sides: list[tuple[Block, bool]]) -> None:
    """A table drawn once: in two languages, each heading in both, each cell in
    both where they write it differently (a translated label, native digits)."""
    first, rtl = sides[0]
    directions = [r for _, r in sides]

    def cell(texts, dirs=directions) -> str:
        return "\n".join(_plain(text, rtl) for text, rtl in
                         bilingual_cell(list(zip(texts, dirs, strict=True))))

    # fpdf2 2.8.9 draws a bold Latin line under a right-to-left one in a heading cell
    # with the wrong glyphs: in headings the left-to-right line comes first.
    headings = [cell(names[::-1], directions[::-1]) if rtl else cell(names)
                for names in zip(*(b.columns for b, _ in sides), strict=True)]
    rows = [[cell(texts) for texts in zip(*row, strict=True)]
            for row in zip(*(b.rows for b, _ in sides), strict=True)]
    widths = first.widths
    if rtl:  # the first column on the right
        headings, rows = headings[::-1], [row[::-1] for row in rows]
        widths = widths[::-1] if widths else None
    pdf.set_font("NotoSans", "", 7.5)
    with pdf.table(col_widths=widths, text_align="RIGHT" if rtl else "LEFT", line_height=4.2,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230))) as t:
        t.row(headings)
        for row in rows:
            t.row(row)
    pdf.ln(2)


def _side_by_side(pdf: FPDF, sides: list[tuple[Block, bool]]) -> None:
    """Text blocks of the two languages beside each other, each in its own
    direction, kept on one page when they fit on one."""
    gap = 8
    width = (pdf.epw - gap) / 2
    height = max(_text(pdf, b, rtl, 0, width, dry=True) for b, rtl in sides)
    usable = pdf.page_break_trigger - pdf.t_margin - 10  # below the running header
    if height > usable:  # longer than a page (a long text an agency wrote): one after the other
        for block, rtl in sides:
            _text(pdf, block, rtl, pdf.l_margin, pdf.epw)
        return
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    # The first language on the side its reader starts from (the right for Urdu).
    order = range(len(sides))[::-1] if sides[0][1] else range(len(sides))
    for column, (block, rtl) in zip(order, sides, strict=True):
        pdf.set_y(top)
        _text(pdf, block, rtl, pdf.l_margin + column * (width + gap), width)
    pdf.set_y(top + height)


def render_pdf(pages: Pages) -> bytes:
    """The report, in one language or two side by side (first language on the left)."""
    pdf = _Doc(pages)
    pdf.alias_nb_pages()
    pdf.add_page()
    for sides in pages.sides():
        kind = sides[0][0].kind
        if kind in ("heading", "subheading") and pdf.get_y() > pdf.page_break_trigger - 30:
            pdf.add_page()  # a heading is not left alone at the foot of a page
        if kind == "map":
            pdf.image(render_png(pages.first.summary), w=pdf.epw, h=125, keep_aspect_ratio=True)
        elif kind == "table":
            _table(pdf, sides)
        elif len(sides) == 1:
            _text(pdf, *sides[0], pdf.l_margin, pdf.epw)
        else:
            _side_by_side(pdf, sides)
    return bytes(pdf.output())
