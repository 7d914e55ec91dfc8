"""Raster grids: identity, cell areas in km² and aligning one raster onto another.

A ``Grid`` is a CRS, an affine transform and a shape. Cell areas are true
areas on the WGS84 ellipsoid whatever the CRS: exact per row for geographic
grids, and through the projection's areal scale factor for projected grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import rasterio.warp
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine
from pyproj import CRS, Geod, Proj, Transformer
from rasterio.enums import Resampling

GEOD = Geod(ellps="WGS84")
AREA_LATTICE = 64  # projected grids: areal scale sampled every 64 cells, then interpolated


class GridError(ValueError):
    """A raster that cannot be used as a grid (no CRS, rotated ...)."""


@dataclass(frozen=True)
class Grid:
    crs_wkt: str
    transform: Affine
    height: int
    width: int

    @classmethod
    def of(cls, da: xr.DataArray) -> Grid:
        crs = da.rio.crs
        if crs is None:
            raise GridError("raster has no CRS")
        transform = da.rio.transform()
        if transform.b != 0 or transform.d != 0:
            raise GridError("rotated rasters are not supported")
        return cls(crs.to_wkt(), transform, int(da.rio.height), int(da.rio.width))

    @cached_property
    def crs(self) -> CRS:
        return CRS.from_wkt(self.crs_wkt)

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    @property
    def cells(self) -> int:
        return self.height * self.width

    def window_transform(self, row0: int) -> Affine:
        return self.transform * Affine.translation(0, row0)

    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return min(xs), min(ys), max(xs), max(ys)

    def centres(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = self.transform
        return t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e

    @cached_property
    def _row_areas_km2(self) -> np.ndarray:
        """Geographic grids: the area of one cell in each row (km²), exact on the
        ellipsoid for a cell bounded by meridians and parallels (Snyder 1987)."""
        t = self.transform
        edges = t.f + np.arange(self.height + 1) * t.e
        q = _authalic_q(np.radians(np.clip(edges, -90, 90)))
        b2 = (GEOD.b / 1000) ** 2
        return np.abs(b2 * np.radians(t.a) / 2 * np.diff(q))

    @cached_property
    def _areal_scale_lattice(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Projected grids: the areal scale factor sampled every AREA_LATTICE rows
        and columns (and at the last of each): (rows, cols, scale[rows, cols]).
        Kept at the lattice, not spread to every column: 100,000 columns would
        make that 1.25 GB."""
        rows = np.unique(np.append(np.arange(0, self.height, AREA_LATTICE), self.height - 1))
        cols = np.unique(np.append(np.arange(0, self.width, AREA_LATTICE), self.width - 1))
        rr, cc = np.meshgrid(rows, cols, indexing="ij")
        x, y = self.centres(rr.ravel(), cc.ravel())
        lon, lat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True).transform(x, y)
        scale = np.asarray(Proj(self.crs).get_factors(lon, lat, errcheck=False).areal_scale)
        return rows, cols, scale.reshape(rr.shape)

    def area_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """True area (km²) of a cell at fractional (row, col) positions."""
        if self.crs.is_geographic:
            return self._row_areas_km2[np.asarray(rows, dtype=np.int64)]
        metre = self.crs.axis_info[0].unit_conversion_factor
        nominal_m2 = abs(self.transform.a * self.transform.e) * metre**2
        lattice_rows, lattice_cols, scale = self._areal_scale_lattice
        (j0, j1, w), (k0, k1, u) = (_bracket(lattice_rows, rows), _bracket(lattice_cols, cols))
        top = scale[j0, k0] * (1 - u) + scale[j0, k1] * u
        bottom = scale[j1, k0] * (1 - u) + scale[j1, k1] * u
        return nominal_m2 / (top * (1 - w) + bottom * w) / 1e6


