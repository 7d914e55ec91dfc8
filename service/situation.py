"""The situation service: settings, the choice of scenario (live store,
manifest or DEMO), region resolution, the caches, and the summary.

One instance serves many users at once (the dashboard keeps one per process):
caches are keyed by what the figures depend on (the data's token, the added
files, the filters) and guarded by a lock; work is done outside the lock.
"""

from __future__ import annotations

import difflib
import gc
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_sources.errors import FileAccessError
from data_sources.ingest import add_file, keep_result, status
from data_sources.marking import stamp
from data_sources.scenario import (
    load_demo,
    load_live,
    load_scenario,
    with_results,
    with_store,
)
from data_sources.settings import Settings
from data_sources.store import FEATURE_TABLES
from data_sources.stores import open_store, store_exists
from data_sources.warning_log import MESSAGE_COLUMNS, WarningLog
from early_warning.lifecycle import Warnings, message_row
from early_warning.replay import replay_timeline
from early_warning.rules import DEMO_RULES, RuleError, RuleSet, load_rules, parse_rules
from geo.borders import international_borders
from geo.kept import Kept
from geo.regions import (
    admin_region,
    corridor_region,
    countries_region,
    country_shapes,
    parse_region,
    polygon_region,
)
from geo.summary import situation_summary
from geo.views import as_seen, views
from model.access import (
    AccessError,
    Marking,
    Viewer,
    check_marking,
    highest_tlp,
    may_see,
    parse_share,
    tlp_level,
    visible,
)
from model.i18n import N_
from model.needs import parse_needs
from model.scenario import Layer, Scenario
from model.schema import SAARC_ISO3, ReadResult
from model.situation import FilterOptions, Filters, Region, Summary

from .access import AccessService
from .network import NetworkService
from .readings import read_kept

T = TypeVar("T")
HEAVY_AT_ONCE = 2  # the machines this runs on have two cores
Added = Sequence[tuple[str, ReadResult]]  # user files: (source name, what was read)


