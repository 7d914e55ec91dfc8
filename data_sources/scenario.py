"""A scenario: every layer the app shows, read through the ordinary readers.

A manifest (JSON) lists the layer files with their format, source and last
update; ``load_scenario`` reads each one and keeps its rejections, so the app
can show where every figure comes from and what was refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from model.access import MARKING_COLUMNS, Marking, widest_share
from model.i18n import N_
from model.scenario import Layer, Scenario
from model.schema import RECORD_TIME, ReadResult, Rejection

from .demo import ensure_demo
from .detect import read_any
from .marking import stamp

Reader = Callable[..., ReadResult]  # read_any's signature: (path, format, **options)


def _mark_demo(result: ReadResult, source: str) -> None:
    """Synthetic records name the demo as their source, not the feed whose
    layout they imitate (a DEMO alert in GDACS's layout is not from GDACS)."""
    data = result.data
    if result.kind == "raster":
        data.attrs["demo"] = True
        data.attrs["source"] = source
    else:
        data["demo"] = True
        data["source"] = source


def _not_after(result: ReadResult, as_of: pd.Timestamp) -> ReadResult:
    """The records dated after the scenario's as-of time are refused, each with
    the reason: data cannot describe a situation before it happened."""
    col = RECORD_TIME.get(result.kind)
    if col is None or col not in result.data:
        return result
    late = (result.data[col] > as_of).fillna(False).to_numpy(dtype=bool)
    if not late.any():
        return result
    data = result.data
    rejections = [Rejection(None, col, N_("record {id} is dated {time} UTC, after the scenario's "
                                          "as-of time ({as_of} UTC)"),
                            {"id": str(rid), "time": f"{t:%Y-%m-%d %H:%M}",
                             "as_of": f"{as_of:%Y-%m-%d %H:%M}"})
                  for rid, t in zip(data.loc[late, "id"], data.loc[late, col], strict=True)]
    return ReadResult(result.kind, result.format, result.path,
                      data[~late].reset_index(drop=True),
                      result.rejections + rejections, result.warnings)


def load_scenario(manifest_path: str | Path, *, read: Reader = read_any) -> Scenario:
    """Read every layer listed in a manifest through the ordinary readers
    (``read`` takes ``read_any``'s arguments: the service passes one that keeps
    what it read for the next start).

    A layer's ``marking`` (agency, agency_country, tlp, share; ``per_country``:
    each record is its country's agency's) says who may see it; without one,
    the layer's source is the originating agency and the manifest's TLP is
    shared as widely as it allows."""
    manifest_path = Path(manifest_path)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    scenario = Scenario(manifest["name"], pd.Timestamp(manifest["as_of"]),
                        bool(manifest.get("demo")), tlp=manifest.get("tlp", "TLP:CLEAR"))
    for spec in manifest["layers"]:
        given = dict(spec.get("marking", {}))
        per_country = bool(given.pop("per_country", False))
        marking = Marking(**{"agency": spec["source"], "agency_country": "",
                             "tlp": scenario.tlp, "share": widest_share(scenario.tlp),
                             **given})
        result = _not_after(stamp(read(manifest_path.parent / spec["file"], spec["format"],
                                           **spec.get("options", {})),
                                  marking, per_country=per_country), scenario.as_of)
        if spec.get("demo"):
            _mark_demo(result, spec["source"])
        scenario.layers[spec["name"]] = Layer(
            spec["name"], spec["source"],
            pd.Timestamp(spec["updated"]) if spec.get("updated") else None, bool(spec.get("demo")),
            result,
        )
    return scenario


def load_demo(root: Path | None = None, *, read: Reader = read_any) -> Scenario:
    """The embedded DEMO scenario (generated on first use, then cached)."""
    return load_scenario(ensure_demo(root), read=read)


# Raster variable -> the scenario layer an uploaded raster replaces.
RASTER_LAYERS = {"flood_depth": "flood", "flood_extent": "flood", "wind_speed": "wind",
                 "population": "population"}


def with_results(scenario: Scenario, results: list[tuple[str, ReadResult]]) -> Scenario:
    """A copy of ``scenario`` with user data added: (source name, result) pairs.

    Tables are appended to the layer of their kind; a raster replaces the
    layer of its variable; boundaries replace the loaded areas of the same
    admin level and country (two outlines of one country would count it twice).
    The scenario stays DEMO only while demo layers remain.
    """
    layers = dict(scenario.layers)
    for source, read in results:
        result = _not_after(read, scenario.as_of)
        if result.kind == "raster":
            name = RASTER_LAYERS.get(result.data.attrs.get("variable"))
            if name is None:
                continue
            layers[name] = Layer(name, source, None, False, result, layers.get(name))
            continue
        name = result.kind
        if name in layers:
            base = layers[name]
            kept = base.data
            if name == "boundaries":
                # An outline from a point of view sits beside the others (geo/views.py).
                own = result.data[result.data["view"].isna()] if "view" in result.data \
                    else result.data
                replaced = pd.MultiIndex.from_frame(own[["admin_level", "iso3"]])
                kept = kept[~pd.MultiIndex.from_frame(kept[["admin_level", "iso3"]]).isin(
                    replaced)]
            merged = pd.concat([kept, result.data], ignore_index=True)
            combined = ReadResult(result.kind, "mixed", base.result.path, merged,
                                  base.result.rejections + result.rejections)
            layers[name] = Layer(name, f"{base.source} + {source}", base.updated,
                                 base.demo, combined)
        else:
            layers[name] = Layer(name, source, None, False, result)
    demo = any(layer.demo for layer in layers.values())
    return Scenario(scenario.name + (" + user data" if results else ""), scenario.as_of, demo,
                    layers, scenario.tlp)


def load_live(store, sources_status: pd.DataFrame | None = None, base: Scenario | None = None,
              tlp: str = "TLP:CLEAR") -> Scenario:
    """The live scenario: tables from the store, reference layers (boundaries,
    places, population) from ``base`` (the demo's unless given), which keep
    their own DEMO marking."""
    base = base or load_demo()
    layers: dict[str, Layer] = {name: base.layers[name] for name in
                                ("boundaries", "places", "population") if name in base.layers}
    last = None
    if sources_status is not None and len(sources_status):
        last = sources_status["last_success"].dropna().max()
    names = ", ".join(sources_status["source"]) if sources_status is not None else "store"
    for kind in ("incidents", "alerts", "tracks", "displacement", "documents"):
        data = store.query(kind).drop(columns=["version", "current"])
        result = ReadResult(kind, "store", str(store.path), data)
        layers[kind] = Layer(kind, f"live feeds ({names})", last if pd.notna(last) else None,
                             False, result)
    layers.update(_catalogued_rasters(store))
    as_of = pd.Timestamp.now(tz="UTC").floor("min")
    return Scenario("Live data from the store", as_of,
                    any(layer.demo for layer in layers.values()), layers, tlp)


def _catalogued_rasters(store) -> dict[str, Layer]:
    """The newest catalogued raster of each variable, with its marking."""
    layers: dict[str, Layer] = {}
    for row in store.rasters().drop_duplicates("variable").itertuples():
        name = RASTER_LAYERS.get(row.variable)
        if name is None or not Path(row.path).exists():
            continue
        result = stamp(read_any(row.path, "raster"),
                       Marking(*(getattr(row, c) for c in MARKING_COLUMNS)))
        layers[name] = Layer(name, row.source or Path(row.path).name,
                             pd.Timestamp(row.added_at), bool(row.demo), result)
    return layers


def with_store(base: Scenario, store) -> Scenario:
    """``base`` (the DEMO or a manifest's scenario) plus what users kept in the
    node's store: its records are added to their layers, its rasters replace
    the layers of their variable."""
    from .store import STORE_TABLES

    results = []
    for kind in STORE_TABLES:
        data = store.query(kind).drop(columns=["version", "current"])
        if len(data):
            results.append(("the node's store", ReadResult(kind, "store", str(store.path), data)))
    rasters = _catalogued_rasters(store)
    if not results and not rasters:
        return base
    scenario = with_results(base, results)
    for name, layer in rasters.items():
        layer.replaced = scenario.layers.get(name)
        scenario.layers[name] = layer
    scenario.demo = any(layer.demo for layer in scenario.layers.values())
    return scenario
