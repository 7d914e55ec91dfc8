"""The situation report's outline: the one order of headings, paragraphs, lists
and tables that every format (PDF, DOCX, HTML) draws, written out as text in one
language. A report in two languages side by side is two outlines of the same
content, drawn block beside block: their shapes are the same by construction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from model.i18n import _

from .content import SECTIONS, SECTORS, ReportContent, cell_text


@dataclass(frozen=True)
class Block:
    """One piece of the report. ``kind``: title, heading, subheading, para,
    small (fine print), alert (the DEMO warning), bullets, small_bullets,
    table or map (the situation map, drawn by each format its own way)."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] | None = None  # relative column widths (PDF)


@dataclass(frozen=True)
class Outline:
    language: str  # model.i18n code
    rtl: bool
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def _table(frame: pd.DataFrame, empty: str, widths=None) -> list[Block]:
    """A table with its cells written in the language in use, or the sentence
    that says why there is none."""
    if frame.empty:
        return [Block("para", empty)] if empty else []
    return [Block("table", columns=tuple(str(c) for c in frame.columns),
                  rows=tuple(tuple(cell_text(v) for v in values)
                             for values in frame.itertuples(index=False)),
                  widths=widths)]


def outline(content: ReportContent) -> Outline:
    """The report's blocks, in the language in use (call inside
    ``model.i18n.language(content.language)``, as ``build_content`` was)."""
    f, w = content.fields, content.words
    blocks = [Block("title", content.title),
              Block("para", " · ".join(x for x in (f.agency, f.contact) if x)
                    or w["agency_missing"])]
    if content.issue_line:
        blocks.append(Block("para", content.issue_line))
    blocks += [Block("para", content.as_of_line), Block("small", content.marking_line)]
    if content.summary.demo:
        blocks.append(Block("alert", w["demo"]))
    if content.empty:
        blocks += [Block("heading", w["nothing"]), Block("para", w["nothing_text"])]
    blocks += [Block("heading", w["highlights"]), Block("bullets", items=tuple(content.highlights)),
               Block("heading", w["key_figures"]),
               *_table(content.key_figures, "", (2.2, 1, 2.6, 1.2)),
               Block("heading", w["overview"]), Block("map", w["map"]),
               *_table(content.areas, w["no_areas"])]
    if content.admin_areas is not None:
        blocks += [Block("subheading", w["by_admin"]),
                   *_table(content.admin_areas, w["no_admin"])]
        if content.admin_left_out:
            blocks.append(Block("small", content.admin_left_out))
    blocks += [Block("heading", w["needs"]), Block("small", content.needs_note),
               *_table(content.needs, content.needs_empty),
               Block("heading", w["hotspots"]), *_table(content.hotspots, w["no_hotspots"]),
               Block("heading", w["alerts"]),
               *_table(content.alerts, w["no_alerts"], (1, 1.2, 4, 1.6, 1.3)),
               Block("heading", w["cyclones"]), *_table(content.cyclones, w["no_cyclones"]),
               Block("heading", _(SECTIONS[0]))]
    for sector in SECTORS:
        blocks += [Block("subheading", _(sector)), Block("para", content.section_text(sector))]
    for section in SECTIONS[1:]:
        blocks += [Block("heading", _(section)), Block("para", content.section_text(section))]
    blocks += [Block("heading", w["sources"]),
               *_table(content.sources, "", (1, 3, 1.6, 0.8, 0.6)),
               Block("small_bullets", items=tuple(content.notes))]
    return Outline(content.language, content.direction == "rtl", tuple(blocks))


def bilingual_cell(texts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """A cell of a table drawn once for its languages, as (text, right to left):
    one text where they write it alike (codes, names, Latin figures), else each."""
    return list(dict(reversed(texts)).items())[::-1]


@dataclass(frozen=True)
class Pages:
    """What a document draws: the report in one language, or in two side by side
    (the first on the left and in the running header, its tables' direction)."""

    contents: tuple[ReportContent, ...]
    outlines: tuple[Outline, ...]

    @property
    def first(self) -> ReportContent:
        return self.contents[0]

    def word(self, key: str) -> str:
        """One of the report's words, in each language: "DEMO DATA · ڈیمو ڈیٹا"."""
        return " · ".join(dict.fromkeys(c.words[key] for c in self.contents))

    @property
    def title(self) -> str:
        return " · ".join(dict.fromkeys(c.title for c in self.contents))

    def sides(self) -> Iterator[list[tuple[Block, bool]]]:
        """Each block with its translation beside it, as (block, right to left) per
        language, in the outline's order (one outline, one side)."""
        for blocks in zip(*(o.blocks for o in self.outlines), strict=True):
            yield list(zip(blocks, (o.rtl for o in self.outlines), strict=True))
