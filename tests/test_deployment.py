"""The deployment recipe (deploy/): the dashboard behind nginx with TLS, as the
README sets it up, loaded in Chromium through the proxy: the map draws over
the proxied websocket with the security headers on and no Content Security
Policy violation, and Streamlit's metrics are not reachable from outside."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.nginx_proxy import (
    BROTLI,
    BROTLI_STATIC,
    LOAD_MODULES,
    NGINX,
    ProxyError,
    nginx_proxy,
    precompressed_static,
    self_signed,
)
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    free_port,
    map_frame,
    streamlit_app,
    wait_for_map,
)

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
DEPLOY = ROOT / "deploy"


def _needs(path: str, package: str) -> None:
    if Path(path).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{package} is not installed (.ci/run installs it)")
    pytest.skip(f"{package} is not installed (apt-get install {package})")


def _needs_the_recipe() -> None:
    """nginx with the Brotli modules, and the brotli command the recipe's script runs."""
    _needs(NGINX, "nginx-light")
    _needs(str(BROTLI), "libnginx-mod-http-brotli-filter")
    _needs(str(BROTLI_STATIC), "libnginx-mod-http-brotli-static")
    _needs(shutil.which("brotli") or "/usr/bin/brotli", "brotli")


@pytest.fixture(scope="module")
def proxied(demo_root, demo):
    _needs_the_recipe()
    _needs(str(CHROMIUM), "chromium")
    env = {**os.environ, "SAMON_CACHE_DIR": str(demo_root), "SAMON_BASEMAP_URL": ""}
    env.pop("SAMON_SCENARIO", None)
    upstream = free_port()
    with streamlit_app(env, port=upstream) as direct:
        try:
            with nginx_proxy(upstream) as url:
                yield url, direct
        except ProxyError as exc:
            pytest.fail(str(exc))


def test_the_site_file_is_valid_nginx(tmp_path):
    """deploy/nginx/samon-site.conf as an administrator installs it (with this
    test's certificate and include paths in place of /etc's)."""
    _needs_the_recipe()
    cert, key = self_signed(tmp_path, "monitor.example.org")
    site = (DEPLOY / "nginx" / "samon-site.conf").read_text()
    site = site.replace("/etc/ssl/certs/monitor.example.org.pem", str(cert)) \
        .replace("/etc/ssl/private/monitor.example.org.key", str(key)) \
        .replace("/etc/nginx/snippets/samon-locations.conf",
                 str(DEPLOY / "nginx" / "samon-locations.conf"))
    (tmp_path / "site.conf").write_text(site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"{LOAD_MODULES}\npid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                    f"events {{}}\nhttp {{ include {tmp_path}/site.conf; }}\n")
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "syntax is ok" in done.stderr, done.stderr


@pytest.mark.browser
def test_the_dashboard_works_through_the_proxy_with_its_headers(proxied):
    url, direct = proxied
    page_headers = httpx.get(url + "/", verify=False, timeout=10).headers
    assert page_headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in page_headers["content-security-policy"]
    assert page_headers["x-content-type-options"] == "nosniff"
    assert page_headers["strict-transport-security"].startswith("max-age=")
    # Streamlit serves its metrics to anyone who reaches it; the proxy does not.
    assert httpx.get(direct + "/_stcore/metrics", timeout=10).status_code == 200
    assert httpx.get(url + "/_stcore/metrics", verify=False, timeout=10).status_code == 404
    assert httpx.get(url + "/_stcore/health", verify=False, timeout=10).text == "ok"
    # The app's scripts travel compressed.
    page = httpx.get(url + "/", verify=False, timeout=10).text
    script = page.split('<script type="module" crossorigin src="', 1)[1].split('"', 1)[0]
    plain = httpx.get(direct + "/" + script.lstrip("./"), timeout=10,
                      headers={"Accept-Encoding": "identity"})
    packed = httpx.get(url + "/" + script.lstrip("./"), verify=False, timeout=10,
                       headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.content == plain.content

    def sent(encoding: str) -> tuple[str, int]:
        with httpx.stream("GET", url + "/" + script.lstrip("./"), verify=False, timeout=10,
                          headers={"Accept-Encoding": encoding}) as response:
            return response.headers["content-encoding"], sum(
                len(chunk) for chunk in response.iter_raw())

    # Brotli where the browser takes it: Streamlit's files as the recipe's script
    # compressed them once at level 11 (smaller than gzip -9 by a fifth here).
    (gz, gz_bytes), (br, br_bytes) = sent("gzip"), sent("br")
    on_disk = precompressed_static() / script.lstrip("./")
    assert (gz, br) == ("gzip", "br") and br_bytes < gz_bytes
    assert br_bytes == Path(f"{on_disk}.br").stat().st_size
    assert gz_bytes == Path(f"{on_disk}.gz").stat().st_size
    assert int(packed.headers.get("content-length", 10**9)) < len(plain.content) / 2 or \
        packed.num_bytes_downloaded < len(plain.content) / 2

    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking",
                                          "--disable-component-update", "--no-first-run"])
        try:
            context = browser.new_context(ignore_https_errors=True,
                                          viewport={"width": 1500, "height": 1100})
            page = context.new_page()
            violations: list[str] = []
            page.on("console", lambda m: violations.append(m.text)
                    if "Content Security Policy" in m.text else None)
            left: list[str] = []

            def route(r):
                if r.request.url.startswith((url, "wss://127.0.0.1", "data:", "blob:",
                                             "about:")):
                    r.continue_()
                else:
                    left.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page.goto(url)
            frame = wait_for_map(page)  # the figures and the map came over the websocket
            map_frame(page).get_by_text("Incidents").first.wait_for(timeout=60_000)
            assert frame.evaluate("Object.keys(window.map._layers).length") > 50
            page.screenshot(path=str(ARTIFACTS / "behind_nginx.png"))
        finally:
            browser.close()
    assert violations == [] and left == []


