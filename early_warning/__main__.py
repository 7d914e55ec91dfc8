"""Command line:

    python -m early_warning run [--once | --every 15m] [--at TIME] [--watch 5s]
    python -m early_warning serve [--host 127.0.0.1] [--port 8600]
    python -m early_warning replay [MANIFEST] --out DIR [--rules FILE] [--days 30] [--every 24h]
        [--base-url URL]

``run`` evaluates the node's rules (SAMON_RULES, else the DEMO's) on its data
(the live store, SAMON_SCENARIO or the DEMO), keeps the warnings in the store
and sends them: e-mail (SAMON_SMTP_URL), webhooks and MQTT (SAMON_MQTT_URL) to
the rules' recipients. ``--every`` repeats that on a period and as soon as the
data changes. ``serve`` answers the CAP Atom feed (/feed.atom; public warnings,
or a token's with "Authorization: Bearer TOKEN"), the CAP messages and the
acknowledgement links recipients are sent (SAMON_WARNING_BASE_URL).

Evaluates the rules along a scenario's timeline (default: the DEMO scenario and
early_warning/rules/demo.toml), from DAYS before its as-of time to it, and
writes each CAP message it would have sent (one file each, numbered in order),
a log of every decision (log.txt) and a CAP Atom feed of them (feed.atom; its
links start with --base-url, where the folder will be served).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from model.i18n import _, command_line, number, said

from .rules import DEMO_RULES


def _hours(text: str) -> pd.Timedelta:
    try:
        step = pd.Timedelta(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{value}' is not a duration like 6h or 1d",
                                           value=text)) from None
    if step <= pd.Timedelta(0):
        raise argparse.ArgumentTypeError(_("the step must be positive"))
    return step


def _run(argv: list[str]) -> int:
    from data_sources.errors import DataSourceError
    from service.situation import SituationService
    from service.warning_runs import WarningRuns

    from .rules import RuleError
    from .runner import RunBusy, RunError, RunResult

    parser = argparse.ArgumentParser(prog="python -m early_warning run")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help=_("one run, then stop (the default)"))
    when.add_argument("--every", type=_hours, help=_("run on this period, and whenever the "
                      "data changes, until stopped (Ctrl+C)"))
    parser.add_argument("--at", type=pd.Timestamp, help=_("evaluate at this time (UTC; default: "
                        "now for live data, the data's as-of time for a manifest or the DEMO)"))
    parser.add_argument("--watch", type=_hours, default=pd.Timedelta(seconds=5),
                        help=_("how often --every checks whether the data changed"))
    args = parser.parse_args(argv)
    runs = WarningRuns(SituationService())

    def report(result: RunResult) -> None:
        print("\n".join(result.log), flush=True)

    try:
        if args.every is None:
            at = args.at.tz_localize("UTC") if args.at is not None and args.at.tz is None \
                else args.at
            report(runs.run_once(at))
        else:
            runs.run_every(args.every, watch_s=args.watch.total_seconds(), report=report)
    except (RuleError, DataSourceError, RunBusy, RunError) as exc:
        print(_("error: {error}", error=said(exc)))
        return 2
    except KeyboardInterrupt:
        print(_("stopped"))
    return 0


def _serve(argv: list[str]) -> int:
    from service.situation import SituationService
    from service.warning_runs import WarningRuns, serve

    parser = argparse.ArgumentParser(prog="python -m early_warning serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8600)
    args = parser.parse_args(argv)
    server = serve(WarningRuns(SituationService()), args.host, args.port)
    print(_("serving the warnings feed on {url}",
            url=f"http://{args.host}:{server.server_port}/feed.atom"), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print(_("stopped"))
    finally:
        server.server_close()
    return 0


def replay(argv: list[str]) -> int:
    from data_sources.errors import DataSourceError
    from data_sources.scenario import load_demo, load_scenario

    from .cap import message_to_cap
    from .feed import atom_feed
    from .lifecycle import message_row
    from .replay import replay_timeline
    from .rules import RuleError, load_rules

    parser = argparse.ArgumentParser(prog="python -m early_warning replay")
    parser.add_argument("manifest", nargs="?", help=_("a scenario manifest; default: the DEMO"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--rules", default=str(DEMO_RULES))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--every", type=_hours, default=pd.Timedelta(hours=24))
    parser.add_argument("--sender", default="early-warning@localhost")
    parser.add_argument("--base-url", default="", help=_("where DIR will be served, for the "
                        "feed's links (default: file names relative to the feed)"))
    args = parser.parse_args(argv)
    try:
        rules = load_rules(args.rules)
        scenario = load_scenario(args.manifest) if args.manifest else load_demo()
    except (RuleError, DataSourceError, OSError) as exc:
        print(_("error: {error}", error=said(exc)))
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = scenario.as_of - pd.Timedelta(days=args.days)
    messages, log = replay_timeline(scenario, rules, start, scenario.as_of, args.every)
    links = {}
    for n, message in enumerate(messages, start=1):
        name = f"{n:03d}_{message.identifier}.xml"
        (out / name).write_bytes(message_to_cap(message, args.sender))
        links[message.identifier] = (args.base_url.rstrip("/") + "/" + name if args.base_url
                                     else name)
    (out / "log.txt").write_text("\n".join(log) + "\n", encoding="utf-8")
    rows = pd.DataFrame([message_row(m, rules.version) for m in messages],
                        columns=["identifier", "kind", "area", "rule_id", "sent", "reason"])
    (out / "feed.atom").write_bytes(atom_feed(rows, links, title=f"Warnings ({args.sender})",
                                              feed_id=f"urn:samon:feed:{args.sender}"))
    print(_("{count} messages over {days} days (rules {rules} version {version}) written to "
            "{folder}", count=number(len(messages)), days=number(args.days),
            rules=Path(args.rules).name, version=str(rules.version), folder=out))
    return 0


def main(argv: list[str]) -> int:
    commands = {"run": _run, "serve": _serve, "replay": replay}
    if not argv or argv[0] not in commands:
        sys.stderr.write(__doc__)
        return 2
    with command_line():  # the run's log stays in English, as the store keeps it
        return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
