"""``python -m data_sources check``: tell a user whether a file is usable, and why not."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from model.schema import ReadResult

from .detect import READERS, read_any
from .errors import DataSourceError

_TIME_COLUMNS = {
    "incidents": ("time",), "alerts": ("start", "end"), "tracks": ("time",),
    "displacement": ("date",),
}

SHOWN_REJECTIONS = 10


def _iso(ts) -> str | None:
    return None if pd.isna(ts) else pd.Timestamp(ts).isoformat()


def summarize(result: ReadResult, shown: int = SHOWN_REJECTIONS) -> dict:
    """A JSON-ready summary of a read: counts, first rejections, CRS, bounds, time range."""
    summary = {
        "path": result.path, "kind": result.kind, "format": result.format,
        "accepted": result.accepted, "rejected": result.rejected,
        "rejections": [r.as_dict() for r in result.rejections[:shown]],
        "warnings": [w.as_dict() for w in result.warnings],
        "crs": None, "bounds": None, "time_range": None,
    }
    data = result.data
    if result.kind == "raster":
        summary["crs"] = data.rio.crs.to_string() if data.rio.crs else None
        summary["bounds"] = [float(b) for b in data.rio.bounds()]
        summary["shape"] = [int(s) for s in data.shape]
        summary["variable"] = data.attrs.get("variable")
        summary["units"] = data.attrs.get("units")
        if "time" in data.dims:
            times = pd.to_datetime(data["time"].values)
            times = times.tz_localize("UTC") if times.tz is None else times  # CF times are UTC
            summary["time_range"] = [_iso(times.min()), _iso(times.max())]
        return summary
    summary["crs"] = data.crs.to_string() if data.crs is not None else None
    located = data.geometry.dropna()
    located = located[~located.is_empty]
    if len(located):
        summary["bounds"] = [float(b) for b in located.total_bounds]
    cols = [c for c in _TIME_COLUMNS.get(result.kind, ()) if c in data]
    if cols and len(data):
        values = pd.concat([data[c] for c in cols]).dropna()
        if len(values):
            summary["time_range"] = [_iso(values.min()), _iso(values.max())]
    return summary


def render_text(summary: dict) -> str:
    lines = [
        f"file:      {summary['path']}",
        f"kind:      {summary['kind']} ({summary['format']})",
        f"accepted:  {summary['accepted']}",
        f"rejected:  {summary['rejected']}",
    ]
    if summary.get("variable"):
        lines.append(f"variable:  {summary['variable']} ({summary['units']}), "
                     f"shape {' x '.join(map(str, summary['shape']))}")
    lines.append(f"crs:       {summary['crs'] or 'none'}")
    if summary["bounds"]:
        lines.append("bounds:    " + ", ".join(f"{b:.4f}" for b in summary["bounds"])
                     + "  (min x, min y, max x, max y)")
    if summary["time_range"]:
        lines.append(f"time:      {summary['time_range'][0]} .. {summary['time_range'][1]}")
    for w in summary.get("warnings", []):
        field = f" ({w['field']})" if w["field"] else ""
        lines.append(f"note{field}: {w['reason']}")
    if summary["rejections"]:
        lines.append(f"first {len(summary['rejections'])} rejections:")
        for r in summary["rejections"]:
            field = f", field '{r['field']}'" if r["field"] else ""
            lines.append(f"  row {r['row']}{field}: {r['reason']}")
    verdict = "usable" if summary["accepted"] else "NOT usable: every record was rejected"
    lines.append(f"verdict:   {verdict}")
    return "\n".join(lines)


def run_check(argv: list[str], out=None) -> int:
    out = out or sys.stdout  # looked up at call time, so a redirected stdout is honoured
    parser = argparse.ArgumentParser(
        prog="python -m data_sources check",
        description="Check a data file before using it: what it is, what was accepted and "
                    "what was rejected, and why.",
    )
    parser.add_argument("path")
    parser.add_argument("--kind", choices=sorted(READERS), help="skip detection; read as this")
    parser.add_argument("--encoding", help="text encoding when not UTF-8 (e.g. latin-1)")
    parser.add_argument("--band", type=int, help="rasters with several bands: the band to use "
                                                    "(1 is the first)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    options = {"band": args.band} if args.band is not None else {}
    try:
        summary = summarize(read_any(args.path, args.kind, encoding=args.encoding, **options))
    except DataSourceError as exc:
        return _fail(exc.as_dict(), args.json, out)
    except Exception as exc:  # noqa: BLE001 - a user must never see a traceback
        return _fail({"error": f"{args.path}: cannot be read ({type(exc).__name__}: {exc})",
                      "type": type(exc).__name__, "path": args.path}, args.json, out)
    out.write((json.dumps(summary, ensure_ascii=False) if args.json else render_text(summary))
              + "\n")
    return 0 if summary["accepted"] else 1


def _fail(error: dict, as_json: bool, out) -> int:
    out.write((json.dumps(error, ensure_ascii=False) if as_json else f"error: {error['error']}")
              + "\n")
    return 2
