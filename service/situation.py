"""The situation service: settings, the choice of scenario (live store,
manifest or DEMO), region resolution, the caches, and the summary.

One instance serves many users at once (the dashboard keeps one per process):
caches are keyed by what the figures depend on (the data's token, the added
files, the filters) and guarded by a lock; work is done outside the lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import shapely

from data_sources.errors import FileAccessError
from data_sources.ingest import status
from data_sources.scenario import load_demo, load_live, load_scenario, with_results
from data_sources.settings import Settings
from data_sources.store import Store
from geo.borders import international_borders
from geo.regions import (
    admin_region,
    corridor_region,
    countries_region,
    parse_region,
    polygon_region,
)
from geo.summary import situation_summary
from model.scenario import Scenario
from model.schema import SAARC_ISO3, ReadResult
from model.situation import FilterOptions, Filters, Region, Summary

T = TypeVar("T")
HEAVY_AT_ONCE = 2  # the machines this runs on have two cores
Added = Sequence[tuple[str, ReadResult]]  # user files: (source name, what was read)


class _LRU:
    """A small thread-safe least-recently-used cache. A value is made once
    even when several sessions ask for it at the same moment: the others wait
    for it (per key), while requests for other keys go on."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[Hashable, threading.Lock] = {}

    def get_or(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._items:  # made by another session while we waited
                    self._items.move_to_end(key)
                    return self._items[key]
            value = make()  # outside the cache's lock: other keys are not held up
            with self._lock:
                self._items[key] = value
                self._making.pop(key, None)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value


class SituationService:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._scenarios = _LRU(2)
        self._summaries = _LRU(32)
        self._options = _LRU(8)
        self._documents = _LRU(16)
        # Heavy work (a summary) runs at most this many at once, whatever the
        # number of sessions: the others wait, and the server keeps answering.
        self._heavy = threading.BoundedSemaphore(HEAVY_AT_ONCE)

    # -- data ---------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """True when live feeds are configured: the data comes from the store."""
        return bool(self.settings.sources)

    def token(self) -> str:
        """Changes whenever the data changes: the store's change token when live,
        else the manifest's path and modification time, else 'demo'."""
        if self.live:
            with Store(self.settings.store_path) as store:
                return "store:" + store.change_token()
        if self.settings.scenario:
            try:
                changed = self.settings.scenario.stat().st_mtime_ns
            except OSError as exc:
                raise FileAccessError(f"the scenario manifest (SAMON_SCENARIO) cannot be read: "
                                      f"{exc.strerror}", path=self.settings.scenario) from None
            return f"manifest:{self.settings.scenario}:{changed}"
        return "demo"

    def scenario(self, token: str | None = None) -> Scenario:
        """The live scenario from the store when feeds are configured; else the
        manifest named in the settings; else the DEMO scenario."""
        token = token or self.token()
        return self._scenarios.get_or(token, self._load)

    def _load(self) -> Scenario:
        if self.live:
            with Store(self.settings.store_path) as store:
                return load_live(store, status(store, self.settings), tlp=self.settings.data_tlp)
        if self.settings.scenario:
            return load_scenario(self.settings.scenario)
        return load_demo()

    def scenario_with(self, added: Added = ()) -> Scenario:
        """The current scenario plus the user's added files (for filter choices)."""
        base = self.scenario()
        return with_results(base, list(added)) if added else base

    def options(self, added: Added = ()) -> FilterOptions:
        """The choices a filter form offers for the current data plus ``added``."""
        return self._options.get_or((self.token(), _added_key(added)),
                                    lambda: self._make_options(added))

    def _make_options(self, added: Added) -> FilterOptions:
        sc = self.scenario_with(added)
        boundaries = sc["boundaries"]
        admin = boundaries[boundaries["admin_level"] > 0]
        pairs = international_borders(boundaries[boundaries["admin_level"] == 0])["pair"]
        wind = sc["wind"] if "wind" in sc.layers else None
        steps = (tuple(pd.Timestamp(t).isoformat() for t in wind["time"].values)
                 if wind is not None and "time" in wind.dims else ())
        return FilterOptions(
            scenario_name=sc.name, as_of=sc.as_of,
            admin_areas=dict(zip(admin["code"].astype(str), admin["name"].astype(str),
                                 strict=False)),
            border_pairs=tuple(p for p in pairs if set(p.split("-")) & set(SAARC_ISO3)),
            wind_steps=steps)

    def feed_status(self) -> pd.DataFrame | None:
        """Per live source: last success, age, last error, stale; None without feeds."""
        if not self.live:
            return None
        with Store(self.settings.store_path) as store:
            return status(store, self.settings)

    # -- regions ------------------------------------------------------------------------

    def parse_region(self, spec: str) -> Region:
        """A region written as text (ISO3 codes, admin codes, a GeoJSON path,
        border:AFG-PAK:25km)."""
        sc = self.scenario()
        return parse_region(spec, sc["boundaries"], _places(sc))

    def region(self, *, countries: Sequence[str] = (), admin_codes: Sequence[str] = (),
               corridor_km: float | None = None, corridor_pair: str | None = None,
               polygon: dict | None = None, added: Added = ()) -> Region | None:
        """The region chosen: a polygon, else admin areas, else a border corridor,
        else countries; None (every member state) when nothing is chosen.
        ``added``: the user's files (uploaded admin boundaries)."""
        sc = self.scenario_with(added)
        boundaries = sc["boundaries"]
        if polygon:
            return polygon_region(polygon)
        if admin_codes:
            return admin_region(boundaries, list(admin_codes))
        if corridor_km:
            level0 = boundaries[boundaries["admin_level"] == 0]
            return corridor_region(level0, corridor_km, corridor_pair)
        if countries:
            return countries_region(boundaries, list(countries), _places(sc))
        return None

    # -- figures ------------------------------------------------------------------------

    def summary(self, filters: Filters | None = None, added: Added = ()) -> Summary:
        """The situation for ``filters`` (default: every member state, the last
        90 days) over the current data plus ``added`` user files. Every figure
        shown or exported comes from this object."""
        filters = filters or Filters()
        token = self.token()
        key = _digest((token, _added_key(added), filters.key()))

        def make() -> Summary:
            base = self.scenario(token)
            sc = with_results(base, list(added)) if added else base
            with self._heavy:
                summary = situation_summary(sc, filters)
            summary.key = key
            return summary

        return self._summaries.get_or(key, make)

    def document(self, kind: str, summary: Summary, detail: Hashable,
                 make: Callable[[], T]) -> T:
        """A rendered document (PDF, DOCX, bundle ...) of ``summary``, cached by
        the summary and ``detail`` (the report fields): a changed filter or
        field never returns the old file."""
        return self._documents.get_or((kind, summary.key, detail), make)


def _places(sc: Scenario) -> gpd.GeoDataFrame | None:
    return sc["places"] if "places" in sc.layers else None


def _added_key(added: Added) -> tuple:
    """Identity of user files: name, where they were read from and a digest of their data."""
    return tuple((name, r.path, r.kind, _frame_digest(r.data)) for name, r in added)


def _frame_digest(data) -> str:
    """Every cell and every geometry: two uploads that differ only in where a
    point lies are two different data sets."""
    if isinstance(data, gpd.GeoDataFrame):
        text = pd.DataFrame(data.drop(columns=data.geometry.name)).astype(str)
        text["__geometry"] = shapely.to_wkb(data.geometry.values, hex=True)
        hashed = pd.util.hash_pandas_object(text, index=False)
        return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()[:16]
    return str(id(data))  # a lazily opened raster: one object per upload


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:24]
