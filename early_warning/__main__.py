"""Command line:

    python -m early_warning replay [MANIFEST] --out DIR [--rules FILE] [--days 30] [--every 24h]
        [--base-url URL]

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

from .rules import DEMO_RULES


def _hours(text: str) -> pd.Timedelta:
    try:
        step = pd.Timedelta(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration like 6h or 1d") from None
    if step <= pd.Timedelta(0):
        raise argparse.ArgumentTypeError("the step must be positive")
    return step


def replay(argv: list[str]) -> int:
    from data_sources.errors import DataSourceError
    from data_sources.scenario import load_demo, load_scenario

    from .cap import message_to_cap
    from .feed import atom_feed
    from .replay import replay_timeline
    from .rules import RuleError, load_rules

    parser = argparse.ArgumentParser(prog="python -m early_warning replay")
    parser.add_argument("manifest", nargs="?", help="a scenario manifest; default: the DEMO")
    parser.add_argument("--out", required=True)
    parser.add_argument("--rules", default=str(DEMO_RULES))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--every", type=_hours, default=pd.Timedelta(hours=24))
    parser.add_argument("--sender", default="early-warning@localhost")
    parser.add_argument("--base-url", default="", help="where DIR will be served, for the "
                        "feed's links (default: file names relative to the feed)")
    args = parser.parse_args(argv)
    try:
        rules = load_rules(args.rules)
        scenario = load_scenario(args.manifest) if args.manifest else load_demo()
    except (RuleError, DataSourceError, OSError) as exc:
        print(f"error: {exc}")
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
    (out / "feed.atom").write_bytes(atom_feed(messages, links, title=f"Warnings ({args.sender})",
                                              feed_id=f"urn:samon:feed:{args.sender}"))
    print(f"{len(messages)} messages over {args.days} days (rules {Path(args.rules).name} "
          f"version {rules.version}) written to {out}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "replay":
        sys.stderr.write(__doc__)
        return 2
    return replay(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
