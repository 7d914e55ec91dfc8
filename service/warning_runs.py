"""Running the early-warning rules on a node, and serving what they sent.

``WarningRuns.run_once`` evaluates the rules on the node's data at one moment
(each rule over the data every receiver of its warnings may see), keeps the
messages in the store and sends them; ``run_every`` repeats that on a period
and as soon as the data changes (an ingest), so a warning follows its data
within seconds. ``serve`` answers the node's CAP Atom feed, the CAP messages
and the acknowledgement links sent to recipients.
"""

from __future__ import annotations

import html
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pandas as pd

from data_sources.accounts import Accounts
from data_sources.stores import open_store
from data_sources.warning_log import WarningLog
from early_warning.dissemination import Channels, check_ack
from early_warning.feed import atom_feed
from early_warning.rules import Rule
from early_warning.runner import RunResult, run_lock, run_once
from model.access import OPEN, AccessError, Viewer, may_see
from model.i18n import N_
from model.scenario import Scenario
from model.schema import SAARC_ISO3

from .situation import SituationService, restricted

PUBLIC = Viewer("the public", kind="anonymous", anonymous_clear=True)


def audience(share: str, accounts: Accounts) -> list[Viewer]:
    """Viewers standing for everyone a distribution reaches: a record all of
    them may see, each receiver may see. Members: one stranger per member
    state (no agency, no group); a group: each agency in it."""
    if share == "public":
        return [PUBLIC]
    if share == "members":
        return [Viewer(f"any agency of {c}", agency="", country=c) for c in SAARC_ISO3]
    name = share.removeprefix("group:")
    groups = accounts.groups()
    row = groups[groups["name"] == name]
    agencies = str(row["agencies"].iloc[0] or "").split(",") if len(row) else []
    out = []
    for code in filter(None, agencies):
        agency = accounts.agency(code)
        out.append(Viewer(code, agency=code, country=agency["country"] if agency else "",
                          groups=accounts.groups_of(code)))
    return out


class WarningRuns:
    def __init__(self, service: SituationService) -> None:
        self.service = service
        self.settings = service.settings

    def channels(self) -> Channels:
        s = self.settings
        return Channels(sender=s.warning_sender, smtp_url=s.smtp_url, mqtt_url=s.mqtt_url,
                        base_url=s.warning_base_url, timeout_s=s.timeout_s, retries=s.retries,
                        backoff_s=s.backoff_s)

    def run_once(self, at: pd.Timestamp | None = None, *, client: httpx.Client | None = None,
                 now: pd.Timestamp | None = None) -> RunResult:
        """One run at ``at``: by default now for live data, and the data's as-of
        time for a manifest or the DEMO (a snapshot: now would find nothing)."""
        now = now or pd.Timestamp.now(tz="UTC")
        rules = self.service.rules()
        whole = self.service.scenario(OPEN)
        if at is None:
            at = now if self.service.live else whole.as_of
        with run_lock(self.settings.store_path), open_store(self.settings) as store:
            accounts = Accounts(store)
            views: dict[str, Scenario] = {}

            def scenario_for(rule: Rule) -> Scenario:
                if rule.share not in views:
                    viewers = audience(rule.share, accounts)
                    views[rule.share] = restricted(whole, *viewers) if viewers else \
                        _empty(whole)
                return views[rule.share]

            return run_once(store, scenario_for, rules, at, self.channels(), client=client,
                            now=now, scheduler=self.settings.dask_scheduler)

    def run_every(self, every: pd.Timedelta, *, watch_s: float = 5.0,
                  stop: threading.Event | None = None,
                  report: Callable[[RunResult], None] = lambda r: None) -> None:
        """Run now, then every ``every`` and whenever the data changes (checked
        every ``watch_s`` seconds), until ``stop`` is set."""
        stop = stop or threading.Event()
        open_store(self.settings).close()  # made now: its creation is not a data change
        while not stop.is_set():
            token = self.service.token()
            report(self.run_once())
            due = time.monotonic() + every.total_seconds()
            while not stop.wait(min(watch_s, max(0.0, due - time.monotonic()))):
                if time.monotonic() >= due or self.service.token() != token:
                    break

    # -- what the feed server answers ----------------------------------------------------

    def feed(self, viewer: Viewer) -> bytes:
        """The CAP Atom feed of the messages ``viewer`` may receive."""
        found = self.service.warnings(viewer)
        base = self.settings.warning_base_url.rstrip("/")
        messages = found.messages if found.source == "runs" else found.messages.iloc[0:0]
        links = {i: f"{base}/cap/{i}.xml" for i in messages["identifier"]}
        return atom_feed(messages, links, title=f"Warnings ({self.settings.warning_sender})",
                         feed_id=f"urn:samon:feed:{self.settings.warning_sender}")

    def cap(self, identifier: str, viewer: Viewer) -> bytes | None:
        with open_store(self.settings) as store:
            found = WarningLog(store).cap(identifier)
        if found is None or not may_see({"agency": "", "agency_country": "", "tlp": found[1],
                                         "share": found[2]}, viewer):
            return None  # the same answer for a message withheld as for none
        return found[0]

    def acknowledge_link(self, warning: str, recipient: str, token: str) -> str:
        """Record an acknowledgement from a link sent to ``recipient``; the
        recipient's agency acknowledges. Returns that agency."""
        rules = self.service.rules()
        who = rules.recipient(recipient)
        with open_store(self.settings) as store, store.transaction() as db:
            log_table = WarningLog(store)
            if who is None or not check_ack(log_table.secret(db), warning, recipient, token):
                raise AccessError(N_("this acknowledgement link is not valid"))
            if log_table.first_sent(warning, recipient) is None:
                raise AccessError(N_("this warning was not sent to this recipient"))
            done = log_table.acknowledge(db, warning, who.agency, f"recipient {recipient}",
                                         "link")
        if done:
            self.service.access.record(Viewer(f"recipient {recipient}", agency=who.agency,
                                              country=who.country),
                                       "acknowledge", {"warning": warning, "via": "link"})
        return who.agency


