"""A scenario's tables as read from its files, kept for the next start.

Reading the DEMO's tables (parsing, checking every row, normalising names)
costs a dashboard start about 0.9 s here; read back from the cache folder they
take a few hundredths. A reading is found again only for the same bytes: of
the file and of every file beside it sharing its name (a shapefile's ``.dbf``,
a GeoPackage's ``-wal``), read with the same format and options, by the same
readers (``geo.kept.code_version``). Rasters are opened lazily anyway and are
not kept, nor is a file read without its format (it may be a raster); a file
that fails to read raises as before, and is read again next time.
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path

from data_sources.detect import read_any
from geo.kept import Kept
from model.schema import ReadResult

_READINGS: Kept[ReadResult] = Kept(16, stored_as="readings")


def read_kept(path: str | Path, fmt: str | None = None, **options) -> ReadResult:
    """``read_any``, from the cache folder when this file was read so before. Only
    for a named table format: what an unnamed one holds is known after reading."""
    path = Path(path)
    if fmt in (None, "raster") or not path.is_file():
        return read_any(path, fmt, **options)
    key = (str(path.resolve()), fmt, tuple(sorted((k, repr(v)) for k, v in options.items())),
           _digest(path))
    return _READINGS.get_or(key, lambda: read_any(path, fmt, **options))


def _digest(path: Path) -> str:
    """A digest of ``path``'s bytes and of its companions' (same name, any suffix)."""
    digest = hashlib.blake2b(digest_size=20)
    companions = {path, *path.parent.glob(glob.escape(path.stem) + ".*")}
    for file in sorted(companions):
        if file.is_file():
            digest.update(file.name.encode() + b"\0")
            with file.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "blake2b").digest())
    return digest.hexdigest()
