"""End to end in a real browser: Debian's Chromium driven by Playwright, with
every request that would leave this machine blocked.

Skipped (with the reason) where Chromium or Playwright is not installed;
``.ci/run`` installs Chromium so these run in CI. Screenshots are written to
tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from data_sources.reference import rivers
from layers.builders import RIVER_COLOUR
from tests.conftest import ROOT
from tests.geo_helpers import write_sindh_districts
from tests.network_nodes import free_port  # one way to pick a port, for every server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
LOCAL = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:",
         "about:")

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
# Skipped on a machine without Chromium; in CI (CI=true) a missing browser is a failure.
pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (/usr/bin/chromium)")]


@contextlib.contextmanager
def streamlit_app(env: dict[str, str], *args: str, port: int | None = None):
    """The dashboard in its own process on 127.0.0.1; yields its URL."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(demo_root, demo):
    env = {**os.environ, "SAMON_CACHE_DIR": str(demo_root), "SAMON_BASEMAP_URL": ""}
    env.pop("SAMON_SCENARIO", None)
    with streamlit_app(env) as url:
        yield url


@pytest.fixture
def page(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        pg = browser.new_page(viewport={"width": 1500, "height": 1100})
        pg.left_localhost = []

        def route(r):
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                pg.left_localhost.append(r.request.url)
                r.abort()

        pg.route("**/*", route)
        yield pg
        browser.close()


MAP_IFRAME = 'iframe[title$="samon_map"]'  # the dashboard's map component


def map_frame(pg):
    return pg.frame_locator(MAP_IFRAME)


def leaflet(pg):
    """The map's own frame (the map component's iframe)."""
    map_frame(pg).locator(".leaflet-container").wait_for(state="attached", timeout=60_000)
    return next(f for f in pg.frames if "samon_map" in f.url)


def layer_count(frame) -> int:
    """Leaflet layers on the map (drawn on a canvas, so counted through Leaflet)."""
    return frame.evaluate("window.map ? Object.keys(window.map._layers).length : 0")


def wait_for_map(pg, minimum: int = 50):
    frame = leaflet(pg)
    frame.wait_for_function(f"window.map && Object.keys(window.map._layers).length > {minimum}",
                            timeout=60_000)
    return frame


def metric(pg, label: str) -> str:
    card = pg.locator('[data-testid="stMetric"]', has_text=label)
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def test_map_renders_offline_with_its_layers(page, server):
    page.goto(server)
    leaflet_frame = wait_for_map(page)
    assert layer_count(leaflet_frame) > 300  # borders, incidents, swaths, alerts ...
    frame = map_frame(page)
    for name in ("Boundaries and borders", "Flood depth", "Cyclone", "Incidents", "Alerts"):
        assert frame.locator(".leaflet-control-layers", has_text=name).count() == 1
    assert frame.locator(".samon-legends").inner_text().startswith("Legend")
    assert "do not imply official endorsement" in frame.locator(".samon-disclaimer").inner_text()
    assert frame.locator(".samon-sources", has_text="DEMO data").is_visible()
    assert frame.locator("img.leaflet-image-layer").count() >= 2  # flood and wind rasters
    # A readable map offline: country and city names, more of them as one zooms in.
    assert frame.locator(".samon-label-country", has_text="Bangladesh").count() == 1
    assert frame.locator(".samon-label", has_text="Karachi").count() == 1
    # The shipped rivers, drawn and named in the legend.
    assert frame.locator(f'path[stroke="{RIVER_COLOUR}"]').count() == 36
    # Their positions arrive as integer steps and are drawn where they are.
    drawn = leaflet_frame.evaluate("colour => { let b = null; Object.values(window.map._layers)"
                                   ".forEach(l => { if (l.options && l.options.color === colour"
                                   " && l.getBounds) b = b ? b.extend(l.getBounds()) :"
                                   " L.latLngBounds(l.getBounds().getSouthWest(),"
                                   " l.getBounds().getNorthEast()); });"
                                   " return [b.getWest(), b.getSouth(), b.getEast(),"
                                   " b.getNorth()]; }", RIVER_COLOUR)
    assert drawn == pytest.approx(rivers().total_bounds.tolist(), abs=0.02)
    assert "River" in frame.locator(".samon-legends").inner_text()
    shown = frame.locator(".samon-label-place").count()
    map_frame(page).locator(".leaflet-control-zoom-in").click()
    page.wait_for_timeout(800)
    assert frame.locator(".samon-label-place").count() > shown
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    assert page.left_localhost == []


def test_layer_toggle_removes_its_shapes(page, server):
    page.goto(server)
    frame = wait_for_map(page)
    before = layer_count(frame)
    map_frame(page).locator(".leaflet-control-layers label", has_text="Incidents").locator(
        "input").uncheck()
    page.wait_for_timeout(500)
    assert layer_count(frame) < before - 100  # the incident markers are gone
    page.screenshot(path=str(ARTIFACTS / "overview_without_incidents.png"))
    assert page.left_localhost == []


# The incident markers (of the markers on their pane, only they carry fatalities).
MARKERS = ("() => Object.values(window.map._layers).filter(l => l instanceof L.CircleMarker"
           " && l.options.pane === 'samon-points' && 'fatalities' in l.feature.properties)")


def test_filter_change_updates_figures(page, server):
    """A country less: new figures, and a map redrawn with the markers of the
    countries left as they were drawn (not sent or built again)."""
    page.goto(server)
    frame = wait_for_map(page)
    cyclone = metric(page, "People exposed to cyclone winds")
    incidents = metric(page, "Border incidents")
    assert frame.evaluate(f"({MARKERS})().length") == int(incidents.replace(",", ""))
    kept = frame.evaluate(f"({MARKERS})().filter(m => m.feature.properties.country !== 'BGD')"
                          ".map(m => {{ m._samonBefore = true; return 1; }}).length")
    page.locator('button[aria-label="Remove Bangladesh (BGD)"]').click()
    page.wait_for_function(
        "old => [...document.querySelectorAll('[data-testid=stMetric]')].some("
        "m => m.innerText.includes('Border incidents') && !m.innerText.includes(old))",
        arg=incidents, timeout=30_000)
    assert metric(page, "Border incidents") != incidents
    assert metric(page, "People exposed to cyclone winds") != cyclone
    assert "BGD" not in page.url.split("countries=")[1].split("&")[0]
    # The map is redrawn for the new region too (its header names the countries).
    map_frame(page).locator(".samon-disclaimer", has_text="AFG, BTN, IND").wait_for(
        timeout=30_000)
    markers = frame.evaluate(f"({MARKERS})().map(m => [m.feature.properties.country,"
                             " m._samonBefore === true])")
    assert len(markers) == int(metric(page, "Border incidents").replace(",", ""))
    assert len(markers) == kept and all(country != "BGD" and before
                                        for country, before in markers)
    page.screenshot(path=str(ARTIFACTS / "overview_without_bangladesh.png"))
    assert page.left_localhost == []


def test_add_data_shows_the_rejection_report(page, server, tmp_path):
    bad = tmp_path / "bsf_log.csv"
    bad.write_text("time,lat,lon,category,country,notes\n"
                   "2026-09-20,34.10,71.10,armed clash,AFG,<script>alert(1)</script>\n"
                   "2026-09-21,123,71.10,armed clash,AFG,bad\n")
    page.goto(f"{server}/add_data")
    page.get_by_test_id("stMainBlockContainer").get_by_test_id(
        "stFileUploaderDropzoneInput").set_input_files(str(bad))
    page.get_by_text("Rejected rows").wait_for(timeout=30_000)
    assert (metric(page, "Accepted"), metric(page, "Rejected")) == ("1", "1")
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=10_000)  # rejected rows, listed
    page.screenshot(path=str(ARTIFACTS / "add_data.png"), full_page=True)
    assert page.left_localhost == []


