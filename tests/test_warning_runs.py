"""The early-warning engine running on a node: state kept in the store between
runs, CAP messages sent by e-mail (a local SMTP server), webhooks (a local
server that fails first) and MQTT (the local broker), the feed served over
HTTP, acknowledgement links and escalation, and the sharing rules deciding
who receives what."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import os
import re
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pandas as pd
import pytest
from lxml import etree

from data_sources.settings import Settings
from data_sources.stores import open_store
from data_sources.warning_log import WarningLog
from early_warning.replay import replay_timeline
from early_warning.rules import DEMO_RULES, RuleError, load_rules
from model.access import OPEN, Viewer
from model.i18n import Phrase, joined, language
from tests.test_reports import CAP_XSD

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
RECIPIENTS = """
[[recipient]]
id = "pak-ndma"
agency = "DEMO-PAK"
country = "PAK"
email = "duty@ndma.example"
webhook = "{webhook}"
secret_env = "TEST_PAK_HOOK_SECRET"
escalate_after = "1h"
escalate_to = ["ocha", "bgd-ddm"]

[[recipient]]
id = "bgd-ddm"
agency = "DEMO-BGD"
country = "BGD"
email = "control@ddm.example"

[[recipient]]
id = "ocha"
agency = "DEMO-OCHA"
country = "INT"
email = "roap@ocha.example"
"""


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _need_broker() -> None:
    if not _listening(1883):
        if os.environ.get("CI"):
            pytest.fail("no MQTT broker on 127.0.0.1:1883 (.ci/run starts mosquitto)")
        pytest.skip("no MQTT broker on 127.0.0.1:1883 (apt install mosquitto)")


class Hook:
    """A webhook receiver on 127.0.0.1 answering 500 to its first ``fail`` posts."""

    def __init__(self, fail: int = 1):
        self.fail, self.posts = fail, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.posts.append((dict(self.headers), body))
                status = 500 if hook.fail > 0 else 204
                hook.fail -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.mails = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.mails.append((envelope.rcpt_tos, email.message_from_bytes(
                envelope.content, policy=email.policy.default)))
            return "250 OK"

    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


@pytest.fixture(params=["geopackage", "postgis"])
def node(request, tmp_path, smtp, monkeypatch, demo):
    """A node on the DEMO with recipients, its rules run daily over the last 30 days;
    its warning log in a laptop's GeoPackage or a hub's PostgreSQL."""
    from service import SituationService
    from service.warning_runs import WarningRuns, serve

    _need_broker()
    hook = Hook(fail=1)
    topic = f"samon/test/{uuid.uuid4().hex}/warnings"
    rules = tmp_path / "rules.toml"
    rules.write_text(f'mqtt_topic = "{topic}"\n' + DEMO_RULES.read_text(encoding="utf-8")
                     + RECIPIENTS.format(webhook=hook.url), encoding="utf-8")
    monkeypatch.setenv("TEST_PAK_HOOK_SECRET", "s3cret")
    settings = Settings(store_path=tmp_path / "store.gpkg", rules=rules, smtp_url=smtp.url,
                        mqtt_url="mqtt://127.0.0.1:1883", retries=3, backoff_s=0.05,
                        store_url=request.getfixturevalue("postgis_url")
                        if request.param == "postgis" else None)
    runs = WarningRuns(SituationService(settings))
    server = serve(runs, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    runs.settings.warning_base_url = base
    received = []
    subscriber = _subscribe(topic, received)
    results = [runs.run_once(at) for at in pd.date_range(demo.as_of - pd.Timedelta(days=30),
                                                         demo.as_of, freq="1D")]
    yield runs, results, hook, received, base, demo
    subscriber.loop_stop()
    subscriber.disconnect()
    server.shutdown()
    hook.server.shutdown()


def _subscribe(topic: str, received: list):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    subscribed = threading.Event()
    client.on_message = lambda c, u, msg: received.append(msg.payload)
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", 1883)
    client.subscribe(topic, qos=1)
    client.loop_start()
    assert subscribed.wait(10)
    return client


@pytest.mark.slow
def test_runs_keep_their_state_in_the_store_and_send_what_the_replay_raises(node, smtp):
    runs, results, hook, received, base, demo = node
    with open_store(runs.settings) as store:
        stored = WarningLog(store).messages(with_cap=True)
    # Thirty-one separate runs, the engine restored from the store each time, send the
    # very messages one replay in memory raises, in the same order.
    replayed, _ = replay_timeline(demo, load_rules(runs.settings.rules),
                                  demo.as_of - pd.Timedelta(days=30), demo.as_of,
                                  pd.Timedelta(days=1))
    assert list(zip(stored["kind"], stored["rule_id"], stored["area_key"], strict=True)) == \
        [(m.kind, m.finding.rule.id, m.finding.key) for m in replayed]
    assert len(stored) == 10
    schema = etree.XMLSchema(etree.parse(str(CAP_XSD)))
    for cap in stored["cap"]:
        assert schema.validate(etree.fromstring(cap)), schema.error_log.last_error
    # The cyclone warning speaks English and Bengali (the rule gives its words in both),
    # and names its area by geocode too.
    cyclone = etree.fromstring(stored.loc[stored["rule_id"] == "cyclone-impact", "cap"].iloc[0])
    assert cyclone.xpath("cap:info/cap:language/text()", namespaces=NS) == ["en", "bn"]
    bengali = cyclone.findall("cap:info", NS)[1]
    assert bengali.findtext("cap:headline", namespaces=NS) == "ঘূর্ণিঝড়ের প্রভাব: Bangladesh"
    assert bengali.findtext("cap:instruction", namespaces=NS).startswith("উপকূল থেকে দূরে")
    assert bengali.findtext("cap:area/cap:geocode/cap:value", namespaces=NS) == "BGD"
    # Its reasons are kept as phrases: the Bengali block and a Bengali reader of the
    # dashboard get them in Bengali; the log keeps English.
    why = stored.loc[stored["rule_id"] == "cyclone-impact", "why"].iloc[0]
    with language("bn"):
        in_bengali = joined(Phrase.from_list(phrase) for phrase in why)
    assert bengali.findtext("cap:description", namespaces=NS) == in_bengali
    assert "জন" in in_bengali and "people" not in in_bengali
    assert stored.loc[stored["rule_id"] == "cyclone-impact", "reason"].iloc[0] == \
        joined((Phrase.from_list(phrase) for phrase in why), in_english=True)
    # A run repeated at the same moment raises nothing new: no duplicate warning.
    again = runs.run_once(demo.as_of)
    assert again.messages == [] and len(WarningLog(open_store(runs.settings))
                                        .messages()) == 10

    # E-mail: every recipient receives exactly what the sharing rules allow it; the
    # partner outside the member states never the members-only displacement warnings.
    def subjects(address):
        # (Mail clients unfold long subjects; so does this.)
        return [" ".join(m["Subject"].split()) for to, m in smtp.mails if address in to]

    members_only = stored[stored["share"] == "members"]
    assert len(members_only) == 4  # displacement-jump: PAK Alert, Update, Cancel; BGD Alert
    assert len(subjects("duty@ndma.example")) == 10
    assert len(subjects("control@ddm.example")) == 10
    ocha = subjects("roap@ocha.example")
    assert len(ocha) == 6 and not any("displacement-jump" in s for s in ocha)
    assert all(s.startswith("EXERCISE [TLP:") for s in ocha)  # DEMO: never a real warning
    to, mail = next((to, m) for to, m in smtp.mails if "roap@ocha.example" in to)
    attachment = next(p for p in mail.walk() if p.get_content_type() == "application/cap+xml")
    assert etree.fromstring(attachment.get_payload(decode=True)).findtext(
        "cap:status", namespaces=NS) == "Exercise"

    # The webhook answered 500 once: retried within the run, then every message arrived,
    # each signed over its time and body with the recipient's key.
    assert len(hook.posts) == 11
    for headers, body in hook.posts:
        expected = hmac.new(b"s3cret", headers["X-Samon-Timestamp"].encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        assert headers["X-Samon-Signature"] == f"sha256={expected}"
    with open_store(runs.settings) as store:
        deliveries = WarningLog(store).deliveries()
    assert set(deliveries["status"]) == {"sent"}
    # Coordinators see them all (newest first); others may not.
    from model.access import AccessError, Role

    coordinator = Viewer("c", agency="DEMO-PAK", country="PAK", role=Role.coordinator)
    assert len(runs.service.deliveries(coordinator)) == len(deliveries)
    with pytest.raises(AccessError):
        runs.service.deliveries(Viewer("v", agency="DEMO-PAK", country="PAK"))
    assert deliveries.loc[deliveries["channel"] == "webhook", "attempts"].tolist() == [1] * 10

    # MQTT carries the public warnings only (TLP:CLEAR, shared with the public).
    public = stored[(stored["tlp"] == "TLP:CLEAR") & (stored["share"] == "public")]
    for _ in range(50):
        if len(received) >= len(public):
            break
        threading.Event().wait(0.1)
    assert sorted(received) == sorted(public["cap"].map(bytes))


@pytest.mark.slow
def test_the_feed_served_acknowledgement_links_and_escalation(node, smtp):
    runs, results, hook, received, base, demo = node
    # Without a token the feed lists the public warnings only, each message one link away.
    feed = etree.fromstring(httpx.get(f"{base}/feed.atom").content)
    atom = {"a": "http://www.w3.org/2005/Atom"}
    links = feed.xpath("//a:entry/a:link/@href", namespaces=atom)
    assert len(links) == 6
    for link in links:
        assert httpx.get(link).headers["content-type"] == "application/cap+xml"
    with open_store(runs.settings) as store:
        stored = WarningLog(store).messages()
    hidden = stored.loc[stored["share"] == "members", "identifier"].iloc[0]
    assert httpx.get(f"{base}/cap/{hidden}.xml").status_code == 404

    # The national authority acknowledges the flood-impact warning from its e-mail.
    flood = stored.loc[stored["rule_id"] == "flood-impact", "warning"].iloc[0]
    mail = next(m for to, m in smtp.mails if "duty@ndma.example" in to
                and "flood-impact" in m["Subject"])
    link = re.search(r"Acknowledge this warning: (\S+)", mail.get_body().get_content())[1]
    assert httpx.get(link.replace("&t=", "&t=x")).status_code == 403  # a forged link
    page = httpx.get(link)
    assert page.status_code == 200 and f"Warning {flood} is acknowledged for DEMO-PAK" in \
        page.text
    assert httpx.get(link).status_code == 200  # following it twice is harmless
    found = runs.service.warnings(OPEN)
    assert found.source == "runs"
    assert found.active().set_index("rule_id").loc["flood-impact", "acknowledged"] == "DEMO-PAK"

    # Two hours later, every other active warning NDMA received but did not
    # acknowledge escalates, once, to the recipients it names who may receive it: the
    # members-only displacement warning to DDM Bangladesh, not to OCHA.
    later = pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=2)
    before = len(smtp.mails)
    result = runs.run_once(demo.as_of, now=later)
    escalated = [(to[0], " ".join(m["Subject"].split())) for to, m in smtp.mails[before:]]
    assert all(s.startswith("ESCALATION EXERCISE") for _, s in escalated)
    assert sorted((to, re.search(r"rule ([\w-]+)", s)[1]) for to, s in escalated) == sorted([
        ("roap@ocha.example", "cyclone-impact"), ("roap@ocha.example", "hazard-orange"),
        ("control@ddm.example", "cyclone-impact"), ("control@ddm.example", "hazard-orange"),
        ("control@ddm.example", "displacement-jump")])
    assert sum("escalation of" in line for line in result.log) == 5
    runs.run_once(demo.as_of, now=later + pd.Timedelta(hours=1))
    assert len(smtp.mails) == before + 5  # never escalated twice

    # In the dashboard, a user of DDM acknowledges for their agency; the audit log says so.
    ddm = Viewer("demo-analyst", agency="DEMO-BGD", country="BGD")
    cyclone = found.active().set_index("rule_id").loc["cyclone-impact", "warning"]
    assert runs.service.acknowledge(ddm, cyclone) is True
    assert runs.service.acknowledge(ddm, cyclone) is False
    audit = runs.service.access.audit()
    assert audit[audit["action"] == "acknowledge"]["user"].tolist() == ["recipient pak-ndma",
                                                                         "demo-analyst"]


def test_a_rules_file_names_the_recipient_and_field_it_cannot_use(tmp_path):
    base = DEMO_RULES.read_text(encoding="utf-8")
    cases = {
        '[[recipient]]\nid = "a"\nagency = "X"\ncountry = "PAK"\n':
            "recipient a: give an 'email' or a 'webhook'",
        '[[recipient]]\nid = "a"\nagency = "X"\ncountry = "PAK"\nwebhook = "https://h"\n':
            "recipient a: a webhook needs 'secret_env'",
        '[[recipient]]\nid = "a"\nagency = "X"\ncountry = "PAK"\nemail = "e@x"\n'
        'escalate_after = "soon"\n': "escalate_after 'soon' is not a duration",
        '[[recipient]]\nid = "a"\nagency = "X"\ncountry = "PAK"\nemail = "e@x"\n'
        'escalate_after = "1h"\nescalate_to = ["b"]\n': "escalate_to names 'b'",
        'mqtt_topic = "a/#"\n': "mqtt_topic must be a topic name without wildcards",
        'mqtt_topic = "a/b"\n': "rule flood-impact: unknown field(s) mqtt_topic (settings of "
                               "the whole file, like version and mqtt_topic, go before",
    }
    for extra, message in cases.items():
        path = tmp_path / "rules.toml"
        text = (extra + base) if "#" in extra else (base + extra)
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RuleError, match=re.escape(message)):
            load_rules(path)


def test_a_coordinator_saves_rules_once_they_pass_every_check(tmp_path, demo):
    from model.access import AccessError, Role
    from service import SituationService

    service = SituationService(Settings(store_path=tmp_path / "store.gpkg"))
    assert service.rules_path() == DEMO_RULES
    coordinator = Viewer("c", agency="DEMO-IND", country="IND", role=Role.coordinator)
    text = DEMO_RULES.read_text(encoding="utf-8")
    with pytest.raises(AccessError):
        service.save_rules(Viewer("a", agency="DEMO-IND", country="IND", role=Role.analyst),
                           text.replace("version = 2", "version = 3"))
    with pytest.raises(RuleError, match="the version must go up"):
        service.save_rules(coordinator, text.replace("min_people = 100000", "min_people = 5"))
    with pytest.raises(RuleError, match="rule cyclone-impact: country 'XXX'"):
        service.save_rules(coordinator, text.replace("version = 2", "version = 3")
                           .replace('"BGD", "IND", "LKA"', '"XXX"'))
    assert service.rules_path() == DEMO_RULES  # nothing written
    saved = service.save_rules(coordinator, text.replace("version = 2", "version = 3"))
    assert saved.version == 3 and service.rules_path() == tmp_path / "rules.toml"
    assert service.rules().version == 3 and DEMO_RULES.read_text(encoding="utf-8") == text
    entry = service.access.audit().iloc[-1]
    assert entry["action"] == "rules" and "-version = 2" in entry["detail"] and \
        "+version = 3" in entry["detail"]


def test_a_node_whose_rules_raised_nothing_serves_an_empty_feed(tmp_path, demo):
    from service import SituationService
    from service.warning_runs import WarningRuns, serve

    rules = tmp_path / "rules.toml"
    rules.write_text('version = 1\n[[rule]]\nid = "nepal-surge"\nkind = "incident_surge"\n'
                     'countries = ["NPL"]\ndays = 7\nbaseline_weeks = 4\np_value = 0.01\n'
                     "min_count = 20\n", encoding="utf-8")
    runs = WarningRuns(SituationService(Settings(store_path=tmp_path / "s.gpkg", rules=rules)))
    assert runs.run_once().messages == []
    server = serve(runs, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        feed = httpx.get(f"{base}/feed.atom")
        assert feed.status_code == 200 and b"<entry>" not in feed.content
        assert httpx.get(f"{base}/nothing").status_code == 404
        assert httpx.get(f"{base}/ack?w=a&r=b&t=c").status_code == 403
    finally:
        server.shutdown()


def test_run_every_runs_again_as_soon_as_the_data_changes(tmp_path, demo):
    """`python -m early_warning run --every 1h`: an added file is evaluated within
    the watch interval, not an hour later."""
    import time

    from model.access import OPEN
    from service import SituationService
    from service.warning_runs import WarningRuns

    runs = WarningRuns(SituationService(Settings(store_path=tmp_path / "s.gpkg")))
    stop, results = threading.Event(), []
    worker = threading.Thread(target=runs.run_every, args=(pd.Timedelta(hours=1),),
                              kwargs={"watch_s": 0.2, "stop": stop, "report": results.append})
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while not results and time.monotonic() < deadline:
            time.sleep(0.1)
        added = tmp_path / "incidents.csv"
        added.write_text("time,lat,lon,category,country,id\n2026-09-29,27.7,85.3,"
                         "protest/unrest,NPL,n1\n", encoding="utf-8")
        runs.service.add_file(str(added), None, OPEN, "TLP:CLEAR", "public")
        while len(results) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(results) == 2  # the first run, then the one the new file caused
    finally:
        stop.set()
        worker.join(60)
    with open_store(runs.settings) as store:
        assert len(WarningLog(store).runs()) == 2


def test_a_failing_webhook_is_tried_again_next_run_and_a_misconfigured_one_fails(tmp_path,
                                                                                demo):
    from service import SituationService
    from service.warning_runs import WarningRuns

    down = Hook(fail=1000)  # answers 500, always
    rules = tmp_path / "rules.toml"
    rules.write_text(DEMO_RULES.read_text(encoding="utf-8") + f"""
