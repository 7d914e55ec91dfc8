"""Map layers rendered to HTML: content, legends, escaping, and no CDN anywhere."""

import json
import re

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo.borders import international_borders
from geo.summary import situation_summary
from layers import builders
from layers.assets import ASSETS, AssetError, install_static
from layers.html import esc, esc_each, legend, safe_url
from layers.map import MapOptions
from layers.page import build_map, localize

EVIL = "x</div><script>alert(1)</script>`${alert(2)}`\\"


def render(layer: builders.Layer) -> str:
    """What the renderer receives for ``layer``, as JSON text."""
    return json.dumps(layer.parts) + (layer.legend or "")


def incidents(n=3, notes=EVIL):
    return gpd.GeoDataFrame({
        "time": pd.date_range("2026-09-01", periods=n, freq="h", tz="UTC"),
        "category": pd.Categorical(["armed clash"] * n),
        "country": ["PAK"] * n, "fatalities": pd.array([1] * n, dtype="Int64"),
        "notes": [notes] * n, "source": ["test"] * n,
    }, geometry=[shapely.Point(70 + i * 1e-5, 30) for i in range(n)], crs="EPSG:4326")


def test_esc_makes_text_inert():
    out = esc(EVIL)
    assert "<" not in out and "`" not in out and "$" not in out and "\\" not in out
    assert out.startswith("x&lt;/div&gt;&lt;script&gt;")
    assert esc(None) == "" and esc(float("nan")) == ""
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://gdacs.org/x?a=1&b=2") == "https://gdacs.org/x?a=1&amp;b=2"


@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab<>&\"'`$\\ "), st.just("a<b")),
                max_size=30),
       st.sampled_from(["object", "string"]))
def test_a_column_is_escaped_value_by_value_as_esc_would(values, dtype):
    column = pd.Series(values, dtype=dtype)
    assert esc_each(column) == [esc(v) for v in column]


def test_incident_popups_escape_notes():
    html = render(builders.incidents_layer(incidents()))
    assert "<script>alert(1)</script>" not in html
    assert ("x&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
            "&#96;&#36;{alert(2)}&#96;&#92;") in html
    assert "${alert(2)}" not in html


def test_popups_and_legends_name_the_originating_agency():
    """Records a peer node shared sit beside the node's own: each popup says
    whose a record is, the legend lists the agencies (escaped like all text)."""
    frame = incidents(3, notes="n")
    frame["agency"] = pd.array(["NDMA-PK", "NDMA-PK", EVIL], dtype="string")
    frame["agency_country"] = pd.array(["PAK", "PAK", ""], dtype="string")
    layer = builders.incidents_layer(frame)
    html = render(layer)
    assert "Shared by" in html and '"shared_by": "NDMA-PK (PAK)"' in html
    assert "Shared by NDMA-PK (PAK), x&lt;/div&gt;" in layer.legend
    assert "<script>alert" not in html + layer.legend
    unmarked = builders.incidents_layer(incidents(2, notes="n"))
    assert "Shared by" not in unmarked.legend


def test_incident_modes_and_server_side_aggregation():
    few = render(builders.incidents_layer(incidents(5), "auto"))
    assert few.count('"type": "Feature"') >= 5 and "Fatalities" in few
    many = incidents(builders.MARKER_LIMIT + 1, notes="n")
    clusters = builders.incidents_layer(many, "auto")
    html = render(clusters)
    # All points fall in a handful of H3 cells: the page carries cells, not points.
    assert html.count('"type": "Feature"') < 20
    assert "grouped into H3 cells" in clusters.legend
    heat = render(builders.incidents_layer(many, "heatmap"))
    assert "\"kind\": \"heat\"" in heat


