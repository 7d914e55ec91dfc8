"""Live data against a local HTTP server on 127.0.0.1 (never the internet)."""

import json
import os

import pandas as pd
import pytest

from data_sources.ingest import ingest_source, status, summary_line
from data_sources.settings import Settings
from data_sources.store import Store
from tests.conftest import ROOT
from tests.feed_server import FeedServer
from tests.test_alerts import CAP
from tests.test_cyclones import HEADER as IBTRACS_HEADER
from tests.test_cyclones import UNITS as IBTRACS_UNITS
from tests.test_cyclones import rows as ibtracs_rows


def gdacs(*events) -> bytes:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"eventtype": kind, "eventid": eid, "alertlevel": level,
                                "name": f"{kind} {eid}", "fromdate": "2026-09-20T00:00:00",
                                "todate": "2026-09-25T00:00:00", "iso3": "PAK"}}
                for eid, kind, level, lon, lat in events]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.fixture
def server():
    s = FeedServer()
    yield s
    s.close()


@pytest.fixture
def env(tmp_path, server):
    def make(**overrides):
        settings = Settings(store_path=tmp_path / "store.gpkg", timeout_s=1.0, retries=2,
                            backoff_s=0.0, max_bytes=200_000, **overrides)
        from data_sources.ingest import fetcher_for
        return settings, Store(settings.store_path), fetcher_for(settings)
    return make


def test_normal_fetch_then_304_then_update(server, env):
    url = server.serve("/gdacs", gdacs((1, "FL", "Orange", 68.2, 26.5),
                                       (2, "EQ", "Green", -70.0, -30.0)))  # Chile: not ours
    settings, store, fetcher = env(gdacs_events_url=url)
    first = ingest_source(store, "gdacs-events", settings, fetcher)
    assert (first["accepted"], first["inserted"], first["error"]) == (1, 1, None)
    assert store.counts()["alerts"] == 1
    second = ingest_source(store, "gdacs-events", settings, fetcher)
    assert second["unchanged"] and second["inserted"] == 0
    assert summary_line(second) == "gdacs-events: not modified since the last fetch"
    server.serve("/gdacs", gdacs((1, "FL", "Red", 68.2, 26.5)))  # a new episode
    third = ingest_source(store, "gdacs-events", settings, fetcher)
    assert (third["updated"], third["inserted"]) == (1, 0)
    current = store.query("alerts")
    assert current["alert_level"].tolist() == ["red"]
    history = store.query("alerts", history=True)
    assert sorted(history["version"].tolist()) == [1, 2]


def test_server_error_then_success_is_retried(server, env):
    url = server.serve("/gdacs", gdacs((1, "FL", "Orange", 68.2, 26.5)), fail_times=1)
    settings, store, fetcher = env(gdacs_events_url=url)
    result = ingest_source(store, "gdacs-events", settings, fetcher)
    assert result["error"] is None and result["inserted"] == 1
    assert server.requests.count("/gdacs") == 2


@pytest.mark.slow
def test_timeout_keeps_last_good_data_and_marks_stale(server, env):
    url = server.serve("/gdacs", gdacs((1, "FL", "Orange", 68.2, 26.5)))
    settings, store, fetcher = env(gdacs_events_url=url)
    ingest_source(store, "gdacs-events", settings, fetcher)
    server.serve("/gdacs", gdacs((1, "FL", "Red", 68.2, 26.5)), delay=2.5, etag=False)
    result = ingest_source(store, "gdacs-events", settings, fetcher)
    assert "did not answer within 1 s" in result["error"]
    assert store.query("alerts")["alert_level"].tolist() == ["orange"]  # kept
    row = status(store, settings).set_index("source").loc["gdacs-events"]
    assert row["stale"] and "did not answer" in row["last_error"]


