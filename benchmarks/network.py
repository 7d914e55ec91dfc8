"""The regional network, end to end on 127.0.0.1: two nodes (``python -m node
serve``, real processes) and a Mosquitto broker of their own.

- latency: 1,000 incidents inserted on PAK one at a time (20 a second); for each,
  the time from its insert on PAK to its insert on IND (both stores' own
  ingest times; one clock), p50 / p95 / max;
- catch-up: 100,000 incidents stored on PAK while IND is away; IND's catch-up
  over PAK's API (pages of 1,000), records per second.

    .venv/bin/python -m benchmarks.network [--records 1000] [--catch-up 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from data_sources.stores import open_store
from tests.network_nodes import Broker, Node, incidents, wait_until


def _stored_times(node: Node, prefix: str):
    with open_store(node.settings) as store:
        rows = store.dump("incidents")
    rows = rows[rows["source_id"].str.startswith(prefix) & (rows["version"] == 1)]
    return rows.set_index("source_id")["ingested_at"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.network")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--catch-up", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "broker").mkdir()
        broker = Broker(root / "broker").start()
        pak = Node(root, "pak", "NDMA-PK", "PAK", mqtt_url=broker.url, topic_root="rsn",
                   sync_every_s=3600)
        ind = Node(root, "ind", "NDMA-IN", "IND", mqtt_url=broker.url, topic_root="rsn",
                   sync_every_s=3600)
        ind.follow(pak, "rsn")
        try:
            pak.start()
            ind.start()
            n = args.records
            t0 = time.perf_counter()
            for i in range(n):
                pak.insert(incidents(1, agency="NDMA-PK", country="PAK", prefix="l", start=i))
                time.sleep(max(0.0, t0 + (i + 1) / 20 - time.perf_counter()))
            wait_until(lambda: len(_stored_times(ind, "l")) == n, 300, "every record on IND")
            sent, got = _stored_times(pak, "l"), _stored_times(ind, "l")
            lag = (got - sent.reindex(got.index)).dt.total_seconds().to_numpy()
            print(f"insert on PAK -> stored on IND, {n:,} records at 20/s: "
                  f"p50 {np.percentile(lag, 50):.3f} s, p95 {np.percentile(lag, 95):.3f} s, "
                  f"max {lag.max():.3f} s")

            ind.stop()
            m = args.catch_up
            t0 = time.perf_counter()
            for start in range(0, m, 50_000):
                pak.insert(incidents(min(50_000, m - start), agency="NDMA-PK", country="PAK",
                                     prefix="c", start=start))
            print(f"stored {m:,} more on PAK in {time.perf_counter() - t0:.1f} s while IND "
                  "was away")
            t0 = time.perf_counter()
            done = ind.network.catch_up()
            took = time.perf_counter() - t0
            arrived = len(_stored_times(ind, "c"))
            print(f"IND caught up: {done['pak']:,} records in {took:.1f} s "
                  f"({done['pak'] / took:,.0f} records/s); {arrived:,} of {m:,} on IND")
        finally:
            pak.stop()
            ind.stop()
            broker.kill()


if __name__ == "__main__":
    main()