class SituationService:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.access = AccessService(self.settings)
        self.network = NetworkService(self.settings, self.access)
        self._scenarios: Kept[Scenario] = Kept(2)
        self._restricted: Kept[Scenario] = Kept(8)  # per data token and what a viewer may see
        # (user, summary key) pairs whose view is in the audit log already (bounded:
        # an old pair seen again is simply audited again).
        self._viewed: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._summaries: Kept[Summary] = Kept(32)
        self._options: Kept[FilterOptions] = Kept(8)
        self._regions: Kept[Any] = Kept(32)  # regions, and the countries' shapes
        self._documents: Kept[Any] = Kept(16)
        self._warnings: Kept[Warnings] = Kept(8)
        # Heavy work (a summary) runs at most this many at once, whatever the
        # number of sessions: the others wait, and the server keeps answering.
        self._heavy = threading.BoundedSemaphore(HEAVY_AT_ONCE)
        # Checked at start: a bad file is a clear error before any page is served.
        self.needs = parse_needs(self.settings.needs_file) if self.settings.needs_file else {}

    # -- data ---------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """True when live feeds are configured: the data comes from the store."""
        return bool(self.settings.sources)

    def token(self) -> str:
        """Changes whenever the data changes: the store's change token when live;
        else the manifest's path and modification time, or 'demo', and the
        store's change token when the store exists (files users kept in it)."""
        if self.live:
            with open_store(self.settings) as store:
                return "store:" + store.change_token()
        kept = ""
        if self._has_records():
            with open_store(self.settings) as store:
                kept = "|kept:" + store.change_token()
        if self.settings.scenario:
            try:
                changed = self.settings.scenario.stat().st_mtime_ns
            except OSError as exc:
                raise FileAccessError(f"the scenario manifest (SAMON_SCENARIO) cannot be read: "
                                      f"{exc.strerror}", path=self.settings.scenario) from None
            return f"manifest:{self.settings.scenario}:{changed}{kept}"
        return "demo" + kept

    def warm(self, first_view: Callable[[Region | None, pd.Timestamp], Filters] | None = None
             ) -> Summary | None:
        """Load the current data and work out the first view (``first_view``
        of every member state's region and the data's as-of time; default: the
        last 90 days) now, before anyone asks: what it works out (the countries'
        shapes, each country's exposure, each incident's country, border, cell
        and province) is kept for every other view. Its summary (None when
        visitors not logged in may see nothing)."""
        self._scenarios.get_or(self.token(), self._load)
        nobody = self.access.nobody()
        if not nobody.may("see"):
            return None
        region = self.region(countries=list(SAARC_ISO3), viewer=nobody)
        filters = first_view(region, self.scenario(nobody).as_of) if first_view else \
            Filters(region=region)
        summary = self.summary(filters, viewer=nobody)
        summary.details.get()  # the tables under its map, too
        gc.freeze()  # what the default view keeps, too (see _settle_memory)
        return summary

    def scenario(self, viewer: Viewer | None = None, token: str | None = None) -> Scenario:
        """What ``viewer`` may see (default: ``access.nobody()``) of the live
        scenario from the store when feeds are configured; else of the manifest
        named in the settings; else of the DEMO scenario. Every figure, map and
        export starts from this: nothing is computed from a record its viewer
        may not see."""
        viewer = viewer or self.access.nobody()
        viewer.require("see")
        token = token or self.token()
        whole = self._scenarios.get_or(token, self._load)
        return self._restricted.get_or((token, viewer.key()),
                                       lambda: restricted(whole, viewer))

    def _has_records(self) -> bool:
        """Whether there is a store to read records from (a node without one
        shows the manifest or DEMO alone)."""
        return store_exists(self.settings)

    def _load(self) -> Scenario:
        scenario = self._read()
        _settle_memory()
        return scenario

    def _read(self) -> Scenario:
        if self.live:
            with open_store(self.settings) as store:
                return load_live(store, status(store, self.settings), tlp=self.settings.data_tlp)
        base = (load_scenario(self.settings.scenario, read=read_kept) if self.settings.scenario
                else load_demo(read=read_kept))
        if not self._has_records():
            return base
        with open_store(self.settings) as store:
            return with_store(base, store)

    def scenario_with(self, added: Added = (), viewer: Viewer | None = None) -> Scenario:
        """What ``viewer`` may see of the current scenario, plus their added files."""
        base = self.scenario(viewer)
        return with_results(base, list(added)) if added else base

    def options(self, added: Added = (), viewer: Viewer | None = None) -> FilterOptions:
        """The choices a filter form offers for the current data plus ``added``."""
        viewer = viewer or self.access.nobody()
        return self._options.get_or((self.token(), _added_key(added), viewer.key()),
                                    lambda: self._make_options(added, viewer))

    def _make_options(self, added: Added, viewer: Viewer) -> FilterOptions:
        sc = self.scenario_with(added, viewer)
        held = views(sc["boundaries"])
        boundaries = as_seen(sc, None)["boundaries"]
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
            wind_steps=steps, views=held)

    def feed_status(self) -> pd.DataFrame | None:
        """Per live source: last success, age, last error, stale; None without feeds."""
        if not self.live:
            return None
        with open_store(self.settings) as store:
            return status(store, self.settings)

    # -- regions ------------------------------------------------------------------------

    def parse_region(self, spec: str, viewer: Viewer | None = None, *,
                     view: str | None = None) -> Region:
        """A region written as text (ISO3 codes, admin codes, a GeoJSON path,
        border:AFG-PAK:25km), its areas as ``view`` draws them."""
        sc = as_seen(self.scenario(viewer), view)
        return parse_region(spec, sc["boundaries"], _places(sc))

    def region(self, *, countries: Sequence[str] = (), admin_codes: Sequence[str] = (),
               corridor_km: float | None = None, corridor_pair: str | None = None,
               polygon: dict | None = None, added: Added = (),
               viewer: Viewer | None = None, view: str | None = None) -> Region | None:
        """The region chosen: a polygon, else admin areas, else a border corridor,
        else countries; None (every member state) when nothing is chosen.
        ``added``: the user's files (uploaded admin boundaries); ``view``: whose
        outlines (geo/views.py). Kept per data, viewer and choice: every page
        run asks, and a country's shape or a corridor takes a tenth of a second."""
        viewer = viewer or self.access.nobody()

        def make() -> Region | None:
            sc = as_seen(self.scenario_with(added, viewer), view)
            boundaries = sc["boundaries"]
            if polygon:
                return polygon_region(polygon)
            if admin_codes:
                return admin_region(boundaries, list(admin_codes))
            if corridor_km:
                level0 = boundaries[boundaries["admin_level"] == 0]
                return corridor_region(level0, corridor_km, corridor_pair)
            if countries:
                # The member states' shapes, kept for the data: another choice of
                # countries takes them from there (0.2 s to make).
                shapes = self._regions.get_or(("shapes", data),
                                              lambda: country_shapes(boundaries))
                return countries_region(boundaries, list(countries), _places(sc),
                                        shapes=shapes)
            return None

        data = _digest((self.token(), _added_key(added), viewer.key(), view))
        key = _digest((data, tuple(countries), tuple(admin_codes), corridor_km, corridor_pair,
                       json.dumps(polygon, sort_keys=True)))
        return self._regions.get_or(key, make)

    # -- figures ------------------------------------------------------------------------

    def summary(self, filters: Filters | None = None, added: Added = (),
                viewer: Viewer | None = None) -> Summary:
        """The situation for ``filters`` (default: every member state, the last
        90 days) over what ``viewer`` may see of the current data plus their
        ``added`` files. Every figure shown or exported comes from this object;
        its TLP is the highest of what it contains."""
        filters = filters or Filters()
        viewer = viewer or self.access.nobody()
        token = self.token()
        key = _digest((token, _added_key(added), filters.key(), viewer.key()))

        def make() -> Summary:
            base = self.scenario(viewer, token)
            sc = with_results(base, list(added)) if added else base
            with self._heavy:
                summary = situation_summary(sc, filters, needs=self.needs,
                                            scheduler=self.settings.dask_scheduler)
            summary.key = key
            summary.made_for = viewer.key()
            summary.tlp = highest_tlp([sc.tlp, *_contained_tlps(summary)])
            summary.audience = _audience(summary)
            return summary

        summary = self._summaries.get_or(key, make)
        if summary.audience and viewer.kind == "user" and (viewer.name, key) not in self._viewed:
            # Restricted records seen: once per user and summary, not per redraw.
            self._viewed[(viewer.name, key)] = None
            while len(self._viewed) > 10_000:
                self._viewed.popitem(last=False)
            self.access.record(viewer, "view", {"filters": _filters_text(filters),
                                                "tlp": summary.tlp,
                                                "restricted": list(summary.audience)})
        return summary

    # -- early warning ------------------------------------------------------------------

    def rules_path(self) -> Path:
        """The node's rules file: SAMON_RULES; else the one a coordinator saved
        beside the store; else the DEMO's (shipped with the program, never written)."""
        if self.settings.rules:
            return self.settings.rules
        saved = self.settings.store_path.parent / "rules.toml"
        return saved if saved.exists() else DEMO_RULES

    def rules(self) -> RuleSet:
        return load_rules(self.rules_path())

    def save_rules(self, viewer: Viewer, text: str) -> RuleSet:
        """Replace the node's rules with ``text`` once it passes every check and
        its version is higher than the current one's (warnings name the version
        that raised them); audited with the text before and after."""
        viewer.require("rules")
        path = self.rules_path()
        target = self.settings.rules or self.settings.store_path.parent / "rules.toml"
        old_text = path.read_text(encoding="utf-8")
        old = parse_rules(old_text, str(path))
        new = parse_rules(text, str(target))
        if new.version <= old.version:
            raise RuleError(N_("{where}: the version must go up (it is {old}; the new text "
                               "says {new})"), where=target.name, old=str(old.version),
                            new=str(new.version))
        partial = target.with_name(target.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)  # readers see the old file or the new, never half of one
        self.access.record(viewer, "rules", {
            "file": str(target), "version": [old.version, new.version],
            "diff": "".join(difflib.unified_diff(old_text.splitlines(True),
                                                 text.splitlines(True), "before", "after"))})
        return new

    def warnings(self, viewer: Viewer | None = None) -> Warnings:
        """The warnings ``viewer`` may receive: those the node's runs sent
        (``python -m early_warning run``) or, on a node where none ran, those the
        rules raise when replayed daily over the last ``warning_days`` days to the
        data's as-of time, over what the viewer may see. Warnings of rules shared
        beyond the viewer's reach are left out either way."""
        viewer = viewer or self.access.nobody()
        path = self.rules_path()
        try:
            changed = path.stat().st_mtime_ns
        except OSError as exc:
            raise FileAccessError(f"the rules file cannot be read: {exc.strerror}",
                                  path=path) from None
        token = self.token()
        runs = None
        if store_exists(self.settings):
            with open_store(self.settings) as store:
                log_table = WarningLog(store)
                runs = log_table.change_token() if log_table.any_run() else None

        def make() -> Warnings:
            rules = load_rules(path)
            if runs is not None:
                with open_store(self.settings) as store:
                    log_table = WarningLog(store)
                    messages, acks = log_table.messages(), log_table.acks()
                    log = [line for text in reversed(log_table.runs()["log"].tolist())
                           for line in text.splitlines()]
                source = "runs"
            else:
                sc = self.scenario(viewer, token)
                start = sc.as_of - pd.Timedelta(days=self.settings.warning_days)
                with self._heavy:
                    sent, log = replay_timeline(sc, rules, start, sc.as_of,
                                                pd.Timedelta(days=1))
                messages = pd.DataFrame([message_row(m, rules.version) for m in sent],
                                        columns=list(MESSAGE_COLUMNS))
                acks, source = None, "replay"
            keep = np.array([may_see({"agency": "", "agency_country": "", "tlp": m.tlp,
                                      "share": m.share}, viewer)
                             for m in messages.itertuples()], dtype=bool)
            mine = messages[keep].reset_index(drop=True)
            if acks is None:
                return Warnings(rules, mine, log, source)
            return Warnings(rules, mine, log, source, acks[acks["warning"].isin(mine["warning"])])

        return self._warnings.get_or((token, runs, viewer.key(), str(path), changed), make)

    def deliveries(self, viewer: Viewer) -> pd.DataFrame:
        """Every delivery the node's runs queued (recipient, channel, status,
        attempts, last error), newest first: for the coordinators who keep the
        recipients' addresses right."""
        viewer.require("rules")
        if not store_exists(self.settings):
            return pd.DataFrame(columns=["identifier", "recipient", "channel", "purpose",
                                         "status", "attempts", "last_error", "updated"])
        with open_store(self.settings) as store:
            return WarningLog(store).deliveries().iloc[::-1].reset_index(drop=True)

    def acknowledge(self, viewer: Viewer, warning: str) -> bool:
        """``viewer``'s agency acknowledges a warning it received (audited);
        False when the agency had already."""
        viewer.require("see")
        if viewer.kind != "user":
            raise AccessError(N_("log in first: an acknowledgement is an agency's"))
        if warning not in set(self.warnings(viewer).messages["warning"]):
            raise AccessError(N_("{name} has not received warning {warning}"),
                              name=viewer.name, warning=warning)
        if self.warnings(viewer).source != "runs":
            raise AccessError(N_("only warnings the node sent can be acknowledged: this node "
                                 "has not run the rules (python -m early_warning run)"))
        with open_store(self.settings) as store, store.transaction() as db:
            done = WarningLog(store).acknowledge(db, warning, viewer.agency, viewer.name,
                                                 "dashboard")
        if done:
            self.access.record(viewer, "acknowledge", {"warning": warning})
        return done

    # -- data in ------------------------------------------------------------------------

    def upload_marking(self, viewer: Viewer, tlp: str = "TLP:AMBER",
                       share: str = "country") -> Marking:
        """The marking of a file ``viewer`` adds (default: TLP:AMBER to the
        uploader's country); refused unless they may upload."""
        viewer.require("upload")
        share = parse_share(share)
        if share.startswith("group:") and viewer.kind == "user" and \
                share[6:] not in viewer.groups:
            raise AccessError(N_("{agency} is not in the sharing group {group}"),
                              agency=viewer.agency, group=share[6:])
        if viewer.kind == "open":  # access control off: no agency to name
            return Marking("local", "", tlp_level(tlp), share)
        return Marking(viewer.agency, viewer.country, tlp_level(tlp), share)

    def mark_upload(self, name: str, result: ReadResult, viewer: Viewer,
                    tlp: str = "TLP:AMBER", share: str = "country") -> ReadResult:
        """A file a user added in their session, marked as theirs (audited)."""
        marked = stamp(result, self.upload_marking(viewer, tlp, share))
        self.access.record(viewer, "upload", {"file": name, "kind": result.kind,
                                              "records": result.accepted, "tlp": tlp_level(tlp),
                                              "share": share})
        return marked

    def add_file(self, path: str, fmt: str | None, viewer: Viewer, tlp: str = "TLP:AMBER",
                 share: str = "country") -> dict:
        """A file into the store, marked as ``viewer``'s (audited)."""
        marking = self.upload_marking(viewer, tlp, share)
        with open_store(self.settings, verify=True) as store:
            counts = add_file(store, path, fmt, marking=marking)
        self.access.record(viewer, "upload", {"file": str(path), "tlp": marking.tlp,
                                              "share": marking.share,
                                              "inserted": counts["inserted"]})
        return counts

    def reshare(self, kind: str, ids: Sequence[str], viewer: Viewer, tlp: str,
                share: str) -> int:
        """Change who may see records of the store: only a coordinator of the
        originating agency may, on records they can see (audited, old and new
        marking). Returns how many records changed."""
        viewer.require("share")
        tlp, share = tlp_level(tlp), parse_share(share)
        check_marking(tlp, share)
        with open_store(self.settings, verify=True) as store:
            if kind not in FEATURE_TABLES or kind == "tracks":
                raise AccessError(N_("records of kind '{kind}' are not shared one by one"),
                                  kind=kind)
            records = store.query(kind)
            records = records[records["id"].isin(list(ids))]
            missing = sorted(set(ids) - set(records["id"]))
            if missing:
                raise AccessError(N_("no current {kind} record {ids}"), kind=kind,
                                  ids=", ".join(missing[:5]))
            if viewer.kind != "open":
                foreign = records[~visible(records, viewer) |
                                  (records["agency"] != viewer.agency)]
                if len(foreign):
                    raise AccessError(N_("{count} of these records are not your agency's "
                                         "({example} ...): only the originating agency "
                                         "changes how its data is shared"),
                                      count=len(foreign), example=foreign["id"].iloc[0])
            before = records.groupby(["tlp", "share"]).size()
            with store.transaction() as db:
                changed = store.set_marking(db, kind, list(ids), tlp, share)
        self.access.record(viewer, "share", {
            "kind": kind, "records": changed, "tlp": tlp, "share": share,
            "before": {f"{t} {s}": int(n) for (t, s), n in before.items()}})
        return changed

    def keep_upload(self, name: str, result: ReadResult, viewer: Viewer) -> dict:
        """Keep a file a user added (already marked by ``mark_upload``) in the
        node's store, where it stays after the session and other users see it
        as its marking allows (audited)."""
        viewer.require("upload")
        with open_store(self.settings, verify=True) as store:
            counts = keep_result(store, name, result)
        self.access.record(viewer, "upload kept", {"file": name, "kind": result.kind,
                                                   "inserted": counts["inserted"],
                                                   "updated": counts["updated"]})
        return counts

    def document(self, kind: str, summary: Summary, detail: Hashable,
                 make: Callable[[], T], viewer: Viewer | None = None) -> T:
        """A rendered document (PDF, DOCX, bundle ...) of ``summary`` for
        ``viewer``, cached by the summary and ``detail`` (the report fields): a
        changed filter or field never returns the old file. Refused unless the
        viewer may export ``kind`` (see ``may_export``)."""
        self.may_export([kind], summary, viewer)
        return self._documents.get_or((kind, summary.key, detail), make)

    def may_export(self, kinds: Sequence[str], summary: Summary,
                   viewer: Viewer | None = None) -> None:
        """Refuse unless ``viewer`` may export these formats (reports need a
        coordinator, data an analyst) of a summary computed for their rights."""
        viewer = viewer or self.access.nobody()
        for kind in kinds:
            viewer.require("report" if kind in REPORT_KINDS else "export")
        if summary.made_for != viewer.key():
            raise AccessError(N_("this summary was computed for another viewer's rights; a "
                                 "document is made only from the viewer's own"))

    def record_export(self, kinds: Sequence[str], summary: Summary, viewer: Viewer | None,
                      tlp: str) -> None:
        """An export handed over (a download, files written): into the audit log."""
        self.may_export(kinds, summary, viewer)
        self.access.record(viewer or self.access.nobody(), "export",
                           {"formats": list(kinds), "tlp": tlp,
                            "filters": _filters_text(summary.filters),
                            "restricted": list(summary.audience)})