def test_malformed_body_is_rejected_and_logged_store_unchanged(server, env):
    url = server.serve("/gdacs", gdacs((1, "FL", "Orange", 68.2, 26.5)))
    settings, store, fetcher = env(gdacs_events_url=url)
    ingest_source(store, "gdacs-events", settings, fetcher)
    before = store.query("alerts", history=True)
    server.serve("/gdacs", b'{"type": "FeatureCollection", "features": [')
    result = ingest_source(store, "gdacs-events", settings, fetcher)
    assert "is not valid JSON" in result["error"]
    after = store.query("alerts", history=True)
    pd.testing.assert_frame_equal(before.drop(columns="geometry"),
                                  after.drop(columns="geometry"))
    log = store.ingest_log()
    assert log["error"].iloc[-1] == result["error"]
    # The last good copy is still the good body, and the server's fixed feed is read again.
    good = gdacs((1, "FL", "Orange", 68.2, 26.5))
    assert (settings.store_path.parent / "feeds" / "gdacs-events.geojson").read_bytes() == good
    server.serve("/gdacs", gdacs((1, "FL", "Red", 68.2, 26.5)))
    assert ingest_source(store, "gdacs-events", settings, fetcher)["updated"] == 1


def test_duplicate_delivery_adds_nothing(server, env):
    body = gdacs((1, "FL", "Orange", 68.2, 26.5), (3, "TC", "Red", 90.3, 22.3))
    url = server.serve("/gdacs", body, etag=False)  # no ETag: a full body every time
    settings, store, fetcher = env(gdacs_events_url=url)
    ingest_source(store, "gdacs-events", settings, fetcher)
    again = ingest_source(store, "gdacs-events", settings, fetcher)
    assert (again["inserted"], again["updated"], again["duplicates"]) == (0, 0, 2)
    assert len(store.query("alerts", history=True)) == 2


def test_oversize_body_is_refused(server, env):
    url = server.serve("/gdacs", b" " * 300_000)
    settings, store, fetcher = env(gdacs_events_url=url)
    result = ingest_source(store, "gdacs-events", settings, fetcher)
    assert "over the limit of 200,000" in result["error"]
    assert store.counts()["alerts"] == 0


def test_cap_feed_index_and_update(server, env):
    cap = server.serve("/cap/1.xml", CAP.format(status="Actual").encode())
    index = ("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>IMD</title>"
             f"<entry><title>x</title><link href='{cap}'/></entry></feed>").encode()
    index_url = server.serve("/cap/index.atom", index)
    settings, store, fetcher = env(cap_feeds=[index_url])
    result = ingest_source(store, "cap", settings, fetcher)
    assert (result["accepted"], result["rejected"]) == (2, 1)  # the bad polygon info block
    updated = CAP.format(status="Actual").replace("Extreme", "Severe").encode()
    server.serve("/cap/1.xml", updated)
    again = ingest_source(store, "cap", settings, fetcher)
    assert again["updated"] == 1
    levels = store.query("alerts").set_index("source_id")["alert_level"]
    assert levels["IMD-2026-0921-001#1"] == "orange"


