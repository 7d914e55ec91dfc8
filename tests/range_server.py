"""Serves one file over HTTP on 127.0.0.1 with range requests, as an object
store serves a cloud-optimised GeoTIFF: no listings, no side files (404). GET
/_sent answers how many bytes of the file were sent so far.

Run in its own process (``python -m tests.range_server FILE``; it prints its
URL): GDAL holds the GIL during some of its HTTP requests, which would stall a
server thread in the reading process.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(path: Path) -> None:
    data, name = path.read_bytes(), f"/{path.name}"
    sent = [0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _head(self, status: int, length: int, extra=()) -> None:
            self.send_response(status)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            for key, value in extra:
                self.send_header(key, value)
            self.end_headers()

        def do_HEAD(self):  # noqa: N802
            self._head(200, len(data)) if self.path == name else self._head(404, 0)

        def do_GET(self):  # noqa: N802
            if self.path == "/_sent":
                body = str(sent[0]).encode()
                self._head(200, len(body))
                self.wfile.write(body)
                return
            if self.path != name:
                self._head(404, 0)
                return
            first, last = 0, len(data) - 1
            spec = self.headers.get("Range", "")
            if spec.startswith("bytes="):
                a, _, b = spec[6:].partition("-")
                first, last = int(a), min(int(b) if b else last, last)
                self._head(206, last - first + 1,
                           [("Content-Range", f"bytes {first}-{last}/{len(data)}")])
            else:
                self._head(200, len(data))
            self.wfile.write(data[first:last + 1])
            sent[0] += last - first + 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_port}{name}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
