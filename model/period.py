"""One convention for the end of a period: half-open, [start, end), UTC.

A user's "1 to 31 August" is ``Period.of_days(2026-08-01, 2026-08-31)``: it
ends at 2026-09-01 00:00, so a record stamped 31 August 23:59:59.9 is in and
one at 1 September 00:00 is not, whatever the time resolution of the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .i18n import N_, english, render

_DAYS = N_("{start} to {end}")  # a period, both days included


def utc(value) -> pd.Timestamp:
    """A timestamp in UTC; a naive one is taken to be UTC already."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@dataclass(frozen=True)
class Period:
    start: pd.Timestamp  # first instant in the period
    end: pd.Timestamp  # first instant after it

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts ({self.start} .. {self.end})")

    @classmethod
    def of_days(cls, first: dt.date | str, last: dt.date | str) -> Period:
        """Whole calendar days (UTC), both days included."""
        first_day, last_day = utc(first).normalize(), utc(last).normalize()
        return cls(first_day, last_day + pd.Timedelta(days=1))

    @classmethod
    def ending(cls, end, days: int) -> Period:
        """The ``days`` before ``end`` (``end`` itself excluded)."""
        end = utc(end)
        return cls(end - pd.Timedelta(days=days), end)

    @property
    def length(self) -> pd.Timedelta:
        return self.end - self.start

    @property
    def last_instant(self) -> pd.Timestamp:
        """For display: the last nanosecond inside the period."""
        return self.end - pd.Timedelta(1, "ns")

    def _days(self) -> dict[str, str]:
        return {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.last_instant:%Y-%m-%d}"}

    @property
    def label(self) -> str:
        """'2026-07-02 to 2026-09-30' (both days shown are included): in English, for
        data files and logs."""
        return english(_DAYS, self._days())

    def text(self) -> str:
        """The same in the language in use, for people."""
        return render(_DAYS, self._days())

    def before(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - self.length, self.start)

    def contains(self, times: pd.Series) -> pd.Series:
        """Boolean mask: which ``times`` (UTC) fall in the period."""
        return (times >= self.start) & (times < self.end)
