"""A filter change on the server, without a browser: the summary for a new region
and its map spec, with what the page is sent of it (the layers that changed, as
``dashboard.map_component`` sends them): the work a page run does for the
redrawn map.

    .venv/bin/python -m benchmarks.filter_change [--rounds 6]

On the DEMO: the service's default view, then one country less each time
(Bangladesh, Nepal, Sri Lanka, Bhutan, Maldives), as ``benchmarks.dashboard``
removes them in Chromium. Each round asks for summaries nobody asked for (the
service's own summary cache is emptied); what is kept per country stays, as in a
running server. The first round is left out (it works out what every later one
reuses). Medians and minima over the rest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from benchmarks import machine
from geo.kept import Kept
from layers.map import MapOptions, MapSpec, component_args, situation_map
from model.schema import SAARC_ISO3
from model.situation import Filters
from service import SituationService

REMOVED = ("BGD", "NPL", "LKA", "BTN", "MDV")


def sent(spec: MapSpec, held: set[str]) -> set[str]:
    """Encode what a map frame holding ``held`` is sent for ``spec`` (Streamlit
    encodes the arguments as JSON; the new layers' parts go as the bytes made
    here); the layers the frame holds then."""
    items, _parts = component_args(spec, held)
    json.dumps({"frame": spec.frame, "layers": items})
    return set(spec.part_hashes())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.filter_change")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(machine.line())
    service = SituationService()
    service.warm()
    summaries, maps, details = [], [], []
    held: set[str] = set()
    for round_ in range(args.rounds):
        service._summaries = Kept(32)  # summaries nobody asked for; the rest stays kept
        countries = list(SAARC_ISO3)
        for code in REMOVED:
            countries.remove(code)
            region = service.region(countries=countries)
            t0 = time.perf_counter()
            summary = service.summary(Filters(region=region))
            t1 = time.perf_counter()
            held = sent(situation_map(summary, MapOptions()), held)
            t2 = time.perf_counter()
            summary.details.get()
            t3 = time.perf_counter()
            if round_:
                summaries.append(t1 - t0)
                maps.append(t2 - t1)
                details.append(t3 - t2)
    for label, times in (("summary", summaries), ("map spec, what is sent", maps),
                         ("details, after the map", details)):
        print(f"{label:22} median {statistics.median(times) * 1000:6.1f} ms, "
              f"min {min(times) * 1000:6.1f} ms ({len(times)} filter changes)")


if __name__ == "__main__":
    main()