def test_ibtracs_hdx_reliefweb_and_acled(server, env):
    csv = pd.DataFrame([IBTRACS_UNITS, *ibtracs_rows()], columns=IBTRACS_HEADER).to_csv(
        index=False).encode()
    dtm = (b"id,admin0Pcode,admin2Name,numPresentIdpInd,reportingDate,displacementReason\n"
           b",#country+code,#adm2+name,#affected+idps+ind,#date+reported,#cause+type\n"
           b"1,PAK,Dadu,12000,2026-09-15,Flood\n")
    data_url = server.serve("/hdx/dtm.csv", dtm)
    server.serve("/hdx/api", json.dumps({"result": {"resources": [
        {"format": "CSV", "url": data_url}]}}).encode())
    server.serve("/rw", json.dumps({"data": [{"id": 52100, "fields": {
        "name": "Pakistan: Floods - Sep 2026", "primary_type": {"code": "FL"},
        "date": {"event": "2026-08-12T00:00:00+00:00"}, "url": "https://reliefweb.int/d/1",
        "country": [{"iso3": "pak", "location": {"lat": 30.1, "lon": 69.3}}]}}]}).encode())
    server.serve("/rwr", json.dumps({"data": [
        {"id": 4100001, "fields": {"title": "Pakistan: Monsoon floods - Situation Report No. 7",
                                   "date": {"created": "2026-09-20T10:00:00+00:00"},
                                   "url": "https://reliefweb.int/r/1",
                                   "source": [{"shortname": "OCHA"}],
                                   "country": [{"iso3": "pak"}]}},
        {"id": 4100002, "fields": {"title": "", "date": {"created": "2026-09-21"}}}]}).encode())
    server.serve("/acled", json.dumps({"data": [{
        "event_id_cnty": "PAK9", "event_date": "2026-09-20", "event_type": "Battles",
        "country": "Pakistan", "latitude": "33.9", "longitude": "70.1", "fatalities": "1"}]})
        .encode())
    settings, store, fetcher = env(
        ibtracs_url=server.serve("/ibtracs.csv", csv), hdx_url=f"{server.url}/hdx/api",
        hdx_datasets=["iom-dtm-pak"], reliefweb_url=f"{server.url}/rw",
        reliefweb_appname="samon-test", reliefweb_reports_url=f"{server.url}/rwr",
        acled_url=f"{server.url}/acled",
        acled_key="SECRET-KEY-123", acled_email="ops@example.org")
    assert ingest_source(store, "ibtracs", settings, fetcher)["inserted"] == 3
    assert ingest_source(store, "hdx", settings, fetcher)["inserted"] == 1
    relief = ingest_source(store, "reliefweb", settings, fetcher)
    assert (relief["inserted"], relief["rejected"]) == (2, 1)  # a disaster and a report
    report = store.query("documents").iloc[0]
    assert (report["publisher"], report["countries"]) == ("OCHA", "PAK")
    acled = ingest_source(store, "acled", settings, fetcher)
    assert acled["inserted"] == 1
    assert store.counts() == {"incidents": 1, "alerts": 1, "tracks": 3, "displacement": 1,
                              "documents": 1, "boundaries": 0}
    # The key travels in the query string, but never into logs or messages.
    assert any("SECRET-KEY-123" in r for r in server.requests)
    server.serve("/acled", b"", fail_times=5)
    failed = ingest_source(store, "acled", settings, fetcher)
    assert "SECRET" not in failed["error"] and "ops@example.org" not in failed["error"]
    assert not store.ingest_log()["error"].fillna("").str.contains("SECRET").any()


def test_missing_credentials_are_a_clear_error(env):
    settings, store, fetcher = env()
    result = ingest_source(store, "acled", settings, fetcher)
    assert result["error"] == "ACLED needs SAMON_ACLED_KEY and SAMON_ACLED_EMAIL"