REPORT_KINDS = ("pdf", "docx", "html")


def _settle_memory() -> None:
    """Data just loaded stays for many page runs: everything alive now is moved
    out of the garbage collector's sight (``gc.freeze``), so that a full
    collection, which Python runs every so often, costs milliseconds instead of
    ~0.12 s for the 250,000 objects of the DEMO and the app. What became garbage
    since the last load (the data it replaced) is collected first: nothing stays
    frozen past the next load."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def restricted(sc: Scenario, *viewers: Viewer) -> Scenario:
    """The layers and records of ``sc`` that every one of ``viewers`` may see.
    Nothing says what was left out, not even how much; the rejections of a
    layer with hidden records are dropped too (they quote the records)."""
    viewers = tuple(v for v in viewers if v.kind != "open")
    if not viewers:
        return sc
    layers: dict[str, Layer] = {}
    for name, layer in sc.layers.items():
        result = layer.result
        if result.kind == "raster":
            shown: Layer | None = layer
            while shown is not None and not all(may_see(shown.data.attrs, v) for v in viewers):
                shown = shown.replaced  # the layer it replaced, which they may see
            if shown is not None:
                layers[name] = shown
            continue
        keep = np.logical_and.reduce([visible(result.data, v) for v in viewers])
        if keep.all():
            layers[name] = layer
            continue
        layers[name] = Layer(layer.name, layer.source, layer.updated, layer.demo,
                             ReadResult(result.kind, result.format, result.path,
                                        result.data[keep].reset_index(drop=True), [],
                                        result.warnings))
    return Scenario(sc.name, sc.as_of, sc.demo, layers, sc.tlp)


def _contained_tlps(summary: Summary) -> list[str]:
    """The TLP of every record and raster a summary holds."""
    levels: list[str] = []
    for frame in (summary.incidents, summary.alerts, summary.tracks,
                  summary.displacement_records):
        if "tlp" in frame:
            levels.extend(frame["tlp"].dropna().astype(str).unique())
    for raster in (summary.flood, summary.wind):
        if raster is not None and raster.attrs.get("tlp"):
            levels.append(str(raster.attrs["tlp"]))
    return levels


def _audience(summary: Summary) -> tuple[str, ...]:
    """The restricted distributions of what a summary holds ('country IND',
    'agency DEMO-PAK', 'group INDUS', 'members'): public data adds none."""
    marks: list[tuple[str, str, str]] = []
    for frame in (summary.incidents, summary.alerts, summary.tracks,
                  summary.displacement_records):
        if {"share", "agency", "agency_country"} <= set(frame.columns):
            # Public records add none: only the rows of restricted shares are looked at.
            shares = [s for s in frame["share"].dropna().unique() if _restricted_share(str(s))]
            if shares:
                cols = frame.loc[frame["share"].isin(shares), ["share", "agency", "agency_country"]]
                marks.extend(cols.astype("string").fillna("").drop_duplicates()
                             .itertuples(index=False, name=None))
    for raster in (summary.flood, summary.wind):
        if raster is not None:
            marks.append(tuple(str(raster.attrs.get(c, "")) for c in  # type: ignore[arg-type]
                               ("share", "agency", "agency_country")))
    found = set()
    for share, agency, country in marks:
        if share == "country":
            found.add(f"country {country}")
        elif share == "agency":
            found.add(f"agency {agency}")
        elif share.startswith("group:"):
            found.add(f"group {share[6:]}")
        elif share == "members":
            found.add("members")
    return tuple(sorted(found))


def _restricted_share(share: str) -> bool:
    return share in ("country", "agency", "members") or share.startswith("group:")


def _filters_text(filters: Filters) -> dict:
    """What an audit entry says of the filters."""
    return {"region": filters.region.label if filters.region else "SAARC",
            "period": filters.period.label if filters.period else "last 90 days",
            "hazards": sorted(filters.hazards)}


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
