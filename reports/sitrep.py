"""Produce a situation report in the chosen formats (used by the CLI and the dashboard)."""

from __future__ import annotations

from pathlib import Path

from data_sources.scenario import Scenario
from geo.summary import Summary

from .bundle import BUNDLE_FORMATS, write_bundle
from .content import ReportFields, build_content
from .docx_export import render_docx
from .files import safe_filename
from .html_export import render_html
from .pdf import render_pdf

DOCUMENT_FORMATS = {"pdf": render_pdf, "docx": render_docx, "html": render_html}
FORMATS = (*DOCUMENT_FORMATS, *BUNDLE_FORMATS)


def document(fmt: str, summary: Summary, scenario: Scenario, fields: ReportFields) -> bytes:
    """One report document (pdf, docx or html) as bytes."""
    return DOCUMENT_FORMATS[fmt](build_content(summary, fields), scenario)


def write_report(summary: Summary, scenario: Scenario, fields: ReportFields, out: Path,
                 formats=FORMATS, sender: str = "") -> list[Path]:
    """Write every requested format into ``out``; returns the files written."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_filename(f"sitrep_{summary.region_label}_{summary.end:%Y%m%d}")
    written = []
    content = build_content(summary, fields)
    for fmt, render in DOCUMENT_FORMATS.items():
        if fmt in formats:
            path = out / f"{stem}.{fmt}"
            path.write_bytes(render(content, scenario))
            written.append(path)
    bundle = [f for f in formats if f in BUNDLE_FORMATS]
    if bundle:
        written += write_bundle(summary, scenario, out, sender=sender, tlp=fields.tlp,
                                name=stem, formats=bundle)
    return written
