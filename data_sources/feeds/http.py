"""HTTP for feeds: timeouts, retries with backoff, conditional GET, a size
limit, and a local copy of the last good response so the app keeps working
offline on the last data it had."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..errors import DataSourceError


class FetchError(DataSourceError):
    """A feed could not be fetched (timeout, HTTP error, body too large ...).
    ``retry``: the failure may pass (timeout, 5xx, 429), so trying again helps."""

    retry: bool = False


@dataclass
class Fetched:
    path: Path  # the body, as last received in full
    not_modified: bool  # the server said 304: nothing new since last time
    status: int


MAX_REDIRECTS = 5
BODY_DEADLINE_TIMEOUTS = 3  # a whole body may take this many timeouts


def redact(url: str) -> str:
    """The URL without its query string: API keys never reach logs or screens."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


class Fetcher:
    def __init__(self, cache_dir: Path, *, timeout: float = 20.0, retries: int = 3,
                 backoff: float = 1.0, max_bytes: int = 100_000_000,
                 transport: httpx.BaseTransport | None = None):
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.timeout, self.retries, self.backoff, self.max_bytes = timeout, retries, backoff, \
            max_bytes
        self.client = httpx.Client(timeout=timeout, follow_redirects=True, transport=transport,
                                   headers={"User-Agent": "south-asia-monitor/0.1"})
        # Copies replaced in this run: (path, where the previous one waits, or None).
        self._set_aside: list[tuple[Path, Path | None]] = []

    def _meta_path(self, name: str) -> Path:
        return self.cache_dir / f"{name}.meta.json"

    def fetch(self, url: str, name: str, suffix: str,
              allowed_hosts: frozenset[str] | None = None) -> Fetched:
        """GET ``url`` (conditionally, when we have a previous copy named ``name``).
        ``allowed_hosts``: redirects are followed only to these hosts (links taken
        from a feed's content); None follows any (the configured feed URLs)."""
        body = self.cache_dir / f"{name}{suffix}"
        meta_path = self._meta_path(name)
        meta = json.loads(meta_path.read_text()) if meta_path.exists() and body.exists() else {}
        headers = {}
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
        last_error = FetchError(f"{redact(url)}: not fetched")
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._get(url, headers, body, meta_path, allowed_hosts)
            except FetchError as exc:
                last_error = exc
                if not exc.retry:
                    raise
        raise last_error

    def _get(self, url: str, headers: dict, body: Path, meta_path: Path,
             allowed_hosts: frozenset[str] | None = None, hops: int = 0) -> Fetched:
        shown = redact(url)
        try:
            with self.client.stream("GET", url, headers=headers,
                                    follow_redirects=allowed_hosts is None) as response:
                if response.status_code == 304:
                    return Fetched(body, True, 304)
                if response.is_redirect and allowed_hosts is not None:
                    target = str(response.url.join(response.headers.get("location", "")))
                    host = urlsplit(target).hostname or ""
                    if host not in allowed_hosts or hops >= MAX_REDIRECTS:
                        raise FetchError(f"{shown} redirects to {redact(target)}, which is not "
                                         "allowed for this source")
                    return self._get(target, headers, body, meta_path, allowed_hosts, hops + 1)
                if response.status_code >= 500 or response.status_code == 429:
                    error = FetchError(f"{shown} answered HTTP {response.status_code}")
                    error.retry = True
                    raise error
                if response.status_code >= 400:
                    raise FetchError(f"{shown} answered HTTP {response.status_code}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    raise FetchError(f"{shown} sends {declared:,} bytes, over the limit of "
                                     f"{self.max_bytes:,}")
                tmp = body.with_suffix(body.suffix + ".part")
                size = 0
                # The timeout bounds each read; a server that drips a byte at a time
                # would never trip it, so the whole body has a deadline too.
                deadline = time.monotonic() + BODY_DEADLINE_TIMEOUTS * self.timeout
                with tmp.open("wb") as out:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        problem = (f"sent more than {self.max_bytes:,} bytes; refused"
                                   if size > self.max_bytes else
                                   f"took over {BODY_DEADLINE_TIMEOUTS * self.timeout:g} s to "
                                   "send its body; refused" if time.monotonic() > deadline
                                   else None)
                        if problem:
                            out.close()
                            tmp.unlink(missing_ok=True)
                            raise FetchError(f"{shown} {problem}")
                        out.write(chunk)
                self._keep_previous(body, meta_path)
                tmp.replace(body)  # the last good copy is only ever replaced whole
                meta_path.write_text(json.dumps({
                    "etag": response.headers.get("etag"),
                    "last_modified": response.headers.get("last-modified"), "url": shown}))
                return Fetched(body, False, response.status_code)
        except httpx.TimeoutException:
            error = FetchError(f"{shown} did not answer within {self.timeout:g} s")
            error.retry = True
            raise error from None
        except httpx.TransportError as exc:
            error = FetchError(f"{shown} cannot be reached ({type(exc).__name__})")
            error.retry = True
            raise error from None
        except httpx.HTTPError as exc:  # redirect loops, malformed URLs or headers ...
            raise FetchError(f"{shown} failed ({type(exc).__name__}: {exc})") from None

    def _keep_previous(self, body: Path, meta_path: Path) -> None:
        """Set the copy about to be replaced aside until the run that fetched
        the new one has read it (``commit``) or failed on it (``rollback``)."""
        for path in (body, meta_path):
            backup = path.with_name(path.name + ".previous")
            if path.exists() and not backup.exists():
                path.replace(backup)
                self._set_aside.append((path, backup))
            elif not path.exists():
                self._set_aside.append((path, None))

    def commit(self) -> None:
        """The new bodies were read: they are the last good copies now."""
        for _, backup in self._set_aside:
            if backup is not None:
                backup.unlink(missing_ok=True)
        self._set_aside.clear()

    def rollback(self) -> None:
        """The new bodies could not be read: the previous good copies come back
        (and their ETags, so the next run fetches the body again)."""
        for path, backup in reversed(self._set_aside):
            if backup is None:
                path.unlink(missing_ok=True)
            else:
                backup.replace(path)
        self._set_aside.clear()

    def close(self) -> None:
        self.client.close()
