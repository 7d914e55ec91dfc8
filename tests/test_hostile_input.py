"""Hostile and faulty input: one bad cell is one rejected row, never the file."""

import json

import pytest

from data_sources.__main__ import main as data_sources_main
from tests.cli import run


def check(*args) -> tuple[int, dict]:
    proc = run(data_sources_main, "check", *args, "--json")
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("bad,reason", [
    ("inf", "is not a finite number"), ("1e400", "is not a finite number"),
    ("-inf", "is not a finite number"), ("1e20", "more than 10,000,000,000"),
])
def test_one_impossible_count_is_one_rejected_row(write_csv, bad, reason):
    path = write_csv("p.csv", ["time", "lat", "lon", "category", "country", "fatalities"], [
        ["2026-09-01", "34.1", "71.1", "armed clash", "PAK", "2"],
        ["2026-09-02", "34.2", "71.2", "armed clash", "PAK", bad],
        ["2026-09-03", "34.3", "71.3", "armed clash", "PAK", "0"],
    ])
    code, out = check(path)
    assert code == 0 and (out["accepted"], out["rejected"]) == (2, 1)
    (rejection,) = out["rejections"]
    assert (rejection["row"], rejection["field"]) == (3, "fatalities")
    assert reason in rejection["reason"]


@pytest.mark.parametrize("bad", ["0000-01-01", "1200-05-05", "2300-01-01", "9999-12-31"])
def test_a_date_pandas_cannot_hold_is_one_rejected_row(write_csv, bad):
    path = write_csv("p.csv", ["time", "lat", "lon", "category", "country"], [
        ["2026-09-01", "34.1", "71.1", "armed clash", "PAK"],
        [bad, "34.2", "71.2", "armed clash", "PAK"],
    ])
    code, out = check(path)
    assert code == 0 and (out["accepted"], out["rejected"]) == (1, 1)
    assert out["rejections"][0]["row"] == 3 and out["rejections"][0]["field"] == "time"


def test_an_infinite_wind_speed_is_refused(write_csv):
    path = write_csv("ib.csv", ["SID", "SEASON", "ISO_TIME", "LAT", "LON", "WMO_WIND"], [
        ["2026270N15088", "2026", "2026-09-27 00:00:00", "15.0", "88.0", "inf"],
        ["2026270N15088", "2026", "2026-09-27 06:00:00", "15.5", "88.5", "45"],
    ])
    code, out = check(path, "--kind", "ibtracs")
    assert code == 0 and (out["accepted"], out["rejected"]) == (1, 1)
    assert out["rejections"][0]["field"] == "WMO_WIND"
