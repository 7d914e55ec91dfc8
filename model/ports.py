"""The ports the upper floors depend on; data_sources provides the adapters.

``FeatureStore``: where records live with their history (the GeoPackage store
today; PostGIS for the regional hub). ``RasterSource``: where a hazard or
population grid comes from (a file opened lazily today; dask chunks later).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd
import shapely
import xarray as xr

from .period import Period


@runtime_checkable
class FeatureStore(Protocol):
    """Records per kind (incidents, alerts, tracks, displacement, documents),
    upserted with history, one transaction per batch. ``path`` names it in
    messages; ``files_dir`` is where files kept with it go."""

    path: Any
    files_dir: Path

    def transaction(self) -> AbstractContextManager[Any]: ...

    def upsert(self, kind: str, frame: gpd.GeoDataFrame, db: Any = None) -> dict[str, int]: ...

    def query(self, kind: str, bbox: tuple[float, float, float, float] | None = None,
              period: Period | None = None, region: shapely.Geometry | None = None,
              history: bool = False, *, after_fid: int | None = None,
              limit: int | None = None) -> gpd.GeoDataFrame: ...

    def set_marking(self, db: Any, kind: str, ids: list[str], tlp: str, share: str
                    ) -> int: ...

    def add_raster(self, path: str, meta: dict, db: Any = None) -> None: ...

    def log_start(self, source: str) -> int: ...

    def log_finish(self, log_id: int, db: Any = None, *, error: str | None = None,
                   **counts: int) -> None: ...

    def rasters(self) -> pd.DataFrame: ...

    def counts(self) -> dict[str, int]: ...

    def change_token(self) -> str: ...

    def ingest_log(self) -> pd.DataFrame: ...

    def close(self) -> None: ...


@runtime_checkable
class RasterSource(Protocol):
    """A grid by canonical variable (flood_depth, wind_speed, population ...)."""

    variable: str
    source: str
    demo: bool

    def open(self) -> xr.DataArray:
        """The grid, lazily: native CRS and transform, nodata as NaN."""
        ...