def test_draw_an_area_on_the_map(page, server):
    page.goto(server)
    wait_for_map(page)
    page.get_by_text("Draw an area on the map").click()
    for i, (x, y) in enumerate(((300, 250), (500, 250), (400, 420)), start=1):
        # Click only once the map shows the corners drawn so far.
        frame = map_frame(page)
        frame.locator(".samon-legends", has_text=f"{i - 1} corner").wait_for(
            timeout=30_000)
        frame.locator(".leaflet-container").click(position={"x": x, "y": y})
        page.get_by_text(f"{i} corner drawn" if i == 1 else f"{i} corners drawn").wait_for(
            timeout=30_000)
    page.get_by_role("button", name="Use drawn area").click()
    page.get_by_text("Using the drawn area instead of countries").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "drawn_area.png"), full_page=True)
    assert page.left_localhost == []


def test_the_warnings_view_lists_what_the_rules_raised(page, server):
    page.goto(server)
    wait_for_map(page)
    page.get_by_role("link", name="Warnings").click()
    page.get_by_text("Active (4)").wait_for(timeout=90_000)
    for text in ("Pakistan: rule flood-impact", "Bangladesh: rule cyclone-impact",
                 "5,385,367 people in Bangladesh live where the cyclone reaches 64 kt",
                 "This node has not run the rules yet, so nothing was sent"):
        page.get_by_text(text).first.wait_for(timeout=30_000)  # the page draws in order
    # The warnings' areas on the map, with the severity legend.
    map_frame(page).get_by_text("Warning severity").wait_for(timeout=60_000)
    map_frame(page).get_by_text("4 active warnings").wait_for(timeout=30_000)
    assert layer_count(leaflet(page)) >= 4
    assert not map_frame(page).locator(".samon-sources").is_visible()  # no sources: no box
    page.screenshot(path=str(ARTIFACTS / "warnings_map.png"))
    # Rules are checked before they are saved: the same version again is refused.
    page.get_by_text("Edit the rules").click()
    # Submitted once the page has finished its run (under a loaded CI machine a click
    # during the rerun the map's first report starts was seen to get no answer).
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)
    page.get_by_role("button", name="Check and save").click()
    page.get_by_text("the version must go up (it is 2").wait_for(timeout=90_000)
    page.screenshot(path=str(ARTIFACTS / "warnings.png"), full_page=True)
    # In Bengali the reasons are Bengali sentences around the data's names and figures.
    page.goto(f"{server}/warnings?lang=bn")
    page.get_by_text("Bangladesh-এ ৫৩,৮৫,৩৬৭ জন এমন জায়গায় বাস করে যেখানে ঘূর্ণিঝড় ৬৪ "
                     "kt-এ পৌঁছায়").first.wait_for(timeout=90_000)
    page.screenshot(path=str(ARTIFACTS / "warnings_bn.png"))
    assert page.left_localhost == []


