"""People exposed per area: hazard area (km²), people, incidents and displaced
people inside a hazard footprint, for any hazard and population CRS.

How it works. The areas are burned once onto the hazard grid (cell centres;
zone 0 = outside any area) and kept as runs: stretches of one row that belong
to one zone. The population raster is re-gridded once onto the hazard grid
with its total conserved. Both are cached. Each new hazard raster then costs
one pass in row blocks (two threads): threshold, sum each run
(``np.add.reduceat``), and add the runs up by zone. Because every cell belongs
to exactly one zone, the per-area figures add up exactly to the total over the
raster.

Overlapping areas (a district and a corridor, two user polygons) each get
their complete figure: the areas are split into groups that do not overlap,
each group burned on its own, and the union of all areas burned once more so
that the OUTSIDE row and ``inside`` count every cell once. ``overlaps`` names
each overlapping pair and the km² they share.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import rasterio.windows
import shapely
import xarray as xr

from model.i18n import N_, Phrase, Said

from . import blockstore, fingerprint
from .blockstore import BlockStore
from .grid import GEOD, Grid, align_sum
from .join import area_index
from .kept import Kept

OUTSIDE = "outside any area"
BLOCK_CELLS = 4_000_000  # cells per block: bounds memory; small enough to overlap I/O and work
THREADS = 2  # blocks processed at once (numpy and GDAL release the GIL)
MAX_RUN = 256  # longest run of cells that shares one cell area
WORKER_GDAL_CACHE_MB = 320
_CACHE_SIZE = 6


class ExposureError(Said, ValueError):
    """Inputs that cannot be combined (no overlap, no CRS, unknown field ...)."""


_OVERLAYS: Kept[Overlay] = Kept(_CACHE_SIZE)
_POPULATION: Kept = Kept(_CACHE_SIZE)
_OVERLAPS: Kept[pd.DataFrame] = Kept(_CACHE_SIZE)  # one area set, several hazards and swaths


@dataclass
class Runs:
    """One block of rows as runs of at most MAX_RUN cells of one row in one zone:
    ``starts`` are flat cell offsets in the block where a run begins, ``zones``
    the zone of each run (0 = outside), ``cell_km2`` the true area of a cell at
    the run's centre (exact for geographic grids, whose cell area depends on
    the row only; for projected grids the area changes by well under 1e-5
    across MAX_RUN cells of any conformal projection)."""

    starts: np.ndarray
    zones: np.ndarray
    cell_km2: np.ndarray


@dataclass
class Overlay:
    """Areas burned onto a grid, as runs per block of rows (see ``blocks``)."""

    grid: Grid
    names: list[str]
    runs: list[Runs]


def clear_caches() -> None:
    """Forget cached overlays, re-gridded populations and cell areas."""
    for cache in (_OVERLAYS, _POPULATION, _OVERLAPS):
        cache.clear()


def blocks(grid: Grid) -> list[tuple[int, int]]:
    """Row ranges of about BLOCK_CELLS cells each."""
    step = max(1, BLOCK_CELLS // max(grid.width, 1))
    return [(r, min(r + step, grid.height)) for r in range(0, grid.height, step)]


def _runs(zones: np.ndarray, grid: Grid, row0: int) -> Runs:
    """Run-length encode a block of zone rows; runs never cross a row end and
    are cut every MAX_RUN cells."""
    flat = zones.ravel()
    width = zones.shape[1]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    cuts = np.arange(0, flat.size, MAX_RUN if width > MAX_RUN else width)
    cuts = np.union1d(cuts, np.arange(0, flat.size, width))
    starts = np.union1d(change, cuts).astype(np.int64)
    ends = np.append(starts[1:], flat.size)
    rows, col0 = np.divmod(starts, width)
    centre_col = (col0 + (ends - starts - 1) / 2.0)
    return Runs(starts, flat[starts].astype(np.int32),
                grid.area_at(rows + row0, centre_col).astype(np.float64))


def area_overlay(areas: gpd.GeoDataFrame, grid: Grid, area_field: str) -> Overlay:
    """The areas burned onto ``grid`` by cell centre (cached per grid and areas)."""
    if area_field not in areas:
        raise ExposureError(N_("areas have no field '{field}' (fields: {fields})"),
                            field=area_field,
                            fields=", ".join(c for c in areas.columns if c != "geometry"))
    key = (grid, fingerprint.of_frame(areas, [area_field]), area_field)

    def burn() -> Overlay:
        shapes = _zone_shapes(areas, grid)
        return Overlay(grid, areas[area_field].astype(str).tolist(),
                       [_burn_rows(shapes, grid, row0, row1) for row0, row1 in blocks(grid)])

    return _OVERLAYS.get_or(key, burn)


def _zone_shapes(areas: gpd.GeoDataFrame, grid: Grid) -> list[tuple]:
    """(geometry in the grid's CRS, zone number) per area: zone i + 1 for area i."""
    projected = areas.to_crs(grid.crs).geometry.values
    return [(g, i + 1) for i, g in enumerate(projected) if g is not None and not g.is_empty]


def _burn_rows(shapes: list[tuple], grid: Grid, row0: int, row1: int) -> Runs:
    """Rows row0..row1 of the areas burned by cell centre, as runs."""
    zones = np.zeros((row1 - row0, grid.width), dtype="uint16" if len(shapes) < 65_535
                     else "int32")
    if shapes:
        rasterio.features.rasterize(shapes, out=zones, all_touched=False,
                                    transform=grid.window_transform(row0))
    return _runs(zones, grid, row0)


def population_on_grid(population: xr.DataArray, grid: Grid) -> BlockStore:
    """People per hazard cell, re-gridded with the total conserved (cached).
    On the hazard's own grid the values are used as they are."""
    key = (grid, fingerprint.of_raster(population))

    def regrid() -> BlockStore:
        # Re-gridded, kept on disk for later runs: it was a tenth of a dashboard's cold start.
        return blockstore.build(grid, "float32", f"population:{key}", blocks(grid),
                                lambda row0, row1: _population_rows(population, grid, row0, row1),
                                for_later_runs=Grid.of(population) != grid)

    return _POPULATION.get_or(key, regrid)


def _population_rows(population: xr.DataArray, grid: Grid, row0: int, row1: int
                     ) -> np.ndarray:
    """People per cell of rows row0..row1 of ``grid`` (as they are on the same grid)."""
    if Grid.of(population) == grid:
        return np.nan_to_num(np.asarray(population[row0:row1].values, dtype="float32"))
    return align_sum(population, grid, row0, row1)


def footprint_array(hazard: xr.DataArray, time=None) -> xr.DataArray:
    """A 2-D hazard: one time step (nearest to ``time``), or the maximum over time."""
    if "time" not in hazard.dims:
        return hazard
    if time is not None:
        return hazard.sel(time=np.datetime64(pd.Timestamp(time).tz_localize(None)),
                          method="nearest")
    return hazard.max("time", keep_attrs=True)


FIGURES = ("hazard_km2", "people_exposed", "incidents", "displaced")


@dataclass
class Exposure:
    """Per-area exposure. ``table`` has one row per area plus OUTSIDE, columns
    area, hazard_km2, people_exposed, incidents, displaced. ``inside``: each
    figure inside any area, every cell counted once (equal to the sum of the
    area rows unless areas overlap); ``totals``: inside plus OUTSIDE, the whole
    raster. ``overlaps``: area_a, area_b, km2 for each pair that overlaps."""

    table: pd.DataFrame
    threshold: float
    units: str
    inside: dict[str, float]
    overlaps: pd.DataFrame
    notes: list[Phrase] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, float]:
        outside = self.table.iloc[-1]
        return {c: self.inside[c] + float(outside[c]) for c in FIGURES}


