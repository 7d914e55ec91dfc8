"""The Network view and peers' records on the map, in Chromium: a node that
took records from a peer shows the peer's state, and the map says whose
records they are."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect
from starlette.testclient import TestClient

from data_sources.network import PeerClient
from node.api import create_app
from tests.network_nodes import Node, incidents
from tests.test_browser import (  # noqa: F401
    ARTIFACTS,
    map_frame,
    page,
    streamlit_app,
    wait_for_map,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(demo_root, demo, tmp_path_factory):
    """The dashboard of IND's node, which took PAK's shared incidents."""
    folder = tmp_path_factory.mktemp("network")
    pak = Node(folder, "pak", "NDMA-PK", "PAK", mqtt_url=None, topic_root="rsn")
    pak.env["SAMON_NODE_URL"] = pak.url = pak.settings.node_url = "http://pak.test"
    ind = Node(folder, "ind", "NDMA-IN", "IND", mqtt_url=None, topic_root="rsn")
    ind.access.add_agency("NDMA-PK", "PAK", "NDMA Pakistan")
    ind.network.add_peer("pak", pak.url, pak.token_for(ind), ["rsn/PAK/#"])
    ind.network.add_peer("bgd", "http://127.0.0.1:9", "samon_unused", ["rsn/BGD/#"])
    pak.insert(incidents(12, agency="NDMA-PK", country="PAK", share="members", prefix="m"))
    app = create_app(pak.network)

    def client_for(peer):
        if peer["name"] == "pak":
            return PeerClient(peer["url"], peer["token"], client=TestClient(app,
                                                                             base_url=pak.url))
        return PeerClient(peer["url"], peer["token"], timeout=2)

    assert ind.network.catch_up(client_for=client_for) == {"bgd": -1, "pak": 12}
    env = {**os.environ, "SAMON_CACHE_DIR": str(demo_root), "SAMON_BASEMAP_URL": "",
           "SAMON_STORE_PATH": ind.env["SAMON_STORE_PATH"], "SAMON_ACCESS": "off",
           "SAMON_NODE_NAME": "ind"}
    env.pop("SAMON_SCENARIO", None)
    with streamlit_app(env) as url:
        yield url


def test_the_network_view_and_the_map_show_whose_records_they_are(page, server):  # noqa: F811
    page.goto(server)
    wait_for_map(page)
    # The incidents PAK shared are on the map, and the legend names the agency.
    map_frame(page).get_by_text("Shared by").first.wait_for(timeout=60_000)
    map_frame(page).get_by_text("NDMA-PK (PAK)", exact=False).first.wait_for(timeout=30_000)
    page.get_by_role("link", name="Network").click()
    page.get_by_text("This node: ind").wait_for(timeout=60_000)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    expect(grid).to_contain_text("failing", timeout=30_000)  # bgd: nobody answers there
    expect(grid).to_contain_text("pak")
    page.get_by_text("Recent events").click()
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2, timeout=30_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "network.png"), full_page=True)
    assert page.left_localhost == []
