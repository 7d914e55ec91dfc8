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
from .pdf import render_pdf

DOCUMENT_FORMATS = {"pdf": render_pdf, "docx": render_docx, "html": render_html}
FORMATS = (*DOCUMENT_FORMATS, *BUNDLE_FORMATS)


def document(fmt: str, summary: Summary, fields: ReportFields, *, lang: str = "en") -> bytes:
    """One report document (pdf, docx or html) as bytes, in the language ``lang``."""
    with language(lang):
        return DOCUMENT_FORMATS[fmt](build_content(summary, fields))


def report_stem(summary: Summary, lang: str = "en") -> str:
    """The file name stem of a report: region, the period's last day, and the
    language when not English."""
    suffix = "" if lang == "en" else f"_{lang}"
    return safe_filename(f"sitrep_{summary.region_label}_{summary.period.last_instant:%Y%m%d}"
                         f"{suffix}")


def write_report(summary: Summary, fields: ReportFields, out: Path,
                 formats=FORMATS, sender: str = "", *, lang: str = "en") -> list[Path]:
    """Write every requested format into ``out`` (documents in ``lang``); returns
    the files written."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(summary, lang)
    written = []
    with language(lang):
        content = build_content(summary, fields)
        for fmt, render in DOCUMENT_FORMATS.items():
            if fmt in formats:
                path = out / f"{stem}.{fmt}"
                path.write_bytes(render(content))
                written.append(path)
    bundle = [f for f in formats if f in BUNDLE_FORMATS]
    if bundle:
        written += write_bundle(summary, out, sender=sender, tlp=fields.tlp,
                                name=stem, formats=bundle)
    return written