# Shared ground below this is rounding where one outline was cut from another
# (areas of 1e-11 km²), not an overlap: the areas touch.
OVERLAP_MIN_KM2 = 0.01


def area_overlaps(areas: gpd.GeoDataFrame, area_field: str) -> pd.DataFrame:
    """Pairs of areas whose interiors overlap, with the shared area in km² (on
    the ellipsoid): area_a, area_b (names), km2, and a, b (their positions).
    Areas that only touch along an edge, or share less than OVERLAP_MIN_KM2,
    do not overlap."""
    geoms = areas.to_crs("EPSG:4326").geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = a < b
    a, b = a[pairs], b[pairs]
    interior = shapely.relate_pattern(geoms[a], geoms[b], "2********")
    a, b = a[interior], b[interior]
    names = areas[area_field].astype(str).to_numpy()
    km2 = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) / 1e6
                    for g in shapely.intersection(geoms[a], geoms[b])], dtype=float)
    real = km2 >= OVERLAP_MIN_KM2
    return pd.DataFrame({"area_a": names[a][real], "area_b": names[b][real], "km2": km2[real],
                         "a": a[real], "b": b[real]})


def overlap_notes(overlaps: pd.DataFrame) -> list[Phrase]:
    """A sentence per overlapping pair, for tables and the CLI."""
    return [Phrase(N_("Areas {a} and {b} overlap by {km2} km²: each area's figure is complete, "
                      "so the area rows add up to more than the total, which counts shared "
                      "cells once."), {"a": r.area_a, "b": r.area_b, "km2": round(r.km2, 1)})
            for r in overlaps.itertuples()]


