"""Points of view on disputed boundaries: a member state's outlines replace the
data's own where chosen, move the per-area figures, and are named wherever they
shaped a map or a figure."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from data_sources.boundaries import read_boundaries
from data_sources.scenario import with_results
from geo.summary import situation_summary
from geo.views import ViewError, as_seen, seen_by, views
from layers.map import layer_hash, situation_map
from model.i18n import _, language
from model.schema import ReadResult
from model.situation import Filters
from reports.content import ReportFields, build_content

# The data's own line between AAA and BBB at x = 1; AAA draws it at x = 1.5.
OWN_AND_AAA = gpd.GeoDataFrame(
    {"admin_level": [0, 0, 0, 0], "iso3": ["AAA", "BBB", "AAA", "BBB"],
     "code": ["AAA", "BBB", "AAA", "BBB"], "name": ["A", "B", "A", "B"],
     "view": [None, None, "AAA", "AAA"]},
    geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1.5, 1),
              shapely.box(1.5, 0, 2, 1)], crs="EPSG:4326")


def _areas(frame) -> dict[str, float]:
    """Areas in square degrees (the shapes are boxes: an exact, hand-checked measure)."""
    return dict(zip(frame["iso3"], shapely.area(frame.geometry.array).round(3), strict=True))


def test_a_view_replaces_the_areas_it_draws_and_no_view_keeps_the_datas_own():
    assert views(OWN_AND_AAA) == ("AAA",)
    assert _areas(seen_by(OWN_AND_AAA, None)) == {"AAA": 1.0, "BBB": 1.0}
    assert _areas(seen_by(OWN_AND_AAA, "AAA")) == {"AAA": 1.5, "BBB": 0.5}
    assert views(seen_by(OWN_AND_AAA, "AAA")) == ()  # applied once: seen again unchanged
    with pytest.raises(ViewError, match="no point of view 'ZZZ'; views: AAA"):
        seen_by(OWN_AND_AAA, "ZZZ")


def test_a_boundaries_file_names_its_point_of_view(tmp_path):
    path = tmp_path / "official.geojson"
    OWN_AND_AAA.iloc[2:].assign(view=["aaa ", "aaa"]).to_file(path, driver="GeoJSON")
    read = read_boundaries(path)
    assert read.data["view"].tolist() == ["AAA", "AAA"]
    natural_earth = tmp_path / "ne_10m_admin_0_countries_ind.geojson"
    OWN_AND_AAA.iloc[:2].drop(columns="view").to_file(natural_earth, driver="GeoJSON")
    read = read_boundaries(natural_earth)
    assert set(read.data["view"]) == {"IND"}
    assert any("as IND sees them" in n.reason for n in read.warnings)


@pytest.fixture(scope="module")
def with_india_view(demo):
    """The DEMO plus a test view ('IND') that outlines the lower Indus (where the
    DEMO flood is) inside India: not anyone's claim, a file to switch to."""
    own = demo["boundaries"]
    pak = own.loc[own["iso3"] == "PAK"].iloc[0]
    ind = own.loc[own["iso3"] == "IND"].iloc[0]
    moved = shapely.box(66.5, 23.5, 70.5, 28.5).intersection(pak.geometry)
    rows = gpd.GeoDataFrame(
        {"admin_level": [0, 0], "iso3": ["PAK", "IND"], "code": ["PAK", "IND"],
         "name": ["Pakistan", "India"], "source": "test view", "view": ["IND", "IND"],
         "demo": False},
        geometry=[pak.geometry.difference(moved), ind.geometry.union(moved)], crs="EPSG:4326")
    return with_results(demo, [("test view", ReadResult("boundaries", "vector", "view", rows))])


def test_the_data_keeps_its_own_outlines_beside_a_view(with_india_view, demo):
    assert views(with_india_view["boundaries"]) == ("IND",)
    own = as_seen(with_india_view, None)["boundaries"]
    assert len(own) == len(demo["boundaries"])  # nothing replaced: the view sits beside


