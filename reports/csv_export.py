"""CSV exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd

from model.situation import Summary

from .marking import mark

# Cells starting with these are run as formulas by spreadsheets (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 (with BOM, so spreadsheets detect it) CSV with text cells neutralised."""
    text_cols = [c for c in frame.columns if frame[c].dtype == object or
                 str(frame[c].dtype) in ("string", "str", "category")]
    out = frame.copy()
    for col in text_cols:
        out[col] = out[col].astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out.to_csv(index=False).encode("utf-8-sig")


def area_table_csv(summary: Summary, tlp: str) -> bytes:
    """The per-area table of a summary with its period and marking on each row."""
    table = mark(summary.areas, summary, tlp)
    table.insert(0, "period", summary.period.label)
    return safe_csv(table)