def _groups(n: int, overlaps_idx: list[tuple[int, int]]) -> list[list[int]]:
    """Split areas 0..n-1 into groups with no overlapping pair (greedy colouring)."""
    neighbours: dict[int, set[int]] = {}
    for i, j in overlaps_idx:
        neighbours.setdefault(i, set()).add(j)
        neighbours.setdefault(j, set()).add(i)
    colour: dict[int, int] = {}
    for i in range(n):
        taken = {colour[j] for j in neighbours.get(i, ()) if j in colour}
        colour[i] = next(c for c in range(n) if c not in taken)
    return [[i for i in range(n) if colour[i] == c] for c in sorted(set(colour.values()))]


def _points_to_cells(points: gpd.GeoSeries, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Row/column of each point on the grid; -1 where outside it."""
    pts = points.to_crs(grid.crs)
    x, y = shapely.get_x(pts.values), shapely.get_y(pts.values)
    inv = ~grid.transform
    cols, rows = inv * (x, y)
    rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    outside = (rows < 0) | (rows >= grid.height) | (cols < 0) | (cols >= grid.width)
    outside |= np.isnan(x) | np.isnan(y)
    rows[outside] = -1
    cols[outside] = -1
    return rows, cols


def exposure(
    hazard: xr.DataArray,
    threshold: float,
    areas: gpd.GeoDataFrame,
    area_field: str = "name",
    *,
    population: xr.DataArray | None = None,
    places: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    displaced: gpd.GeoDataFrame | None = None,
    time=None,
    scheduler: str | None = None,
) -> Exposure:
    """Exposure per area to ``hazard >= threshold``.

    hazard: 2-D (or time, y, x: maximum over time unless ``time``) raster, any CRS.
    areas: polygons, any CRS; ``area_field`` names them.
    population: people per cell, any CRS (re-gridded with its total conserved),
    or ``places``: points with a ``population`` column.
    incidents: points; counted when their hazard cell is over the threshold.
    displaced: canonical displacement points; ``figure`` summed likewise.
    scheduler: a dask.distributed scheduler address: the blocks are computed on
    its workers (each reads only its rows of the hazard), with figures identical
    to the one-machine path (None: two threads here).
    Returns hazard_km2 (true area on the ellipsoid), people_exposed, incidents
    and displaced per area plus an OUTSIDE row; NaN hazard cells never count.
    """
    hazard2d = footprint_array(hazard, time)
    grid = Grid.of(hazard2d)
    _check_overlap(grid, areas)
    areas = areas.reset_index(drop=True)
    overlaps = _OVERLAPS.get_or((fingerprint.of_frame(areas, [area_field]), area_field),
                                lambda: area_overlaps(areas, area_field)) \
        if area_field in areas else pd.DataFrame()
    # Each overlay: (areas burned together, position of each in ``areas``).
    if overlaps.empty:
        parts = [(areas, np.arange(len(areas)))]
    else:
        groups = _groups(len(areas), list(zip(overlaps["a"], overlaps["b"], strict=True)))
        union = gpd.GeoDataFrame({area_field: ["any area"]}, crs=areas.crs,
                                 geometry=[shapely.union_all(areas.geometry.values)])
        parts = [(areas.iloc[g], np.array(g)) for g in groups] + [(union, np.array([-1]))]
    point_sets = []
    for name, frame, weight in (("people_exposed", places, "population"),
                                ("incidents", incidents, None), ("displaced", displaced, "figure")):
        if frame is None or (name == "people_exposed" and population is not None):
            continue
        located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        rows, cols = _points_to_cells(located.geometry, grid)
        weights = (np.ones(len(located)) if weight is None
                   else located[weight].astype("float64").fillna(0).to_numpy())
        point_sets.append((name, rows, cols, weights,
                           [area_index(located.geometry, part) for part, _ in parts]))

    sizes = [len(part) + 1 for part, _ in parts]
    if scheduler is None:
        overlays = [area_overlay(part, grid, area_field) for part, _ in parts]
        pop_grid = population_on_grid(population, grid) if population is not None else None

        def one_block(i: int, row0: int, row1: int) -> list[dict[str, np.ndarray]]:
            return _block_sums(np.asarray(hazard2d[row0:row1].values), threshold,
                               pop_grid.read(row0, row1) if pop_grid is not None else None,
                               [o.runs[i] for o in overlays], sizes, point_sets, row0, row1)

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            per_block = list(pool.map(lambda args: one_block(*args),
                                      [(i, r0, r1) for i, (r0, r1) in enumerate(blocks(grid))]))
    else:
        per_block = _distributed_blocks(scheduler, hazard2d, threshold, grid, population,
                                        [_zone_shapes(part, grid) for part, _ in parts],
                                        sizes, point_sets)
    per_overlay = [{c: np.zeros(n) for c in FIGURES} for n in sizes]
    for part_sums in per_block:  # in block order, as one machine adds them
        for acc, sums in zip(per_overlay, part_sums, strict=True):
            for col, values in sums.items():
                acc[col] += values

    table = pd.DataFrame({"area": [*areas[area_field].astype(str), OUTSIDE]})
    last = per_overlay[-1]  # the only overlay, or the union's: zone 0 is OUTSIDE
    for col in FIGURES:
        values = np.zeros(len(areas) + 1)
        for (_, positions), acc in zip(parts, per_overlay, strict=True):
            if positions[0] >= 0:  # not the union
                values[positions] = acc[col][1:]
        values[-1] = last[col][0]
        table[col] = values
    inside = {c: float(last[c][1:].sum()) for c in FIGURES}
    table["incidents"] = table["incidents"].round().astype("int64")
    table["displaced"] = table["displaced"].round().astype("int64")
    notes = [Phrase(N_("Exposed: hazard {variable} >= {threshold} {units}"),
                    {"variable": hazard2d.attrs.get("variable", ""),
                     "threshold": f"{threshold:g}", "units": hazard2d.attrs.get("units", "")})]
    if "time" in hazard.dims:
        notes.append(Phrase(N_("Time: maximum over all time steps")) if time is None
                     else Phrase(N_("Time: step nearest {time} UTC"),
                                 {"time": f"{pd.Timestamp(time):%Y-%m-%d %H:%M}"}))
    notes.append(Phrase(N_("People: population raster re-gridded to the hazard grid (total "
                           "conserved)")) if population is not None
                 else Phrase(N_("People: populated places whose cell is in the footprint"))
                 if places is not None else Phrase(N_("People: not computed (no population "
                                                      "given)")))
    return Exposure(table, threshold, hazard2d.attrs.get("units", ""), inside,
                    overlaps.drop(columns=["a", "b"], errors="ignore"), notes)


def _block_sums(block: np.ndarray, threshold: float, population: np.ndarray | None,
                runs_per_part: list[Runs], sizes: list[int], point_sets: list,
                row0: int, row1: int) -> list[dict[str, np.ndarray]]:
    """The figures of one block of rows, per zone of each overlay."""
    with np.errstate(invalid="ignore"):
        hit = block >= threshold
    people = np.where(hit, population, 0) if population is not None else None
    out = []
    for k, (runs, n) in enumerate(zip(runs_per_part, sizes, strict=True)):
        hits = np.add.reduceat(hit.ravel(), runs.starts, dtype=np.int64)
        sums = {"hazard_km2": np.bincount(runs.zones, weights=hits * runs.cell_km2,
                                          minlength=n)}
        if people is not None:
            sums["people_exposed"] = _by_zone(people, runs, n)
        for name, rows, cols, weights, area_idx in point_sets:
            inside = (rows >= row0) & (rows < row1)
            exposed = np.zeros(len(rows), dtype=bool)
            exposed[inside] = hit[rows[inside] - row0, cols[inside]]
            sums[name] = np.bincount(area_idx[k][exposed] + 1, weights=weights[exposed],
                                     minlength=n)
        out.append(sums)
    return out


@dataclass(frozen=True)
class _FileRows:
    """A hazard GeoTIFF (or a window of one) that each worker reads itself, row
    block by row block: sent as this recipe, because an xarray array backed by
    the file is sent with all its data (dask serialises it whole)."""

    path: str
    band: int
    row_off: int
    col_off: int
    width: int

    def __getitem__(self, rows: slice) -> np.ndarray:
        window = rasterio.windows.Window(self.col_off, self.row_off + rows.start, self.width,
                                         rows.stop - rows.start)
        # GDAL's block cache defaults to 5 % of the machine's memory: on a worker
        # with a memory limit it must be the worker's share, enough for one row
        # of the file's tiles (a 100,000-wide raster in 512-cell tiles: 200 MB).
        with rasterio.Env(GDAL_CACHEMAX=WORKER_GDAL_CACHE_MB), rasterio.open(self.path) as src:
            block = src.read(self.band, window=window, masked=True)
        return np.ma.filled(block.astype(block.dtype if block.dtype.kind == "f"
                                         else "float64"), np.nan)


def _file_rows(hazard2d: xr.DataArray) -> _FileRows | None:
    """The recipe for a raster read lazily from a GeoTIFF, when its rows are the
    file's (not flipped, not resampled); None otherwise."""
    source = hazard2d.encoding.get("source")
    if not source or hasattr(hazard2d.variable._data, "__array_function__"):
        return None  # in memory already
    try:
        with rasterio.open(source) as src:
            file_t, count = src.transform, src.count
    except rasterio.errors.RasterioIOError:
        return None
    t = Grid.of(hazard2d).transform
    if (t.a, t.e) != (file_t.a, file_t.e):
        return None
    col, row = (t.c - file_t.c) / file_t.a, (t.f - file_t.f) / file_t.e
    band = int(hazard2d.encoding.get("band", 1))
    if col != round(col) or row != round(row) or band > count:
        return None
    return _FileRows(str(source), band, round(row), round(col), int(hazard2d.rio.width))


def _remote_block(hazard, threshold, grid, population, part_shapes, sizes, point_sets,
                  row0: int, row1: int) -> list[dict[str, np.ndarray]]:
    """One block on a dask worker: it reads its rows of the hazard (only those
    blocks of the file), burns its rows of the areas and re-grids its rows of
    the population: the very steps of the one-machine path, row for row."""
    rows = hazard[row0:row1]
    return _block_sums(np.asarray(rows.values if isinstance(rows, xr.DataArray) else rows),
                       threshold,
                       _population_rows(population, grid, row0, row1)
                       if population is not None else None,
                       [_burn_rows(shapes, grid, row0, row1) for shapes in part_shapes],
                       sizes, point_sets, row0, row1)


def _distributed_blocks(scheduler: str, hazard2d, threshold, grid, population, part_shapes,
                        sizes, point_sets) -> list:
    """Every block on the dask.distributed cluster at ``scheduler``; the inputs
    every block needs are sent to the cluster once."""
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        # hash=False: no token of the inputs (a token of a file-backed raster reads it whole).
        # (Not broadcast: workers fetch them from each other, once each.)
        hazard = _file_rows(hazard2d) or hazard2d
        shared = client.scatter([hazard, grid, population, part_shapes, sizes, point_sets],
                                hash=False)
        futures = [client.submit(_remote_block, shared[0], threshold, shared[1], shared[2],
                                 shared[3], shared[4], shared[5], row0, row1, pure=False)
                   for row0, row1 in blocks(grid)]
        return client.gather(futures)


def _by_zone(values: np.ndarray, runs: Runs, n: int) -> np.ndarray:
    """Sum ``values`` (a block of rows) per zone, through the block's runs."""
    per_run = np.add.reduceat(values.ravel(), runs.starts, dtype=np.float64)
    return np.bincount(runs.zones, weights=per_run, minlength=n)


def _check_overlap(grid: Grid, areas: gpd.GeoDataFrame) -> None:
    if areas.crs is None:
        raise ExposureError(N_("areas have no CRS"))
    minx, miny, maxx, maxy = areas.to_crs(grid.crs).total_bounds
    gx0, gy0, gx1, gy1 = grid.bounds()
    if minx > gx1 or maxx < gx0 or miny > gy1 or maxy < gy0:
        raise ExposureError(N_("the hazard raster does not overlap the areas"))