[[recipient]]
id = "down"
agency = "DEMO-PAK"
country = "PAK"
webhook = "{down.url}"
secret_env = "TEST_DOWN_SECRET"

[[recipient]]
id = "no-key"
agency = "DEMO-IND"
country = "IND"
webhook = "{down.url}"
secret_env = "TEST_UNSET_SECRET"
""", encoding="utf-8")
    os.environ["TEST_DOWN_SECRET"] = "k"
    try:
        runs = WarningRuns(SituationService(Settings(
            store_path=tmp_path / "s.gpkg", rules=rules, retries=2, backoff_s=0.01)))
        first = runs.run_once()
        with open_store(runs.settings) as store:
            d = WarningLog(store).deliveries().set_index("recipient")
        assert set(d.loc["down", "status"]) == {"pending"} and set(d.loc["down", "attempts"]) == {1}
        assert set(d.loc["down", "last_error"]) == {f"{down.url} answered HTTP 500 (2 tries)"}
        assert set(d.loc["no-key", "status"]) == {"failed"}
        assert "TEST_UNSET_SECRET" in d.loc["no-key", "last_error"].iloc[0]
        assert any("not sent, will retry" in line for line in first.log)
        runs.run_once()  # nothing new to say: only the pending deliveries are tried again
        with open_store(runs.settings) as store:
            d = WarningLog(store).deliveries().set_index("recipient")
        assert set(d.loc["down", "attempts"]) == {2} and set(d.loc["no-key", "attempts"]) == {1}
    finally:
        os.environ.pop("TEST_DOWN_SECRET")
        down.server.shutdown()
