"""Command line for scheduled reports:

    python -m reports sitrep --region PAK --hazard flood --from 2026-08-01 --to 2026-09-15
        --tlp AMBER --format pdf,docx,html,gpkg,csv,cap --out DIR

With no data configured (SAMON_SCENARIO unset) it reports on the DEMO scenario.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from data_sources.errors import DataSourceError
from data_sources.scenario import load_demo, load_scenario
from data_sources.schema import HAZARDS
from geo.regions import RegionError, parse_region
from geo.summary import HAZARD_LAYERS, Filters, situation_summary

from .content import TLP_LEVELS, ReportError, ReportFields
from .sitrep import FORMATS, write_report


def _sitrep(args) -> int:
    manifest = os.environ.get("SAMON_SCENARIO")
    scenario = load_scenario(manifest) if manifest else load_demo()
    region = parse_region(args.region, scenario["boundaries"]) if args.region else None
    chosen = [h.strip() for h in args.hazard.split(",")] if args.hazard else []
    unknown = set(chosen) - set(HAZARDS) - set(HAZARD_LAYERS)
    if unknown:
        raise ReportError(f"unknown hazard(s) {', '.join(sorted(unknown))}; "
                          f"choose from {', '.join(sorted(set(HAZARDS) | set(HAZARD_LAYERS)))}")
    # --hazard names natural hazards (flood, cyclone ...): their layers and alerts are
    # reported; incidents, displacement and alerts stay in unless named otherwise.
    natural = [h for h in chosen if h in HAZARDS]
    hazards = (set(chosen) & set(HAZARD_LAYERS)) | {"alerts", "incidents", "displacement"} \
        if chosen else set(HAZARD_LAYERS)
    start = pd.Timestamp(args.date_from, tz="UTC") if args.date_from else None
    end = (pd.Timestamp(args.date_to, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
           if args.date_to else None)
    filters = Filters(region=region, hazards=frozenset(hazards), start=start, end=end,
                      alert_hazards=tuple(natural) if natural else None)
    summary = situation_summary(scenario, filters)
    tlp = args.tlp.upper()
    tlp = tlp if tlp.startswith("TLP:") else f"TLP:{tlp}"
    fields = ReportFields(title=args.title, agency=args.agency, contact=args.contact, tlp=tlp)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    for path in write_report(summary, scenario, fields, Path(args.out), formats, args.sender):
        print(path)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sitrep", help="write a situation report")
    s.add_argument("--region", help="ISO3 codes, admin codes, a GeoJSON path, or "
                                    "border:AFG-PAK:25km; default: the SAARC countries")
    s.add_argument("--hazard", help=f"comma-separated: {', '.join(HAZARD_LAYERS)}")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.add_argument("--tlp", default="AMBER", help=", ".join(TLP_LEVELS))
    s.add_argument("--format", default="pdf", help=f"comma-separated: {', '.join(FORMATS)}")
    s.add_argument("--out", required=True)
    s.add_argument("--title", default="Situation report")
    s.add_argument("--agency", default="")
    s.add_argument("--contact", default="")
    s.add_argument("--sender", default="", help="CAP sender (e-mail of the issuing agency)")
    args = parser.parse_args(argv)
    try:
        return _sitrep(args)
    except (DataSourceError, RegionError, ReportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
