"""The regional network: a node's API answers each caller what the sharing
rules let it see, notifications reveal nothing more, peers take records with
their provenance, refuse tampered ones, and catch up after any outage.

The fast tests run one node's real API in-process (Starlette's test client);
the three-node tests run ``python -m node serve`` three times as real
processes with a Mosquitto broker of their own, on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from data_sources.network import (
    PeerClient,
    canonical_bytes,
    notification,
    parse_notification,
    read_features,
)
from node.api import create_app
from tests.network_nodes import MOSQUITTO, Broker, Node, incidents, wait_until

PK, IN, BD = ("NDMA-PK", "PAK"), ("NDMA-IN", "IND"), ("DDM-BD", "BGD")


def _node(tmp_path: Path, name: str, who: tuple[str, str], *, mqtt_url=None, root="rsn",
          url: str | None = None) -> Node:
    node = Node(tmp_path, name, *who, mqtt_url=mqtt_url, topic_root=root)
    if url:  # served in-process: links must name the test client's host
        node.env["SAMON_NODE_URL"] = node.url = url
        node.settings.node_url = url
    return node


@pytest.fixture
def pak(tmp_path):
    node = _node(tmp_path, "pak", PK, url="http://pak.test")
    node.access.add_agency(IN[0], IN[1], "India's NDMA")
    node.access.add_agency(BD[0], BD[1], "Bangladesh's DDM")
    node.access.add_group("pak-ind", [PK[0], IN[0]])
    node.insert(incidents(3, agency=PK[0], country=PK[1], share="members", prefix="m"))
    node.insert(incidents(2, agency=PK[0], country=PK[1], tlp="TLP:AMBER", share="group:pak-ind",
                          prefix="g"))
    node.insert(incidents(1, agency=PK[0], country=PK[1], tlp="TLP:RED", share="agency",
                          prefix="r"))
    node.insert(incidents(1, agency=PK[0], country=PK[1], tlp="TLP:CLEAR", share="public",
                          prefix="p"))
    return node


def _api(node: Node) -> TestClient:
    return TestClient(create_app(node.network), base_url=node.url)


def _get(client: TestClient, path: str, token: str | None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, params=params, headers=headers)


def _ids(doc: dict) -> list[str]:
    return sorted(f["properties"]["source_id"] for f in doc["features"])


def test_every_request_needs_a_valid_token(pak, tmp_path):
    client = _api(pak)
    for path in ("/", "/api", "/conformance", "/collections", "/collections/incidents/items",
                 "/collections/incidents/items/1", "/hxl/incidents.csv"):
        r = _get(client, path, None)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), path
    assert _get(client, "/collections", "samon_madeup").status_code == 401
    ind = _node(tmp_path, "ind", IN)
    token = pak.token_for(ind)
    assert _get(client, "/collections", token).status_code == 200
    token_id = int(pak.access.tokens()["id"].max())
    pak.access.revoke_token(token_id)
    r = _get(client, "/collections/incidents/items", token)
    assert r.status_code == 401 and "revoked" in r.json()["description"]


def test_each_caller_gets_what_the_sharing_rules_let_it_see(pak, tmp_path):
    client = _api(pak)
    ind, bgd = _node(tmp_path, "ind", IN), _node(tmp_path, "bgd", BD)
    seen_by_ind = _get(client, "/collections/incidents/items", pak.token_for(ind)).json()
    seen_by_bgd = _get(client, "/collections/incidents/items", pak.token_for(bgd)).json()
    assert _ids(seen_by_ind) == ["g0000000", "g0000001", "m0000000", "m0000001", "m0000002",
                                 "p0000000"]
    assert _ids(seen_by_bgd) == ["m0000000", "m0000001", "m0000002", "p0000000"]
    # TLP:RED never leaves the node, not even to its own agency's tokens.
    own = pak.access.create_token("admin-pak", hours=1)
    assert "r0000000" not in _ids(_get(client, "/collections/incidents/items", own).json())
    red_fid = 6
    assert _get(client, f"/collections/incidents/items/{red_fid}", own).status_code == 404
    feature = seen_by_ind["features"][0]
    assert feature["properties"]["rsn:origin"] == "pak"
    assert feature["properties"]["rsn:origin_version"] == 1
    assert {feature["properties"][c] for c in ("agency", "agency_country")} == {"NDMA-PK", "PAK"}


def test_pages_follow_the_next_link_to_the_end_with_nothing_twice(pak, tmp_path):
    pak.insert(incidents(250, agency=PK[0], country=PK[1], share="members", prefix="n"))
    client = _api(pak)
    token = pak.token_for(_node(tmp_path, "ind", IN))
    seen, url, pages = [], "/collections/incidents/items?limit=100", 0
    while url:
        doc = client.get(url, headers={"Authorization": f"Bearer {token}"}).json()
        seen += _ids(doc)
        pages += 1
        assert doc["numberReturned"] == len(doc["features"]) <= 100
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
    assert pages == 3 and len(seen) == len(set(seen)) == 256  # 250 + 6 visible to IND


def test_bbox_and_datetime_select_records_and_bad_values_are_refused(pak, tmp_path):
    client = _api(pak)
    token = pak.token_for(_node(tmp_path, "ind", IN))
    everything = _get(client, "/collections/incidents/items", token).json()["features"]
    west = [f for f in everything if f["geometry"]["coordinates"][0] < 71]
    got = _get(client, "/collections/incidents/items", token, bbox="60,20,71,40").json()
    assert _ids(got) == sorted(f["properties"]["source_id"] for f in west)
    got = _get(client, "/collections/incidents/items", token,
               datetime="2026-08-01T00:01:00Z/..").json()
    assert _ids(got) == ["g0000001", "m0000001", "m0000002"]
    for params, needle in (({"bbox": "1,2,3"}, "bbox is four numbers"),
                           ({"bbox": "10,0,5,1"}, "west <= east"),
                           ({"datetime": "yesterday"}, "not an RFC 3339"),
                           ({"limit": "0"}, "limit must be between 1 and 1000"),
                           ({"after": "x"}, "after must be a whole number")):
        r = _get(client, "/collections/incidents/items", token, **params)
        assert r.status_code == 400 and needle in r.json()["description"], params
    assert _get(client, "/collections/nothing/items", token).status_code == 404


def test_the_api_describes_itself_and_serves_hxl_and_cap(pak, tmp_path):
    client = _api(pak)
    token = pak.token_for(_node(tmp_path, "ind", IN))
    landing = _get(client, "/", token).json()
    assert {link["rel"] for link in landing["links"]} >= {"service-desc", "conformance", "data"}
    api = _get(client, "/api", token).json()
    assert api["openapi"].startswith("3.0") and "/collections/{kind}/items" in api["paths"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in \
        _get(client, "/conformance", token).json()["conformsTo"]
    csv = _get(client, "/hxl/incidents.csv", token)
    lines = csv.text.splitlines()
    assert lines[1].startswith("#event+id") and "#meta+tlp" in lines[1]
    assert len(lines) == 2 + 6 and "TLP:RED" not in csv.text


def test_a_notification_hashes_exactly_the_item_the_api_serves(pak, tmp_path):
    client = _api(pak)
    token = pak.token_for(_node(tmp_path, "ind", IN))
    feature = _get(client, "/collections/incidents/items", token).json()["features"][0]
    body = _get(client, f"/collections/incidents/items/{feature['id']}", token).content
    assert body == canonical_bytes(feature)
    href = f"{pak.url}/collections/incidents/items/{feature['id']}"
    message = notification(feature, body, kind="incidents", href=href,
                           pubtime=pd.Timestamp.now(tz="UTC"), public=False)
    assert message["geometry"] is None and "datetime" not in message["properties"]
    assert feature["properties"]["source_id"] not in json.dumps(message)  # an opaque id
    notice = parse_notification(canonical_bytes(message), kinds=["incidents"])
    assert notice.sha256 == base64.b64encode(hashlib.sha256(body).digest()).decode()
    public = notification(feature, body, kind="incidents", href=href,
                          pubtime=pd.Timestamp.now(tz="UTC"), public=True)
    assert public["geometry"] == feature["geometry"]


def test_a_peer_keeps_records_with_their_provenance_and_refuses_tampered_ones(pak, tmp_path):
    ind = _node(tmp_path, "ind", IN)
    ind.access.add_agency(PK[0], PK[1], "Pakistan's NDMA")
    ind.access.add_group("pak-ind", [PK[0], IN[0]])
    ind.network.add_peer("pak", pak.url, pak.token_for(ind), ["rsn/PAK/#"])
    app = create_app(pak.network)

    def client_for(peer):
        return PeerClient(peer["url"], peer["token"], client=TestClient(app, base_url=pak.url))

    assert ind.network.catch_up(client_for=client_for) == {"pak": 6}
    got = ind.incidents()
    assert sorted(got["source_id"]) == ["g0000000", "g0000001", "m0000000", "m0000001",
                                        "m0000002", "p0000000"]
    group = got[got["source_id"] == "g0000000"].iloc[0]
    assert (group["agency"], group["tlp"], group["share"]) == (PK[0], "TLP:AMBER",
                                                                "group:pak-ind")
    # Again: nothing new, nothing twice.
    assert ind.network.catch_up(client_for=client_for) == {"pak": 0}
    assert len(ind.incidents()) == 6
    # An update on PAK reaches IND as a new version; the record stays one record.
    changed = incidents(1, agency=PK[0], country=PK[1], share="members", prefix="m")
    changed["fatalities"] = pd.array([40], dtype="Int64")
    pak.insert(changed)
    assert ind.network.catch_up(client_for=client_for) == {"pak": 1}
    again = ind.incidents()
    assert len(again) == 6
    assert int(again.loc[again["source_id"] == "m0000000", "fatalities"].iloc[0]) == 40

    # A message whose hash does not match what the link serves is refused and logged.
    token = pak.token_for(ind)
    feature = _get(_api(pak), "/collections/incidents/items", token).json()["features"][0]
    href = f"{pak.url}/collections/incidents/items/{feature['id']}"
    forged = notification(feature, b"something else", kind="incidents", href=href,
                          pubtime=pd.Timestamp.now(tz="UTC"), public=False)
    assert ind.network.receive("rsn/PAK/NDMA-PK/incidents", canonical_bytes(forged),
                               client_for=client_for) == "refused"
    log = ind.network.log()
    assert "does not match the notification's sha256" in log["detail"].iloc[0]
    # A link to a host that is no peer of ours is never followed (our token stays home).
    elsewhere = notification(feature, b"x", kind="incidents", pubtime=pd.Timestamp.now(tz="UTC"),
                             href="http://evil.test/collections/incidents/items/1", public=False)
    assert ind.network.receive("rsn/x", canonical_bytes(elsewhere)) == "refused"
    assert "no peer of ours" in ind.network.log()["detail"].iloc[0]
    status = ind.network.status().iloc[0]
    assert status["received"] == 7 and status["refused"] == 1 and status["errors"] == 0


def test_bad_features_from_a_peer_are_rejected_one_by_one():
    good = json.loads(canonical_bytes({
        "type": "Feature", "id": "7", "geometry": {"type": "Point", "coordinates": [70, 33]},
        "properties": {"id": "A:1", "source": "A", "source_id": "1",
                       "time": "2026-08-01T00:00:00Z", "country": "PAK",
                       "category": "armed clash", "fatalities": 1, "severity": 2,
                       "location_precision": "exact", "demo": False, "agency": "A",
                       "agency_country": "PAK", "tlp": "TLP:GREEN", "share": "members",
                       "rsn:origin": "pak", "rsn:origin_version": 1}}))

    def variant(**props):
        feature = json.loads(json.dumps(good))
        feature["properties"].update(props)
        return feature

    features = [good, variant(fatalities=1e400), variant(time="0000-01-01"),
                variant(tlp="TLP:RED", share="agency"), variant(share="public"),
                variant(category="picnic"), variant(source_id=""),
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [500, 1]},
                 "properties": {}}, "nonsense"]
    result = read_features(features, "incidents", path="peer page")
    assert len(result.data) == 1 and result.data["source_id"].iloc[0] == "1"
    reasons = {(r.row, r.field): r.reason for r in result.rejections}
    assert reasons[(2, "fatalities")].endswith("is not a whole number")
    assert "not a time" in reasons[(3, "time")]
    assert reasons[(4, "tlp")] == "TLP:RED records never leave their node"
    assert "cannot be shared with 'public'" in reasons[(5, "share")]
    assert "not one of the category values" in reasons[(6, "category")]
    assert reasons[(7, "source_id")] == "is empty: a record needs its key"
    assert "not a valid geometry" in reasons[(8, "geometry")]
    assert reasons[(9, None)] == "not a GeoJSON feature with properties"


def test_gdal_reads_the_collections_as_an_ogc_api_features_client(tmp_path):
    """GDAL's OAPIF driver (through pyogrio), as QGIS would read them, from the
    node's API in its own process (GDAL holds the GIL during its requests)."""
    import pyogrio

    pak = _node(tmp_path, "pak", PK)
    pak.access.add_agency(IN[0], IN[1], "India's NDMA")
    pak.insert(incidents(3, agency=PK[0], country=PK[1], share="members", prefix="m"))
    pak.insert(incidents(1, agency=PK[0], country=PK[1], tlp="TLP:RED", share="agency",
                         prefix="r"))
    token = pak.token_for(_node(tmp_path, "ind", IN))
    pak.start()
    # The driver sends its own headers; GDAL's bearer option adds ours to them.
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
    try:
        layers = pyogrio.list_layers(f"OAPIF:{pak.url}")
        frame = pyogrio.read_dataframe(f"OAPIF:{pak.url}", layer="incidents")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})
        pak.stop()
    assert {"incidents", "alerts", "tracks", "displacement", "documents"} <= \
        set(layers[:, 0])
    assert sorted(frame["source_id"]) == ["m0000000", "m0000001", "m0000002"]
    assert frame.crs.to_epsg() == 4326 and set(frame["tlp"]) == {"TLP:GREEN"}


