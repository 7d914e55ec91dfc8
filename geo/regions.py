"""Selecting the region a view or report covers.

A region is a (Multi)Polygon in EPSG:4326 with a label. It can be one or more
countries (ISO3), admin areas (by code), a user polygon (GeoJSON), or a border
corridor: the land within N km of an international border, optionally one pair.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import shapely

from model.i18n import N_, Phrase, Said
from model.schema import SAARC_ISO3
from model.situation import Region

from . import fingerprint
from .borders import international_borders, pair_label
from .distance import SOUTH_ASIA_EQDC
from .kept import Kept, KeptFor


class RegionError(Said, ValueError):
    """A region specification that cannot be resolved (unknown code, bad polygon ...)."""


PLACES_BUFFER_KM = 30.0


def finest_areas(boundaries: gpd.GeoDataFrame, *, admin_only: bool = False
                 ) -> gpd.GeoDataFrame:
    """Each country's areas at the finest level loaded for it: one agency's
    districts do not hide another country's provinces. ``admin_only``: areas
    below the country level only (a country with none has no rows). Kept per
    table (asked for by every summary): never change what it returns."""
    def make() -> gpd.GeoDataFrame:
        areas = boundaries[boundaries["admin_level"] > 0] if admin_only else boundaries
        finest = areas.groupby("iso3", dropna=False)["admin_level"].transform("max")
        return areas[areas["admin_level"] == finest]

    return _FINEST.get_or(boundaries, admin_only, make)


_FINEST: KeptFor[gpd.GeoDataFrame] = KeptFor(16)


def countries_region(boundaries: gpd.GeoDataFrame, iso3: list[str],
                     places: gpd.GeoDataFrame | None = None, *,
                     shapes: dict[str, shapely.Geometry] | None = None) -> Region:
    """The countries ``iso3``: their outlines together with their finer areas,
    which a coarse outline can miss (islands, a coastline drawn at 1:110m). A
    country with no polygon in ``boundaries`` is the land within
    PLACES_BUFFER_KM of its populated places, and the region's note says so;
    with no places either, it is an error: never silently the whole region.
    ``shapes``: ``country_shapes(boundaries)`` when the caller keeps them."""
    shapes = country_shapes(boundaries) if shapes is None else shapes
    parts = [(code, shapes[code]) for code in iso3 if code in shapes]
    missing = [c for c in iso3 if c not in shapes]
    notes = []
    for code in missing:
        towns = (places[places["country"] == code] if places is not None
                 and "country" in places else None)
        if towns is None or towns.empty:
            raise RegionError(N_("no boundary polygon and no populated place for {code}: no "
                                 "area is available for it (load finer boundaries)"), code=code)
        buffered = towns.to_crs(SOUTH_ASIA_EQDC).buffer(PLACES_BUFFER_KM * 1000, quad_segs=16)
        parts.append((code, gpd.GeoSeries(buffered, crs=SOUTH_ASIA_EQDC).to_crs("EPSG:4326")
                      .union_all()))
        notes.append(Phrase(N_("{code} has no boundary polygon at this scale: its area is taken "
                               "as {km} km around its {count} populated place(s) ({names})."),
                            {"code": code, "km": PLACES_BUFFER_KM, "count": len(towns),
                             "names": ", ".join(towns["name"].astype(str).head(5))}))
    # Their union is made only if asked for (Region.geometry): the summary uses the parts.
    return Region(", ".join(iso3), None if parts else shapely.GeometryCollection(), tuple(iso3),
                  whole_countries=True, notes=tuple(notes), parts=tuple(parts))


# Per boundaries' content; kept for later processes too (a twentieth of a cold start).
_SHAPES: Kept[dict[str, shapely.Geometry]] = Kept(8, stored_as="country-shapes")


def country_shapes(boundaries: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    """Each member state's shape: its outline, and what its finer areas
    (provinces, districts) add where no country's outline reaches (at 1:110m an
    outline misses islands and cuts coastlines). Between countries the outlines
    decide, so a point of view's outlines move areas from one to another. The
    shapes do not overlap: the few slivers where two countries' finer areas,
    drawn apart, both add the same ground go to the first in alphabetical order."""
    return _SHAPES.get_or(fingerprint.of_table(boundaries, ["iso3", "admin_level"]),
                          lambda: _country_shapes(boundaries))


def _country_shapes(boundaries: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    outlines = boundaries[boundaries["admin_level"] == 0]
    tree = shapely.STRtree(outlines.geometry.values)
    members = boundaries[boundaries["iso3"].isin(SAARC_ISO3)]
    shapes: dict[str, shapely.Geometry] = {}
    taken = None
    for code, areas in sorted(members.groupby("iso3"), key=lambda pair: str(pair[0])):
        own = areas[areas["admin_level"] == 0]
        finer = areas[areas["admin_level"] > 0]
        shape = country_shape(own) if len(own) else None
        if len(finer):
            added = country_shape(finer)
            for i in tree.query(added, predicate="intersects"):
                if outlines["iso3"].iloc[i] != code:
                    added = shapely.difference(added, outlines.geometry.iloc[i])
            shape = added if shape is None else shapely.union(shape, added)
        if taken is not None:
            shape = shapely.difference(shape, taken)
        taken = shape if taken is None else shapely.union(taken, shape)
        shapes[str(code)] = shape
    return shapes


def country_shape(areas: gpd.GeoDataFrame) -> shapely.Geometry:
    """The union of one country's areas of one or more admin levels (alone: its
    outline with its finer areas). A country's areas of one level tile it, so
    theirs is a coverage union (a quarter of the time)."""
    levels = [areas.loc[areas["admin_level"] == level].geometry.values
              for level in sorted(set(areas["admin_level"]))]
    return shapely.union_all([shapely.coverage_union_all(shapes) if len(shapes) > 1
                              else shapes[0] for shapes in levels])


def admin_region(boundaries: gpd.GeoDataFrame, codes: list[str]) -> Region:
    chosen = boundaries[boundaries["code"].isin(codes)]
    missing = sorted(set(codes) - set(chosen["code"]))
    if missing:
        raise RegionError(N_("no admin area with code {codes}"), codes=", ".join(missing))
    names = ", ".join(chosen["name"].astype(str))
    return Region(names, shapely.union_all(chosen.geometry.values),
                  tuple(sorted(chosen["iso3"].dropna().unique())))


def polygon_region(geojson: str | dict | Path, label: str = "user polygon") -> Region:
    """A region from a GeoJSON geometry, Feature or FeatureCollection (EPSG:4326)."""
    if isinstance(geojson, Path) or (isinstance(geojson, str) and not geojson.lstrip()
                                     .startswith("{")):
        path = Path(geojson)
        try:
            frame = gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - any reading failure is the user's file
            raise RegionError(N_("{file}: cannot be read as GeoJSON ({detail})"),
                              file=path.name, detail=str(exc)) from None
        geom = shapely.union_all(frame.to_crs("EPSG:4326").geometry.values)
        label = path.stem
    else:
        doc = json.loads(geojson) if isinstance(geojson, str) else geojson
        features = doc.get("features") or ([doc] if doc.get("type") == "Feature" else None)
        shapes = ([shapely.geometry.shape(f["geometry"]) for f in features] if features
                  else [shapely.geometry.shape(doc)])
        geom = shapely.union_all(shapes)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise RegionError(N_("{label}: needs a polygon, got {kind}"), label=label,
                          kind=geom.geom_type)
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise RegionError(N_("{label}: coordinates are not longitude/latitude degrees"),
                          label=label)
    return Region(label, shapely.make_valid(geom))


def corridor_region(countries: gpd.GeoDataFrame, km: float, pair: str | None = None) -> Region:
    """Land within ``km`` of an international border (of ``pair`` only, e.g. 'AFG-PAK').

    Both sides of the border are included; the band is clipped to the two
    countries' land. Buffers are made in SOUTH_ASIA_EQDC metres.
    """
    if km <= 0:
        raise RegionError(N_("corridor width must be positive, got {km} km"), km=str(km))
    borders = international_borders(countries)
    if pair:
        pair = pair_label(*pair.upper().split("-"))
        borders = borders[borders["pair"] == pair]
        if borders.empty:
            raise RegionError(N_("no international border {pair} in the boundaries loaded"),
                              pair=pair)
    band = borders.to_crs(SOUTH_ASIA_EQDC).buffer(km * 1000, quad_segs=8)
    band = gpd.GeoSeries(band, crs=SOUTH_ASIA_EQDC).to_crs("EPSG:4326").union_all()
    sides = countries[countries["iso3"].isin(set(borders["a"]) | set(borders["b"]))]
    land = shapely.union_all(sides.geometry.values)
    label = f"{km:g} km either side of the {pair or 'international'} border"
    return Region(label, shapely.intersection(band, land), tuple(sorted(sides["iso3"])))


_CORRIDOR = re.compile(r"^border:(?:(?P<pair>[A-Za-z]{3}-[A-Za-z]{3}):)?(?P<km>[\d.]+)\s*km$")


def parse_region(spec: str, boundaries: gpd.GeoDataFrame,
                 places: gpd.GeoDataFrame | None = None) -> Region:
    """Resolve a region written as text.

    ``PAK`` or ``PAK,AFG`` (ISO3); ``PK2`` (admin codes); a path to a GeoJSON
    file; ``border:AFG-PAK:25km`` or ``border:25km`` (every border).
    """
    spec = spec.strip()
    if m := _CORRIDOR.match(spec):
        countries = boundaries[boundaries["admin_level"] == 0]
        return corridor_region(countries, float(m["km"]), m["pair"])
    if spec.lower().endswith((".geojson", ".json")):
        return polygon_region(Path(spec))
    codes = [c.strip() for c in spec.split(",") if c.strip()]
    iso = set(boundaries.loc[boundaries["admin_level"] == 0, "iso3"].dropna()) | set(SAARC_ISO3)
    if codes and all(c.upper() in iso for c in codes):
        return countries_region(boundaries, [c.upper() for c in codes], places)
    if codes and set(codes) <= set(boundaries["code"].dropna()):
        return admin_region(boundaries, codes)
    raise RegionError(N_("'{value}' is not an ISO3 code, admin code, GeoJSON file or border "
                         "corridor (border:AFG-PAK:25km)"), value=spec)
