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
from service.network import NetworkService


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m node")
    top = parser.add_subparsers(dest="what", required=True)
    serve = top.add_parser("serve", help="the node's API and network loop")
    serve.add_argument("--host", default=None, help="default: the host of SAMON_NODE_URL")
    serve.add_argument("--port", type=int, default=None,
                       help="default: the port of SAMON_NODE_URL")
    peers = top.add_parser("peers").add_subparsers(dest="verb", required=True)
    add = peers.add_parser("add", help="follow a peer node")
    add.add_argument("url", help="the peer's API, e.g. http://10.0.0.5:8700")
    add.add_argument("--name", help="what to call it here (default: its host and port)")
    token = add.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help="the bearer token the peer's operator gave you")
    token.add_argument("--token-stdin", action="store_true",
                       help="read the token from standard input (kept out of the process list)")
    add.add_argument("--topic", action="append", default=[],
                     help="broker topic to follow, e.g. rsn/PAK/# (repeatable)")
    peers.add_parser("list")
    remove = peers.add_parser("remove")
    remove.add_argument("name")
    top.add_parser("sync", help="catch up with every peer now")
    top.add_parser("status", help="per peer: last sync, lag, records received, errors")
    return parser


def main(argv: list[str] | None = None, out=print) -> int:
    args = _parser().parse_args(argv)
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
            out(f"peer {name} added: {args.url}, topics {', '.join(args.topic) or 'none'}")
            return 0
        if args.what == "peers" and args.verb == "list":
            for p in network.peers():
                out(f"{p['name']}\t{p['url']}\t{', '.join(p['topics']) or '-'}\tadded "
                    f"{p['added'][:19]}")
            return 0
        if args.what == "peers" and args.verb == "remove":
            network.remove_peer(args.name)
            out(f"peer {args.name} removed")
            return 0
        if args.what == "sync":
            failed = 0
            for name, n in network.catch_up().items():
                out(f"{name}: " + ("FAILED (python -m node status says why)" if n < 0
                                   else f"{n} record(s) new or updated"))
                failed += n < 0
            return 1 if failed else 0
        if args.what == "status":
            return _status(network, out)
    except (DataSourceError, KeyError, PermissionError) as exc:
        out(f"error: {getattr(exc, 'message', None) or exc}")
        return 2
    return 2


def _status(network: NetworkService, out) -> int:
    table = network.status()
    if table.empty:
        out("no peers: add one with python -m node peers add URL --token ... --topic ...")
        return 0
    for row in table.itertuples():
        last = "never" if row.last_sync is None or str(row.last_sync) == "NaT" else \
            f"{row.last_sync:%Y-%m-%d %H:%M:%S} UTC"
        lag = "-" if row.lag_s != row.lag_s else f"{row.lag_s:.2f} s"
        out(f"{row.name}: {row.url}\n  last sync {last}; lag (median of recent) {lag}; "
            f"{row.received} record(s) received; {row.refused} refused; {row.errors} error(s)")
        if isinstance(row.last_problem, str):
            since = " (a sync succeeded since)" if last != "never" and \
                row.last_sync > row.last_problem_at else ""
            out(f"  last problem ({row.last_problem_at:%Y-%m-%d %H:%M:%S} UTC){since}: "
                f"{row.last_problem}")
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
    out(f"node {network.settings.node_name}: API on http://{host}:{port}/ "
        + (f"broker {network.settings.mqtt_url}" if network.settings.mqtt_url
           else "(no broker set: SAMON_MQTT_URL; peers are read every "
                f"{network.settings.sync_every_s:g} s)"))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        loop.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
