"""Dashboard speed and page weight, measured in headless Chromium.

    .venv/bin/python -m benchmarks.dashboard

1. Cold start: a new ``streamlit run`` process until the overview's map has
   drawn every layer (three runs with the demo files cached; one with an empty
   cache, generation included), with the server's CPU-seconds; then new
   visitors to a server that has served the page once (what a cold start
   could at best come down to: the browser's part).
2. Filter change: remove one country after another; until the map itself is
   redrawn for the new region (the renderer counts its updates), with the
   server's CPU-seconds and the bytes received meanwhile.
3. First visit: bytes received, straight from Streamlit and through the
   deployment recipe's nginx (gzip, TLS).
4. The overview with 100,000 incidents loaded (a scenario manifest like the
   demo's, with 100,000 incidents).
5. Side by side, the floor of any Streamlit page here: a bare Streamlit page
   (a title and one figure, ``benchmarks/bare_app.py``), from a new ``streamlit
   run`` to its figure shown, and new visitors to it once running.

The browser and the server share this machine's cores, as a user's would on
a laptop node.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psutil
from playwright.sync_api import sync_playwright

from benchmarks import machine
from data_sources.demo import ensure_demo
from tests.network_nodes import free_port  # below the ephemeral range, as the tests pick
from tests.nginx_proxy import nginx_proxy

ROOT = Path(__file__).resolve().parent.parent
MAP_IFRAME = 'iframe[title$="samon_map"]'
ALL_LAYERS = "boundaries covered displacement flood cyclone incidents hotspots alerts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def start(env_extra: dict, script: str = "dashboard/app.py"
          ) -> tuple[subprocess.Popen, str, float, int]:
    port = free_port()
    # Python keeps compiled modules as a user's does (this machine's environment
    # turns that off, which would compile every module at every start).
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
           "SAMON_BASEMAP_URL": "", **env_extra}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script,
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=0.5).text == "ok":
                return proc, url, t0, port
        except httpx.HTTPError:
            time.sleep(0.05)


def cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time (user + system) the server process has used so far."""
    times = psutil.Process(proc.pid).cpu_times()
    return times.user + times.system


def map_frame(page):
    page.frame_locator(MAP_IFRAME).locator(".leaflet-container").wait_for(
        state="attached", timeout=120_000)
    return next(f for f in page.frames if "samon_map" in f.url)


def rendered(page, layers: str = ALL_LAYERS) -> None:
    """Until the figures are shown and the map has drawn ``layers`` (ids)."""
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    map_frame(page).wait_for_function(
        "want => { const m = document.getElementById('map');"
        " const have = (m.getAttribute('data-samon-layers') || '').split(' ');"
        " return want.split(' ').every(id => have.includes(id)); }",
        arg=layers, timeout=120_000)


def renders(page) -> int:
    return int(map_frame(page).evaluate(
        "document.getElementById('map').getAttribute('data-samon-renders') || '0'"))


def count_frame(sizes: dict, event: dict) -> None:
    """Websocket bytes: binary frames arrive base64-encoded from CDP, and with
    enableWebsocketCompression they travel deflated (estimated with zlib)."""
    response = event["response"]
    payload = response["payloadData"]
    data = base64.b64decode(payload) if response.get("opcode") == 2 else payload.encode()
    sizes["websocket"] += len(data)
    sizes["websocket_deflated"] += len(zlib.compress(data, 6))


def metered(page) -> dict:
    """Bytes received by ``page`` from now on: HTTP as on the wire, websocket."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes = {"http": 0, "websocket": 0, "websocket_deflated": 0}
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__("http", sizes["http"] + e["encodedDataLength"]))
    cdp.on("Network.webSocketFrameReceived", lambda e: count_frame(sizes, e))
    return sizes


def incidents_100k(folder: Path) -> Path:
    """A copy of the demo manifest whose incidents file holds 100,000 incidents."""
    demo = ensure_demo()
    for item in demo.parent.iterdir():
        shutil.copy(item, folder / item.name)
    base = pd.read_csv(demo.parent / "DEMO_incidents.csv")
    rng = np.random.default_rng(3)
    big = base.sample(100_000, replace=True, random_state=3).reset_index(drop=True)
    big["latitude"] = (big["latitude"] + rng.normal(0, 0.01, len(big))).round(5)
    big["longitude"] = (big["longitude"] + rng.normal(0, 0.01, len(big))).round(5)
    big["source_id"] = [f"DEMO-BIG-{i:06d}" for i in range(len(big))]
    big.to_csv(folder / "DEMO_incidents.csv", index=False)
    manifest = folder / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["name"] += " (100,000 incidents)"
    manifest.write_text(json.dumps(doc))
    return manifest


def cold_start(browser, env: dict) -> tuple[float, float]:
    """Seconds from a new ``streamlit run`` to the fully drawn map, and the
    server's CPU-seconds until then."""
    proc, url, t0, _ = start(env)
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url)
        rendered(page)
        return time.perf_counter() - t0, cpu_seconds(proc)
    finally:
        proc.terminate()
        proc.wait()


def warm_visits(browser, results: dict) -> None:
    """New visitors to a running server that has served the page once: what a
    cold start could at best come down to, the server's work being done."""
    proc, url, _, _ = start({})
    try:
        first = browser.new_context(viewport={"width": 1500, "height": 1100})
        first.new_page().goto(url)
        rendered(first.pages[0])
        first.close()
        for visit in (1, 2):
            context = browser.new_context(viewport={"width": 1500, "height": 1100})
            page = context.new_page()
            cpu0, t0 = cpu_seconds(proc), time.perf_counter()
            page.goto(url)
            rendered(page)
            results[f"visit {visit} to a warm server: map drawn after s"] = \
                time.perf_counter() - t0
            results[f"visit {visit} to a warm server: server CPU-s"] = cpu_seconds(proc) - cpu0
            context.close()
    finally:
        proc.terminate()
        proc.wait()


