"""Command line of a node of the regional network:

    python -m node serve [--host 127.0.0.1] [--port 8700]
        the node's API (OGC API - Features, CAP Atom, HXL) and, with SAMON_MQTT_URL,
        its network loop: announce this node's records, take the peers'
    python -m node peers add URL --name NAME (--token TOKEN | --token-stdin) --topic T ...
    python -m node peers list
    python -m node peers remove NAME
    python -m node sync           (catch up with every peer now, then stop)
    python -m node status         (per peer: last sync, lag, records, errors)

The node's name (SAMON_NODE_NAME), the address its API is reached at
(SAMON_NODE_URL) and the broker (SAMON_MQTT_URL) are settings.
"""

from __future__ import annotations

import argparse
import sys
import threading
from urllib.parse import urlsplit

from data_sources.errors import DataSourceError
from data_sources.settings import Settings
from model.i18n import _, command_line, number, said
from service.network import NetworkService


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m node")
    top = parser.add_subparsers(dest="what", required=True)
    serve = top.add_parser("serve", help=_("the node's API and network loop"))
    serve.add_argument("--host", default=None, help=_("default: the host of SAMON_NODE_URL"))
    serve.add_argument("--port", type=int, default=None,
                       help=_("default: the port of SAMON_NODE_URL"))
    peers = top.add_parser("peers").add_subparsers(dest="verb", required=True)
    add = peers.add_parser("add", help=_("follow a peer node"))
    add.add_argument("url", help=_("the peer's API, e.g. http://10.0.0.5:8700"))
    add.add_argument("--name", help=_("what to call it here (default: its host and port)"))
    token = add.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help=_("the bearer token the peer's operator gave you"))
    token.add_argument("--token-stdin", action="store_true",
                       help=_("read the token from standard input (kept out of the process list)"))
    add.add_argument("--topic", action="append", default=[],
                     help=_("broker topic to follow, e.g. rsn/PAK/# (repeatable)"))
    peers.add_parser("list")
    remove = peers.add_parser("remove")
    remove.add_argument("name")
    top.add_parser("sync", help=_("catch up with every peer now"))
    top.add_parser("status", help=_("per peer: last sync, lag, records received, errors"))
    return parser


def main(argv: list[str] | None = None, out=print) -> int:
    with command_line():  # its help, too, in the node's language
        return _main(_parser().parse_args(argv), out)


def _main(args, out) -> int:
    settings = Settings()
    network = NetworkService(settings)
    try:
        if args.what == "serve":
            return _serve(network, args.host, args.port, out)
        if args.what == "peers" and args.verb == "add":
            token = sys.stdin.readline().strip() if args.token_stdin else args.token
            parts = urlsplit(args.url)
            name = args.name or f"{parts.hostname}:{parts.port or 80}"
            network.add_peer(name, args.url, token, args.topic)
            out(_("peer {name} added: {url}, topics {topics}", name=name, url=args.url,
                  topics=", ".join(args.topic) or _("none")))
            return 0
        if args.what == "peers" and args.verb == "list":
            for p in network.peers():
                out(f"{p['name']}\t{p['url']}\t{', '.join(p['topics']) or '-'}\t"
                    + _("added {time}", time=p["added"][:19]))
            return 0
        if args.what == "peers" and args.verb == "remove":
            network.remove_peer(args.name)
            out(_("peer {name} removed", name=args.name))
            return 0
        if args.what == "sync":
            failed = 0
            for name, n in network.catch_up().items():
                out(_("{peer}: FAILED (python -m node status says why)", peer=name) if n < 0
                    else _("{peer}: {count} record(s) new or updated", peer=name,
                           count=number(n)))
                failed += n < 0
            return 1 if failed else 0
        if args.what == "status":
            return _status(network, out)
    except (DataSourceError, KeyError, PermissionError) as exc:
        out(_("error: {error}", error=said(exc)))
        return 2
    return 2


def _status(network: NetworkService, out) -> int:
    table = network.status()
    if table.empty:
        out(_("no peers: add one with python -m node peers add URL --token ... --topic ..."))
        return 0
    for row in table.itertuples():
        synced = row.last_sync is not None and str(row.last_sync) != "NaT"
        last = f"{row.last_sync:%Y-%m-%d %H:%M:%S} UTC" if synced else _("never")
        lag = "-" if row.lag_s != row.lag_s else _("{n} s", n=number(row.lag_s, decimals=2))
        out(f"{row.name}: {row.url}\n  " + _(
            "last sync {last}; lag (median of recent) {lag}; {received} record(s) received; "
            "{refused} refused; {errors} error(s)", last=last, lag=lag,
            received=number(row.received), refused=number(row.refused),
            errors=number(row.errors)))
        if isinstance(row.last_problem, str):  # as the log keeps it, in English
            values = {"time": f"{row.last_problem_at:%Y-%m-%d %H:%M:%S}",
                    "problem": row.last_problem}
            out("  " + (_("last problem ({time} UTC, a sync succeeded since): {problem}",
                          **values)
                        if synced and row.last_sync > row.last_problem_at
                        else _("last problem ({time} UTC): {problem}", **values)))
    return 0


def _serve(network: NetworkService, host: str | None, port: int | None, out) -> int:
    import uvicorn

    from node.api import create_app
    from service import SituationService
    from service.warning_runs import WarningRuns

    parts = urlsplit(network.settings.node_url)
    host = host or parts.hostname or "127.0.0.1"
    port = port or parts.port or 8700
    app = create_app(network, WarningRuns(SituationService(network.settings)))
    stop = threading.Event()
    loop = threading.Thread(target=network.run, args=(stop,), kwargs={"report": out},
                            name="network", daemon=True)
    loop.start()
    out(_("node {name}: API on {url} {broker}", name=network.settings.node_name,
          url=f"http://{host}:{port}/",
          broker=_("broker {url}", url=network.settings.mqtt_url) if network.settings.mqtt_url
          else _("(no broker set: SAMON_MQTT_URL; peers are read every {seconds} s)",
                 seconds=number(network.settings.sync_every_s))))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        loop.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
