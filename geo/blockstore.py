"""Grid-shaped arrays kept in memory, or on disk when the grid is large.

Large grids (over ``SAMON_IN_MEMORY_CELLS`` cells, default 200 million) are
kept in a tiled, compressed GeoTIFF under the cache folder and read back one
block of rows at a time, so memory stays bounded whatever the raster size; the
file is reused by later runs (and a small grid's too, when its maker asks).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio

from data_sources.demo import cache_root

from .grid import Grid

DEFAULT_IN_MEMORY_CELLS = 200_000_000


def in_memory_limit() -> int:
    return int(os.environ.get("SAMON_IN_MEMORY_CELLS", DEFAULT_IN_MEMORY_CELLS))


class BlockStore:
    """Rows of a grid-shaped array: ``read(row0, row1)``."""

    def __init__(self, grid: Grid, array: np.ndarray | None = None, path: Path | None = None):
        self.grid, self.array, self.path = grid, array, path

    @property
    def on_disk(self) -> bool:
        return self.path is not None

    def read(self, row0: int, row1: int) -> np.ndarray:
        if self.array is not None:
            return self.array[row0:row1]
        with rasterio.open(self.path) as src:
            window = rasterio.windows.Window(0, row0, self.grid.width, row1 - row0)
            return src.read(1, window=window)


def build(grid: Grid, dtype: str, key: str, blocks: list[tuple[int, int]],
          fill: Callable[[int, int], np.ndarray], *, for_later_runs: bool = False
          ) -> BlockStore:
    """Fill a store block by block with ``fill(row0, row1)``; ``key`` names what
    it holds. ``for_later_runs``: a grid kept in memory is written to the cache
    folder too, and read from there when an earlier run wrote it (a new process
    need not work out again what only its inputs decide)."""
    folder = cache_root() / "grids"
    path = folder / f"{hashlib.sha1(key.encode()).hexdigest()}.tif"
    if grid.cells <= in_memory_limit():
        if for_later_runs and path.exists():
            with rasterio.open(path) as src:
                return BlockStore(grid, array=src.read(1))
        array = np.zeros(grid.shape, dtype=dtype)
        for row0, row1 in blocks:
            array[row0:row1] = fill(row0, row1)
        if for_later_runs:
            _write(path, grid, dtype, [(0, grid.height)], lambda row0, row1: array[row0:row1])
        return BlockStore(grid, array=array)
    if not path.exists():
        _write(path, grid, dtype, blocks, fill)
    return BlockStore(grid, path=path)


def _write(path: Path, grid: Grid, dtype: str, blocks: list[tuple[int, int]],
           fill: Callable[[int, int], np.ndarray]) -> None:
    """A tiled, compressed GeoTIFF at ``path``, written whole or not at all (a
    run reading it meanwhile, or after a crash, never finds half a grid)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.tif")
    profile = {"driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1,
               "dtype": dtype, "crs": grid.crs.to_wkt(), "transform": grid.transform,
               "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "zstd",
               "BIGTIFF": "YES", "NUM_THREADS": "ALL_CPUS"}
    with rasterio.open(tmp, "w", **profile) as dst:
        for row0, row1 in blocks:
            window = rasterio.windows.Window(0, row0, grid.width, row1 - row0)
            dst.write(np.asarray(fill(row0, row1), dtype=dtype), 1, window=window)
    tmp.replace(path)