# -- three nodes and a broker, as real processes ------------------------------------------------

@pytest.fixture
def broker(tmp_path):
    if not Path(MOSQUITTO).exists():
        if os.environ.get("CI"):
            pytest.fail("mosquitto is not installed (.ci/run installs it)")
        pytest.skip("mosquitto is not installed (apt install mosquitto)")
    folder = tmp_path / "broker"
    folder.mkdir()
    b = Broker(folder).start()
    yield b
    b.kill()


@pytest.fixture
def network(tmp_path, broker):
    """PAK, IND and BGD, each following the other two; PAK and IND share a group."""
    nodes = {name: Node(tmp_path, name, *who, mqtt_url=broker.url, topic_root="rsn",
                        sync_every_s=3600)
             for name, who in (("pak", PK), ("ind", IN), ("bgd", BD))}
    for node in nodes.values():
        for other in nodes.values():
            if other is not node:
                node.follow(other, "rsn")
    for node in nodes.values():
        node.access.add_group("pak-ind", [PK[0], IN[0]])
        node.start()
    yield nodes
    for node in nodes.values():
        node.stop()


def _watch(broker: Broker) -> list[bytes]:
    """Every message on the broker's rsn/# topics, as any subscriber sees them."""
    import paho.mqtt.client as mqtt

    seen: list[bytes] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, *a: c.subscribe("rsn/#", qos=1)
    client.on_message = lambda c, u, m: seen.append(m.payload)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    wait_until(client.is_connected, 10, "the watcher to connect")
    time.sleep(0.3)  # the subscription is in place
    seen.append(b"")  # marks when watching began
    return seen