def _bracket(knots: np.ndarray, at) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each position ``at``: the knots below and above it and its weight
    between them (linear interpolation; one knot: that knot, weight 0)."""
    at = np.asarray(at, dtype=np.float64)
    if len(knots) == 1:
        zero = np.zeros(at.shape, dtype=np.int64)
        return zero, zero, np.zeros(at.shape)
    i = np.clip(np.searchsorted(knots, at, side="right") - 1, 0, len(knots) - 2)
    return i, i + 1, (at - knots[i]) / (knots[i + 1] - knots[i])


def _authalic_q(phi: np.ndarray) -> np.ndarray:
    e = np.sqrt(GEOD.es)
    s = np.sin(phi)
    return s / (1 - GEOD.es * s**2) + np.log((1 + e * s) / (1 - e * s)) / (2 * e)


def align_sum(source: xr.DataArray, grid: Grid, row0: int = 0, row1: int | None = None,
              ) -> np.ndarray:
    """Re-grid a count raster (people per cell) onto rows row0..row1 of ``grid``,
    conserving the total: each target cell gets the sum of the source cells it
    overlaps, weighted by overlap (GDAL 'sum' resampling). Nodata counts as 0.
    """
    row1 = grid.height if row1 is None else row1
    src = np.nan_to_num(np.asarray(source.values, dtype="float32"), nan=0.0)
    src_grid = Grid.of(source)
    if src_grid.crs == grid.crs:
        return _align_sum_rectilinear(src, src_grid, grid, row0, row1)
    out = np.zeros((row1 - row0, grid.width), dtype="float32")
    rasterio.warp.reproject(
        src, out, src_transform=source.rio.transform(), src_crs=source.rio.crs,
        dst_transform=grid.window_transform(row0), dst_crs=grid.crs,
        resampling=Resampling.sum, src_nodata=None, dst_nodata=None,
    )
    return out


def _align_sum_rectilinear(src: np.ndarray, src_grid: Grid, grid: Grid, row0: int,
                           row1: int) -> np.ndarray:
    """``align_sum`` for two grids in one CRS. Cells bounded by the same axes
    overlap in a rectangle, so the weights split into rows and columns:
    target = Wy @ source @ Wx.T, with Wy and Wx the share of each source row
    (column) inside each target row (column): the overlap weights exactly (GDAL's
    'sum' resampling approximates them, off at some edge cells), in a few matrix
    products instead of a resampling pass over every target cell (population
    onto 100 million cells: 3 s against 17 s here)."""
    s, t = src_grid.transform, grid.transform
    wx = _shares(s.c + s.a * np.arange(src_grid.width + 1), t.c + t.a * np.arange(grid.width + 1))
    wy = _shares(s.f + s.e * np.arange(src_grid.height + 1),
                 t.f + t.e * np.arange(row0, row1 + 1))
    rows = wy @ src.astype(np.float64)  # target rows x source columns: small
    return np.ascontiguousarray((wx @ np.ascontiguousarray(rows.T)).T, dtype="float32")


def _shares(src_edges: np.ndarray, dst_edges: np.ndarray):
    """A sparse (target cells x source cells) matrix: the share of each source
    cell's extent (1-D) that lies in each target cell."""
    from scipy.sparse import coo_matrix

    def cells(edges):
        lo, hi = np.minimum(edges[:-1], edges[1:]), np.maximum(edges[:-1], edges[1:])
        order = np.argsort(lo)
        return lo[order], hi[order], order

    s_lo, s_hi, s_order = cells(src_edges)
    d_lo, d_hi, d_order = cells(dst_edges)
    breaks = np.unique(np.concatenate([src_edges, dst_edges]))
    mids, lengths = (breaks[:-1] + breaks[1:]) / 2, np.diff(breaks)
    si = np.clip(np.searchsorted(s_lo, mids, side="right") - 1, 0, len(s_lo) - 1)
    di = np.clip(np.searchsorted(d_lo, mids, side="right") - 1, 0, len(d_lo) - 1)
    inside = (mids >= s_lo[si]) & (mids < s_hi[si]) & (mids >= d_lo[di]) & (mids < d_hi[di])
    share = lengths[inside] / (s_hi[si] - s_lo[si])[inside]
    return coo_matrix((share, (d_order[di[inside]], s_order[si[inside]])),
                      shape=(len(dst_edges) - 1, len(src_edges) - 1)).tocsr()