def test_incident_markers_come_in_a_part_per_country_kept_by_its_rows():
    """One country's incidents more or less leave the other countries' parts
    (and their hashes, by which the map holds them) as they were."""
    frame = incidents(5, notes="n")
    frame["country"] = ["PAK", "AFG", "PAK", "IND", "AFG"]
    layer = builders.incidents_layer(frame, "markers")
    per_part = [[(f["properties"]["country"], f["geometry"]["coordinates"][0])
                 for f in part["data"]["features"]] for part in layer.parts]
    assert per_part == [[("AFG", 70.00001), ("AFG", 70.00004)], [("IND", 70.00003)],
                        [("PAK", 70.0), ("PAK", 70.00002)]]
    without_india = builders.incidents_layer(frame[frame["country"] != "IND"], "markers")
    assert without_india.part_digests == (layer.part_digests[0], layer.part_digests[2])
    assert without_india.digest != layer.digest
    changed = frame.copy()
    changed.loc[3, "fatalities"] = 4  # India's incident
    digests = builders.incidents_layer(changed, "markers").part_digests
    assert digests[0] == layer.part_digests[0] and digests[2] == layer.part_digests[2]
    assert digests[1] != layer.part_digests[1]


def test_clusters_count_each_cell_and_name_its_most_frequent_category():
    """Per H3 cell: the count and the most frequent category; of equally frequent
    ones, the first in the legend's order."""
    points = [(71.0, 34.0, "armed clash"), (71.0001, 34.0001, "smuggling/trafficking"),
              (71.0002, 34.0, "smuggling/trafficking"),
              (88.0, 22.0, "armed clash"), (88.0001, 22.0001, "illegal crossing")]
    frame = gpd.GeoDataFrame({"category": [c for _, _, c in points]},
                             geometry=[shapely.Point(x, y) for x, y, _ in points],
                             crs="EPSG:4326")
    cells = builders._aggregate(frame, 6).set_index("count")
    assert sorted(cells.index) == [2, 3]
    assert cells.loc[3, "top"] == "smuggling/trafficking"
    assert cells.loc[2, "top"] == "illegal crossing"  # a tie: first in the legend
    assert cells.loc[2, "lat"] == pytest.approx(22.0, abs=0.1)


def test_empty_incidents_layer_says_so():
    assert "No incidents in this view" in builders.incidents_layer(incidents(0)).legend


def test_legends_escape_and_carry_units():
    html = legend("<b>t</b>", [("#fff", "<i>x</i>")], "note `")
    assert "&lt;b&gt;t&lt;/b&gt;" in html and "&lt;i&gt;x&lt;/i&gt;" in html and "&#96;" in html


def test_alert_popup_link_only_for_http():
    alerts = gpd.GeoDataFrame({
        "headline": ["<b>Flood</b>", "Cyclone"], "alert_level": ["red", "orange"],
        "hazard": ["flood", "cyclone"], "source": ["GDACS", "CAP"],
        "start": pd.to_datetime(["2026-09-01", "2026-09-02"], utc=True),
        "link": ["https://www.gdacs.org/report.aspx?eventid=1", "javascript:alert(1)"],
    }, geometry=[shapely.Point(68, 26), shapely.Point(90, 22)], crs="EPSG:4326")
    html = render(builders.alerts_layer(alerts))
    assert 'href=\\"https://www.gdacs.org/report.aspx?eventid=1\\"' in html or \
        "https://www.gdacs.org/report.aspx?eventid=1" in html
    assert "javascript:alert" not in html
    assert "&lt;b&gt;Flood&lt;/b&gt;" in html


def test_boundaries_disputed_dashed(demo):
    countries = demo["boundaries"]
    borders = international_borders(countries)
    borders["disputed"] = borders["pair"] == "IND-PAK"
    html = render(builders.boundaries_layer(countries, borders))
    assert '"disputed": 1' in html and "6 4" in html
    assert builders.AREA_OUTLINE in render(builders.covered_layer(countries.head(1)))


def test_rivers_are_drawn_under_the_data_and_named_in_the_legend(demo):
    """The summary carries the shipped rivers; the map draws them over the
    fills and under rasters, lines and points, lets the pointer through them,
    and the legend says what they are and where they come from."""
    from data_sources.reference import RIVERS_SOURCE
    from layers.map import situation_map

    summary = situation_summary(demo)
    assert len(summary.rivers) == 36
    layer = next(layer for layer in situation_map(summary).layers if layer.id == "boundaries")
    drawn = [part for part in layer.parts if part["style"].get("color") == builders.RIVER_COLOUR]
    assert len(drawn) == 1 and drawn[0]["pane"] == builders.WATER
    assert drawn[0]["tooltip"] is None and drawn[0]["popup"] is None
    assert len(drawn[0]["data"]["features"]) == 36
    assert "River</div>" in layer.legend and f"Rivers: {RIVERS_SOURCE}" in layer.legend
    assert "River</div>" not in builders.boundaries_layer(summary.countries,
                                                          summary.borders).legend


