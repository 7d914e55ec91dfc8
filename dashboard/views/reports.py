"""Reports and exports: for relief coordinators."""

import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pypdfium2 as pdfium
import streamlit as st

from dashboard import components, data
from dashboard.context import current, current_viewer
from model.access import TLP_LEVELS
from model.i18n import LANGUAGES, _, said
from model.i18n import current as current_language
from reports.bundle import write_bundle
from reports.content import SECTIONS, SECTORS, ReportError, ReportFields, default_highlights
from reports.csv_export import area_table_csv
from reports.sitrep import document, report_stem

ctx = current()
s = ctx.summary
service = data.service()
viewer = current_viewer()
lang = current_language().code  # reports in the session's language
st.title(_("Reports and exports"))
components.demo_banner(s, ctx.scenario_name)
components.period_caption(s)
st.write(_("The report uses the figures shown on the overview for the same filters."))
components.key_figures(s)
if s.audience:
    st.caption(_("Contains data shared only with: {audience}. Send it no further than that.",
                 audience="; ".join(s.audience)))
if not viewer.may("export"):
    st.info(_("Reports need the role coordinator, data exports the role analyst; you are "
              "{role}.", role=viewer.role.name) if viewer.kind == "user" else
            _("Log in as a coordinator to make reports."))
    st.stop()
may_report = viewer.may("report")

# The highlights are generated from the figures: when the figures change (another
# region, period or layer), the text follows them; edits are kept while they do not.
generated = "\n".join(default_highlights(s))
if st.session_state.get("report_highlights_for") != (s.key, lang):
    st.session_state["report_highlights"] = generated
    st.session_state["report_highlights_for"] = (s.key, lang)

left, right = st.columns([3, 2])
with left:
    title = st.text_input(_("Title"), _("Situation report"), key="report_title")
    beside = st.selectbox(
        _("Beside it, the same report in"), [c for c in LANGUAGES if c != lang], index=None,
        key="report_beside", placeholder=_("no second language"),
        format_func=lambda code: f"{LANGUAGES[code].native} · {LANGUAGES[code].name}",
        help=_("Each heading and paragraph next to its translation, on landscape pages; the "
               "tables once, with both languages' headings."))
    agency = st.text_input(_("Issuing agency"), key="report_agency")
    contact = st.text_input(_("Contact"), key="report_contact")
    allowed = TLP_LEVELS[TLP_LEVELS.index(s.tlp):]
    if st.session_state.get("report_tlp") not in allowed:
        st.session_state["report_tlp"] = "TLP:AMBER" if "TLP:AMBER" in allowed else allowed[0]
    tlp = st.radio(_("Sensitivity"), allowed, horizontal=True, key="report_tlp",
                   help=_("The data is marked {tlp}: a report cannot be marked lower.",
                          tlp=s.tlp))
    number_col, date_col, time_col = st.columns([1, 1.4, 1])
    number = number_col.number_input(_("Sitrep number"), min_value=1, value=None, step=1,
                                     key="report_number", placeholder=_("not numbered"))
    next_day = date_col.date_input(_("Next update (UTC)"), value=None, key="report_next_day")
    next_time = time_col.time_input(_("at (UTC)"), value=None, key="report_next_time")
    affected_col, need_col, by_col = st.columns([1, 1, 1.4])
    affected = affected_col.number_input(_("People affected (assessed)"), min_value=0,
                                         value=None, step=1, key="report_affected",
                                         placeholder=_("not reported"))
    in_need = need_col.number_input(_("People in need (assessed)"), min_value=0, value=None,
                                    step=1, key="report_in_need",
                                    placeholder=_("not reported"))
    assessed_by = by_col.text_input(_("Assessed by (source)"), key="report_assessed_by")
    highlights = st.text_area(_("Highlights (one per line; generated from the figures)"),
                              height=180, key="report_highlights")
    sections = {}
    with st.expander(_("Needs and response by sector, coordination")):
        for name in (*SECTORS, *SECTIONS[1:]):
            sections[name] = st.text_area(_(name), key=f"report_section_{name}", height=68)
