"""Nodes of the regional network for tests and benchmarks: each with its own
store, its agency, tokens for its peers, and ``python -m node serve`` run as
a real process on 127.0.0.1 (started, killed and restarted at will)."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd

from data_sources.settings import Settings
from data_sources.stores import open_store
from service.access import AccessService
from service.network import NetworkService

ROOT = Path(__file__).resolve().parent.parent
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


_GIVEN: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, below the kernel's ephemeral range (32768 – 60999):
    a port the kernel picks could be taken as the source port of an outgoing
    connection (to a node, the broker, PostgreSQL) before the node binds it (seen
    in CI: "address already in use"). Each port is handed out once per test run."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(20_000, 32_000)
        if port in _GIVEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise RuntimeError("no free port between 20000 and 32000")


def broker_up(url: str) -> bool:
    host, port = url.removeprefix("mqtt://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


class Broker:
    """A Mosquitto of our own on a free port (one the test may kill)."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Broker:
        conf = self.folder / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                        f"persistence true\npersistence_location {self.folder}/\n")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: broker_up(self.url), 10, "the broker to listen")
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def wait_until(check, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class Node:
    """One member state's node."""

    def __init__(self, folder: Path, name: str, agency: str, country: str, *,
                 mqtt_url: str | None, topic_root: str, sync_every_s: float = 2.0):
        self.name, self.agency, self.country = name, agency, country
        self.folder = folder / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {"SAMON_STORE_PATH": str(self.folder / "store.gpkg"),
                    "SAMON_NODE_NAME": name, "SAMON_NODE_URL": self.url,
                    "SAMON_TOPIC_ROOT": topic_root, "SAMON_SYNC_EVERY_S": str(sync_every_s),
                    "SAMON_CACHE_DIR": str(self.folder / "cache")}
        if mqtt_url:
            self.env["SAMON_MQTT_URL"] = mqtt_url
        self.settings = Settings(**{k.removeprefix("SAMON_").lower(): v
                                    for k, v in self.env.items() if k != "SAMON_CACHE_DIR"})
        self.access = AccessService(self.settings)
        self.network = NetworkService(self.settings, self.access)
        self.access.add_agency(agency, country, f"{name} agency")
        self.access.add_user(f"admin-{name}", agency, "admin", "a long enough password 1")
        self.process: subprocess.Popen | None = None
        self.log = self.folder / "node.log"

    # -- trust between nodes ---------------------------------------------------------------

    def token_for(self, peer: Node) -> str:
        """A token this node gives ``peer``: a user of the peer's agency."""
        known = set(self.access.agencies()["code"])
        if peer.agency not in known:
            self.access.add_agency(peer.agency, peer.country, f"{peer.name} agency")
        user = f"node-{peer.name}"
        if user not in set(self.access.users()["name"]):
            self.access.add_user(user, peer.agency, "viewer", None)
        return self.access.create_token(user, hours=24 * 365)

    def follow(self, peer: Node, topic_root: str) -> None:
        self.network.add_peer(peer.name, peer.url, peer.token_for(self),
                              [f"{topic_root}/{peer.country}/#"])

    # -- the process -----------------------------------------------------------------------

    def start(self) -> Node:
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        with self.log.open("a") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "node", "serve"], cwd=ROOT,
                                            env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_until(self._answers, 60, f"node {self.name} to answer")
        return self

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"node {self.name} exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(self.url + "/", timeout=1).status_code == 401
        except httpx.HTTPError:
            return False

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    # -- data ------------------------------------------------------------------------------

    def insert(self, frame: gpd.GeoDataFrame) -> None:
        with open_store(self.settings) as store:
            store.upsert("incidents", frame)

    def incidents(self) -> gpd.GeoDataFrame:
        with open_store(self.settings) as store:
            return store.query("incidents")


def incidents(n: int, *, agency: str, country: str, tlp: str = "TLP:GREEN",
              share: str = "members", prefix: str = "x", start: int = 0,
              seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` canonical incidents near the AFG-PAK border with a marking."""
    from data_sources.validate import conform

    rng = np.random.default_rng(seed)
    ids = [f"{prefix}{start + i:07d}" for i in range(n)]
    lon = 70.0 + rng.uniform(0, 2, n)
    lat = 33.0 + rng.uniform(0, 2, n)
    frame = conform("incidents", {
        "id": [f"{agency}:{i}" for i in ids], "source": [agency] * n, "source_id": ids,
        "time": pd.date_range("2026-08-01", periods=n, freq="min", tz="UTC"),
        "country": [country] * n, "category": ["armed clash"] * n,
        "fatalities": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        "severity": pd.array(rng.integers(1, 6, n), dtype="Int64"),
        "location_precision": ["exact"] * n, "notes": [f"note {i}" for i in ids],
        "demo": [False] * n}, gpd.points_from_xy(lon, lat, crs="EPSG:4326"))
    frame["agency"], frame["agency_country"] = agency, country
    frame["tlp"], frame["share"] = tlp, share
    for col in ("agency", "agency_country", "tlp", "share"):
        frame[col] = frame[col].astype("string")
    return frame
