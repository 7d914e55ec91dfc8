"""Files a user uploads: stored under a safe name in the session's folder,
read by the ordinary readers, and not kept longer than needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from model.schema import ReadResult

from .detect import read_any
from .rasters import NETCDF_SUFFIXES, TIFF_SUFFIXES


def safe_name(name: str) -> str:
    """The last part of a browser's file name, with only letters, digits, '.',
    '-' and '_' kept; never empty, '.' or '..' (which would name a folder)."""
    base = re.sub(r"[^\w.\-]", "_", Path(name.replace("\\", "/")).name)
    return base if base.strip(".") else "upload"


def read_upload(name: str, data: bytes, folder: Path, *, kind: str | None = None,
                encoding: str | None = None, band: int | None = None) -> ReadResult[Any]:
    """Read an uploaded file. Tables are read into memory and their file removed
    at once; a raster stays in ``folder`` (it is opened lazily) until the
    folder is removed with the session's added data."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_name(name)
    path.write_bytes(data)
    raster = path.suffix.lower() in TIFF_SUFFIXES + NETCDF_SUFFIXES
    try:
        result = read_any(path, kind, encoding=encoding,
                          **({"band": band} if band and raster else {}))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if result.kind != "raster":
        path.unlink(missing_ok=True)
    return result