def _problem(node: Node, peer: str) -> str | None:
    status = node.network.status().set_index("name").loc[peer]
    return status["last_problem"] if status["errors"] else None


def _count(node: Node, prefix: str) -> int:
    got = node.incidents()
    return int(got["source_id"].str.startswith(prefix).sum())


@pytest.mark.slow
def test_three_nodes_share_as_the_rules_say(network, broker):
    pak, ind, bgd = network["pak"], network["ind"], network["bgd"]
    seen = _watch(broker)
    pak.insert(incidents(5, agency=PK[0], country=PK[1], share="members", prefix="m"))
    pak.insert(incidents(3, agency=PK[0], country=PK[1], tlp="TLP:AMBER", share="group:pak-ind",
                         prefix="g"))
    pak.insert(incidents(2, agency=PK[0], country=PK[1], tlp="TLP:RED", share="agency",
                         prefix="r"))
    wait_until(lambda: _count(ind, "m") == 5 and _count(ind, "g") == 3 and
               _count(bgd, "m") == 5, 60, "the shared records to arrive")
    time.sleep(2)  # anything else would have arrived by now
    assert _count(bgd, "g") == 0 and _count(ind, "r") == 0 and _count(bgd, "r") == 0
    got = ind.incidents()
    assert set(got["agency"]) == {PK[0]} and set(got["tlp"]) == {"TLP:GREEN", "TLP:AMBER"}
    # Eight notifications (five members, three group), none for TLP:RED, none revealing
    # the group's records or their places.
    messages = [json.loads(m) for m in seen if m]
    assert len(messages) == 8
    assert {m["properties"]["rsn:tlp"] for m in messages} == {"TLP:GREEN", "TLP:AMBER"}
    assert all(m["geometry"] is None for m in messages)
    assert not any("r000000" in json.dumps(m) or "g000000" in json.dumps(m) for m in messages)
    # IND re-serves PAK's records to BGD: the same records, never more (the group's stay).
    ind.network.catch_up()
    bgd.network.catch_up()
    assert _count(bgd, "m") == 5 and _count(bgd, "g") == 0 and len(bgd.incidents()) == 5
    assert bgd.network.status().set_index("name").loc["pak", "errors"] == 0