def test_the_alerts_list_shows_an_alert_on_the_map(page, server):
    """Alerts are listed with their level in words; choosing one brings the map
    to it (the map keeps its other layers as drawn)."""
    page.goto(server)
    frame = wait_for_map(page)
    drawn = frame.evaluate("document.getElementById('map').getAttribute('data-samon-layers')")
    zoom = frame.evaluate("window.map.getZoom()")
    table = page.locator("table.samon-table", has_text="Headline")
    assert "red" in table.inner_text() and "DEMO: Flood in Pakistan" in table.inner_text()
    choice = page.get_by_role("combobox", name="Show an alert on the map")
    choice.scroll_into_view_if_needed()
    choice.click()
    page.keyboard.type("Flood in Pakistan")  # the keyboard alone, as a screen-reader user
    page.keyboard.press("Enter")
    frame.wait_for_function(f"window.map.getZoom() > {zoom}", timeout=30_000)
    assert frame.evaluate(
        "document.getElementById('map').getAttribute('data-samon-layers')") == drawn
    page.screenshot(path=str(ARTIFACTS / "alert_chosen.png"), full_page=True)
    assert page.left_localhost == []


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}


def axe_violations(target) -> list[str]:
    """WCAG 2.1 A and AA failures axe-core finds in a page or frame (axe's own
    script, bundled in its Python package: nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(target, options=WCAG_AA).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:120]}" for v in found]


def test_every_view_passes_an_automated_accessibility_check(page, server):
    """axe-core finds no WCAG 2.1 A/AA failure (contrast, names, alt text...) in
    any view or in the map; the map is usable from the keyboard."""
    page.goto(server)
    frame = wait_for_map(page)
    assert axe_violations(page) == []
    assert axe_violations(frame) == []
    # The map from the keyboard: focus it, zoom in with "+", pan with an arrow key.
    zoom = frame.evaluate("window.map.getZoom()")
    frame.locator(".leaflet-container").focus()
    page.keyboard.press("+")
    frame.wait_for_function(f"window.map.getZoom() > {zoom}", timeout=10_000)
    for view in ("incidents", "warnings", "network", "reports", "add_data"):
        page.goto(f"{server}/{view}")
        page.get_by_test_id("stMainBlockContainer").locator("h1").first.wait_for(
            timeout=60_000)
        page.wait_for_timeout(3000)  # the rest of the page after its title
        assert axe_violations(page) == [], view
    assert page.left_localhost == []


def test_a_cyclone_time_step_moves_the_figures_and_marks_the_storm(page, server):
    page.goto(f"{server}/?countries=BGD,IND&wt=2026-09-26T12:00:00")
    frame = wait_for_map(page)
    page.get_by_text("People within 64 kt winds then").wait_for(timeout=60_000)
    assert "DEMO at 2026-09-26 12:00 UTC: centre" in page.get_by_test_id("stText").filter(
        has_text="centre").first.inner_text()
    legend = map_frame(page).locator(".samon-legends")
    assert "white circle: the centre then" in legend.inner_text()
    # The centre: a white circle on the map (the only white-filled circle).
    assert frame.evaluate("Object.values(window.map._layers).filter(l => "
                          "l instanceof L.CircleMarker && l.options.fillColor === '#ffffff')"
                          ".length") == 1
    page.screenshot(path=str(ARTIFACTS / "cyclone_time_step.png"))
    assert page.left_localhost == []


re_lakh = re.compile(r"\d{1,2}(,\d\d)*,\d{3}")
SCRIPT_FONTS = {"ur": "samon-arabic", "prs": "samon-arabic", "ps": "samon-arabic",
                "dv": "samon-thaana", "bn": "samon-bengali", "hi": "samon-devanagari",
                "ne": "samon-devanagari", "si": "samon-sinhala", "ta": "samon-tamil",
                "dz": "samon-tibetan"}


@pytest.mark.parametrize("code", sorted(SCRIPT_FONTS))
def test_the_dashboard_speaks_each_language(page, server, code):
    from model.i18n import LANGUAGES, _, language

    with language(code):
        title, filters, legend = _("Situation overview"), _("Filters"), _("Legend")
        borders, flood = _("Boundaries and borders"), _("People exposed to flooding")
    page.goto(f"{server}/?lang={code}")
    page.locator("h1", has_text=title).wait_for(timeout=60_000)
    assert page.get_by_test_id("stSidebar").get_by_text(filters, exact=True).count() == 1
    wait_for_map(page)
    frame = map_frame(page)
    assert frame.locator(".samon-legends").inner_text().startswith(legend)
    assert frame.locator(".leaflet-control-layers", has_text=borders).count() == 1
    # The script's own font, served by the app (no CDN), is what the page drew with.
    page.wait_for_function(f"[...document.fonts].some(f => f.family === '{SCRIPT_FONTS[code]}'"
                           " && f.status === 'loaded')", timeout=20_000)
    direction = page.evaluate("getComputedStyle(document.querySelector("
                              "'[data-testid=stMain]')).direction")
    assert direction == ("rtl" if LANGUAGES[code].rtl else "ltr")
    assert frame.locator(".samon-legends").get_attribute("dir") == direction
    if code in ("hi", "ta"):  # lakh and crore in Latin digits: 65,75,455
        assert re_lakh.fullmatch(metric(page, flood)), metric(page, flood)
    page.screenshot(path=str(ARTIFACTS / f"language_{code}.png"))
    assert page.left_localhost == []


def test_add_data_and_network_speak_urdu(page, server, tmp_path):
    """The readers' reasons and the network page in a right-to-left language:
    the sentence in Urdu, the value the user wrote kept as written."""
    bad = tmp_path / "log.csv"
    bad.write_text("time,lat,lon,category,country\n2026-09-20,34.10,71.10,armed clash,AFG\n"
                   "2026-09-21,123,71.10,armed clash,AFG\n")
    page.goto(f"{server}/add_data?lang=ur")
    page.locator("h1", has_text="ڈیٹا شامل کریں").wait_for(timeout=60_000)
    page.get_by_test_id("stMainBlockContainer").get_by_test_id(
        "stFileUploaderDropzoneInput").set_input_files(str(bad))
    page.get_by_text("مسترد قطاریں").wait_for(timeout=30_000)
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for(timeout=10_000)
    # Glide draws the table on a canvas; its accessible copy holds the cells.
    page.wait_for_function("[...document.querySelectorAll('[data-testid=stDataFrame] td')]"
                           ".some(td => td.textContent.includes('-90..90 سے باہر ہے'))",
                           timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "add_data_ur.png"), full_page=True)
    page.goto(f"{server}/network?lang=ur")
    page.locator("h1", has_text="نیٹ ورک").wait_for(timeout=60_000)
    page.get_by_text("یہ نوڈ ابھی کسی ساتھی نوڈ کی پیروی نہیں کرتا").wait_for(timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "network_ur.png"), full_page=True)
    assert page.left_localhost == []


def test_the_language_chosen_in_the_sidebar_stays_in_the_link(page, server):
    page.goto(server)
    wait_for_map(page)
    page.get_by_test_id("stSidebar").locator('[data-testid="stSelectbox"]',
                                             has_text="Language").first.click()
    page.get_by_role("option", name="বাংলা · Bengali").click()
    page.locator("h1", has_text="পরিস্থিতির সারসংক্ষেপ").wait_for(timeout=60_000)
    page.wait_for_function("location.search.includes('lang=bn')", timeout=20_000)
    page.reload()  # the link alone brings the language back
    page.locator("h1", has_text="পরিস্থিতির সারসংক্ষেপ").wait_for(timeout=60_000)
    assert page.left_localhost == []


def test_provinces_out_of_the_box_in_the_table_and_on_the_map(page, server):
    """A Pakistan link: the per-province table holds Sind's flood figures and says
    how old the outlines are; the map outlines the provinces and names one on hover."""
    page.goto(f"{server}/?countries=PAK")
    frame = wait_for_map(page)
    page.get_by_text("By admin area").wait_for(timeout=60_000)
    provinces = page.locator("table.samon-table", has_text="Baluchistan")
    table = provinces.inner_text()
    assert "Sind" in table and "N.W.F.P." in table and "Rajasthan" not in table
    page.get_by_text("Method notes").click()
    page.get_by_text("Nepal's 14 zones before its 7 provinces").wait_for(timeout=10_000)
    drawn = frame.evaluate("""() => Object.values(window.map._layers).filter(
        l => l.feature && l.feature.properties && l.feature.properties.code === 'PK.SD').length""")
    assert drawn == 1
    legend = map_frame(page).locator(".samon-legends").inner_text()
    assert "Admin area outline (province, district)" in legend
    provinces.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "provinces_pakistan.png"), full_page=True)
    assert page.left_localhost == []


def test_boundaries_kept_in_the_store_are_there_in_the_next_session(page, demo_root, tmp_path):
    """Add data: a district file checked, added, kept in the node's store; a new
    session then finds Pakistan's per-area table by those districts."""
    districts = tmp_path / "sindh_districts.geojson"
    write_sindh_districts(districts)
    env = {**os.environ, "SAMON_CACHE_DIR": str(demo_root), "SAMON_BASEMAP_URL": "",
           "SAMON_STORE_PATH": str(tmp_path / "node.gpkg")}
    env.pop("SAMON_SCENARIO", None)
    with streamlit_app(env) as url:
        page.goto(f"{url}/add_data")
        page.get_by_test_id("stMainBlockContainer").get_by_test_id(
            "stFileUploaderDropzoneInput").set_input_files(str(districts))
        page.get_by_role("button", name="Add 2 accepted records to this session").click()
        page.get_by_role("button", name="Keep them in the node's store").click()
        page.get_by_text("Kept in the node's store").wait_for(timeout=30_000)
        fresh = page.context.browser.new_page(viewport={"width": 1500, "height": 1100})
        fresh.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL)
                    else r.abort())
        fresh.goto(f"{url}/?countries=PAK")
        fresh.get_by_text("By admin area").wait_for(timeout=60_000)
        table = fresh.locator("table.samon-table", has_text="Hyderabad")
        table.scroll_into_view_if_needed()
        fresh.screenshot(path=str(ARTIFACTS / "kept_districts_pakistan.png"))
        assert "Sind" not in table.inner_text()  # the districts, not the provinces
    assert page.left_localhost == []
