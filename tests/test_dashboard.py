"""The dashboard page, run headless with Streamlit's AppTest."""

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_overview_lists_demo_layers(demo_root, demo, monkeypatch):
    monkeypatch.setenv("SAMON_CACHE_DIR", str(demo_root))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "DEMO DATA" in at.warning[0].value
    table = at.dataframe[0].value.set_index("layer")
    assert table.loc["incidents", "records"] == "3000"
    assert table.loc["incidents", "demo"] == "DEMO"
    assert table.loc["boundaries", "demo"] == "real"
    assert "do not imply official endorsement" in at.caption[-1].value
