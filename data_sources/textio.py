"""Opening text files: encodings, CSV tables and their optional HXL tag row."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.i18n import N_

from .errors import EmptyFileError, EncodingError, FileAccessError, FormatError

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


# Limits checked before the work (override with the environment variable named).
MAX_TEXT_BYTES = 1_000_000_000  # SAMON_MAX_TEXT_BYTES: a text file is read whole
MAX_COLUMNS = 2_000  # SAMON_MAX_COLUMNS: the widest table a reader parses


def limit(name: str, default: int) -> int:
    return int(os.environ.get(f"SAMON_{name}", default))


def regular_file(path: Path) -> os.stat_result:
    """The file's status; only a regular file (a link to one included) is read:
    never a device (/dev/zero), a pipe or a folder, which could be read forever."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileAccessError(N_("file does not exist"), path=path) from None
    except OSError as exc:
        raise FileAccessError(N_("cannot be read ({detail})"), path=path,
                              detail=exc.strerror) from None
    if stat.S_ISDIR(info.st_mode):
        raise FileAccessError(N_("is a folder, not a file"), path=path)
    if not stat.S_ISREG(info.st_mode):
        raise FileAccessError(N_("is not a regular file (a device or a pipe): refused"),
                              path=path)
    return info


def read_bytes(path: str | Path) -> bytes:
    path = Path(path)
    size = regular_file(path).st_size
    most = limit("MAX_TEXT_BYTES", MAX_TEXT_BYTES)
    if size > most:
        raise FileAccessError(N_("is {size} bytes, over the limit of {most} for a file read "
                                 "whole (set SAMON_MAX_TEXT_BYTES to raise it)"),
                              path=path, size=size, most=most)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileAccessError(N_("file does not exist"), path=path) from None
    except IsADirectoryError:
        raise FileAccessError(N_("is a folder, not a file"), path=path) from None
    except OSError as exc:
        raise FileAccessError(N_("cannot be read ({detail})"), path=path,
                              detail=exc.strerror) from None
    if not data.strip():
        raise EmptyFileError(N_("file is empty"), path=path)
    return data


def decode(data: bytes, path: str | Path, encoding: str | None = None) -> str:
    """Decode file bytes to text without guessing.

    A byte-order mark (UTF-8, UTF-16, UTF-32) decides the encoding; otherwise
    the text must be valid UTF-8. Anything else (Latin-1, Windows-1252 ...) is
    refused with the line and byte at fault, unless ``encoding`` names it:
    silently decoding with the wrong code page would corrupt place names.
    """
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise EncodingError(N_("cannot be decoded as {encoding}: {detail}"), path=path,
                                encoding=encoding, detail=str(exc)) from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name)
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    N_("starts with a {encoding} byte-order mark but byte {byte} is invalid"),
                    path=path, encoding=name, byte=str(exc.start),
                ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError(
            N_("is not UTF-8 (invalid byte {value} at line {line}, byte {byte}); it may be "
               "Latin-1 or Windows-1252. Save it as UTF-8, or give the encoding explicitly "
               "(--encoding latin-1)"),
            path=path, row=line, value=f"0x{data[exc.start]:02x}", line=str(line),
            byte=str(exc.start),
        ) from None


def read_text(path: str | Path, encoding: str | None = None) -> str:
    return decode(read_bytes(path), path, encoding)


_HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*$", re.IGNORECASE)


@dataclass
class CsvTable:
    """A CSV read as text: every cell a string, plus the HXL tags when present.

    ``frame`` has a ``_row`` column with the spreadsheet row number of each record
    (the header is row 1; with an HXL tag row the first record is row 3).
    """

    path: str
    frame: pd.DataFrame
    tags: dict[str, str]  # column -> normalised HXL tag ("#affected+idps")

    def has(self, *columns: str) -> bool:
        return all(c in self.frame.columns for c in columns)

    def column_for_tag(self, pattern: str) -> str | None:
        """The first column whose HXL tag matches ``pattern`` (HXL attribute rules:
        ``#affected+idps`` matches ``#affected+idps+ind``)."""
        want_tag, *want_attrs = normalise_tag(pattern).split("+")
        for col, tag in self.tags.items():
            name, *attrs = tag.split("+")
            if name == want_tag and set(want_attrs) <= set(attrs):
                return col
        return None


def normalise_tag(tag: str) -> str:
    return re.sub(r"\s+", "", tag).lower()


def _is_tag_row(cells: list[str]) -> bool:
    """A hashtag row: every filled cell starts with '#' and at least one is a
    valid HXL tag (publishers add malformed ones, e.g. '#affected+idps (ind)';
    those are ignored, the row is still not a record)."""
    filled = [c.strip() for c in cells if c and c.strip()]
    return (bool(filled) and all(c.startswith("#") for c in filled)
            and any(_HXL_TAG.match(c) for c in filled))


def read_csv_table(path: str | Path, encoding: str | None = None) -> CsvTable:
    """Read a CSV as all-text cells; recognise an HXL tag row as the second row."""
    text = read_text(path, encoding)
    header = next(csv.reader(io.StringIO(text[:1_000_000].split("\n", 1)[0])), [])
    widest = limit("MAX_COLUMNS", MAX_COLUMNS)
    if len(header) > widest:
        raise FormatError(N_("has {count} columns, over the limit of {most} (set "
                             "SAMON_MAX_COLUMNS to raise it)"), path=path, count=len(header),
                          most=widest)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, index_col=False,
            skipinitialspace=False,
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise FormatError(N_("is not a readable CSV: {detail}"), path=path,
                          detail=str(exc)) from None
    except pd.errors.EmptyDataError:
        raise EmptyFileError(N_("has no header row"), path=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.loc[:, [not c.startswith("Unnamed:") for c in frame.columns]]
    first_row = 2
    tags: dict[str, str] = {}
    if len(frame) and _is_tag_row(list(frame.iloc[0])):
        tags = {c: normalise_tag(t) for c, t in frame.iloc[0].items() if t.strip()}
        frame = frame.iloc[1:]
        first_row = 3
    if frame.empty:
        raise EmptyFileError(N_("has a header but no data rows"), path=path)
    frame = frame.reset_index(drop=True)
    frame.insert(0, "_row", range(first_row, first_row + len(frame)))
    return CsvTable(str(path), frame, tags)


def require_columns(table: CsvTable, columns, what: str) -> None:
    missing = [c for c in columns if c not in table.frame.columns]
    if missing:
        raise FormatError(
            N_("is not a {what} file: missing column(s) {columns}"), path=table.path,
            what=what, columns=", ".join(missing)
        )