def test_streamlit_files_not_on_disk_come_from_the_app(proxied, tmp_path):
    """After an upgrade of Streamlit, before the script runs again, its new files
    are not in nginx's folder: they come from the app, compressed on the way."""
    url, direct = proxied
    port = int(direct.rsplit(":", 1)[1])
    page = httpx.get(direct + "/", timeout=10).text
    script = page.split('<script type="module" crossorigin src="', 1)[1].split('"', 1)[0]
    plain = httpx.get(direct + "/" + script.lstrip("./"), timeout=10)
    with nginx_proxy(port, static=tmp_path) as bare:
        passed = httpx.get(bare + "/" + script.lstrip("./"), verify=False, timeout=10,
                           headers={"Accept-Encoding": "gzip"})
    assert passed.status_code == 200 and passed.headers["content-encoding"] == "gzip"
    assert passed.content == plain.content  # decoded by httpx


def test_the_systemd_units_are_valid(tmp_path):
    """deploy/systemd/*.service as installed in /opt/samon (here: this checkout),
    checked by systemd's own verifier; each starts one of our commands."""
    verifier = shutil.which("systemd-analyze")
    if verifier is None:
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert [u.stem for u in units] == ["samon-dashboard@", "samon-ingest", "samon-node",
                                       "samon-warnings"]
    installed = []
    for unit in units:
        text = unit.read_text().replace("/opt/samon", str(ROOT))
        # The dashboard's template, as one of its instances (a port).
        name = unit.name.replace("@.", "@8502.")
        (tmp_path / name).write_text(text)
        installed.append(str(tmp_path / name))
        command = next(line for line in text.splitlines() if line.startswith("ExecStart="))
        assert command.split()[1] in ("run", "-m"), command
    assert "--server.port %i" in (DEPLOY / "systemd" / "samon-dashboard@.service").read_text()
    done = subprocess.run([verifier, "verify", "--man=no", *installed],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_visitor_stays_with_one_dashboard_process():
    """Several dashboard processes behind the recipe's nginx: the first response
    sets a route cookie, and every request carrying it reaches the same process
    (a session, its websocket and its uploads live in one); visitors spread."""
    import http.server
    import threading

    _needs_the_recipe()

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            body = str(self.server.server_address[1]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    backends = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer) for _ in range(2)]
    for b in backends:
        threading.Thread(target=b.serve_forever, daemon=True).start()
    ports = [b.server_address[1] for b in backends]
    try:
        with nginx_proxy(*ports) as url:
            first = httpx.get(url + "/", verify=False)
            route = first.cookies["samon_route"]
            assert "HttpOnly" in first.headers["set-cookie"]
            cookies = {"samon_route": route}
            seen = {httpx.get(url + "/x", verify=False, cookies=cookies).text for _ in range(10)}
            assert seen == {first.text}
            again = httpx.get(url + "/", verify=False, cookies=cookies)
            assert "set-cookie" not in again.headers  # given once
            spread = {httpx.get(url + "/", verify=False).text for _ in range(40)}
            assert spread == {str(p) for p in ports}
    finally:
        for b in backends:
            b.shutdown()


def test_a_clean_start_prints_no_warning_and_asks_nothing_of_the_internet(demo_root):
    """`streamlit run dashboard/app.py` as the README starts it: the address to
    open, and no warning, no web link, no lookup of a public address."""
    import sys

    port = free_port()
    env = {**os.environ, "SAMON_CACHE_DIR": str(demo_root)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
                             "--server.port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(1)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert f"URL: http://localhost:{port}" in out, out
    for bad in ("WARNING", "Warning", "https://", "External URL", "Did not auto detect"):
        assert bad not in out, out