def test_a_view_moves_the_per_area_figures_and_is_named(with_india_view):
    neutral = situation_summary(with_india_view)
    seen = situation_summary(with_india_view, Filters(view="IND"))
    flood = {s: dict(zip(x.areas["iso3"], x.areas["people_exposed_flood"], strict=True))
             for s, x in (("own", neutral), ("IND", seen))}
    moved = flood["own"]["PAK"] - flood["IND"]["PAK"]
    assert moved > 100_000  # the DEMO flood lies in the lower Indus
    # Up to the coast the 1:110m outlines leave out: there Sind, a finer area no outline
    # covers, stays Pakistan's whatever the view (a few dozen people of 6.3 million).
    assert flood["IND"]["IND"] - flood["own"]["IND"] == pytest.approx(moved, abs=100)
    # The region holds both: the same total, up to the cells whose centres lie on the
    # moved border (38 people of 6.6 million differ there).
    assert seen.key_figures["people_exposed_flood"] == pytest.approx(
        neutral.key_figures["people_exposed_flood"], rel=1e-5)
    assert neutral.views == seen.views == ("IND",)
    assert seen.view_text == "Boundaries as IND draws them"
    assert "no member state's view" in neutral.view_text
    boundaries = {s.view_text: situation_map(s).layers[0] for s in (neutral, seen)}
    assert len({layer_hash(layer) for layer in boundaries.values()}) == 2  # drawn otherwise
    assert "Boundaries as IND draws them" in boundaries[seen.view_text].legend
    with language("en"):
        assert "Boundaries as IND draws them" in build_content(seen, ReportFields()).as_of_line


def test_data_with_one_outline_says_nothing_of_views(demo):
    summary = situation_summary(demo)
    assert summary.views == () and summary.view_text == ""


# Three areas: AAA and BBB, and CCC between them, which the source marks as disputed.
WITH_DISPUTED = gpd.GeoDataFrame(
    {"admin_level": [0, 0, 0], "iso3": ["AAA", "BBB", "CCC"], "code": ["AAA", "BBB", "CCC"],
     "name": ["A", "B", "C"], "FEATURECLA": ["Admin-0 country", "Admin-0 country", "Disputed"]},
    geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), shapely.box(1, 0, 2, 1)],
    crs="EPSG:4326")


def test_a_disputed_area_is_read_hatched_and_its_borders_dashed(tmp_path):
    """Natural Earth marks disputed areas by their class; a `disputed` column does
    too. The area is drawn hatched and named so, its borders dashed, on the
    interactive map and the printed one."""
    from geo.borders import international_borders
    from layers.builders import boundaries_layer

    path = tmp_path / "ne_10m_admin_0_disputed.geojson"
    WITH_DISPUTED.to_file(path, driver="GeoJSON")
    read = read_boundaries(path)
    data = read.data.assign(iso3=read.data["code"])  # test codes: no member state's
    assert data.set_index("iso3")["disputed"].to_dict() == \
        {"AAA": False, "BBB": False, "CCC": True}
    assert any("1 areas taken as disputed" in n.reason for n in read.warnings)
    flagged = tmp_path / "official.geojson"
    WITH_DISPUTED.drop(columns="FEATURECLA").assign(disputed=["no", "no", "yes"]).to_file(
        flagged, driver="GeoJSON")
    assert read_boundaries(flagged).data["disputed"].tolist() == [False, False, True]
    borders = international_borders(data)
    assert borders.set_index("pair")["disputed"].to_dict() == {"AAA-CCC": True,
                                                                "BBB-CCC": True}
    layer = boundaries_layer(data, borders)
    html = str(layer.parts) + layer.legend
    assert html.count("samon-disputed") == 1 and "Disputed area, as the data marks it" in html
    assert "6 4" in html  # the disputed borders dashed
    with language("ur"):
        hatched = _("Disputed area, as the data marks it")
        assert hatched != "Disputed area, as the data marks it"
        assert hatched in boundaries_layer(data, borders).legend


def test_a_disputed_area_in_the_data_is_hatched_on_the_printed_map(demo):
    """A small area the data marks as disputed, between Pakistan and India, drawn
    into the PDF's map (hatched, its borders dashed) without changing a figure."""
    from reports.static_map import render_png

    area = gpd.GeoDataFrame(
        {"admin_level": [0], "iso3": ["XXX"], "code": ["XXX"], "name": ["Test area"],
         "source": "test", "disputed": True, "demo": False},
        geometry=[shapely.box(74.0, 32.0, 75.0, 33.0)], crs="EPSG:4326")
    scenario = with_results(demo, [("disputed test", ReadResult("boundaries", "vector", "t",
                                                                area))])
    summary = situation_summary(scenario)
    assert summary.countries.set_index("iso3").at["XXX", "disputed"]
    assert summary.key_figures == situation_summary(demo).key_figures
    assert render_png(summary)[:8] == b"\x89PNG\r\n\x1a\n"