next_update = (pd.Timestamp.combine(next_day, next_time or pd.Timestamp(0).time())
               .tz_localize("UTC") if next_day else None)
# The default title is the report's own words, in each of its languages.
fields = ReportFields(title="" if title == _("Situation report") else title, agency=agency,
                      contact=contact, tlp=tlp,
                      # Not edited: generated in each of the report's languages.
                      highlights=None if highlights == generated
                      else [h for h in highlights.splitlines() if h.strip()],
                      sections=sections, number=int(number) if number else None,
                      next_update=next_update,
                      affected=int(affected) if affected is not None else None,
                      in_need=int(in_need) if in_need is not None else None,
                      assessed_by=assessed_by)
detail = (repr(fields), lang, beside)  # what, beside the summary, a document depends on
stem = report_stem(s, lang, beside)


def bundle_zip() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        files = write_bundle(s, Path(tmp), sender=agency or "sitrep@localhost", tlp=tlp,
                             name=stem)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in files:
                zf.write(path, path.name)
        return buf.getvalue()


def audited(kind: str) -> dict:
    """A download button's click goes into the audit log (what, filters, TLP)."""
    return {"on_click": service.record_export, "args": ([kind], s, viewer, tlp)}


st.subheader(_("Downloads"))
c1, c2, c3, c4 = st.columns(4)
if may_report:
    try:
        with st.spinner(_("Building the PDF…")):
            pdf = service.document("pdf", s, detail, lambda: document("pdf", s, fields, lang=lang,
                                                                    beside=beside),
                                   viewer)
    except ReportError as exc:
        st.error(_("The report cannot be made: {error}", error=said(exc)))
        st.stop()
    with right:
        page = pdfium.PdfDocument(pdf)[0].render(scale=1.2).to_pil()
        st.image(page, caption=_("First page of the PDF"), width="stretch",
                 alt=_("Preview of the first page of the situation report (PDF)"))
    c1.download_button("PDF", pdf, file_name=f"{stem}.pdf", mime="application/pdf",
                       key="download_pdf", **audited("pdf"))
else:
    with right:
        st.info(_("Reports (PDF, Word, HTML) need the role coordinator: you may download the "
                  "data."))
# Prepared files are remembered by what they were made from (the summary and the
# fields): a change of filter, TLP or text asks for them to be prepared again.
prepared = st.session_state.setdefault("prepared", set())
makers = {
    "docx": (c2, _("Prepare Word (DOCX)"), _("Word (DOCX)"), f"{stem}.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             lambda: document("docx", s, fields, lang=lang, beside=beside)),
    "html": (c3, _("Prepare HTML with map"), _("HTML with interactive map"), f"{stem}.html",
             "text/html", lambda: document("html", s, fields, lang=lang, beside=beside)),
    "bundle": (c4, _("Prepare data bundle"), _("Data bundle (ZIP)"), f"{stem}_data.zip",
               "application/zip", bundle_zip),
}
for kind, (col, prepare, label, file_name, mime, make) in makers.items():
    if kind in ("docx", "html") and not may_report:
        continue
    if col.button(prepare, key=f"prepare_{kind}"):
        with st.spinner(_("Preparing {what}…", what=label)):
            service.document(kind, s, detail, make, viewer)
        prepared.add((kind, s.key, detail))
    if (kind, s.key, detail) in prepared:
        col.download_button(label, service.document(kind, s, detail, make, viewer),
                            file_name=file_name, mime=mime, key=f"download_{kind}",
                            **audited(kind))
    elif any(p[0] == kind for p in prepared):
        col.caption(_("Filters or text changed since it was prepared: prepare it again."))
st.download_button(_("Per-area table only (CSV)"),
                   service.document("csv", s, tlp, lambda: area_table_csv(s, tlp), viewer),
                   file_name=f"{stem}_areas.csv", mime="text/csv", key="download_areas",
                   **audited("csv"))
st.caption(_("CAP alerts from DEMO data carry status Exercise, never Actual. Every exported "
             "row carries the as-of time, source, DEMO flag and TLP marking."))
