"""An nginx of our own, with the deployment recipe's locations
(deploy/nginx/samon-locations.conf), TLS with a throw-away certificate, in
front of a dashboard on 127.0.0.1: for the deployment tests and the page-weight
benchmark."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The Brotli modules the recipe uses (Debian: libnginx-mod-http-brotli-filter and
# -static); Debian's own nginx.conf loads them from modules-enabled, an nginx.conf of
# our own names them.
MODULES = Path("/usr/lib/nginx/modules")
BROTLI = MODULES / "ngx_http_brotli_filter_module.so"
BROTLI_STATIC = MODULES / "ngx_http_brotli_static_module.so"
LOAD_MODULES = f"load_module {BROTLI}; load_module {BROTLI_STATIC};"
STATIC_ROOT = "/var/lib/samon/streamlit"  # where the recipe keeps Streamlit's files


def precompressed_static() -> Path:
    """Streamlit's files as the recipe's script leaves them, made once per
    Streamlit version on this machine (it takes half a minute)."""
    import streamlit

    folder = Path(tempfile.gettempdir()) / f"samon-streamlit-static-{streamlit.__version__}"
    if not (folder / "static").is_dir():
        subprocess.run([str(DEPLOY / "nginx" / "precompress-static.sh"), sys.executable,
                        str(folder)], check=True, capture_output=True)
    return folder


class ProxyError(RuntimeError):
    """nginx did not start."""


def self_signed(folder: Path, name: str = "127.0.0.1") -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _config(folder: Path, upstreams: tuple[int, ...], port: int, cert: Path, key: Path,
            static: Path) -> Path:
    """A main nginx.conf for a process of our own: the site file's maps and
    upstream (with our ports), around the recipe's locations."""
    site = (DEPLOY / "nginx" / "samon-site.conf").read_text()
    maps = "".join(re.findall(r"^map .*?^}\n", site, flags=re.M | re.S))
    servers = "".join(f"server 127.0.0.1:{p}; " for p in upstreams)
    # The recipe's locations, with Streamlit's files where this machine keeps them.
    locations = folder / "samon-locations.conf"
    recipe = (DEPLOY / "nginx" / "samon-locations.conf").read_text()
    if STATIC_ROOT not in recipe:
        raise ProxyError(f"samon-locations.conf no longer serves {STATIC_ROOT}")
    locations.write_text(recipe.replace(STATIC_ROOT, str(static)))
    conf = folder / "nginx.conf"
    temp = " ".join(f"{name}_temp_path {folder / name};" for name in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf.write_text(f"""
{LOAD_MODULES}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
daemon off;
events {{}}
http {{
    # As Debian's own nginx.conf: files from disk get their types.
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    {temp}
    {maps}
    upstream samon_dashboard {{ hash $samon_route consistent; {servers}}}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        include {locations};
    }}
}}
""")
    return conf


@contextmanager
def nginx_proxy(*upstreams: int, static: Path | None = None) -> Iterator[str]:
    """nginx on a free port in front of dashboards on 127.0.0.1:``upstreams``,
    serving Streamlit's files from ``static`` (default: as the recipe's script
    leaves them); yields its https URL."""
    with tempfile.TemporaryDirectory(prefix="samon-nginx-") as name:
        folder = Path(name)
        cert, key = self_signed(folder)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        conf = _config(folder, upstreams, port, cert, key,
                       precompressed_static() if static is None else static)
        proxy = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf)],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        url = f"https://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(f"{url}/_stcore/health", verify=False, timeout=1)
                    break
                except httpx.HTTPError:
                    if proxy.poll() is not None:
                        raise ProxyError("nginx did not start: "
                                         + proxy.stdout.read().decode()) from None
                    time.sleep(0.1)
            yield url
        finally:
            proxy.terminate()
            proxy.wait(timeout=20)