def _empty(sc: Scenario) -> Scenario:
    """Nobody would receive the warnings: the rule sees no data at all."""
    return restricted(sc, Viewer("nobody", kind="anonymous"))


def serve(runs: WarningRuns, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server (not yet started) answering ``/feed.atom``,
    ``/cap/IDENTIFIER.xml`` and ``/ack?w=&r=&t=``. Without a bearer token
    (``python -m access token create``) only public warnings are served."""
    access = runs.service.access

    class Handler(BaseHTTPRequestHandler):
        server_version = "samon-warnings"

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _page(self, status: int, title: str, text: str) -> None:
            body = (f"<!doctype html><html lang='en'><meta charset='utf-8'><title>"
                    f"{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
                    f"<p>{html.escape(text)}</p></html>").encode()
            self._send(status, body, "text/html; charset=utf-8")

        def _viewer(self) -> Viewer:
            header = self.headers.get("Authorization", "")
            if header.startswith("Bearer "):
                return access.from_token(header.removeprefix("Bearer ").strip())
            return PUBLIC

        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            url = urlsplit(self.path)
            try:
                if url.path == "/feed.atom":
                    self._send(200, runs.feed(self._viewer()), "application/atom+xml")
                elif url.path.startswith("/cap/") and url.path.endswith(".xml"):
                    body = runs.cap(url.path[5:-4], self._viewer())
                    if body is None:
                        self._page(404, "Not found", "No such message for you.")
                    else:
                        self._send(200, body, "application/cap+xml")
                elif url.path == "/ack":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    agency = runs.acknowledge_link(q.get("w", ""), q.get("r", ""),
                                                   q.get("t", ""))
                    self._page(200, "Acknowledged", f"Warning {q['w']} is acknowledged for "
                               f"{agency}. Thank you.")
                else:
                    self._page(404, "Not found", "This server answers /feed.atom, "
                               "/cap/IDENTIFIER.xml and acknowledgement links.")
            except AccessError as exc:
                self._page(403, "Refused", str(exc))
            except Exception:  # the server goes on; the operator sees why
                traceback.print_exc()
                self._page(500, "Error", "The warnings cannot be served just now; the "
                           "node's log says why.")

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass  # requests are not logged with their tokens

    return ThreadingHTTPServer((host, port), Handler)
