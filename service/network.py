"""The regional network, through the one door: what this node serves to each
caller of its API, what it announces on the broker, and what it takes from
its peers.

The sharing rules decide everything that leaves the node, here and nowhere
else: the API answers a caller (a peer node's token, or a user's) only the
records ``model.access.visible`` lets that caller see; TLP:RED records are
never served and never announced, whoever asks; a notification reveals a
record's place and time only when the record is public, else an opaque id.
What comes in keeps its marking exactly (re-sharing never widens it), its
originating node and its version there; a record that reaches us by two
routes is one record, and an older version never replaces a newer one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from data_sources.errors import DataSourceError
from data_sources.network import (
    MqttLink,
    PeerClient,
    PeerError,
    canonical_bytes,
    integrity,
    notification,
    parse_notification,
    read_features,
    record_features,
    record_keys,
    topic_part,
)
from data_sources.network_log import NetworkLog
from data_sources.settings import Settings
from data_sources.store import FEATURE_TABLES
from data_sources.stores import open_store
from model.access import OPEN, TLP_LEVELS, Viewer, visible
from model.period import Period

from .access import AccessService, LoginError

PAGE_LIMIT = 1000  # features per API page, at most
_SCAN = 5_000  # stored rows read per step while filling a page


@dataclass
class Page:
    """One page of a collection for one caller: its features, the cursor of
    the next page (None: the collection ends here) and how many it holds."""

    features: list[dict]
    next_after: int | None


class NetworkService:
    def __init__(self, settings: Settings | None = None, access: AccessService | None = None):
        self.settings = settings or Settings()
        self.access = access or AccessService(self.settings)
        self._lock = threading.Lock()  # one sync writes at a time in this process

    @contextmanager
    def _tables(self):
        """The network tables, in the node's store (PostgreSQL on a hub)."""
        with open_store(self.settings) as own:
            yield own, NetworkLog(own)

    # -- who asks ------------------------------------------------------------------------

    def caller(self, token: str | None) -> Viewer:
        """The API's caller: a bearer token is required, and must name an
        enabled user of this node (a peer node's, or a person's)."""
        if not token:
            raise LoginError("the node's API needs a bearer token (Authorization: Bearer ...)")
        viewer = self.access.from_token(token)
        if viewer.kind != "user":
            raise LoginError("the token is not known here")
        return viewer

    # -- what the API serves -------------------------------------------------------------

    def page(self, viewer: Viewer, kind: str, *, after: int = 0, limit: int = 100,
             bbox: tuple[float, float, float, float] | None = None,
             period: Period | None = None) -> Page:
        """Records of ``kind`` that ``viewer`` may see, stored after row
        ``after``, in the order they were stored (a stable cursor for catch-up)."""
        self._check_kind(kind)
        viewer.require("see")
        limit = max(1, min(int(limit), PAGE_LIMIT))
        features: list[dict] = []
        cursor = int(after)
        with open_store(self.settings) as store, self._tables() as (own, log):
            while len(features) < limit:
                rows = store.query(kind, bbox=bbox, period=period, after_fid=cursor,
                                   limit=_SCAN)
                if rows.empty:
                    return Page(features, None)
                shown = rows[self._may_leave(rows, viewer)]
                if len(shown) > limit - len(features):
                    shown = shown.iloc[:limit - len(features)]
                    cursor = int(shown["fid"].iloc[-1])
                else:
                    cursor = int(rows["fid"].iloc[-1])
                features += self._features(kind, shown, log)
                if len(rows) < _SCAN and len(features) < limit:
                    return Page(features, None)
        return Page(features, cursor)

    def item(self, viewer: Viewer, kind: str, fid: int) -> bytes | None:
        """One stored row as the GeoJSON feature bytes its notification hashed;
        None when it is not current or ``viewer`` may not see it (the same
        answer for both)."""
        self._check_kind(kind)
        viewer.require("see")
        with open_store(self.settings) as store, self._tables() as (_, log):
            rows = store.query(kind, after_fid=int(fid) - 1, limit=1)
            if rows.empty or int(rows["fid"].iloc[0]) != int(fid) or \
                    not self._may_leave(rows, viewer)[0]:
                return None
            return canonical_bytes(self._features(kind, rows, log)[0])

    def _may_leave(self, rows: pd.DataFrame, viewer: Viewer) -> np.ndarray:
        """What ``viewer`` may see, minus TLP:RED, which never leaves the node."""
        return visible(rows, viewer) & (rows["tlp"].astype("string") != TLP_LEVELS[-1]
                                        ).fillna(False).to_numpy(dtype=bool)

    def _features(self, kind: str, rows: gpd.GeoDataFrame, log: NetworkLog) -> list[dict]:
        origins = log.origins(kind, record_keys(kind, rows)) if len(rows) else {}
        return record_features(kind, rows, origins=origins, node=self.settings.node_name)

    def _check_kind(self, kind: str) -> None:
        if kind not in FEATURE_TABLES:
            raise KeyError(kind)

    # -- announcing this node's records --------------------------------------------------

    def announce(self, publish: Callable[[str, bytes], None]) -> int:
        """Announce every record of this node's own agencies stored since the
        last announcement (never TLP:RED; nothing received from a peer, which
        its origin announced). ``publish(topic, payload)`` raises when the broker
        did not take a message: the next call starts again from there."""
        own_agencies = set(self.access.agencies()["code"]) if self.access.users_exist() \
            else set()
        base = self.settings.node_url.rstrip("/")
        sent = 0
        with open_store(self.settings) as store, self._tables() as (own, log):
            for kind in FEATURE_TABLES:
                cursor = log.published(kind)
                while True:
                    rows = store.query(kind, after_fid=cursor, limit=_SCAN)
                    if rows.empty:
                        break
                    origins = log.origins(kind, record_keys(kind, rows))
                    ours = rows["agency"].astype("string").isin(own_agencies).fillna(False) & \
                        (rows["tlp"].astype("string") != TLP_LEVELS[-1]).fillna(False) & \
                        ~record_keys(kind, rows).isin(list(origins))
                    features = record_features(kind, rows[ours.to_numpy()], origins={},
                                               node=self.settings.node_name)
                    now = pd.Timestamp.now(tz="UTC")
                    for feature in features:
                        props = feature["properties"]
                        body = canonical_bytes(feature)
                        public = props["share"] == "public" and props["tlp"] == TLP_LEVELS[0]
                        message = notification(
                            feature, body, kind=kind, pubtime=now, public=public,
                            href=f"{base}/collections/{kind}/items/{feature['id']}")
                        topic = "/".join([self.settings.topic_root,
                                          topic_part(props.get("agency_country") or "INT"),
                                          topic_part(props["agency"]), kind])
                        # At least once: should the broker fail part way, the batch is
                        # announced again, and receivers find those records known.
                        publish(topic, canonical_bytes(message))
                        sent += 1
                    cursor = int(rows["fid"].iloc[-1])
                    with own.transaction() as db:
                        log.set_published(db, kind, cursor)
                        if features:
                            log.log(db, self.settings.node_name, "published", len(features))
        return sent

    # -- taking from peers -----------------------------------------------------------------

    def add_peer(self, name: str, url: str, token: str, topics: Iterable[str] = (), *,
                 by: Viewer = OPEN) -> None:
        by.require("admin")
        topics = [t.strip() for t in topics if t.strip()]
        if not url.startswith(("http://", "https://")):
            raise DataSourceError(f"'{url}' is not an http(s) address of a node's API")
        with self._tables() as (own, log), own.transaction() as db:
            log.add_peer(db, name, url.rstrip("/"), token.strip(), topics)
        self.access.record(by, "peer add", {"peer": name, "url": url, "topics": topics})

    def remove_peer(self, name: str, *, by: Viewer = OPEN) -> None:
        by.require("admin")
        with self._tables() as (own, log), own.transaction() as db:
            if not log.remove_peer(db, name):
                raise KeyError(f"no peer named {name}")
        self.access.record(by, "peer remove", {"peer": name})

    def peers(self) -> list[dict]:
        with self._tables() as (_, log):
            return log.peers()

    def catch_up(self, *, client_for: Callable[[dict], PeerClient] | None = None
                 ) -> dict[str, int]:
        """Read every peer's collections from where we stopped; per peer, how
        many records were stored (-1: the peer failed, logged). Nothing is
        lost: a cursor moves only with the records it covers."""
        done: dict[str, int] = {}
        for peer in self.peers():
            client = (client_for or _client)(peer)
            try:
                done[peer["name"]] = self._catch_up_peer(peer, client)
            except (PeerError, DataSourceError) as exc:
                self._log(peer["name"], "error", detail=exc.message)
                done[peer["name"]] = -1
            finally:
                client.close()
        return done

    def _catch_up_peer(self, peer: dict, client: PeerClient) -> int:
        stored = 0
        for kind in FEATURE_TABLES:
            with self._tables() as (_, log):
                cursor = log.cursor(peer["name"], kind)
            while True:
                features, next_after = client.page(kind, cursor, PAGE_LIMIT)
                counts = self._keep(peer["name"], kind, features, f"{peer['url']} {kind}",
                                    cursor=next_after if next_after is not None else
                                    _last_fid(features, cursor))
                stored += counts
                if next_after is None:
                    break
                cursor = next_after
        self._log(peer["name"], "sync", stored)
        return stored

    def receive(self, topic: str, payload: bytes, *,
                client_for: Callable[[dict], PeerClient] | None = None) -> str:
        """One notification from the broker (see ``receive_all``)."""
        return self.receive_all([(topic, payload)], client_for=client_for)[0]

    def receive_all(self, messages: list[tuple[str, bytes]], *,
                    client_for: Callable[[dict], PeerClient] | None = None) -> list[str]:
        """Notifications from the broker: for each, fetch the record it announces
        from the peer whose API it links to and check it hashes to what the
        message says; then keep what passed, one write per peer and kind.
        Returns what happened to each (for logs and tests)."""
        peers = self.peers()
        outcomes: list[str] = []
        passed: dict[tuple[str, str], list[tuple[int, dict, float]]] = {}
        clients: dict[str, PeerClient] = {}
        try:
            for topic, payload in messages:
                outcome, peer, kind, feature, lag = self._fetch(topic, payload, peers, clients,
                                                                client_for)
                if feature is not None:
                    passed.setdefault((peer, kind), []).append((len(outcomes), feature, lag))
                outcomes.append(outcome)
        finally:
            for client in clients.values():
                client.close()
        for (peer, kind), items in passed.items():
            kept = self._keep(peer, kind, [f for _, f, _ in items], f"{peer} notifications",
                              lag_s=float(np.median([lag for _, _, lag in items])))
            for position, _, _ in items:
                outcomes[position] = "kept" if kept else "known"
        return outcomes

    def _fetch(self, topic: str, payload: bytes, peers: list[dict],
               clients: dict[str, PeerClient], client_for) -> tuple:
        """(outcome, peer, kind, feature or None, lag in seconds) for one message."""
        try:
            notice = parse_notification(payload, kinds=FEATURE_TABLES)
        except PeerError as exc:
            self._log(f"topic {topic}", "refused", detail=exc.message)
            return "refused", None, None, None, None
        peer = next((p for p in peers if _under(notice.href, p["url"])), None)
        if peer is None:
            self._log(f"topic {topic}", "refused",
                      detail=f"links to {notice.href[:80]}, which is no peer of ours")
            return "refused", None, None, None, None
        name = peer["name"]
        if name not in clients:
            clients[name] = (client_for or _client)(peer)
        try:
            body = clients[name].get(notice.href)
        except PeerError as exc:
            if exc.status in (403, 404):
                return "not for us", name, None, None, None  # announced to all, shared with few
            self._log(name, "error", detail=exc.message)
            return "error", name, None, None, None
        if integrity(body)["value"] != notice.sha256:
            self._log(name, "refused", detail=f"{notice.data_id}: the content does not match "
                      "the notification's sha256 (tampered or corrupted); not kept")
            return "refused", name, None, None, None
        try:
            feature = json.loads(body)
        except ValueError:
            self._log(name, "refused", detail=f"{notice.data_id}: not JSON")
            return "refused", name, None, None, None
        lag = (pd.Timestamp.now(tz="UTC") - notice.pubtime).total_seconds()
        return "fetched", name, notice.kind, feature, lag

    def _keep(self, peer: str, kind: str, features: list, where: str, *,
              cursor: int | None = None, lag_s: float | None = None) -> int:
        """Store a peer's features (checked, never TLP:RED, never older than
        what we hold), record where each came from, move the read cursor."""
        result = read_features(features, kind, path=where)
        for rejection in result.rejections:
            self._log(peer, "refused", detail=f"{where} feature {rejection.row}: "
                      f"{rejection.field}: {rejection.reason}")
        # Our own records, come back through a peer, are ours already.
        rows = result.data[result.data["origin"] != self.settings.node_name]
        with self._lock:
            with self._tables() as (own, log):
                held = log.origins(kind, record_keys(kind, rows)) if len(rows) else {}
                keys = record_keys(kind, rows)
                newer = np.array([held.get(k, ("", 0))[1] < int(v) or held.get(k, ("",))[0]
                                  != o for k, v, o in zip(keys, rows["version"], rows["origin"],
                                                          strict=True)], dtype=bool)
                rows, keys = rows[newer], keys[newer]
                # One record per key in a batch (the last version the peer holds).
                last = ~keys.duplicated(keep="last").to_numpy()
                rows, keys = rows[last], keys[last]
                kept = 0
                if len(rows):
                    kept = self._store_records(peer, kind, rows.drop(
                        columns=["version", "fid", "origin"]))
                with own.transaction() as db:
                    if len(rows):
                        log.add_receipts(db, kind, zip(keys, rows["origin"],
                                                       rows["version"].astype(int),
                                                       strict=True), via=peer)
                    if cursor is not None:
                        log.set_cursor(db, peer, kind, cursor)
                    if lag_s is not None and kept:
                        log.log(db, peer, "received", kept, lag_s=lag_s)
        return kept

    def _store_records(self, peer: str, kind: str, rows: gpd.GeoDataFrame) -> int:
        with open_store(self.settings) as store:
            log_id = store.log_start(f"peer:{peer}")
            with store.transaction() as db:
                counts = store.upsert(kind, gpd.GeoDataFrame(rows, geometry="geometry",
                                                             crs="EPSG:4326"), db)
                store.log_finish(log_id, db, fetched=1, accepted=len(rows),
                                 duplicates=counts.get("duplicates", 0),
                                 updated=counts.get("updated", 0))
        return int(counts.get("inserted", 0) + counts.get("updated", 0))

    def _log(self, peer: str, event: str, records: int = 0, *, detail: str | None = None
             ) -> None:
        with self._tables() as (own, log), own.transaction() as db:
            log.log(db, peer, event, records, detail=detail)

    # -- what the operator and the dashboard see -----------------------------------------

    def status(self, viewer: Viewer = OPEN) -> pd.DataFrame:
        """Per peer: address, topics, last successful sync, lag, records
        received, refusals, errors and the last problem."""
        viewer.require("see")
        with self._tables() as (own, log):
            peers = pd.DataFrame(log.peers(), columns=["name", "url", "token", "topics", "added"])
            totals = log.totals()
        out = peers.drop(columns="token").merge(totals, left_on="name", right_on="peer",
                                                how="left").drop(columns="peer")
        for col in ("received", "refused", "errors"):
            out[col] = out[col].fillna(0).astype(int)
        now = pd.Timestamp.now(tz="UTC")
        out["since_sync_s"] = (now - out["last_sync"]).dt.total_seconds()
        out["topics"] = out["topics"].map(lambda t: ", ".join(t))
        return out

    def log(self, peer: str | None = None, limit: int = 200) -> pd.DataFrame:
        with self._tables() as (_, log):
            return log.entries(peer, limit)

    def run(self, stop: threading.Event, *, report: Callable[[str], None] = print) -> None:
        """The node's network loop until ``stop``: announce new records of ours,
        take every notification from the peers' topics, and catch up with every
        peer at start, after each reconnection to the broker and every
        ``sync_every_s``."""
        open_store(self.settings, verify=True).close()  # never write into a damaged store
        link = None
        if self.settings.mqtt_url:
            topics = sorted({t for p in self.peers() for t in p["topics"]})
            link = MqttLink(self.settings.mqtt_url, f"samon-{self.settings.node_name}", topics)
        next_sync, seen_connects, token = 0.0, 0, None
        try:
            while not stop.is_set():
                if link is not None and len(link.connected_at) > seen_connects:
                    seen_connects = len(link.connected_at)
                    next_sync = 0.0  # back on the broker: catch up on what we missed
                if time.monotonic() >= next_sync:
                    for name, n in self.catch_up().items():
                        if n:
                            report(f"{name}: {'failed (see status)' if n < 0 else f'{n} new'}")
                    next_sync = time.monotonic() + self.settings.sync_every_s
                if link is not None:
                    with open_store(self.settings) as store:
                        now_token = store.change_token()
                    if now_token != token and link.is_connected:
                        try:
                            sent = self.announce(link.publish)
                            token = now_token
                            if sent:
                                report(f"announced {sent} record(s)")
                        except PeerError as exc:
                            report(f"announcing paused: {exc.message}")
                    self._drain(link)
                else:
                    stop.wait(1.0)
        finally:
            if link is not None:
                link.close()

    def _drain(self, link: MqttLink) -> None:
        """Everything the broker has handed us (waiting a moment for the first)."""
        import queue

        try:
            messages = [link.received.get(timeout=0.2)]
        except queue.Empty:
            return
        while len(messages) < 500:
            try:
                messages.append(link.received.get_nowait())
            except queue.Empty:
                break
        self.receive_all(messages)


def _client(peer: dict) -> PeerClient:
    return PeerClient(peer["url"], peer["token"])


def _under(href: str, url: str) -> bool:
    return href == url or href.startswith(url.rstrip("/") + "/")


def _last_fid(features: list, cursor: int) -> int:
    fids = [int(f["id"]) for f in features if isinstance(f, dict) and str(f.get("id", "")
                                                                          ).isdigit()]
    return max([cursor, *fids])
