"""Command line for scheduled reports:

    python -m reports sitrep --region PAK --hazard flood --from 2026-08-01 --to 2026-09-15
        --tlp AMBER --format pdf,docx,html,gpkg,csv,cap --out DIR [--token T]

It reports on the data the dashboard shows (the situation service): the live
store when feeds are configured (SAMON_SOURCES), else the manifest named by
SAMON_SCENARIO, else the DEMO scenario; and only what the token's user may see
(SAMON_TOKEN; reports need a coordinator, data formats an analyst).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from data_sources.errors import DataSourceError
from geo.regions import RegionError
from model.access import TLP_LEVELS, AccessError, tlp_level
from model.i18n import LANGUAGES, N_, _, command_line, said
from model.i18n import get as get_language
from model.period import Period
from model.schema import HAZARDS
from model.situation import HAZARD_LAYERS, Filters
from service import SituationService

from .content import ReportError, ReportFields
from .sitrep import DOCUMENT_FORMATS, FORMATS, write_report


def _sitrep(args, service: SituationService) -> int:
    viewer = service.access.from_token(args.token)
    region = service.parse_region(args.region, viewer, view=args.view) if args.region else None
    chosen = [h.strip() for h in args.hazard.split(",")] if args.hazard else []
    unknown = set(chosen) - set(HAZARDS) - set(HAZARD_LAYERS)
    if unknown:
        raise ReportError(N_("unknown hazard(s) {values}; choose from {choices}"),
                          values=", ".join(sorted(unknown)),
                          choices=", ".join(sorted(set(HAZARDS) | set(HAZARD_LAYERS))))
    # --hazard names natural hazards (flood, cyclone ...): their layers and alerts are
    # reported; incidents, displacement and alerts stay in unless named otherwise.
    natural = [h for h in chosen if h in HAZARDS]
    hazards = (set(chosen) & set(HAZARD_LAYERS)) | {"alerts", "incidents", "displacement"} \
        if chosen else set(HAZARD_LAYERS)
    period = None
    if args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise ReportError(N_("give both --from and --to (dates, both days included)"))
        period = Period.of_days(args.date_from, args.date_to)
    filters = Filters(region=region, hazards=frozenset(hazards), period=period,
                      alert_hazards=tuple(natural) if natural else None, view=args.view)
    summary = service.summary(filters, viewer=viewer)
    fields = ReportFields(title=args.title, agency=args.agency, contact=args.contact,
                          tlp=tlp_level(args.tlp), number=args.number,
                          next_update=_utc(args.next_update), affected=args.affected,
                          in_need=args.in_need, assessed_by=args.assessed_by)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    service.may_export(formats, summary, viewer)
    for i, (lang, beside) in enumerate(_languages(args.lang)):
        # The data bundle is the same in every language: written once.
        chosen = formats if i == 0 else [f for f in formats if f in DOCUMENT_FORMATS]
        for path in write_report(summary, fields, Path(args.out), chosen, args.sender,
                                 lang=lang, beside=beside):
            print(path)
    service.record_export(formats, summary, viewer, fields.tlp)
    return 0


def _languages(text: str) -> list[tuple[str, str | None]]:
    """``--lang``: "ur" one language, "en,ur" a file each, "en+ur" side by side."""
    out: list[tuple[str, str | None]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        codes = [get_language(code).code for code in item.split("+")]
        if len(codes) > 2:
            raise ReportError(N_("--lang {value}: at most two languages side by side"),
                              value=item)
        out.append((codes[0], codes[1] if len(codes) == 2 else None))
    return out


def _utc(text: str | None) -> pd.Timestamp | None:
    """A time given on the command line, as UTC (a time without a zone is UTC)."""
    if not text:
        return None
    try:
        when = pd.Timestamp(text)
    except ValueError as exc:
        raise ReportError(N_("--next-update: '{value}' is not a time ({detail})"), value=text,
                          detail=str(exc)) from None
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


def main(argv: list[str], service: SituationService | None = None) -> int:
    with command_line():  # its help in the node's language; then the report's
        parser = _parser()
    args = parser.parse_args(argv)
    # The command speaks the report's (first) language.
    with command_line(args.lang.split(",")[0].split("+")[0].strip() or None):
        try:
            return _sitrep(args, service or SituationService())
        except (DataSourceError, RegionError, ReportError, AccessError, ValueError) as exc:
            print(_("error: {error}", error=said(exc)), file=sys.stderr)
            return 2
        except OSError as exc:  # --out is a file, or not writable, or the disk is full
            print(_("error: {error}", error=_("cannot write the report to {folder}: {detail}",
                                              folder=args.out,
                                              detail=exc.strerror or str(exc))),
                  file=sys.stderr)
            return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reports")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sitrep", help=_("write a situation report"))
    s.add_argument("--region", help=_("ISO3 codes, admin codes, a GeoJSON path, or "
                                    "border:AFG-PAK:25km; default: the SAARC countries"))
    s.add_argument("--hazard", help=_("comma-separated: {choices}",
                                      choices=", ".join(HAZARD_LAYERS)))
    s.add_argument("--view", help=_("disputed areas as this member state draws them (ISO3), "
                                  "where the boundaries hold its view; default: the data's own"))
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.add_argument("--tlp", default="AMBER", help=", ".join(TLP_LEVELS))
    s.add_argument("--format", default="pdf", help=_("comma-separated: {choices}",
                                                     choices=", ".join(FORMATS)))
    s.add_argument("--out", required=True)
    s.add_argument("--title", default="",
                   help=_("default: 'Situation report' in the report's language"))
    s.add_argument("--lang", default="en",
                   help=_("the report's language; several comma-separated make a file each; "
                        "two joined by + make one file with both side by side (en+ur): ")
                        + ", ".join(LANGUAGES))
    s.add_argument("--agency", default="")
    s.add_argument("--contact", default="")
    s.add_argument("--sender", default="", help=_("CAP sender (e-mail of the issuing agency)"))
    s.add_argument("--number", type=int, help=_("the sitrep's number in its series"))
    s.add_argument("--next-update", help=_("when the next sitrep is due, UTC (2026-10-01T06:00)"))
    s.add_argument("--affected", type=int, help=_("people affected, as assessed (not computed)"))
    s.add_argument("--in-need", type=int, help=_("people in need, as assessed (not computed)"))
    s.add_argument("--assessed-by", default="", help=_("the source of --affected and --in-need"))
    s.add_argument("--token", default=os.environ.get("SAMON_TOKEN"),
                   help=_("your bearer token (default: SAMON_TOKEN)"))
    return parser


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
