"""Early warning: rules files, conditions on hand-checkable data, the warning
lifecycle, CAP 1.2 validity, and the DEMO timeline replayed."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from lxml import etree

from early_warning.__main__ import main as early_warning_main
from early_warning.cap import message_to_cap
from early_warning.conditions import Finding, evaluate
from early_warning.lifecycle import Engine
from early_warning.replay import replay_timeline
from early_warning.rules import Rule, RuleError, load_rules
from model.i18n import Phrase
from model.scenario import Layer, Scenario
from model.schema import ReadResult
from tests.cli import run
from tests.test_reports import CAP_XSD

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
SURGE = """version = 2
[[rule]]
id = "surge"
kind = "incident_surge"
countries = ["PAK"]
days = 7
baseline_weeks = 4
p_value = 0.01
min_count = 5
clear_after = 2
"""


def test_a_rules_file_names_the_rule_and_field_it_cannot_use(tmp_path):
    path = tmp_path / "rules.toml"
    for text, message in [
        ("[[rule]]\nid='a'\nkind='hazard_alert'\nmin_level='red'\n", "'version = N'"),
        ("version=1\n[[rule]]\nid='a'\nkind='tsunami'\n", "rule a: kind 'tsunami'"),
        ("version=1\n[[rule]]\nid='a'\nkind='hazard_alert'\n", "'min_level' is required"),
        ("version=1\n[[rule]]\nid='a'\nkind='incident_surge'\ndays='x'\nbaseline_weeks=4\n"
         "p_value=0.01\nmin_count=3\n", "'days' must be a int"),
        ("version=1\n[[rule]]\nid='a'\nkind='hazard_alert'\nmin_level='red'\ntlp='AMBER'\n"
         "share='public'\n", "cannot be shared with 'public'"),
        ("version=1\n[[rule]]\nid='a'\nkind='hazard_alert'\nmin_level='red'\n"
         "countries=['XYZ']\n", "country 'XYZ'"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RuleError, match=message):
            load_rules(path)
    path.write_text(SURGE, encoding="utf-8")
    rules = load_rules(path)
    assert rules.version == 2 and rules.rules[0].params["min_count"] == 5


def _scenario(weekly: list[int], at: pd.Timestamp) -> Scenario:
    """PAK incidents: ``weekly[i]`` of them in the i-th week before ``at`` (0: the last)."""
    times = [at - pd.Timedelta(days=7 * week + 1 + n % 6, hours=n % 5)
             for week, count in enumerate(weekly) for n in range(count)]
    incidents = gpd.GeoDataFrame({
        "id": [f"t:{n}" for n in range(len(times))], "time": pd.to_datetime(times, utc=True),
        "country": "PAK", "demo": False}, geometry=[shapely.Point(70, 30)] * len(times),
        crs="EPSG:4326")
    boundaries = gpd.GeoDataFrame({"admin_level": [0], "iso3": ["PAK"], "name": ["Pakistan"]},
                                  geometry=[shapely.box(60, 23, 78, 37)], crs="EPSG:4326")
    layers = {name: Layer(name, "test", None, False, ReadResult(name, "test", "", data))
              for name, data in (("incidents", incidents), ("boundaries", boundaries))}
    return Scenario("test", at, False, layers)


def test_an_incident_surge_is_a_poisson_test_against_the_weeks_before(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(SURGE, encoding="utf-8")
    rule = load_rules(path).rules[0]
    at = pd.Timestamp("2026-09-30T00:00Z")
    (finding,) = evaluate(rule, _scenario([10, 2, 2, 2, 2], at), at)
    # 10 against a mean of 2: P(X >= 10 | Poisson(2)) = 4.65e-5 (by hand: 1 - sum_0^9 e^-2 2^k/k!)
    assert finding.figures["incidents"] == 10 and finding.figures["expected"] == 2.0
    assert finding.figures["p_value"] == pytest.approx(4.6498e-5, rel=1e-3)
    assert "p = 4.6e-05 < 0.01" in finding.reason
    assert evaluate(rule, _scenario([5, 2, 2, 2, 2], at), at) == []  # p = 0.053: chance
    assert evaluate(rule, _scenario([4, 0, 0, 0, 0], at), at) == []  # under min_count


def test_an_incident_surge_per_h3_cell_corrects_for_the_cells_tested(tmp_path):
    import h3

    path = tmp_path / "rules.toml"
    path.write_text(SURGE.replace('countries = ["PAK"]', 'countries = ["PAK"]\nh3_resolution = 5'),
                    encoding="utf-8")
    rule = load_rules(path).rules[0]
    at = pd.Timestamp("2026-09-30T00:00Z")
    rising = _scenario([10, 2, 2, 2, 2], at)
    steady = _scenario([3, 3, 3, 3, 3], at)["incidents"].assign(
        geometry=shapely.Point(67, 25), id=lambda f: "s" + f["id"])
    incidents = pd.concat([rising["incidents"], steady], ignore_index=True)
    rising.layers["incidents"] = Layer("incidents", "test", None, False,
                                       ReadResult("incidents", "test", "", incidents))
    (finding,) = evaluate(rule, rising, at)
    cell = h3.latlng_to_cell(30, 70, 5)
    assert finding.key == f"h3:{cell}" and finding.area == f"H3 cell {cell} (Pakistan)"
    assert finding.geometry.contains(shapely.Point(70, 30))
    # Two cells had recent incidents: each is held to 0.01 / 2.
    assert "p = 4.6e-05 < 0.005; Bonferroni: 0.01 / 2 cells with recent incidents" in \
        finding.reason
    with pytest.raises(RuleError, match="h3_resolution must be an integer from 0 to 15"):
        path.write_text(SURGE.replace('countries = ["PAK"]', 'countries = ["PAK"]\n'
                                      'h3_resolution = 16'), encoding="utf-8")
        load_rules(path)


def _finding(rule: Rule, figures: dict) -> Finding:
    return Finding(rule, "PAK", "Pakistan", shapely.box(60, 23, 78, 37), figures,
                   (Phrase("why"),))


def test_a_warning_lives_alert_update_cancel_and_never_repeats():
    rule = Rule("surge", "incident_surge", ("PAK",), {}, clear_after=2)
    engine, t = Engine(), pd.Timestamp("2026-09-01T00:00Z")
    day = pd.Timedelta(days=1)
    steps = [[_finding(rule, {"n": 10})],  # starts: Alert
             [_finding(rule, {"n": 10})],  # holds, unchanged: nothing
             [_finding(rule, {"n": 14})],  # holds, changed: Update
             [],                           # absent once: nothing (flapping suppressed)
             [_finding(rule, {"n": 14})],  # back: the same warning, unchanged: nothing
             [], []]                       # absent twice in a row: Cancel
    sent = [[(m.kind, len(m.references)) for m in engine.step(f, t + n * day, {"surge"})]
            for n, f in enumerate(steps)]
    assert sent == [[("Alert", 0)], [], [("Update", 1)], [], [], [], [("Cancel", 2)]]
    assert engine.active == {}


def test_warnings_are_valid_cap_12_with_their_lifecycle_and_marking():
    schema = etree.XMLSchema(etree.parse(str(CAP_XSD)))
    rule = Rule("surge", "incident_surge", ("PAK",), {}, tlp="TLP:AMBER", share="members",
                clear_after=1)
    engine, t = Engine(), pd.Timestamp("2026-09-01T00:00Z")
    messages = [*engine.step([_finding(rule, {"n": 10})], t),
                *engine.step([_finding(rule, {"n": 12})], t + pd.Timedelta(hours=6)),
                *engine.step([], t + pd.Timedelta(hours=12), {"surge"})]
    docs = [etree.fromstring(message_to_cap(m, "ew@ndma.example")) for m in messages]
    for doc in docs:
        assert schema.validate(doc), schema.error_log.last_error
    assert [d.findtext("cap:msgType", namespaces=NS) for d in docs] == \
        ["Alert", "Update", "Cancel"]
    first = docs[0].findtext("cap:identifier", namespaces=NS)
    assert docs[1].findtext("cap:references", namespaces=NS) == \
        f"ew@ndma.example,{first},2026-09-01T00:00:00+00:00"
    assert docs[2].findtext("cap:references", namespaces=NS).count(",") == 4  # both earlier
    assert {d.findtext("cap:scope", namespaces=NS) for d in docs} == {"Restricted"}
    assert docs[0].findtext("cap:restriction", namespaces=NS) == "TLP:AMBER, shared with members"
    assert docs[2].findtext("cap:info/cap:responseType", namespaces=NS) == "AllClear"


def test_the_demo_timeline_replayed(demo, tmp_path):
    from early_warning.__main__ import DEMO_RULES

    rules = load_rules(DEMO_RULES)
    messages, log = replay_timeline(demo, rules, demo.as_of - pd.Timedelta(days=30),
                                    demo.as_of, pd.Timedelta(days=1))
    sequence = [(f"{m.sent:%m-%d}", m.kind, m.finding.rule.id, m.finding.key) for m in messages]
    assert sequence == [
        ("08-31", "Alert", "hazard-orange", "GDACS:FL9000001"),  # the Indus flood, red
        ("08-31", "Alert", "displacement-jump", "PAK"),
        ("09-08", "Update", "displacement-jump", "PAK"),          # 976,600 -> 1,627,670
        ("09-22", "Alert", "hazard-orange", "GDACS:TC9000002"),  # the cyclone, red
        ("09-23", "Cancel", "displacement-jump", "PAK"),
        ("09-26", "Alert", "cyclone-impact", "BGD"),              # 64-kt winds reach land
        ("09-27", "Update", "cyclone-impact", "BGD"),             # the swath grows
        ("09-28", "Alert", "displacement-jump", "BGD"),
        ("09-29", "Cancel", "hazard-orange", "GDACS:TC9000002"),
        ("09-30", "Alert", "flood-impact", "PAK"),                # the flood map of 30 Sep
    ]
    assert messages[2].finding.figures == {"displaced": 1627670, "before": 976600}
    assert [m.finding.figures["people_exposed"] for m in messages[5:7]] == [1641660, 5385367]
    out = tmp_path / "replay"
    proc = run(early_warning_main, "replay", "--out", out)
    assert proc.returncode == 0 and proc.stdout.startswith("10 messages over 30 days")
    files = sorted(out.glob("*.xml"))
    assert len(files) == 10 and (out / "log.txt").read_text().count("Alert ") == 6
    schema = etree.XMLSchema(etree.parse(str(CAP_XSD)))
    for path in files:
        doc = etree.parse(str(path))
        assert schema.validate(doc), (path.name, schema.error_log.last_error)
        assert doc.findtext("cap:status", namespaces=NS) == "Exercise"  # DEMO, never Actual


def test_replay_refuses_a_broken_rules_file(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("version = 1\n", encoding="utf-8")
    proc = run(early_warning_main, "replay", "--out", tmp_path / "o", "--rules", bad)
    assert proc.returncode == 2 and "no [[rule]]" in proc.stdout


def test_the_service_gives_each_viewer_the_warnings_over_what_they_may_see(service):
    from model.access import OPEN, Viewer

    everything = service.warnings(OPEN)
    assert everything.source == "replay"  # no run on this node yet
    active = everything.active()
    assert list(zip(active["rule_id"], active["area_key"], strict=True)) == [
        ("flood-impact", "PAK"), ("displacement-jump", "BGD"), ("cyclone-impact", "BGD"),
        ("hazard-orange", "GDACS:FL9000001")]
    assert active["issued"].iloc[2] == pd.Timestamp("2026-09-26T06:00Z")
    # A partner outside the member states sees neither the displacement figures nor the
    # warnings shared with members only.
    partner = service.warnings(Viewer("o", agency="DEMO-OCHA", country="INT"))
    assert list(partner.active()["rule_id"]) == ["flood-impact", "cyclone-impact",
                                                 "hazard-orange"]


def test_a_cap_feed_consumer_follows_the_warnings_feed_and_refuses_demo_exercises(tmp_path):
    """Another node (here: our own 'cap' source) follows the replay's Atom feed
    over HTTP to every message, and refuses each as what it is: a DEMO
    exercise, never a real alert."""
    from data_sources.feeds.sources import cap_feeds
    from data_sources.ingest import fetcher_for
    from data_sources.settings import Settings
    from tests.feed_server import FeedServer

    server = FeedServer()
    try:
        base = server.serve("/warnings/probe").rsplit("/", 1)[0]
        out = tmp_path / "replay"
        assert run(early_warning_main, "replay", "--out", out, "--base-url", base).returncode == 0
        for path in out.iterdir():
            server.serve(f"/warnings/{path.name}", path.read_bytes())
        settings = Settings(store_path=tmp_path / "store.gpkg", cap_feeds=[f"{base}/feed.atom"],
                            timeout_s=2.0, retries=1, backoff_s=0.0)
        batch = cap_feeds(settings, fetcher_for(settings))
    finally:
        server.close()
    assert batch.fetched == 11  # the feed and its ten messages
    reasons = [r.reason for result in batch.results for r in result.rejections]
    # One per <info> block: ten messages, the two cyclone ones in English and Bengali.
    assert reasons == ["status 'Exercise' is not a real alert"] * 12


def test_a_cyclone_rule_counts_the_people_under_the_forecast_swath(demo, tmp_path):
    """An ATCF a-deck's forecast positions: the rule warns before the winds arrive,
    from the last observed position on, and stops once the forecast is past."""
    from data_sources.cyclones import read_atcf
    from tests.test_cyclones import ADECK

    deck = tmp_path / "aio022026.dat"
    deck.write_text(ADECK, encoding="utf-8")
    tracks = read_atcf(deck).data
    layers = {name: demo.layers[name] for name in ("boundaries", "population")}
    layers["tracks"] = Layer("tracks", "ATCF JTWC", None, False,
                             ReadResult("tracks", "atcf", str(deck), tracks))
    sc = Scenario("forecast", pd.Timestamp("2026-09-26T00:00Z"), False, layers)
    path = tmp_path / "rules.toml"
    path.write_text('version = 1\n[[rule]]\nid = "cyclone"\nkind = "exposure"\n'
                    'hazard = "cyclone"\nthreshold = 64\nmin_people = 1000\n'
                    'countries = ["BGD", "IND"]\n', encoding="utf-8")
    rule = load_rules(path).rules[0]
    (finding,) = evaluate(rule, sc, pd.Timestamp("2026-09-26T00:00Z"))
    people = finding.figures["people_in_forecast_swath"]
    assert finding.key == "BGD" and "people_exposed" not in finding.figures  # no wind raster
    bangladesh = demo["population"].rio.clip(
        demo["boundaries"].query("iso3 == 'BGD'").geometry, all_touched=False)
    assert 1000 <= people < float(bangladesh.sum())
    assert f"{people:,} people in Bangladesh live under the forecast swath of 64 kt winds" in \
        finding.reason
    # Twelve hours on, with no newer analysis, the swath still runs from the last
    # observed position through every forecast position: the same people.
    later = evaluate(rule, sc, pd.Timestamp("2026-09-26T12:00Z"))
    assert later[0].figures["people_in_forecast_swath"] == people
    # Past the last forecast position nothing is ahead: no warning.
    assert evaluate(rule, sc, pd.Timestamp("2026-09-27T13:00Z")) == []


def test_a_displacement_jump_per_source_is_not_diluted_by_another_source(tmp_path):
    """DTM counts 20,000 newly displaced in Pakistan where it counted none; IDMC's
    50,000 stay 50,000. Together: 70,000 against 50,000, x1.4: under the rule's
    x1.5. Per source: DTM's jump is a warning of its own."""
    from data_sources import validate as v

    at = pd.Timestamp("2026-09-30T00:00Z")
    rows = [("IOM DTM", at - pd.Timedelta(days=3), 20_000),
            ("IDMC", at - pd.Timedelta(days=3), 50_000),
            ("IDMC", at - pd.Timedelta(days=17), 50_000)]
    displacement = v.conform("displacement", {
        "source": pd.Series([r[0] for r in rows]), "country": pd.Series(["PAK"] * 3),
        "area_name": pd.Series(["Sindh"] * 3), "date": pd.Series([r[1] for r in rows]),
        "figure": pd.Series([r[2] for r in rows]),
        "type": pd.Series(["new displacements"] * 3), "cause": pd.Series(["flood"] * 3)},
        gpd.GeoSeries([shapely.Point(68.4, 25.4)] * 3, crs="EPSG:4326"))
    sc = _scenario([], at)
    sc.layers["displacement"] = Layer("displacement", "test", None, False,
                                      ReadResult("displacement", "test", "", displacement))
    rule_text = ('version = 1\n[[rule]]\nid = "jump"\nkind = "displacement_jump"\n'
                 'countries = ["PAK"]\ndays = 14\nmin_ratio = 1.5\nmin_people = 10000\n')
    path = tmp_path / "rules.toml"
    path.write_text(rule_text, encoding="utf-8")
    assert evaluate(load_rules(path).rules[0], sc, at) == []
    path.write_text(rule_text + "per_source = true\n", encoding="utf-8")
    (finding,) = evaluate(load_rules(path).rules[0], sc, at)
    assert finding.key == "PAK:IOM DTM" and finding.area == "Pakistan (IOM DTM)"
    assert finding.figures == {"displaced": 20_000, "before": 0}
    assert "20,000 people displaced in Pakistan according to IOM DTM" in finding.reason
