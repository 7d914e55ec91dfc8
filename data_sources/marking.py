"""Markings put on data where it enters (ingest, an added file, a scenario's
layers): readers know formats, not who shared a file with whom."""

from __future__ import annotations

import pandas as pd

from model.access import MARKING_COLUMNS, Marking
from model.schema import ReadResult


def stamp(result: ReadResult, marking: Marking, *, per_country: bool = False) -> ReadResult:
    """``result`` with every record (a table's rows, a raster's attributes)
    marked with ``marking`` where it carries none. ``per_country``: each record
    is its own country's (agency '<agency>-<ISO3>', e.g. the DEMO agencies),
    from the record's ``country`` column."""
    data = result.data
    if result.kind == "raster":
        for col in MARKING_COLUMNS:
            data.attrs.setdefault(col, getattr(marking, col))
        return result
    data = data.copy()
    values = {c: pd.Series(getattr(marking, c), index=data.index, dtype="string")
              for c in MARKING_COLUMNS}
    if per_country and "country" in data:
        country = data["country"].astype("string")
        values["agency"] = (marking.agency + "-" + country).where(country.notna(),
                                                                   marking.agency)
        values["agency_country"] = country.fillna(marking.agency_country)
    for col in MARKING_COLUMNS:
        given = data[col].astype("string") if col in data else None
        data[col] = values[col] if given is None else given.fillna(values[col])
    return ReadResult(result.kind, result.format, result.path, data, result.rejections,
                      result.warnings)


def raster_marking(attrs: dict) -> Marking | None:
    """The marking a raster carries in its attributes, if any."""
    if not all(attrs.get(c) is not None for c in MARKING_COLUMNS):
        return None
    return Marking(*(str(attrs[c]) for c in MARKING_COLUMNS))
