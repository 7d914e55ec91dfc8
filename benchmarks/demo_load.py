"""Demo scenario load time, cold (generation included) and warm (cached files).

Each run is a fresh Python process, so nothing is reused between runs but the
files on disk. Prints the time of ``load_demo()`` itself and of the whole
process (imports included).

    .venv/bin/python -m benchmarks.demo_load [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from data_sources.scenario import load_demo
t1 = time.perf_counter()
sc = load_demo(Path(sys.argv[1]))
t2 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "load": t2 - t1,
                  "layers": {k: v.result.accepted for k, v in sc.layers.items()}}))
"""


def one_run(cache: Path) -> dict:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(cache)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out)
    result["process"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            cold.append(one_run(Path(tmp)))
            warm.append(one_run(Path(tmp)))
    print(f"{'':6} {'load_demo() s':>14} {'process s':>10}   (median of {args.runs})")
    for name, runs, target in (("cold", cold, 10.0), ("warm", warm, 2.0)):
        load = statistics.median(r["load"] for r in runs)
        proc = statistics.median(r["process"] for r in runs)
        verdict = "meets" if load <= target else "MISSES"
        print(f"{name:6} {load:14.2f} {proc:10.2f}   target {target:.0f} s: {verdict}")
    print("layers:", ", ".join(f"{k}={v}" for k, v in cold[0]["layers"].items()))


if __name__ == "__main__":
    main()
