"""Reports and exports: for relief coordinators."""

import io
import tempfile
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import streamlit as st

from dashboard import components, data
from dashboard.context import current
from reports.bundle import write_bundle
from reports.content import SECTIONS, SECTORS, TLP_LEVELS, ReportFields, default_highlights
from reports.csv_export import area_table_csv
from reports.files import safe_filename
from reports.sitrep import document

ctx = current()
s = ctx.summary
st.title("Reports and exports")
components.demo_banner(s, ctx.scenario)
components.period_caption(s)
st.write("The report uses the figures shown on the overview for the same filters.")
components.key_figures(s)

left, right = st.columns([3, 2])
with left:
    title = st.text_input("Title", "Situation report", key="report_title")
    agency = st.text_input("Issuing agency", key="report_agency")
    contact = st.text_input("Contact", key="report_contact")
    tlp = st.radio("Sensitivity", TLP_LEVELS, index=2, horizontal=True, key="report_tlp")
    highlights = st.text_area("Highlights (one per line; generated from the figures)",
                              "\n".join(default_highlights(s)), height=180,
                              key="report_highlights")
    sections = {}
    with st.expander("Needs and response by sector, coordination"):
        for name in (*SECTORS, *SECTIONS[1:]):
            sections[name] = st.text_area(name, key=f"report_section_{name}", height=68)
fields = ReportFields(title=title, agency=agency, contact=contact, tlp=tlp,
                      highlights=[h for h in highlights.splitlines() if h.strip()],
                      sections=sections)
stem = safe_filename(f"sitrep_{s.region_label}_{s.end:%Y%m%d}")

pdf = data.report_pdf(ctx.scenario, s, ctx.scenario_key, s.filters, fields)
with right:
    page = pdfium.PdfDocument(pdf)[0].render(scale=1.2).to_pil()
    st.image(page, caption="First page of the PDF", width="stretch")

st.subheader("Downloads")
c1, c2, c3, c4 = st.columns(4)
c1.download_button("PDF", pdf, file_name=f"{stem}.pdf", mime="application/pdf",
                   key="download_pdf")
if c2.button("Prepare Word (DOCX)", key="prepare_docx"):
    st.session_state["docx"] = document("docx", s, ctx.scenario, fields)
if "docx" in st.session_state:
    c2.download_button("Word (DOCX)", st.session_state["docx"], file_name=f"{stem}.docx",
                       key="download_docx")
if c3.button("Prepare HTML with map", key="prepare_html"):
    st.session_state["html"] = document("html", s, ctx.scenario, fields)
if "html" in st.session_state:
    c3.download_button("HTML with interactive map", st.session_state["html"],
                       file_name=f"{stem}.html", mime="text/html", key="download_html")
if c4.button("Prepare data bundle", key="prepare_bundle"):
    with st.spinner("Writing GeoPackage, HXL CSVs, GeoJSON and CAP alerts…"), \
            tempfile.TemporaryDirectory() as tmp:
        files = write_bundle(s, ctx.scenario, Path(tmp), sender=agency or "sitrep@localhost",
                             tlp=tlp, name=stem)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in files:
                zf.write(path, path.name)
        st.session_state["bundle"] = buf.getvalue()
if "bundle" in st.session_state:
    c4.download_button("Data bundle (ZIP)", st.session_state["bundle"],
                       file_name=f"{stem}_data.zip", mime="application/zip",
                       key="download_bundle")
st.download_button("Per-area table only (CSV)", area_table_csv(s), file_name=f"{stem}_areas.csv",
                   mime="text/csv", key="download_areas")
st.caption("Prepared files reflect the filters and text at the time you prepare them. "
           "CAP alerts from DEMO data carry status Exercise, never Actual.")
