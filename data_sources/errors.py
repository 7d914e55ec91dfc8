"""One exception hierarchy for everything that reads data.

Every error carries the file, and where known the row and field at fault, so a
user can find the problem in their own file. ``str(error)`` is the sentence
shown to users: ``"incidents.csv, row 7, field 'latitude': 123.0 is outside -90..90"``.
"""

from __future__ import annotations

from pathlib import Path

from model.i18n import _, english, language, render


class DataSourceError(Exception):
    """Root of all data-reading errors: something about an input is unusable.

    ``reason`` is a catalogue message (English with placeholders) and the
    keyword arguments past ``field`` its values, so the sentence can be written
    in the reader's language (``text()``) as well as in English (``message``,
    ``str(error)``: logs, JSON answers, the store's ingest log).
    """

    def __init__(
        self,
        reason: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        **params: object,
    ) -> None:
        self.template = reason
        self.params = params
        self.path = str(path) if path is not None else None
        self.row = row
        self.field = field
        super().__init__(self.message)

    @property
    def reason(self) -> str:
        return english(self.template, self.params)

    @property
    def message(self) -> str:
        with language("en"):
            return self.text()

    def text(self) -> str:
        """The whole sentence, where and why, in the language in use."""
        where = []
        if self.path:
            where.append(Path(self.path).name)
        if self.row is not None:
            where.append(_("row {row}", row=self.row))
        if self.field:
            where.append(_("field '{field}'", field=self.field))
        reason = render(self.template, self.params)
        return _("{where}: {reason}", where=", ".join(where), reason=reason) if where else reason

    def as_dict(self) -> dict:
        return {
            "error": self.message,
            "type": type(self).__name__,
            "path": self.path,
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
        }


class FileAccessError(DataSourceError):
    """The file does not exist or cannot be opened."""


class EmptyFileError(DataSourceError):
    """The file has no bytes, or no records after its header."""


class EncodingError(DataSourceError):
    """The text is not in an encoding we can read without guessing."""


class FormatError(DataSourceError):
    """The file is not in the layout the reader expects (missing columns, bad XML...)."""


class UnknownKindError(DataSourceError):
    """The kind of data in a file could not be recognised."""


class UnsafeXMLError(DataSourceError):
    """XML with a DTD, entity declarations or external references (XXE, billion laughs)."""


class CRSError(DataSourceError):
    """The coordinate reference system is missing or inconsistent with the coordinates."""


class RasterTooLargeError(DataSourceError):
    """A raster's declared size is over the configured limit; refused before reading."""