def test_flood_overlay_is_a_png_in_web_mercator(demo):
    layer = builders.flood_layer(demo["flood"])
    html = render(layer)
    assert "data:image/png;base64," in html
    bounds = re.search(r"\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", html)
    south, west, north, east = map(float, bounds.groups())
    assert 23 < south < 24.5 and 29 < north < 30 and 66 < west < 67.5 and 70.5 < east < 72
    assert "Flood depth (m)" in layer.legend and "≥ 3 m" in layer.legend


def test_a_raster_larger_than_memory_is_reduced_block_by_block_for_the_map(monkeypatch):
    """Past MAX_DIRECT_CELLS the overlay is the maximum of blocks, computed chunk
    by chunk: a one-cell-wide flooded channel stays visible, and the image
    covers the raster's own extent."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    from layers import raster as overlay
    from tests.geo_helpers import raster

    values = np.zeros((3000, 2000), dtype="float32")
    values[:, 1234] = 2.5  # one channel, one cell wide
    da = raster(values, crs="EPSG:32643", x0=300_000, y0=2_700_000, res=30.0)
    monkeypatch.setattr(overlay, "MAX_DIRECT_CELLS", 1_000_000)
    reduced = overlay._reduced(da)
    assert reduced.rio.height < 3000 and float(reduced.max()) == 2.5
    assert reduced.rio.bounds()[0] == da.rio.bounds()[0]
    assert reduced.rio.bounds()[3] == da.rio.bounds()[3]
    url, _ = overlay._render(da, [0.05, 1.0, 2.0], ["#c6dbef", "#3182bd", "#08306b"])
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    opaque = image[..., 3] > 0
    # The channel runs the whole height of the image (slanted a little in Web
    # Mercator), one or two pixels wide; nothing else is drawn.
    assert opaque.any(axis=1).mean() > 0.95 and opaque.sum(axis=1).max() <= 2


def test_raster_classes_take_their_colours_at_each_bin_edge():
    """value in [bins[i], bins[i+1]) -> colours[i]; the last colour from the last
    bin up; below the first bin and NaN transparent: as matplotlib's
    BoundaryNorm over ListedColormap draws them (the static report maps use those)."""
    import numpy as np
    from matplotlib.colors import BoundaryNorm, ListedColormap

    from layers.builders import FLOOD_BINS
    from layers.raster import classes_rgba

    bins, colours = FLOOD_BINS
    values = np.array([[np.nan, -1.0, 0.0, 0.049, 0.05, 0.49, 0.5, 1.0, 1.99, 2.0, 3.0, 50.0]])
    rgba = classes_rgba(values, bins, colours)
    assert rgba[0, :, 3].tolist() == [0, 0, 0, 0] + [255] * 8
    assert rgba[0, 4, :3].tolist() == [0xc6, 0xdb, 0xef]  # 0.05 m: the first class
    assert rgba[0, -1, :3].tolist() == [0x08, 0x30, 0x6b]  # 50 m: the last
    cmap = ListedColormap(colours)
    expected = cmap(BoundaryNorm(list(bins) + [np.inf], cmap.N)(
        np.nan_to_num(values, nan=-np.inf)), bytes=True)
    assert (rgba[0, 4:] == expected[0, 4:]).all()


def test_full_map_has_no_cdn_and_every_layer(demo):
    summary = situation_summary(demo)
    html = build_map(summary, MapOptions(asset_base_url="/app/static/vendor")) \
        .get_root().render()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/app/static/vendor/") for u in urls), urls
    for name in ("Boundaries and borders", "Flood depth", "Cyclone", "Incidents", "Alerts",
                 "Displacement", "Incident hotspots (Gi*)"):
        assert name in html
    assert "do not imply official endorsement" in html
    assert "DEMO DATA" in html and "Sources" in html


def test_localize_refuses_assets_we_do_not_have():
    m = folium.Map(tiles=None)  # folium's own page wants jQuery, Bootstrap ... from CDNs
    folium.plugins.Draw().add_to(m)
    with pytest.raises(AssetError, match="not available locally"):
        localize(m, "/static")


def test_install_static_copies_every_asset(tmp_path, monkeypatch):
    folder = install_static(tmp_path / "vendor")
    assert {p.name for p in folder.iterdir()} >= set(ASSETS) | {"images"}
    assert (folder / "images" / "marker-icon.png").exists()
    renderer = folder / "samon-map.js"
    text = (ASSETS["samon-map.js"][0] / ASSETS["samon-map.js"][1]).read_bytes()
    assert renderer.read_bytes() == text
    # A copy changed in place (here of the same size, as an edit may leave it) is
    # put back at the next start ...
    renderer.write_bytes(text.replace(b"(function", b"(fonction", 1))
    install_static(folder)
    assert renderer.read_bytes() == text
    # ... and copies as their sources are are not copied again.
    copied = []
    monkeypatch.setattr("layers.assets.shutil.copy2", lambda *a: copied.append(a))
    install_static(folder)
    assert copied == []


def test_a_summary_map_is_built_once_and_goes_with_its_summary(demo):
    """Sessions with the same filters get the same Summary from the service:
    its map spec is built once; it is freed with the summary."""
    import gc

    from layers import map as situation

    summary = situation_summary(demo)
    first = situation.situation_map(summary)
    assert situation.situation_map(summary) is first
    heat = situation.situation_map(summary, MapOptions(incident_mode="heatmap"))
    assert heat is not first and heat.part_hashes() != first.part_hashes()
    assert [layer.id for layer in first.layers] == [
        "boundaries", "covered", "displacement", "flood", "cyclone", "incidents", "hotspots",
        "alerts", "labels"]  # the documented drawing order
    gc.collect()  # other tests' summaries gone first: only this one is counted
    held = len(situation._SPECS)
    del summary, first, heat
    gc.collect()
    assert len(situation._SPECS) == held - 2


def test_the_exported_map_page_cannot_be_closed_by_data(demo):
    """The spec travels inside a <script> of the exported page: no text from
    data can end that element."""
    summary = situation_summary(demo)
    summary.incidents["notes"] = "</script><script>alert(1)</script>"
    html = build_map(summary, MapOptions()).get_root().render()
    body = html.split("var spec = ", 1)[1].split(";\n", 1)[0]
    assert "</script" not in body.lower() and "<script" not in body.lower()
    assert json.loads(body)["layers"][0]["id"] == "boundaries"


def test_every_incident_category_has_its_own_colour():
    """One palette for map, legend, chart and reports: each category exactly one
    colour, no two alike."""
    from model.schema import INCIDENT_CATEGORIES

    assert set(builders.CATEGORY_COLOURS) == set(INCIDENT_CATEGORIES)
    assert len(set(builders.CATEGORY_COLOURS.values())) == len(builders.CATEGORY_COLOURS)


def test_place_names_appear_by_population_and_are_escaped():
    countries = gpd.GeoDataFrame({"name": ["Nepal"], "iso3": ["NPL"]},
                                 geometry=[shapely.box(80, 26, 88, 30)], crs="EPSG:4326")
    places = gpd.GeoDataFrame({
        "name": ["Kathmandu", "Pokhara", "Dhangadhi", EVIL],
        "population": [1_442_271, 414_141, 92_294, 5_000_000]},
        geometry=[shapely.Point(85.32, 27.70), shapely.Point(83.99, 28.21),
                  shapely.Point(80.58, 28.69), shapely.Point(84, 27)], crs="EPSG:4326")
    labels = builders.labels_layer(countries, places).parts[0]["labels"]
    zoom = {label["text"]: label["min_zoom"] for label in labels}
    assert zoom["Nepal"] == 0 and zoom["Kathmandu"] == 5 and zoom["Pokhara"] == 6
    assert zoom["Dhangadhi"] == 8
    assert "<script>" not in json.dumps(labels) and esc(EVIL) in zoom  # shown as text


def _positions(steps, scale):
    """The renderer's unpack (layers/static/samon-map.js), in Python."""
    if steps and not isinstance(steps[0], int):
        return [_positions(s, scale) for s in steps]
    xs, ys = np.cumsum(steps[0::2]), np.cumsum(steps[1::2])
    return [[x / scale, y / scale] for x, y in zip(xs.tolist(), ys.tolist(), strict=True)]


