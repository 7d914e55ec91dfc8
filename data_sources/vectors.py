"""Opening vector files (GeoPackage, GeoJSON, zipped Shapefile) with pyogrio."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from model.i18n import N_
from model.schema import CRS

from .errors import CRSError, EmptyFileError, FormatError
from .textio import limit, read_bytes

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".shp")


def _gdal_path(path: Path) -> str:
    return f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)


MAX_UNZIPPED_BYTES = 2_000_000_000  # SAMON_MAX_UNZIPPED_BYTES
MAX_FEATURES = 5_000_000  # SAMON_MAX_FEATURES: features of one vector file
MAX_VERTICES = 50_000_000  # SAMON_MAX_VERTICES: coordinates of all its geometries


def _refuse_zip_bomb(path: Path) -> None:
    """A zipped Shapefile is read through GDAL's /vsizip/: check what its members
    declare before GDAL inflates them."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise FormatError(N_("is not a readable zip file ({detail})"), path=path,
                          detail=str(exc)) from None
    most = limit("MAX_UNZIPPED_BYTES", MAX_UNZIPPED_BYTES)
    if declared > most:
        raise FormatError(N_("unzips to {size} bytes, over the limit of {most} (set "
                             "SAMON_MAX_UNZIPPED_BYTES to raise it)"), path=path, size=declared,
                          most=most)


def read_vector(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file and return it in EPSG:4326.

    A file without a CRS is refused (we cannot know what its numbers mean),
    except GeoJSON, which is EPSG:4326 by definition (RFC 7946), and TopoJSON,
    which has no CRS member and carries longitude/latitude by convention.
    """
    path = Path(path)
    read_bytes(path)  # clear errors for missing, empty or oversized files
    if path.suffix.lower() == ".zip":
        _refuse_zip_bomb(path)
    most = limit("MAX_FEATURES", MAX_FEATURES)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # The count the file declares (-1 when unknown without reading it all) is
            # checked first; reading stops one past the limit whatever it declared.
            declared = pyogrio.read_info(_gdal_path(path), layer=layer)["features"]
            if declared <= most:
                # pyogrio sizes its arrays by max_features (at the limit, half a second
                # of every read, whatever the file's size): one past the declared
                # count, and past the limit only for a file holding more than it says.
                bound = declared + 1 if declared >= 0 else most + 1
                frame = pyogrio.read_dataframe(_gdal_path(path), layer=layer,
                                               max_features=bound)
                if len(frame) == bound and bound <= most:
                    frame = pyogrio.read_dataframe(_gdal_path(path), layer=layer,
                                                   max_features=most + 1)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise FormatError(N_("cannot be read as a vector file: {detail}"), path=path,
                          detail=str(exc)) from None
    if declared > most or len(frame) > most:
        raise FormatError(N_("holds more than {most} features, the limit (set "
                             "SAMON_MAX_FEATURES to raise it)"), path=path, most=most)
    vertices = int(shapely.get_num_coordinates(frame.geometry.values).sum())
    if vertices > (most_vertices := limit("MAX_VERTICES", MAX_VERTICES)):
        raise FormatError(N_("its geometries hold {count} vertices, over the limit of {most} "
                             "(set SAMON_MAX_VERTICES to raise it)"), path=path, count=vertices,
                          most=most_vertices)
    if frame.crs is None:
        if path.suffix.lower() in (".geojson", ".json", ".topojson"):
            frame = frame.set_crs(CRS)
        else:
            raise CRSError(N_("has no coordinate reference system (.prj or SRS missing)"),
                           path=path)
    if len(frame) == 0:
        raise EmptyFileError(N_("has no features"), path=path)
    return frame.to_crs(CRS)


def read_vector_as_text(path: str | Path) -> tuple[pd.DataFrame, gpd.GeoSeries]:
    """A vector file's attributes as text cells (like a CSV) plus its geometries.

    The ``_row`` column is the 1-based feature number.
    """
    frame = read_vector(path)
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for col in attrs.columns:
        attrs[col] = attrs[col].astype("string")
    attrs = attrs.reset_index(drop=True)
    attrs.insert(0, "_row", range(1, len(attrs) + 1))
    return attrs, gpd.GeoSeries(frame.geometry.values, index=attrs.index, crs=CRS)
