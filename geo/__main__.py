"""Command line for analysts and automation.

    python -m geo exposure --hazard RASTER --threshold X --population RASTER_OR_POINTS
                           --areas VECTOR [--area-field NAME] [--json]
                           [--scheduler tcp://HOST:8786]  (default: SAMON_DASK_SCHEDULER)
    python -m geo hotspots INCIDENTS [--h3-res N] [--from DATE --to DATE] [--top N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import pandas as pd

from data_sources.boundaries import read_places
from data_sources.detect import read_any
from data_sources.errors import DataSourceError
from data_sources.rasters import NETCDF_SUFFIXES, TIFF_SUFFIXES, open_raster
from data_sources.settings import Settings
from data_sources.vectors import read_vector
from model.i18n import N_, _, command_line, number, said
from model.period import Period
from service import SituationService  # an entrance: it goes through the one door

from .borders import international_borders
from .exposure import ExposureError, exposure, overlap_notes
from .grid import GridError
from .hotspots import hotspots, top_hotspots
from .regions import RegionError, finest_areas
from .views import as_seen

AREA_FIELDS = ("name", "NAME", "shapeName", "ADM2_EN", "ADM1_EN", "NAME_2", "NAME_1", "admin",
               "code", "iso3", "iso_a3")


def _exposure(args) -> dict:
    hazard = open_raster(args.hazard).data
    kwargs: dict[str, Any] = {}
    if args.population.lower().endswith(TIFF_SUFFIXES + NETCDF_SUFFIXES):
        kwargs["population"] = open_raster(args.population, variable="population").data
    else:
        kwargs["places"] = read_places(args.population).data
    areas = read_vector(args.areas)
    field = args.area_field or next((f for f in AREA_FIELDS if f in areas.columns), None)
    if field is None:
        raise ExposureError(N_("cannot tell which field names the areas; pass --area-field"))
    result = exposure(hazard, args.threshold, areas, field, **kwargs,
                      scheduler=args.scheduler or Settings().dask_scheduler)
    table = result.table[["area", "hazard_km2", "people_exposed"]]
    return {"threshold": args.threshold, "units": result.units, "area_field": field,
            "areas": table.round({"hazard_km2": 3, "people_exposed": 0}).to_dict("records"),
            "totals": {k: result.totals[k] for k in ("hazard_km2", "people_exposed")},
            "overlaps": result.overlaps.round({"km2": 3}).to_dict("records"),
            "notes": [*result.notes, *overlap_notes(result.overlaps)]}  # phrases


def _print_exposure(out: dict) -> None:
    rows = [(row["area"], row["hazard_km2"], row["people_exposed"]) for row in out["areas"]]
    rows.append((_("total"), out["totals"]["hazard_km2"], out["totals"]["people_exposed"]))
    print(pd.DataFrame({
        _("area"): [area for area, _km2, _people in rows],
        _("hazard km²"): [number(km2, decimals=1) for _area, km2, _people in rows],
        _("people exposed"): [number(people, decimals=0) for _area, _km2, people in rows],
    }).to_string(index=False))
    for note in out["notes"]:
        print(_("note: {note}", note=note.text()))


def _hotspots(args) -> dict:
    result = read_any(args.incidents)
    if result.kind != "incidents":
        raise ExposureError(N_("{file} holds {kind}, not incidents"), file=args.incidents,
                            kind=result.kind)
    times = result.data["time"]
    period = None
    if len(times) and (args.date_from or args.date_to):
        period = Period.of_days(args.date_from or times.min(), args.date_to or times.max())
    cells = hotspots(result.data, args.h3_res, period=period)
    service = SituationService()
    scenario = service.scenario(service.access.from_token(args.token))
    boundaries = as_seen(scenario, None)["boundaries"]
    top = top_hotspots(cells, international_borders(boundaries[boundaries["admin_level"] == 0]),
                       args.top, areas=finest_areas(boundaries),
                       places=scenario["places"] if "places" in scenario.layers else None)
    classes = cells["gi_class"].value_counts().reindex(cells["gi_class"].cat.categories)
    return {"h3_res": args.h3_res, "incidents": int(cells["count"].sum()) if len(cells) else 0,
            "cells": len(cells), "rejected_rows": result.rejected,
            "classes": {str(k): int(v) for k, v in classes.fillna(0).items()},
            "top": json.loads(top.astype({"gi_class": str}).to_json(orient="records"))}


def _print_hotspots(out: dict) -> None:
    print(_("{incidents} incidents in {cells} H3 cells (resolution {resolution})",
            incidents=number(out["incidents"]), cells=number(out["cells"]),
            resolution=out["h3_res"]))
    print(_("classes: {classes}", classes=", ".join(f"{k} {number(v)}"
                                                    for k, v in out["classes"].items() if v)))
    top = out["top"]
    print(pd.DataFrame({
        _("near"): [r["place"] or "-" for r in top],
        _("km"): [number(r["place_km"] or 0, decimals=0) for r in top],
        _("area"): [r["area"] or "-" for r in top], "H3": [r["h3"] for r in top],
        _("count"): [number(r["count"]) for r in top], "z": [f"{r['gi_z']:.2f}" for r in top],
        _("class"): [r["gi_class"] for r in top], _("trend"): [f"{r['change']:+d}" for r in top],
        _("border"): [r["border_pair"] or "-" for r in top],
        _("km to border"): [number(r["border_km"], decimals=1) for r in top],
    }).to_string(index=False) if top else _("(none)"))


def main(argv: list[str]) -> int:
    with command_line():  # its help, too, in the node's language
        return _main(argv)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo")
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("exposure", help=_("people and km² exposed per area"))
    e.add_argument("--hazard", required=True)
    e.add_argument("--threshold", required=True, type=float)
    e.add_argument("--population", required=True, help=_("population raster or places file"))
    e.add_argument("--areas", required=True)
    e.add_argument("--area-field")
    e.add_argument("--json", action="store_true")
    e.add_argument("--scheduler", help=_("a dask.distributed scheduler to compute on "
                   "(default: SAMON_DASK_SCHEDULER; none: this machine)"))
    h = sub.add_parser("hotspots", help=_("Gi* hotspots of incidents on H3 cells"))
    h.add_argument("incidents")
    h.add_argument("--h3-res", type=int, default=6, choices=range(16), metavar="0..15",
                   help=_("H3 resolution, 0 (coarsest) to 15"))
    h.add_argument("--from", dest="date_from")
    h.add_argument("--to", dest="date_to")
    h.add_argument("--top", type=int, default=10)
    h.add_argument("--json", action="store_true")
    h.add_argument("--token", default=os.environ.get("SAMON_TOKEN"),
                   help=_("your bearer token (default: SAMON_TOKEN)"))
    args = parser.parse_args(argv)
    run, show = ((_exposure, _print_exposure) if args.command == "exposure"
                 else (_hotspots, _print_hotspots))
    try:
        out = run(args)
    except (DataSourceError, ExposureError, GridError, RegionError, ValueError,
            PermissionError) as exc:
        return _fail(exc, args.json)
    if args.json:  # for machines: English, the notes as sentences
        print(json.dumps(out, ensure_ascii=False, default=str))
    else:
        show(out)
    return 0


def _fail(error: Exception, as_json: bool) -> int:
    print(json.dumps({"error": str(error) or type(error).__name__}) if as_json
          else _("error: {error}", error=said(error) or type(error).__name__))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
