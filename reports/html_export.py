"""The situation report as one self-contained HTML file with the interactive map."""

from __future__ import annotations

import html

from layers.html import esc
from layers.map import MapOptions
from layers.page import build_map, standalone_html

from .fonts import font_faces
from .outline import Block, Pages, bilingual_cell

STYLE = """
body { font-family: "Noto Sans", FONTS sans-serif; margin: 2em auto; max-width: 60em;
       color: #222; line-height: 1.45; }
.tlp { float: right; background: #000; font-weight: bold; padding: 2px 8px; }
.demo { color: #b00020; font-weight: bold; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: start; }
th { background: #eee; }
iframe { width: 100%; height: 600px; border: 1px solid #999; }
.small { font-size: 0.85em; }
.pair { display: grid; grid-template-columns: 1fr 1fr; column-gap: 2em; }
body:has(.pair) { max-width: 90em; }
"""
TLP_TEXT = {"TLP:CLEAR": "#fff", "TLP:GREEN": "#33ff00", "TLP:AMBER": "#ffc000",
            "TLP:AMBER+STRICT": "#ffc000", "TLP:RED": "#ff2b2b"}


def _cell(tag: str, texts: list[tuple[str, bool]]) -> str:
    """A table cell in each language that writes it differently, each in its direction."""
    if len(texts) == 1:
        return f"<{tag}>{esc(texts[0][0])}</{tag}>"
    return f"<{tag}>" + "".join(f"<div dir='{'rtl' if rtl else 'ltr'}'>{esc(text)}</div>"
                                for text, rtl in texts) + f"</{tag}>"


def _table(sides: list[tuple[Block, bool]]) -> str:
    directions = [rtl for _, rtl in sides]

    def cells(tag: str, texts) -> str:
        return _cell(tag, bilingual_cell(list(zip(texts, directions, strict=True))))

    head = "".join(cells("th", names)
                   for names in zip(*(b.columns for b, _ in sides), strict=True))
    rows = "".join("<tr>" + "".join(cells("td", texts) for texts in zip(*row, strict=True))
                   + "</tr>" for row in zip(*(b.rows for b, _ in sides), strict=True))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


_TAGS = {"title": "h1", "heading": "h2", "subheading": "h3", "para": "p"}


def _text(block: Block) -> str:
    if block.kind in _TAGS:
        return f"<{_TAGS[block.kind]}>{esc(block.text)}</{_TAGS[block.kind]}>"
    if block.kind == "small":
        return f"<p><small>{esc(block.text)}</small></p>"
    if block.kind == "alert":
        return f'<p class="demo">{esc(block.text)}</p>'
    items = "".join(f"<li>{esc(item)}</li>" for item in block.items)
    return f"<ul class='small'>{items}</ul>" if block.kind == "small_bullets" \
        else f"<ul>{items}</ul>"


def render_html(pages: Pages) -> bytes:
    """One page; in two languages, each text block beside its translation (the
    first language's on the start side), tables and the map once."""
    first = pages.first
    tlp = f'<span class="tlp" style="color:{TLP_TEXT[first.fields.tlp]}">' \
          f"{esc(first.fields.tlp)}</span>"
    parts = [tlp]
    for sides in pages.sides():
        kind = sides[0][0].kind
        if kind == "map":
            page = standalone_html(build_map(first.summary, MapOptions(language=first.language)))
            parts.append(f'<iframe title="{esc(pages.word("map"))}" '
                         f'srcdoc="{html.escape(page, quote=True)}"></iframe>')
        elif kind == "table":
            parts.append(_table(sides))
        elif len(sides) == 1:
            parts.append(_text(sides[0][0]))
        else:
            parts.append("<div class='pair'>" + "".join(
                f"<div lang='{o.language}' dir='{'rtl' if o.rtl else 'ltr'}'>{_text(b)}</div>"
                for (b, _rtl), o in zip(sides, pages.outlines, strict=True)) + "</div>")
    parts.append(f"<footer>{tlp}</footer></body></html>")
    body = "".join(parts)
    # The scripts' fonts go with the file (subsets of what it says): a counterpart's
    # machine without a Bengali or Thaana font still reads it.
    faces, families = font_faces(html.unescape(body))
    style = STYLE.replace("FONTS", "".join(f"{f}, " for f in families))
    return (f"<!DOCTYPE html><html lang='{first.language}' dir='{first.direction}'><head>"
            f"<meta charset='utf-8'><title>{esc(pages.title)}</title>"
            f"<style>{faces}{style}</style></head><body>{body}").encode()