def filter_changes(browser, results: dict) -> None:
    """Remove one country after another; each time until the map shows the new
    region (its banner) and has drawn it, with the bytes received meanwhile."""
    proc, url, _, _ = start({})
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        sizes = metered(page)
        page.goto(url)
        rendered(page)
        page.wait_for_timeout(1500)
        for iso3, name in (("BGD", "Bangladesh"), ("NPL", "Nepal"), ("LKA", "Sri Lanka")):
            before, cpu0, drawn = dict(sizes), cpu_seconds(proc), renders(page)
            t0 = time.perf_counter()
            page.locator(f'button[aria-label="Remove {name} ({iso3})"]').click()
            map_frame(page).wait_for_function(
                "([iso, n]) => { const m = document.getElementById('map');"
                " const b = document.querySelector('.samon-disclaimer').innerText;"
                " return Number(m.getAttribute('data-samon-renders')) > n"
                " && !b.includes(iso); }", arg=[iso3, drawn], timeout=30_000)
            wall = time.perf_counter() - t0
            page.wait_for_timeout(1500)  # what else the rerun sends, counted too
            sent = (sizes["websocket_deflated"] - before["websocket_deflated"]
                    + sizes["http"] - before["http"])
            results[f"filter change (remove {iso3}): map redrawn after s"] = wall
            results[f"filter change (remove {iso3}): server CPU-s"] = cpu_seconds(proc) - cpu0
            results[f"filter change (remove {iso3}): map update in the browser, ms"] = float(
                map_frame(page).evaluate(
                    "document.getElementById('map').getAttribute('data-samon-update-ms')"))
            results[f"filter change (remove {iso3}): KB received (websocket deflated)"] = \
                sent / 1e3
            results[f"filter change (remove {iso3}): KB received (websocket raw)"] = (
                sizes["websocket"] - before["websocket"]) / 1e3
    finally:
        proc.terminate()
        proc.wait()


def bare_streamlit(browser, results: dict) -> None:
    """The floor of any Streamlit page on this machine: a bare page's cold
    start (until its figure is shown) and new visitors to it once running."""
    for run in (1, 2, 3):
        proc, url, t0, _ = start({}, "benchmarks/bare_app.py")
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1100})
            context.new_page().goto(url)
            context.pages[0].wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
            results[f"bare Streamlit page, cold start {run}: figure shown after s"] = \
                time.perf_counter() - t0
            context.close()
            if run == 1:
                for visit in (1, 2):
                    context = browser.new_context(viewport={"width": 1500, "height": 1100})
                    t1 = time.perf_counter()
                    context.new_page().goto(url)
                    context.pages[0].wait_for_selector('[data-testid="stMetricValue"]',
                                                       timeout=60_000)
                    results[f"bare Streamlit page, visit {visit} to it running: s"] = \
                        time.perf_counter() - t1
                    context.close()
        finally:
            proc.terminate()
            proc.wait()


def first_visit(browser, results: dict) -> None:
    """Bytes of a first visit to the overview (empty browser cache), straight
    from Streamlit and through the deployment recipe's nginx (gzip, TLS)."""
    proc, url, _, port = start({})
    try:
        for label, context_url in (("direct", url), ("through nginx", None)):
            proxy = nginx_proxy(port) if context_url is None else None
            target = proxy.__enter__() if proxy else context_url
            try:
                context = browser.new_context(ignore_https_errors=True,
                                              viewport={"width": 1500, "height": 1100})
                page = context.new_page()
                sizes = metered(page)
                page.goto(target)
                rendered(page)
                page.wait_for_timeout(1500)
                results[f"first visit {label}: MB received (websocket deflated)"] = (
                    sizes["http"] + sizes["websocket_deflated"]) / 1e6
                results[f"first visit {label}: of which HTTP MB"] = sizes["http"] / 1e6
                context.close()
            finally:
                if proxy:
                    proxy.__exit__(None, None, None)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    results: dict = {}
    print(machine.line())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=ARGS)
        with tempfile.TemporaryDirectory() as empty:
            results["cold start, demo generated first: s"], \
                results["cold start, demo generated first: server CPU-s"] = cold_start(
                    browser, {"SAMON_CACHE_DIR": empty})
        for run in (1, 2, 3):
            results[f"cold start {run}, demo cached: map drawn after s"], \
                results[f"cold start {run}, demo cached: server CPU-s"] = cold_start(browser, {})
        warm_visits(browser, results)
        bare_streamlit(browser, results)
        filter_changes(browser, results)
        first_visit(browser, results)

        with tempfile.TemporaryDirectory() as folder:
            manifest = incidents_100k(Path(folder))
            proc, url, _, _ = start({"SAMON_SCENARIO": str(manifest)})
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                sizes = metered(page)
                t0 = time.perf_counter()
                page.goto(url)
                rendered(page)
                page.wait_for_timeout(1000)
                results["100k incidents: overview rendered after s"] = time.perf_counter() - t0
                results["100k incidents: websocket (figures, map) MB, deflated"] = \
                    sizes["websocket_deflated"] / 1e6
                results["100k incidents: incidents shown"] = page.locator(
                    '[data-testid="stMetric"]', has_text="Border incidents").locator(
                    '[data-testid="stMetricValue"]').inner_text()
            finally:
                proc.terminate()
                proc.wait()
        browser.close()
    for name, value in results.items():
        shown = f"{value:.2f}" if isinstance(value, float) else value
        print(f"{name:66} {shown}")


if __name__ == "__main__":
    main()