@pytest.mark.slow
def test_a_node_down_during_publication_catches_up_with_nothing_lost_or_twice(network):
    pak, ind = network["pak"], network["ind"]
    ind.stop(kill=True)
    pak.insert(incidents(40, agency=PK[0], country=PK[1], share="members", prefix="d"))
    wait_until(lambda: _count(network["bgd"], "d") == 40, 60, "BGD to get them")
    ind.start()
    wait_until(lambda: _count(ind, "d") == 40, 60, "IND to catch up")
    time.sleep(2)
    got = ind.incidents()
    assert len(got) == 40 and got["id"].is_unique and set(got["version"]) == {1}


@pytest.mark.slow
def test_the_broker_killed_mid_stream_loses_nothing(network, broker):
    pak, ind = network["pak"], network["ind"]
    pak.insert(incidents(10, agency=PK[0], country=PK[1], share="members", prefix="a"))
    wait_until(lambda: _count(ind, "a") == 10, 60, "the first records")
    broker.kill()
    pak.insert(incidents(10, agency=PK[0], country=PK[1], share="members", prefix="b"))
    time.sleep(2)
    broker.start()
    wait_until(lambda: _count(ind, "b") == 10 and _count(network["bgd"], "b") == 10, 90,
               "the records published while the broker was down")
    assert ind.incidents()["id"].is_unique