@pytest.mark.slow
def test_ingest_and_status_commands(server, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    url = server.serve("/gdacs", gdacs((1, "FL", "Orange", 68.2, 26.5)))
    env = {**os.environ, "SAMON_STORE_PATH": str(tmp_path / "s.gpkg"),
           "SAMON_SOURCES": '["gdacs-events"]', "SAMON_GDACS_EVENTS_URL": url,
           "SAMON_RETRIES": "0"}
    run = subprocess.run([sys.executable, "-m", "data_sources", "ingest", "--once"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "[1/1] gdacs-events: fetching" in run.stdout
    assert "gdacs-events: 1 fetched, 1 accepted (1 new, 0 updated, 0 unchanged), 0 rejected" \
        in run.stdout
    status_run = subprocess.run([sys.executable, "-m", "data_sources", "status"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
    assert "alerts 1" in status_run.stdout and "gdacs-events: ok" in status_run.stdout
    bad = subprocess.run([sys.executable, "-m", "data_sources", "ingest", "--source", "nope"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown source(s) nope" in bad.stdout


def test_real_published_samples_over_http(server, env, shared_fixture):
    import shapely

    from data_sources.alerts import read_gdacs_rss
    from data_sources.feeds.sources import SOUTH_ASIA

    rss = shared_fixture("gdacs_rss_archive_india_orange_2012-2016.xml")
    tracks = shared_fixture("ibtracs_v04r01_NI_subset_points.csv")
    settings, store, fetcher = env(
        gdacs_rss_url=server.serve("/rss.xml", rss.read_bytes(), type="application/rss+xml"),
        ibtracs_url=server.serve("/ibtracs.csv", tracks.read_bytes(), type="text/csv"))
    settings.max_bytes = 10_000_000
    from data_sources.ingest import fetcher_for
    fetcher = fetcher_for(settings)
    alerts = ingest_source(store, "gdacs-rss", settings, fetcher)
    everything = read_gdacs_rss(rss).data
    ours = everything[everything.geometry.intersects(shapely.box(*SOUTH_ASIA))]
    # The archive repeats some events (one item per episode): one current record
    # per event, the earlier episodes kept as history.
    assert alerts["inserted"] == ours["id"].nunique() > 10
    assert alerts["inserted"] + alerts["updated"] + alerts["duplicates"] == len(ours)
    assert store.counts()["alerts"] == ours["id"].nunique()
    assert len(store.query("alerts", history=True)) == alerts["inserted"] + alerts["updated"]
    assert ingest_source(store, "ibtracs", settings, fetcher)["inserted"] == 261


def _atom(*links: str) -> bytes:
    entries = "".join(f"<entry><title>x</title><link href='{link}'/></entry>" for link in links)
    return ("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>IMD</title>"
            f"{entries}</feed>").encode()


def test_cap_links_only_from_allowed_hosts_and_never_into_the_network(server, env):
    good = server.serve("/cap/1.xml", CAP.format(status="Actual").encode())
    port = server.url.rsplit(":", 1)[1]
    other_host = f"http://localhost:{port}/cap/2.xml"  # same machine, another host name
    server.serve("/cap/2.xml", CAP.format(status="Actual").replace("IMD-2026", "X-2026")
                 .encode())
    metadata = "http://169.254.169.254/latest/meta-data/"
    bounce = server.serve("/cap/3.xml", redirect=other_host)
    broken = server.serve("/cap/4.xml", b"<alert>not closed")
    index_url = server.serve("/cap/index.atom", _atom(good, other_host, metadata, bounce,
                                                      broken, "file:///etc/passwd"))
    settings, store, fetcher = env(cap_feeds=[index_url])
    result = ingest_source(store, "cap", settings, fetcher)
    assert result["error"] is None  # one bad link never fails the source
    assert result["accepted"] == 2  # the good message's two info blocks
    log = {r.row: r.reason for r in fetcher_results(settings, fetcher)}
    assert "host localhost is not the index's host" in log[2]
    assert "host 169.254.169.254 is not the index's host" in log[3]
    assert "redirects to http://localhost" in log[4] and "not allowed" in log[4]
    assert "not well-formed XML" in log[5]
    assert "scheme 'file' is not fetched" in log[6]
    assert "/cap/2.xml" not in server.requests  # neither by link nor by redirect

    # Allowed by name, but it resolves to loopback: refused unless private addresses are allowed.
    settings, store, fetcher = env(cap_feeds=[index_url], cap_link_hosts=["localhost"])
    log = {r.row: r.reason for r in fetcher_results(settings, fetcher)}
    assert "resolves to a private, loopback or link-local address" in log[2]
    settings, store, fetcher = env(cap_feeds=[index_url], cap_link_hosts=["localhost"],
                                   cap_allow_private=True)
    log = {r.row: r.reason for r in fetcher_results(settings, fetcher)}
    assert 2 not in log and "/cap/2.xml" in server.requests


def fetcher_results(settings, fetcher):
    """The rejections the CAP source reports for its index (links it did not read)."""
    from data_sources.feeds.sources import cap_feeds

    batch = cap_feeds(settings, fetcher)
    return [r for result in batch.results if result.path.endswith("index.atom")
            for r in result.rejections]


def test_a_feed_that_drips_or_redirects_in_a_loop_is_a_recorded_failure(server, env):
    drip = server.serve("/gdacs", gdacs((1, "FL", "Orange", 68.2, 26.5)), drip=0.2)
    settings, store, fetcher = env(gdacs_events_url=drip)
    result = ingest_source(store, "gdacs-events", settings, fetcher)
    assert "took over 3 s to send its body" in result["error"]
    loop = server.serve("/loop", redirect="/loop")
    settings, store, fetcher = env(gdacs_events_url=loop)
    result = ingest_source(store, "gdacs-events", settings, fetcher)
    assert "TooManyRedirects" in result["error"]
    assert store.ingest_log()["error"].notna().all()


def test_a_full_disk_is_a_recorded_failure_and_the_store_keeps_its_data(server, env, monkeypatch):
    """The store's file cannot grow (SQLite's own limit stands in for a full
    disk: the same SQLITE_FULL error): the run fails with the reason, nothing
    is half written, the next sources and runs go on, and status says so."""
    from data_sources import ingest as ingest_module
    from data_sources.ingest import run

    url = server.serve("/gdacs", gdacs((1, "FL", "Orange", 68.2, 26.5)))
    settings, store, fetcher = env(gdacs_events_url=url, sources=["gdacs-events"])
    ingest_source(store, "gdacs-events", settings, fetcher)
    before = store.query("alerts", history=True)
    store.close()
    many = [(i, "FL", "Red", 68.0 + i / 1000, 26.5) for i in range(2, 600)]
    server.serve("/gdacs", gdacs(*many))
    opened = ingest_module.open_store

    def full(settings, verify=False):
        s = opened(settings, verify=verify)
        pages = s.db.execute("PRAGMA page_count").fetchone()[0]
        s.db.execute(f"PRAGMA max_page_count = {pages}")
        return s

    monkeypatch.setattr(ingest_module, "open_store", full)
    lines: list[str] = []
    assert run(settings, ["gdacs-events", "gdacs-events"], None, out=lines.append) == 1
    failed = [line for line in lines if "FAILED" in line]
    assert len(failed) == 2 and "the disk is full; nothing was written" in failed[0]
    monkeypatch.setattr(ingest_module, "open_store", opened)
    with Store(settings.store_path) as again:
        after = again.query("alerts", history=True)
        row = status(again, settings).set_index("source").loc["gdacs-events"]
    pd.testing.assert_frame_equal(before.drop(columns="geometry"),
                                  after.drop(columns="geometry"))
    assert row["stale"] and "disk is full" in row["last_error"]


def test_a_run_that_never_finished_counts_as_failed(env):
    settings, store, _ = env(sources=["gdacs-events"])
    done = store.log_start("gdacs-events")
    store.log_finish(done, fetched=1, accepted=1)
    store.log_start("gdacs-events")  # then nothing more could be written
    later = pd.Timestamp.now(tz="UTC")
    assert not status(store, settings, now=later).iloc[0]["stale"]  # still running, maybe
    row = status(store, settings, now=later + pd.Timedelta(hours=1)).iloc[0]
    assert row["stale"] and "never finished" in row["last_error"]


@pytest.mark.slow
def test_a_really_full_file_system_is_a_recorded_failure(server, tmp_path):
    """The store on a small tmpfs that is full (mounted in a user and mount
    namespace of its own: no root needed): `ingest` fails that source with the
    reason and exit code 1, and the store keeps what it held."""
    import shutil
    import subprocess
    import sys

    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"]).returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("unshare -rm (util-linux, user namespaces) is needed for this test")
        pytest.skip("no user and mount namespaces here (unshare -rm)")
    first = server.serve("/first", gdacs((1, "FL", "Orange", 68.2, 26.5)))
    many = server.serve("/many", gdacs(*[(i, "FL", "Red", 68.0 + i / 1000, 26.5)
                                         for i in range(2, 2000)]))
    disk = tmp_path / "disk"
    disk.mkdir()
    env = {**os.environ, "SAMON_STORE_PATH": str(disk / "store.gpkg"),
           "SAMON_SOURCES": '["gdacs-events"]', "SAMON_TIMEOUT_S": "5"}
    script = f"""
set -e
mount -t tmpfs -o size=2m tmpfs {disk}
SAMON_GDACS_EVENTS_URL={first} {sys.executable} -m data_sources ingest
# Fill what is left but a few blocks: the next run's batch cannot be written.
free=$(stat -f -c %a {disk})
dd if=/dev/zero of={disk}/filler bs=4k count=$((free - 8)) 2>/dev/null
set +e
SAMON_GDACS_EVENTS_URL={many} {sys.executable} -m data_sources ingest; echo "exit=$?"
{sys.executable} -c "
from data_sources.store import Store
with Store('{disk}/store.gpkg') as s:
    print('alerts', len(s.query('alerts')))"
"""
    done = subprocess.run([unshare, "-rm", "sh", "-c", script], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert "exit=1" in out, out
    assert "disk is full" in out and "Traceback" not in out, out
    assert "alerts 1" in out, out  # the first run's alert, intact
