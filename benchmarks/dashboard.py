"""Dashboard speed and page weight, measured in headless Chromium.

    .venv/bin/python -m benchmarks.dashboard

1. Cold start: a new ``streamlit run`` process until the overview is fully
   rendered (key figures and every map layer), with the demo files already
   generated, and with an empty cache (generation included).
2. Filter change: remove one country and wait for new figures and a redrawn map.
3. Page weight of the overview with 100,000 incidents loaded (a scenario
   manifest like the demo's, with 100,000 incidents): bytes over HTTP and the
   websocket, which carries the map.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from playwright.sync_api import sync_playwright

from data_sources.demo import ensure_demo

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env_extra: dict) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = {**os.environ, "SAMON_BASEMAP_URL": "", **env_extra}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=0.5).text == "ok":
                return proc, url, t0
        except httpx.HTTPError:
            time.sleep(0.05)


def rendered(page, minimum_layers: int) -> None:
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
        ".leaflet-container").wait_for(state="attached", timeout=120_000)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_function(
        f"window.map && Object.keys(window.map._layers).length > {minimum_layers}",
        timeout=120_000)


def count_frame(sizes: dict, event: dict) -> None:
    """Websocket bytes: binary frames arrive base64-encoded from CDP, and with
    enableWebsocketCompression they travel deflated (estimated with zlib)."""
    response = event["response"]
    payload = response["payloadData"]
    data = base64.b64decode(payload) if response.get("opcode") == 2 else payload.encode()
    sizes["websocket"] += len(data)
    sizes["websocket_deflated"] += len(zlib.compress(data, 6))


def mark_map(page) -> None:
    """Tag the Leaflet map now shown, so that its replacement can be told apart
    (layer counts need not change between two maps)."""
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.evaluate("window.map._samonOld = true")


def wait_for_new_map(page, timeout: float = 30.0) -> None:
    """Until a map without the tag is drawn, whichever frame holds it (the
    frame may be replaced on a rerun, or the map re-created inside it)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                fresh = frame.evaluate("!!(window.map && !window.map._samonOld && "
                                       "Object.keys(window.map._layers).length > 1)")
            except Exception:  # noqa: BLE001 - detached while we looked
                continue
            if fresh:
                return
        time.sleep(0.02)
    raise TimeoutError("the map was not redrawn")


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


def cold_start(browser, env: dict) -> float:
    proc, url, t0 = start(env)
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url)
        rendered(page, 300)
        return time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=ARGS)
        with tempfile.TemporaryDirectory() as empty:
            results["cold start, demo generated first"] = cold_start(
                browser, {"SAMON_CACHE_DIR": empty})
        results["cold start, demo files cached"] = cold_start(browser, {})

        proc, url, _ = start({})
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            rendered(page, 300)
            old = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
            mark_map(page)
            t0 = time.perf_counter()
            page.locator('button[aria-label="Remove Bangladesh (BGD)"]').click()
            page.wait_for_function(
                "old => JSON.stringify([...document.querySelectorAll("
                "'[data-testid=stMetricValue]')].map(e => e.innerText)) !== old",
                arg=json.dumps(old), timeout=30_000)
            wait_for_new_map(page)
            results["filter change (remove one country)"] = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait()

        with tempfile.TemporaryDirectory() as folder:
            manifest = incidents_100k(Path(folder))
            proc, url, _ = start({"SAMON_SCENARIO": str(manifest)})
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                cdp = page.context.new_cdp_session(page)
                cdp.send("Network.enable")
                sizes = {"http": 0, "websocket": 0, "websocket_deflated": 0}
                cdp.on("Network.loadingFinished",
                       lambda e: sizes.__setitem__("http", sizes["http"] + e["encodedDataLength"]))
                cdp.on("Network.webSocketFrameReceived", lambda e: count_frame(sizes, e))
                t0 = time.perf_counter()
                page.goto(url)
                rendered(page, 100)
                page.wait_for_timeout(1000)
                results["100k incidents: overview rendered after"] = time.perf_counter() - t0
                results["100k incidents: page weight MB (websocket deflated)"] = (
                    sizes["http"] + sizes["websocket_deflated"]) / 1e6
                results["100k incidents: Streamlit frontend and assets over HTTP MB"] = \
                    sizes["http"] / 1e6
                results["100k incidents: websocket (figures, map) MB, raw"] = \
                    sizes["websocket"] / 1e6
                results["100k incidents: websocket MB, deflated as sent"] = \
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
        print(f"{name:58} {shown}")


if __name__ == "__main__":
    main()
