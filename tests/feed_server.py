"""A local HTTP server (127.0.0.1 only) serving feed files in their real
formats, with switches for the failures feeds have: 304, 5xx, slowness,
redirects."""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    def __init__(self):
        self.routes: dict[str, dict] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                path = self.path.split("?")[0]
                route = server.routes.get(path)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                if route.get("fail_times", 0) > 0:
                    route["fail_times"] -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                if route.get("redirect"):
                    self.send_response(302)
                    self.send_header("Location", route["redirect"])
                    self.end_headers()
                    return
                if route.get("delay"):
                    time.sleep(route["delay"])
                body = route.get("body", b"")
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if route.get("etag", True) and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", route.get("type", "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                if route.get("etag", True):
                    self.send_header("ETag", etag)
                self.end_headers()
                try:
                    if route.get("drip"):  # a byte at a time, forever slow
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(route["drip"])
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, body: bytes = b"", **options) -> str:
        self.routes[path] = {"body": body, **options}
        return self.url + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
