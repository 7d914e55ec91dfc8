"""Early warning: one rule cycle at the issue's scale, and the time from an
ingest to the warning in the served feed.

    .venv/bin/python -m benchmarks.early_warning cycle     # 1,000,000 incidents, 5 rasters
                                                           # of 10,000 x 10,000, 50 rules
    .venv/bin/python -m benchmarks.early_warning latency   # `data_sources add` -> feed.atom

``cycle``: the DEMO scenario with its 3,000 incidents replaced by 1,000,000 (the
DEMO's, repeated over the eight weeks before its as-of time) and five hazard
rasters of 10,000 x 10,000 cells (0.001 degrees, about 110 m) added; 50 rules:
5 exposure rules (one per raster), 25 incident surges, 12 hazard alerts and 8
displacement jumps. It times a whole run (``early_warning.runner.run_once``:
every rule evaluated, the CAP messages written, the state kept in a store),
cold (first run: population re-gridded onto each raster) and warm (the next run,
data unchanged), and the evaluation of each kind of rule apart.

``latency``: a node on the DEMO with ``python -m early_warning run --every 1h
--watch 1s`` and ``python -m early_warning serve`` running; 60 incidents in
Nepal (TLP:CLEAR, public) are added with ``python -m data_sources add``; the
time until the Alert is in the feed served over HTTP, from the moment the add
command starts (its own run time is printed apart).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr

ROOT = Path(__file__).resolve().parent.parent
N_RASTERS, SIZE, STEP = 5, 10_000, 0.001
# South-west corners of the rasters (lon, lat): Indus, Ganges-Brahmaputra, Bay of
# Bengal coast, Sri Lanka, Kabul river basin.
CORNERS = [(66.0, 23.0), (84.0, 20.0), (80.0, 12.0), (78.5, 5.0), (68.0, 32.0)]


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _raster(n: int, rng) -> xr.DataArray:
    """A smooth depth field in metres (up to 3 m) over one corner's 10 x 10 degrees."""
    from scipy.ndimage import zoom

    west, south = CORNERS[n]
    values = zoom(rng.random((50, 50)).astype("float32") * 3, SIZE / 50, order=1)
    x = west + STEP * (np.arange(SIZE) + 0.5)
    y = south + SIZE * STEP - STEP * (np.arange(SIZE) + 0.5)
    da = xr.DataArray(values, coords={"y": y, "x": x}, dims=("y", "x"), name="flood_depth")
    da.attrs.update(units="m", source=f"benchmark flood {n}", demo=True, agency="bench",
                    agency_country="", tlp="TLP:CLEAR", share="public")
    return da.rio.write_crs("EPSG:4326")


def _scenario(n_incidents: int):
    from data_sources.scenario import load_demo
    from model.scenario import Layer
    from model.schema import ReadResult

    sc = load_demo()
    rng = np.random.default_rng(7)
    demo = sc["incidents"]
    picks = rng.integers(0, len(demo), n_incidents)
    incidents = demo.iloc[picks].reset_index(drop=True)
    incidents["id"] = [f"bench-{i}" for i in range(n_incidents)]
    incidents["time"] = sc.as_of - pd.to_timedelta(rng.uniform(0, 56 * 86400, n_incidents),
                                                   unit="s")
    layers = dict(sc.layers)
    layers["incidents"] = Layer("incidents", "benchmark", sc.as_of, True, ReadResult(
        "incidents", "generated", "", incidents, [], []))
    for n in range(N_RASTERS):
        layers[f"flood{n}"] = Layer(f"flood{n}", f"benchmark flood {n}", sc.as_of, True,
                                    ReadResult("raster", "generated", "", _raster(n, rng), [],
                                               []))
    sc.layers = layers
    return sc


def _rules_text() -> str:
    countries = ["AFG", "PAK", "IND", "BGD", "NPL", "LKA", "BTN", "MDV"]
    parts = ["version = 1\n"]
    for n in range(N_RASTERS):
        parts.append(f'[[rule]]\nid = "exposure-{n}"\nkind = "exposure"\nhazard = "flood"\n'
                     f'layer = "flood{n}"\nthreshold = 1.0\nmin_people = 1000\n')
    for n in range(25):
        parts.append(f'[[rule]]\nid = "surge-{n}"\nkind = "incident_surge"\n'
                     f'countries = ["{countries[n % 8]}", "{countries[(n + 3) % 8]}"]\n'
                     f"days = {3 + n % 5}\nbaseline_weeks = {2 + n % 4}\np_value = 0.01\n"
                     "min_count = 5\n")
    for n in range(12):
        parts.append(f'[[rule]]\nid = "alert-{n}"\nkind = "hazard_alert"\n'
                     f'min_level = "{("green", "orange", "red")[n % 3]}"\n')
    for n in range(8):
        parts.append(f'[[rule]]\nid = "jump-{n}"\nkind = "displacement_jump"\n'
                     f"days = {7 + n}\nmin_ratio = 1.2\nmin_people = 1000\n")
    return "\n".join(parts)


