"""Concurrent sessions: page time for 1, 5 and 10 visitors arriving together.

    python -m benchmarks.load [--sessions 1,5,10] [--same-region] [--protocol]
                              [--processes N]

For each N, starts the dashboard afresh on the DEMO (demo files cached), warms
it with one visit, then opens N pages in headless Debian Chromium at the same
moment, each with its own region (so each needs its own summary, as different users would; with
--same-region all look at Pakistan, as a situation room would), and
times each page until its key figures and map are drawn. Meanwhile the health
endpoint is polled: the longest wait for it is reported. Prints p50 and p95,
and the CPU-seconds the server used (the rest of the machine's two cores went
to the browsers).

With ``--protocol`` the visitors are not browsers but clients speaking
Streamlit's own websocket protocol (as its frontend does: a new session, a
run of the page with the visitor's link), timed until the server has sent the
whole page (script finished). That is the server's part of a page, what a hub
or a node serving several users must keep bounded; the drawing is then each
user's own browser's work, on their own machine.

With ``--processes N`` (N > 1) N dashboard processes run behind the deployment
recipe's nginx (TLS, a visitor kept with one process), as deploy/ sets up a
server with N cores.
"""

from __future__ import annotations

import argparse
import contextlib
import ssl
import statistics
import threading
import time

import httpx
from playwright.sync_api import sync_playwright

from benchmarks.dashboard import ARGS, cpu_seconds, rendered, start
from tests.nginx_proxy import nginx_proxy

REGIONS = ["PAK", "IND", "BGD", "AFG", "NPL", "LKA", "BTN", "PAK,AFG", "IND,BGD", "NPL,BTN"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def health_watch(url: str, stop: threading.Event, worst: list[float]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            httpx.get(f"{url}/_stcore/health", timeout=30, verify=False)
        except httpx.HTTPError:
            pass
        worst[0] = max(worst[0], time.perf_counter() - t0)
        time.sleep(0.2)


def protocol_page(url: str, query: str) -> float:
    """Seconds from a new session's first run request until the server has
    sent the whole page."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    t0 = time.perf_counter()
    secure = url.startswith("https://")
    context = ssl._create_unverified_context() if secure else None  # the test certificate
    with connect(url.replace("http", "ws", 1) + "/_stcore/stream", ssl=context,
                 subprotocols=["streamlit"], max_size=None, open_timeout=120) as ws:
        back = BackMsg()
        back.rerun_script.query_string = query
        ws.send(back.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=300))
            if msg.WhichOneof("type") == "script_finished" and \
                    msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                return time.perf_counter() - t0


def protocol_round(url: str, sessions: int, regions: list[str]) -> tuple[list[float], float]:
    stop, worst = threading.Event(), [0.0]
    watcher = threading.Thread(target=health_watch, args=(url, stop, worst), daemon=True)
    watcher.start()
    times: list[float] = []
    lock = threading.Lock()

    def visit(region: str) -> None:
        took = protocol_page(url, f"countries={region}")
        with lock:
            times.append(took)

    visitors = [threading.Thread(target=visit, args=(regions[i % len(regions)],))
                for i in range(sessions)]
    for v in visitors:
        v.start()
    for v in visitors:
        v.join()
    stop.set()
    watcher.join()
    return times, worst[0]


def one_round(browser, url: str, sessions: int, regions: list[str]
              ) -> tuple[list[float], float]:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000},
                                    ignore_https_errors=True)
                for _ in range(sessions)]
    pages = [c.new_page() for c in contexts]
    stop, worst = threading.Event(), [0.0]
    watcher = threading.Thread(target=health_watch, args=(url, stop, worst), daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    for page, region in zip(pages, regions, strict=False):
        page.goto(f"{url}/?countries={region}", wait_until="commit")
    times = []
    for page in pages:  # pages load in parallel in the browser; collect each finish
        rendered(page, "boundaries covered incidents")  # in every region
        times.append(time.perf_counter() - t0)
    stop.set()
    watcher.join()
    for c in contexts:
        c.close()
    return times, worst[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", default="1,5,10")
    parser.add_argument("--same-region", action="store_true")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--protocol", action="store_true",
                        help="visitors speak Streamlit's protocol instead of being browsers")
    args = parser.parse_args()
    regions = ["PAK"] * len(REGIONS) if args.same_region else REGIONS
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=ARGS)
        print(f"{'sessions':>8} {'p50 s':>7} {'p95 s':>7} {'slowest health s':>17} "
              f"{'server CPU-s':>13}")
        for n in (int(x) for x in args.sessions.split(",")):
            # New server processes for each round: no round finds summaries an earlier
            # round made (the same work for 1 and for 10 sessions).
            with serving(args.processes) as (url, servers):
                one_round(browser, url, 1, ["LKA,MDV"])  # warm: demo, assets, a summary
                cpu = sum(cpu_seconds(proc) for proc in servers)
                times, worst = (protocol_round(url, n, regions) if args.protocol
                                else one_round(browser, url, n, regions))
                used = sum(cpu_seconds(proc) for proc in servers) - cpu
            print(f"{n:8d} {statistics.median(times):7.2f} {p95(times):7.2f} {worst:17.2f} "
                  f"{used:13.2f}")
        browser.close()


@contextlib.contextmanager
def serving(processes: int):
    """``processes`` dashboards on the DEMO, behind the recipe's nginx when more
    than one; yields the URL visitors use and the server processes."""
    servers = [start({}) for _ in range(processes)]
    with contextlib.ExitStack() as stack:
        for proc, *_ in servers:
            stack.callback(proc.wait)
            stack.callback(proc.terminate)
        url = servers[0][1]
        if processes > 1:
            url = stack.enter_context(nginx_proxy(*(port for *_, port in servers)))
        for _, direct, *_ in servers:
            protocol_page(direct, "countries=LKA,MDV")  # each process: demo loaded
        yield url, [proc for proc, *_ in servers]


if __name__ == "__main__":
    main()
