"""Report and data bundle speed on the DEMO scenario (default filters).

    .venv/bin/python -m benchmarks.reports [--runs 3]

Times exclude loading the scenario and computing the summary (printed separately:
the dashboard has both in hand when a user exports).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from reports.bundle import write_bundle
from reports.content import ReportFields
from reports.sitrep import document
from service import SituationService


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    service = SituationService()
    service.scenario()
    t_summary, summary = timed(service.summary, 1)
    fields = ReportFields(agency="NDMA", tlp="TLP:AMBER")
    rows = [("situation summary (first call, cold caches)", t_summary, None)]
    for fmt, goal in (("pdf", 5.0), ("docx", None), ("html", None)):
        t, data = timed(lambda f=fmt: document(f, summary, fields), args.runs)
        rows.append((f"{fmt.upper()} ({len(data) / 1e6:.2f} MB)", t, goal))
    # Two languages side by side: the Urdu PDF shapes Nastaliq; the Bengali HTML
    # carries a subset of its font.
    for fmt, beside, goal in (("pdf", "ur", 5.0), ("docx", "ur", None), ("html", "bn", None)):
        t, data = timed(lambda f=fmt, b=beside: document(f, summary, fields, beside=b),
                        args.runs)
        rows.append((f"{fmt.upper()} en+{beside} ({len(data) / 1e6:.2f} MB)", t, goal))
    with tempfile.TemporaryDirectory() as tmp:
        t, files = timed(lambda: write_bundle(summary, Path(tmp)), args.runs)
        size = sum(f.stat().st_size for f in files) / 1e6
        rows.append((f"data bundle: {len(files)} files, {size:.2f} MB", t, 5.0))
    for name, t, goal in rows:
        target = f"(goal <= {goal:g} s)" if goal else ""
        print(f"{name:50} {t:6.2f} s {target}")


if __name__ == "__main__":
    main()