@pytest.mark.slow
def test_a_revoked_token_is_refused(network):
    pak, ind = network["pak"], network["ind"]
    users = pak.access.tokens()
    for token_id in users.loc[users["user"] == "node-ind", "id"]:
        pak.access.revoke_token(int(token_id))
    # Shared with the PAK-IND group only: IND could have them from PAK alone.
    pak.insert(incidents(3, agency=PK[0], country=PK[1], tlp="TLP:AMBER",
                         share="group:pak-ind", prefix="v"))
    status = wait_until(lambda: _problem(ind, "pak"), 60, "IND to be refused")
    assert "refused our token" in status
    assert ind.network.catch_up()["pak"] == -1
    assert _count(ind, "v") == 0


def test_the_operator_adds_lists_checks_and_removes_peers(tmp_path, monkeypatch):
    import io

    from node.__main__ import main
    from tests.network_nodes import free_port

    monkeypatch.setenv("SAMON_STORE_PATH", str(tmp_path / "store.gpkg"))
    monkeypatch.setenv("SAMON_NODE_NAME", "ind")
    lines: list[str] = []
    assert main(["status"], out=lines.append) == 0
    assert lines[-1].startswith("no peers: add one with python -m node peers add")
    nobody = f"http://127.0.0.1:{free_port()}"  # no node listens there
    monkeypatch.setattr("sys.stdin", io.StringIO("samon_secret_token\n"))
    assert main(["peers", "add", nobody, "--name", "pak", "--token-stdin",
                 "--topic", "rsn/PAK/#"], out=lines.append) == 0
    assert lines[-1] == f"peer pak added: {nobody}, topics rsn/PAK/#"
    assert main(["peers", "add", "ftp://x", "--token", "t"], out=lines.append) == 2
    assert "is not an http(s) address" in lines[-1]
    lines.clear()
    assert main(["peers", "list"], out=lines.append) == 0
    assert lines[0].startswith(f"pak\t{nobody}\trsn/PAK/#") and "samon_secret" not in lines[0]
    assert main(["sync"], out=lines.append) == 1
    assert lines[-1] == "pak: FAILED (python -m node status says why)"
    lines.clear()
    assert main(["status"], out=lines.append) == 0
    text = "\n".join(lines)
    assert "last sync never" in text and "1 error(s)" in text and "cannot be reached" in text
    assert main(["peers", "remove", "pak"], out=lines.append) == 0
    assert main(["peers", "remove", "pak"], out=lines.append) == 2
    assert "no peer named pak" in lines[-1]
