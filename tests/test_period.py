"""One convention for period ends: half-open [start, end), UTC."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.period import Period

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))
seconds_in_day = st.integers(min_value=0, max_value=86_399_999_999_999)  # nanoseconds


@given(days, st.integers(min_value=0, max_value=400), seconds_in_day)
def test_every_instant_of_the_chosen_days_is_in_and_the_next_day_is_not(first, extra, ns):
    last = first + dt.timedelta(days=extra)
    period = Period.of_days(first, last)
    in_last_day = pd.Timestamp(last, tz="UTC") + pd.Timedelta(ns, "ns")
    day_after = pd.Timestamp(last + dt.timedelta(days=1), tz="UTC")
    before_first = pd.Timestamp(first, tz="UTC") - pd.Timedelta(1, "ns")
    mask = period.contains(pd.Series([in_last_day, day_after, before_first]))
    assert mask.tolist() == [True, False, False]
    assert period.label == f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


@given(days, st.integers(min_value=1, max_value=400))
def test_the_period_before_is_adjacent_and_as_long(first, length):
    period = Period.ending(pd.Timestamp(first, tz="UTC"), days=length)
    before = period.before()
    assert before.end == period.start and before.length == period.length


def test_naive_times_are_utc_and_an_empty_period_is_refused():
    assert Period("2026-09-01", "2026-09-02").start == pd.Timestamp("2026-09-01", tz="UTC")
    assert Period(pd.Timestamp("2026-09-01T05:30", tz="Asia/Kolkata"), "2026-09-02").start == \
        pd.Timestamp("2026-09-01T00:00", tz="UTC")
    with pytest.raises(ValueError, match="must end after it starts"):
        Period("2026-09-02", "2026-09-01")