@pytest.mark.parametrize("decimals", [3, 5])
def test_lines_and_polygons_travel_as_integer_steps_that_give_back_their_coordinates(decimals):
    """A polygon with a hole, a multipolygon, a long line, a point and a
    collection of the three (a region cut along a border): each unpacked exactly
    as GeoJSON of the rounded shapes gives it; points unchanged."""
    shapes = [shapely.Polygon([(67.123456, 24.5), (68.9, 24.5), (68.9, 26.0), (67.123456, 26.0)],
                              [[(67.5, 25.0), (67.6, 25.0), (67.6, 25.1)]]),
              shapely.MultiPolygon([shapely.box(80, 6, 81.25, 9.83333),
                                    shapely.box(73, 4, 73.5, 4.5)]),
              shapely.LineString([(179.99999, -0.7), (60.5, 38.5)]),
              shapely.Point(91.812345678, 22.33),
              shapely.GeometryCollection([shapely.box(66, 24, 67, 25),
                                          shapely.LineString([(66.5, 25.3), (66.7031, 25.1)]),
                                          shapely.Point(67, 26)])]
    frame = gpd.GeoDataFrame({"name": ["a", "b", "c", "d", "e"]}, geometry=shapes,
                             crs="EPSG:4326")
    features = builders._geojson(frame, {"name": frame["name"]}, decimals)["features"]
    rounded = shapely.transform(np.array(shapes), lambda xy: np.round(xy, decimals))
    for feature, shape in zip(features, rounded, strict=True):
        expected = json.loads(shapely.to_geojson(shape))
        assert _unpacked(feature["geometry"], decimals) == expected


