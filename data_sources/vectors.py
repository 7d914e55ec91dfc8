"""Opening vector files (GeoPackage, GeoJSON, zipped Shapefile) with pyogrio."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from model.schema import CRS

from .errors import CRSError, EmptyFileError, FormatError
from .textio import limit, read_bytes

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".shp")


def _gdal_path(path: Path) -> str:
    return f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)


MAX_UNZIPPED_BYTES = 2_000_000_000  # SAMON_MAX_UNZIPPED_BYTES


def _refuse_zip_bomb(path: Path) -> None:
    """A zipped Shapefile is read through GDAL's /vsizip/: check what its members
    declare before GDAL inflates them."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise FormatError(f"is not a readable zip file ({exc})", path=path) from None
    most = limit("MAX_UNZIPPED_BYTES", MAX_UNZIPPED_BYTES)
    if declared > most:
        raise FormatError(f"unzips to {declared:,} bytes, over the limit of {most:,} "
                          "(set SAMON_MAX_UNZIPPED_BYTES to raise it)", path=path)


def read_vector(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file and return it in EPSG:4326.

    A file without a CRS is refused (we cannot know what its numbers mean),
    except GeoJSON, which is EPSG:4326 by definition (RFC 7946).
    """
    path = Path(path)
    read_bytes(path)  # clear errors for missing, empty or oversized files
    if path.suffix.lower() == ".zip":
        _refuse_zip_bomb(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(_gdal_path(path), layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise FormatError(f"cannot be read as a vector file: {exc}", path=path) from None
    if frame.crs is None:
        if path.suffix.lower() in (".geojson", ".json"):
            frame = frame.set_crs(CRS)
        else:
            raise CRSError("has no coordinate reference system (.prj or SRS missing)",
                           path=path)
    if len(frame) == 0:
        raise EmptyFileError("has no features", path=path)
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
