"""File names that are safe on every system and in every archive."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 120


def safe_filename(name: str) -> str:
    """Letters, digits, '.', '-' and '_' only; no path parts, no leading dot."""
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("/", "_").replace("\\", "_"))
    name = name.lstrip("._-") or "file"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot else name[:MAX_NAME]
    return name