def test_points_are_written_as_the_generic_path_writes_them():
    """Point layers skip the GeoJSON writer: the same features, rounded the same,
    rows without a location left out with their properties."""
    frame = gpd.GeoDataFrame({"name": ["a<", "b", "c", None], "n": [1.5, None, 3.0, 4.0]},
                             geometry=[shapely.Point(91.812345678, 22.333333333), None,
                                       shapely.Point(-0.000001, 60.5), shapely.Point()],
                             crs="EPSG:4326")
    features = builders._geojson(frame, {"name": frame["name"], "n": frame["n"]}, 5)["features"]
    assert [f["properties"] for f in features] == [{"name": "a&lt;", "n": 1.5},
                                                   {"name": "c", "n": 3.0}]
    assert [f["geometry"] for f in features] == [
        {"type": "Point", "coordinates": [91.81235, 22.33333]},
        {"type": "Point", "coordinates": [-0.0, 60.5]}]


def _unpacked(geometry, decimals):
    if geometry["type"] == "Point":
        return geometry
    if geometry["type"] == "GeometryCollection":
        return {"type": "GeometryCollection",
                "geometries": [_unpacked(g, decimals) for g in geometry["geometries"]]}
    assert geometry["scale"] == 10 ** decimals and "coordinates" not in geometry
    assert all(isinstance(v, int) for run in _flatten(geometry["steps"]) for v in run)
    return {"type": geometry["type"],
            "coordinates": _positions(geometry["steps"], geometry["scale"])}


def _flatten(steps):
    if steps and not isinstance(steps[0], int):
        return [run for s in steps for run in _flatten(s)]
    return [steps]


def test_a_filter_change_keeps_the_alerts_and_storm_layers_drawn_from_the_same_rows(demo):
    """Another region with the same alerts and storms reuses their layers (the
    frame holds their hash and redraws nothing); one alert fewer is a new layer."""
    import dataclasses

    from layers.map import situation_map

    first = situation_summary(demo)
    again = dataclasses.replace(first, key="another region, same alerts and storms")
    fewer = dataclasses.replace(first, alerts=first.alerts.iloc[:1])

    def layers(summary):
        return {layer.id: layer for layer in situation_map(summary).layers}

    a, b, c = layers(first), layers(again), layers(fewer)
    assert b["alerts"] is a["alerts"] and b["cyclone"] is a["cyclone"]
    assert c["alerts"].digest != a["alerts"].digest and c["cyclone"] is a["cyclone"]
    assert len(c["alerts"].parts[0]["data"]["features"]) == 1