def cycle(n_incidents: int) -> None:
    from data_sources.store import Store
    from early_warning.conditions import evaluate
    from early_warning.dissemination import Channels
    from early_warning.rules import parse_rules
    from early_warning.runner import run_once

    t0 = time.perf_counter()
    sc = _scenario(n_incidents)
    rules = parse_rules(_rules_text(), "bench.toml")
    print(f"inputs: {len(sc['incidents']):,} incidents, {N_RASTERS} rasters of {SIZE:,} x "
          f"{SIZE:,}, {len(rules.rules)} rules (made in {time.perf_counter() - t0:.1f} s)")
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store.gpkg") as store:
        times = []
        for label, at in (("cold", sc.as_of), ("warm", sc.as_of + pd.Timedelta(minutes=15))):
            t = time.perf_counter()
            result = run_once(store, lambda rule: sc, rules, at, Channels())
            times.append(time.perf_counter() - t)
            print(f"run {label}: {times[-1]:.2f} s, {result.findings} conditions hold, "
                  f"{len(result.messages)} messages")
        by_kind: dict[str, float] = {}
        for rule in rules.rules:
            t = time.perf_counter()
            evaluate(rule, sc, sc.as_of)
            by_kind[rule.kind] = by_kind.get(rule.kind, 0.0) + time.perf_counter() - t
    print("warm evaluation by kind: " + ", ".join(f"{k} {v:.2f} s" for k, v in
                                                   by_kind.items()))
    print(f"peak memory {_rss_gb():.1f} GB")


def latency() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        rules = tmp_path / "rules.toml"
        rules.write_text('version = 1\n[[rule]]\nid = "nepal-surge"\nkind = "incident_surge"\n'
                         'countries = ["NPL"]\ndays = 7\nbaseline_weeks = 4\np_value = 0.01\n'
                         "min_count = 20\n", encoding="utf-8")
        env.update(SAMON_CACHE_DIR=str(tmp_path / "cache"), SAMON_RULES=str(rules),
                   SAMON_STORE_PATH=str(tmp_path / "store.gpkg"), SAMON_ACCESS="off",
                   SAMON_WARNING_BASE_URL="http://127.0.0.1:8611")
        python = [sys.executable, "-m"]
        subprocess.run([*python, "early_warning", "run", "--once"], env=env, check=True,
                       capture_output=True)  # the demo made, the store created
        serve = subprocess.Popen([*python, "early_warning", "serve", "--port", "8611"], env=env,
                                 stdout=subprocess.PIPE, text=True)
        runner = subprocess.Popen([*python, "early_warning", "run", "--every", "1h",
                                   "--watch", "1s"], env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert serve.stdout is not None and runner.stdout is not None
            serve.stdout.readline()
            runner.stdout.readline()  # its first run is done
            as_of = pd.Timestamp("2026-09-30T06:00Z")
            rows = [f"{as_of - pd.Timedelta(hours=2 * k):%Y-%m-%dT%H:%M:%SZ},"
                    f"{27.7 + k * 0.001:.3f},85.3,protest/unrest,NPL,lat-{k}" for k in range(60)]
            added = tmp_path / "nepal.csv"
            added.write_text("time,lat,lon,category,country,id\n" + "\n".join(rows) + "\n",
                             encoding="utf-8")
            t0 = time.perf_counter()
            subprocess.run([*python, "data_sources", "add", str(added), "--tlp", "CLEAR",
                            "--share", "public"], env=env, check=True, capture_output=True)
            t_add = time.perf_counter() - t0
            while b"nepal-surge" not in httpx.get("http://127.0.0.1:8611/feed.atom").content:
                if time.perf_counter() - t0 > 120:
                    raise SystemExit("no warning in the feed after 120 s")
                time.sleep(0.05)
            total = time.perf_counter() - t0
        finally:
            for process in (serve, runner):
                process.terminate()
                process.wait(10)
    print(f"ingest to feed: {total:.2f} s (the add command itself: {t_add:.2f} s; the run "
          f"watches for changes every 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.early_warning")
    parser.add_argument("what", choices=("cycle", "latency"))
    parser.add_argument("--incidents", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.what == "cycle":
        cycle(args.incidents)
    else:
        latency()


if __name__ == "__main__":
    main()
