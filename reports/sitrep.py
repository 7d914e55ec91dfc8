"""Produce a situation report in the chosen formats (used by the CLI and the dashboard)."""

from __future__ import annotations

from pathlib import Path

from model.i18n import language
from model.situation import Summary

from .bundle import BUNDLE_FORMATS, write_bundle
from .content import ReportFields, build_content
from .docx_export import render_docx
from .files import safe_filename
from .html_export import render_html
from .outline import Pages, outline
from .pdf import render_pdf

DOCUMENT_FORMATS = {"pdf": render_pdf, "docx": render_docx, "html": render_html}
FORMATS = (*DOCUMENT_FORMATS, *BUNDLE_FORMATS)


def pages(summary: Summary, fields: ReportFields, languages: list[str]) -> Pages:
    """The report's content and outline in each language (two: side by side)."""
    contents, outlines = [], []
    for code in languages:
        with language(code):
            content = build_content(summary, fields)
            contents.append(content)
            outlines.append(outline(content))
    return Pages(tuple(contents), tuple(outlines))


def document(fmt: str, summary: Summary, fields: ReportFields, *, lang: str = "en",
             beside: str | None = None) -> bytes:
    """One report document (pdf, docx or html) as bytes, in the language ``lang``,
    and with ``beside`` its text in a second language next to it."""
    return DOCUMENT_FORMATS[fmt](pages(summary, fields, _languages(lang, beside)))


def _languages(lang: str, beside: str | None) -> list[str]:
    return [lang] if not beside or beside == lang else [lang, beside]


def report_stem(summary: Summary, lang: str = "en", beside: str | None = None) -> str:
    """The file name stem of a report: region, the period's last day, and the
    language(s) when not English alone (``_en-ur`` side by side)."""
    codes = _languages(lang, beside)
    suffix = "" if codes == ["en"] else "_" + "-".join(codes)
    return safe_filename(f"sitrep_{summary.region_label}_{summary.period.last_instant:%Y%m%d}"
                         f"{suffix}")


def write_report(summary: Summary, fields: ReportFields, out: Path,
                 formats=FORMATS, sender: str = "", *, lang: str = "en",
                 beside: str | None = None) -> list[Path]:
    """Write every requested format into ``out`` (documents in ``lang``, with
    ``beside`` next to it); returns the files written."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(summary, lang, beside)
    written = []
    made = pages(summary, fields, _languages(lang, beside))
    for fmt, render in DOCUMENT_FORMATS.items():
        if fmt in formats:
            path = out / f"{stem}.{fmt}"
            path.write_bytes(render(made))
            written.append(path)
    bundle = [f for f in formats if f in BUNDLE_FORMATS]
    if bundle:
        written += write_bundle(summary, out, sender=sender, tlp=fields.tlp,
                                name=stem, formats=bundle)
    return written
