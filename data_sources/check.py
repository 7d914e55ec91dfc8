"""``python -m data_sources check``: tell a user whether a file is usable, and why not."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from model.i18n import _, command_line, number
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


def render_text(result: ReadResult, shown: int = SHOWN_REJECTIONS) -> str:
    """The check for a person, in the language in use (JSON stays English)."""
    summary = summarize(result, shown)
    lines = [
        _("file: {path}", path=summary["path"]),
        _("kind: {kind} ({format})", kind=summary["kind"], format=summary["format"]),
        _("accepted: {count}", count=number(summary["accepted"])),
        _("rejected: {count}", count=number(summary["rejected"])),
    ]
    if summary.get("variable"):
        lines.append(_("variable: {variable} ({units}), shape {shape}",
                       variable=summary["variable"], units=summary["units"],
                       shape=" x ".join(map(str, summary["shape"]))))
    lines.append(_("crs: {crs}", crs=summary["crs"] or _("none")))
    if summary["bounds"]:
        lines.append(_("bounds: {bounds} (min x, min y, max x, max y)",
                       bounds=", ".join(f"{b:.4f}" for b in summary["bounds"])))
    if summary["time_range"]:
        lines.append(_("time: {first} .. {last}", first=summary["time_range"][0],
                       last=summary["time_range"][1]))
    for note in result.warnings:
        lines.append(_("note ({field}): {reason}", field=note.field or _("file"),
                       reason=note.text()))
    if summary["rejections"]:
        lines.append(_("first {count} rejections:", count=number(len(summary["rejections"]))))
        for r in result.rejections[:shown]:
            where = (_("row {row}, field '{field}'", row=r.row, field=r.field) if r.field
                     else _("row {row}", row=r.row))
            lines.append(f"  {where}: {r.text()}")
    lines.append(_("verdict: usable") if summary["accepted"]
                 else _("verdict: NOT usable: every record was rejected"))
    return "\n".join(lines)


def run_check(argv: list[str], out=None) -> int:
    out = out or sys.stdout  # looked up at call time, so a redirected stdout is honoured
    parser = argparse.ArgumentParser(
        prog="python -m data_sources check",
        description=_("Check a data file before using it: what it is, what was accepted and "
                    "what was rejected, and why."),
    )
    parser.add_argument("path")
    parser.add_argument("--kind", choices=sorted(READERS), help=_("skip detection; read as this"))
    parser.add_argument("--encoding", help=_("text encoding when not UTF-8 (e.g. latin-1)"))
    parser.add_argument("--band", type=int, help=_("rasters with several bands: the band to use "
                                                    "(1 is the first)"))
    parser.add_argument("--json", action="store_true", help=_("print one JSON object (English)"))
    parser.add_argument("--lang", help=_("the language of the text output (default: "
                                       "SAMON_LANGUAGE, else English)"))
    args = parser.parse_args(argv)
    options = {"band": args.band} if args.band is not None else {}
    with command_line(args.lang):
        try:
            result = read_any(args.path, args.kind, encoding=args.encoding, **options)
        except DataSourceError as exc:
            return _fail(exc.as_dict(), exc.text(), args.json, out)
        except Exception as exc:  # noqa: BLE001 - a user must never see a traceback
            error = f"{args.path}: cannot be read ({type(exc).__name__}: {exc})"
            return _fail({"error": error, "type": type(exc).__name__, "path": args.path},
                         error, args.json, out)
        text = (json.dumps(summarize(result), ensure_ascii=False) if args.json
                else render_text(result))
    out.write(text + "\n")
    return 0 if result.accepted else 1


def _fail(error: dict, text: str, as_json: bool, out) -> int:
    out.write((json.dumps(error, ensure_ascii=False) if as_json
               else _("error: {error}", error=text)) + "\n")
    return 2
