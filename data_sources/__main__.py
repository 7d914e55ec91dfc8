"""Command line:

    python -m data_sources check PATH [--kind KIND] [--json]
    python -m data_sources ingest [--source NAME] [--once | --every 15m]
    python -m data_sources status
    python -m data_sources add PATH [--kind KIND] [--tlp LEVEL] [--token T]
        [--share agency|country|group:NAME|members|public]
        (a file into the store, marked as the token's agency's; rasters are catalogued)
    python -m data_sources share KIND ID[,ID...] --tlp LEVEL --share DISTRIBUTION [--token T]
        (change who may see your agency's records; coordinators)
    python -m data_sources store copy SRC DST
    python -m data_sources store maintain postgresql://...   (the hub, in a quiet hour)
        (GeoPackage path <-> postgresql:// URL: every version, the catalogue and the log,
        into an empty store, checked against the source)

SAMON_STORE_URL=postgresql://... keeps the records in PostGIS (a regional hub)
instead of the GeoPackage at SAMON_STORE_PATH.
"""

import argparse
import os
import re
import sys

import pandas as pd

from model.i18n import _, command_line, number, said, when

from .check import run_check


def _duration(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smh]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(_("'{value}' is not a duration like 90s, 15m or 1h",
                                           value=text))
    return float(m[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[m[2]]


def run_ingest(argv: list[str]) -> int:
    from .ingest import run
    from .settings import Settings

    parser = argparse.ArgumentParser(prog="python -m data_sources ingest")
    parser.add_argument("--source", action="append", help=_("a source (repeatable); "
                        "default: the enabled ones (SAMON_SOURCES)"))
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help=_("one run (the default)"))
    when.add_argument("--every", type=_duration, help=_("repeat, e.g. 15m"))
    args = parser.parse_args(argv)
    settings = Settings()
    return run(settings, args.source or settings.sources, args.every)


def run_status(argv: list[str]) -> int:
    from .ingest import status
    from .settings import Settings
    from .stores import open_store

    argparse.ArgumentParser(prog="python -m data_sources status").parse_args(argv)
    settings = Settings()
    with open_store(settings) as store:
        table = status(store, settings)
        counts = store.counts()
        where = store.path
    print(_("store: {where}", where=where))
    print(_("records: {counts}", counts=", ".join(f"{k} {number(v)}" for k, v in counts.items())))
    if table.empty:
        print(_("no source has run yet"))
    for r in table.itertuples():
        # A table column holds "never" as NaT/NaN, not None.
        last = (_("{time} ({hours} h ago)", time=when(r.last_success),
                  hours=number(r.age_h, decimals=1))
                if pd.notna(r.last_success) else _("never"))
        line = _("{source}: {state}, last success {time}, {count} records", source=r.source,
                 state=_("STALE") if r.stale else _("ok"), time=last,
                 count=number(r.accepted))
        print(line + (" — " + _("last error: {error}", error=r.last_error)
                      if r.last_error else ""))
    return 0


def run_add(argv: list[str]) -> int:
    from model.access import AccessError, MarkingError
    from service.situation import SituationService

    from .errors import DataSourceError
    from .ingest import summary_line

    parser = argparse.ArgumentParser(prog="python -m data_sources add")
    parser.add_argument("path")
    parser.add_argument("--kind")
    parser.add_argument("--tlp", default="AMBER", help=_("CLEAR, GREEN, AMBER (default), "
                        "AMBER+STRICT or RED"))
    parser.add_argument("--share", default="country", help=_("who may see it: agency, country "
                        "(default), group:NAME, members or public"))
    parser.add_argument("--token", default=os.environ.get("SAMON_TOKEN"),
                        help=_("your bearer token (default: SAMON_TOKEN)"))
    args = parser.parse_args(argv)
    service = SituationService()
    try:
        viewer = service.access.from_token(args.token)
        print(summary_line(service.add_file(args.path, args.kind, viewer, args.tlp, args.share)))
    except (DataSourceError, AccessError, MarkingError) as exc:
        print(_("error: {error}", error=said(exc)))
        return 2
    return 0


def run_share(argv: list[str]) -> int:
    from model.access import AccessError, MarkingError
    from service.situation import SituationService

    parser = argparse.ArgumentParser(prog="python -m data_sources share")
    parser.add_argument("kind", help=_("incidents, alerts, displacement or documents"))
    parser.add_argument("ids", help=_("record ids, comma-separated"))
    parser.add_argument("--tlp", required=True)
    parser.add_argument("--share", required=True)
    parser.add_argument("--token", default=os.environ.get("SAMON_TOKEN"))
    args = parser.parse_args(argv)
    service = SituationService()
    try:
        viewer = service.access.from_token(args.token)
        ids = [i.strip() for i in args.ids.split(",") if i.strip()]
        changed = service.reshare(args.kind, ids, viewer, args.tlp, args.share)
    except (AccessError, MarkingError) as exc:
        print(_("error: {error}", error=said(exc)))
        return 2
    print(_("{count} {kind} records now {tlp}, shared with {share}", count=number(changed),
            kind=args.kind, tlp=args.tlp.upper(), share=args.share))
    return 0


def run_store(argv: list[str]) -> int:
    from .store_copy import copy_store

    parser = argparse.ArgumentParser(prog="python -m data_sources store")
    sub = parser.add_subparsers(dest="command", required=True)
    copy = sub.add_parser("copy", help=_("copy every record, version and log entry into an "
                          "empty store (GeoPackage path or postgresql:// URL), then check it"))
    copy.add_argument("src")
    copy.add_argument("dst")
    maintain = sub.add_parser("maintain", help=_("PostGIS: rewrite each table in time order and "
                              "refresh the planner's statistics (locks each table meanwhile)"))
    maintain.add_argument("url")
    args = parser.parse_args(argv)
    if args.command == "maintain":
        from .pgstore import PgStore

        with PgStore(args.url) as store:
            for table, seconds in store.maintain().items():
                print(_("{table}: rewritten in time order in {seconds} s", table=table,
                        seconds=number(seconds, decimals=1)))
        return 0
    copied = copy_store(args.src, args.dst)
    print(_("copied and checked: {counts}",
            counts=", ".join(f"{k} {number(v)}" for k, v in copied.items())))
    return 0


COMMANDS = {"check": run_check, "ingest": run_ingest, "status": run_status, "add": run_add,
            "share": run_share, "store": run_store}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        sys.stderr.write("usage: python -m data_sources {check,ingest,status,add,share,store} "
                         "...\n"
                         + __doc__)
        return 2
    from .errors import DataSourceError

    with command_line():
        try:
            return COMMANDS[argv[0]](argv[1:])
        except DataSourceError as exc:  # the store locked, damaged, foreign, or its disk full
            print(_("error: {error}", error=said(exc)))
            return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
