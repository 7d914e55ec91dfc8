"""Situation reports and exports: figures agree across formats, markings on every
page, valid CAP, HXL that our own reader reads back, safe CSV and HTML."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import capvalidator
import docx
import pandas as pd
import pytest
from lxml import etree
from pypdf import PdfReader

from data_sources.displacement import read_hxl_displacement
from data_sources.incidents import read_points
from geo.summary import situation_summary
from model.period import Period
from model.situation import KEY_FIGURES, Filters
from reports.bundle import write_bundle
from reports.cap_export import alerts_to_cap
from reports.content import DISCLAIMER, ReportFields, build_content
from reports.csv_export import neutralise, safe_csv
from reports.files import safe_filename
from reports.sitrep import document
from tests.conftest import ROOT

CAP_XSD = Path(capvalidator.__file__).parent / "static" / "CAP-v1.2-schema.xsd"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def summary(demo):
    return situation_summary(demo)


@pytest.fixture(scope="module")
def pdf(demo, summary):
    return document("pdf", summary, ReportFields(agency="NDMA", tlp="TLP:AMBER"))


def pdf_pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def test_pdf_key_figures_tlp_on_every_page_and_disclaimer(pdf, summary):
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    assert all("TLP:AMBER" in p for p in pages)
    text = "\n".join(pages)
    for name in KEY_FIGURES:
        assert f"{summary.key_figures[name]:,.0f}" in text, name
    assert "do not imply official endorsement" in " ".join(text.split())
    assert "DEMO DATA" in text


def test_docx_key_figures_tlp_and_disclaimer(demo, summary):
    data = document("docx", summary, ReportFields(tlp="TLP:RED"))
    d = docx.Document(io.BytesIO(data))
    assert all("TLP:RED" in s.header.paragraphs[0].text and "TLP:RED" in
               s.footer.paragraphs[0].text for s in d.sections)
    cells = {c.text for t in d.tables for row in t.rows for c in row.cells}
    for name in KEY_FIGURES:
        assert f"{summary.key_figures[name]:,.0f}" in cells, name
    assert any(DISCLAIMER in p.text for p in d.paragraphs)


def test_figures_agree_across_summary_pdf_docx_and_csv(demo, summary, pdf, tmp_path):
    pak = summary.areas.set_index("iso3").loc["PAK"]
    want = f"{pak['people_exposed_flood']:,.0f}"
    assert want in "\n".join(pdf_pages(pdf))
    d = docx.Document(io.BytesIO(document("docx", summary, ReportFields())))
    rows = [[c.text for c in r.cells] for t in d.tables for r in t.rows]
    pakistan = next(r for r in rows if r[0] == "Pakistan")
    assert pakistan[2] == want
    files = write_bundle(summary, tmp_path, formats=("csv",))
    areas = pd.read_csv(next(f for f in files if f.name.endswith("_areas.csv")),
                        skiprows=[1], encoding="utf-8-sig").set_index("iso3")
    assert areas.loc["PAK", "people_exposed_flood"] == pak["people_exposed_flood"]
    assert areas["incidents"].sum() == summary.key_figures["incidents"]


def test_cap_exports_validate_against_the_cap_12_schema(summary):
    schema = etree.XMLSchema(etree.parse(str(CAP_XSD)))
    messages = alerts_to_cap(summary, "ops@ndma.example", "TLP:AMBER")
    assert len(messages) == 3
    for name, xml in messages.items():
        doc = etree.fromstring(xml)
        assert schema.validate(doc), (name, schema.error_log.last_error)
        ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
        assert doc.findtext("cap:status", namespaces=ns) == "Exercise"  # DEMO, never Actual
        assert doc.findtext("cap:scope", namespaces=ns) == "Restricted"
        assert name == safe_filename(name)
    public = alerts_to_cap(summary, "ops@ndma.example", "TLP:CLEAR")
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert {etree.fromstring(x).findtext("cap:scope", namespaces=ns)
            for x in public.values()} == {"Public"}


def test_hxl_csvs_read_back_through_our_readers(demo, summary, tmp_path):
    files = write_bundle(summary, tmp_path, formats=("csv",))
    idps = next(f for f in files if "displacement_IDP" in f.name)
    back = read_hxl_displacement(idps)
    assert back.rejected == 0
    assert back.data["figure"].sum() == summary.key_figures["displaced"]
    incidents = read_points(next(f for f in files if f.name.endswith("_incidents.csv")))
    assert incidents.rejected == 0 and len(incidents.data) == len(summary.incidents)


def test_bundle_formats(demo, summary, tmp_path):
    files = write_bundle(summary, tmp_path)
    names = {f.name for f in files}
    assert "sitrep.gpkg" in names and "sitrep_incidents.geojson" in names
    import pyogrio
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "sitrep.gpkg")}
    assert {"incidents", "alerts", "hotspots", "wind_swaths", "areas"} <= layers


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("safe", "safe"), (5, 5),
])
def test_csv_injection_is_neutralised(value, expected):
    assert neutralise(value) == expected


def test_csv_cells_from_data_are_neutralised():
    data = safe_csv(pd.DataFrame({"notes": ["=cmd|' /C calc'!A0", "ok"], "n": [-1, 2]}))
    text = data.decode("utf-8-sig")
    assert "'=cmd" in text and ",-1" in text  # numbers stay numbers


def test_html_is_self_contained_and_escapes_text(demo, summary):
    alerts = summary.alerts.copy()
    alerts.loc[alerts.index[0], "headline"] = "<script>alert(1)</script>`"
    evil = situation_summary(demo)
    evil.alerts = alerts
    html = document("html", evil, ReportFields(title="<b>Report</b>")).decode()
    assert "<script>alert(1)</script>" not in html.replace("&lt;script&gt;", "")
    assert "&lt;b&gt;Report&lt;/b&gt;" in html
    assert "srcdoc=" in html
    assert " src=\"http" not in html and "href=\"http" not in html.split("srcdoc")[0]


def test_empty_selection_says_so(demo):
    empty = situation_summary(demo, Filters(period=Period.of_days("2020-01-01", "2020-01-31"),
                                            hazards=frozenset({"incidents", "alerts"})))
    content = build_content(empty, ReportFields())
    assert content.empty
    text = "\n".join(pdf_pages(document("pdf", empty, ReportFields())))
    assert "Nothing to report for this selection" in text


@pytest.mark.parametrize("name,expected", [
    ("sitrep_AFG, PAK_20260930.pdf", "sitrep_AFG_PAK_20260930.pdf"),
    ("../../etc/passwd", "etc_passwd"), (".hidden", "hidden"),
    ("ঢাকা report.pdf", "report.pdf"), ("", "file"),
])
def test_file_names_are_sanitised(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.slow
def test_unicode_place_names_survive_in_the_pdf(demo, summary):
    fields = ReportFields(sections={"Shelter": "Tents in Dadu (دادو), Dhaka (ঢাকা), "
                                              "Colombo (කොළඹ), Chennai (சென்னை)"})
    data = document("pdf", summary, fields)
    text = "\n".join(pdf_pages(data))
    assert "ঢাকা" in text
    # Shaped Tamil, Sinhala and Nastaliq do not extract back to the same code points,
    # so check that their fonts were used (the rendering is checked by eye: artifacts).
    fonts = {str(f["/BaseFont"]) for page in PdfReader(io.BytesIO(data)).pages
             for f in page["/Resources"]["/Font"].values()}
    for script in ("Bengali", "Sinhala", "Tamil", "Nastaliq"):
        assert any(script in f for f in fonts), script


@pytest.mark.slow
def test_cli_writes_every_format(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "reports", "sitrep", "--region", "PAK", "--hazard", "flood",
         "--from", "2026-08-01", "--to", "2026-09-15", "--tlp", "AMBER", "--format",
         "pdf,docx,html,gpkg,csv,cap", "--out", str(tmp_path), "--number", "3",
         "--next-update", "2026-10-01T06:00", "--in-need", "5000", "--assessed-by", "JNA"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    written = [Path(line) for line in proc.stdout.split()]
    page = next(p for p in written if p.suffix == ".html").read_text()
    assert "No. 3 · next update 2026-10-01 06:00 UTC" in page and "5,000" in page
    suffixes = {p.suffix for p in written}
    assert {".pdf", ".docx", ".html", ".gpkg", ".csv", ".xml"} <= suffixes
    assert all(p.exists() for p in written)
    bad = subprocess.run([sys.executable, "-m", "reports", "sitrep", "--region", "XYZ",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "XYZ" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_first_page_as_png_for_a_person_to_look_at(pdf, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(path),
                    str(ARTIFACTS / "report_page")], check=True)
    assert list(ARTIFACTS.glob("report_page*.png"))


def test_what_a_coordinator_expects_of_a_sitrep_in_every_format(summary):
    """A sitrep number and the next update, a source and as-of time per figure,
    the assessed people affected and in need with their source, and the
    minimum needs of the displaced per area (Sphere), in PDF, DOCX and HTML."""
    fields = ReportFields(number=7, next_update=pd.Timestamp("2026-10-01 06:00", tz="UTC"),
                          affected=250_000, in_need=120_000, assessed_by="MIRA round 1")
    expected = ["No. 7 · next update 2026-10-01 06:00 UTC", "DEMO flood model (DEMO)",
                "2026-09-30 06:00 UTC", "250,000", "120,000", "MIRA round 1",
                "Minimum needs of the displaced", "17,090,850",  # Pakistan: 1,139,390 x 15 L
                "Sphere Handbook 2018"]
    pdf_text = " ".join(" ".join(pdf_pages(document("pdf", summary, fields))).split())
    d = docx.Document(io.BytesIO(document("docx", summary, fields)))
    docx_text = " ".join([p.text for p in d.paragraphs]
                         + [c.text for t in d.tables for row in t.rows for c in row.cells])
    html_text = document("html", summary, fields).decode()
    for text in expected:
        assert text in pdf_text, ("pdf", text)
        assert text in docx_text, ("docx", text)
        assert text.replace("&", "&amp;") in html_text, ("html", text)
    # Without them nothing is invented: "not reported".
    plain = build_content(summary, ReportFields())
    assert plain.issue_line == ""
    assert list(plain.key_figures["Value"].iloc[-2:]) == ["not reported", "not reported"]


@pytest.mark.browser
def test_the_exported_html_map_draws_offline_from_a_file(summary, tmp_path):
    """The report's HTML file opened from disk: the map (the dashboard's own
    renderer, inlined) draws its layers, legend and names; nothing is fetched."""
    playwright = pytest.importorskip("playwright.sync_api")
    from tests.test_browser import CHROMIUM

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    path = tmp_path / "sitrep.html"
    path.write_bytes(document("html", summary, ReportFields()))
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            fetched: list[str] = []
            page.on("request", lambda r: fetched.append(r.url)
                    if not r.url.startswith(("file:", "data:", "about:")) else None)
            page.goto(path.as_uri())
            frame = page.frame_locator('iframe[title="Map"]')
            frame.locator(".samon-legends", has_text="Displaced people").wait_for(timeout=30_000)
            assert frame.locator(".samon-label-country", has_text="Pakistan").count() == 1
            assert frame.locator(".leaflet-control-layers", has_text="Incidents").count() == 1
        finally:
            browser.close()
    assert fetched == []
