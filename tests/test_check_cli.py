"""The ``python -m data_sources check`` command, run as a user would run it."""

import json
import subprocess
import sys

import pytest

from data_sources.__main__ import main as data_sources_main
from tests.cli import run
from tests.conftest import ROOT


def check(*args):
    return run(data_sources_main, "check", *args)


def test_usable_file_json(write_csv):
    path = write_csv("p.csv", ["time", "lat", "lon", "category", "country"], [
        ["2026-01-01", "34.1", "71.1", "armed clash", "AFG"],
        ["2026-01-03", "123", "71.1", "armed clash", "AFG"],
        ["2026-01-02", "34.2", "71.2", "other", "PAK"],
    ])
    proc = check(path, "--json")
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert {"kind", "accepted", "rejected", "rejections", "crs", "bounds", "time_range"} <= set(out)
    assert (out["kind"], out["format"], out["accepted"], out["rejected"]) == (
        "incidents", "points", 2, 1)
    assert out["rejections"] == [{"row": 3, "field": "lat", "reason": "123 is outside -90..90"}]
    assert out["crs"] == "EPSG:4326"
    assert out["bounds"] == [71.1, 34.1, 71.2, 34.2]
    assert out["time_range"] == ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"]


def test_text_output_lists_rejections(write_csv):
    path = write_csv("p.csv", ["time", "lat", "lon", "category", "country"], [
        ["2026-01-01", "34.1", "71.1", "armed clash", "AFG"],
        ["yesterday-ish", "34.1", "71.1", "armed clash", "AFG"],
    ])
    proc = check(path)
    assert proc.returncode == 0
    assert "accepted: 1" in proc.stdout and "rejected: 1" in proc.stdout
    assert "row 3, field 'time': 'yesterday-ish' is not a date" in proc.stdout


def test_nothing_usable_exits_1(write_csv):
    path = write_csv("p.csv", ["time", "lat", "lon", "category", "country"], [
        ["2026-01-01", "0", "0", "armed clash", "AFG"]])
    proc = check(path, "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["accepted"] == 0


@pytest.mark.parametrize("content,expected", [
    (b"", "file is empty"),
    (b"a,b\n\xff\xfe\xfa,1\n", "is not UTF-8"),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><alert "
     b"xmlns='urn:oasis:names:tc:emergency:cap:1.2'>&a;</alert>", "refused"),
])
def test_unreadable_exits_2_with_json_error(tmp_path, content, expected):
    suffix = ".xml" if content.startswith(b"<") else ".csv"
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    proc = check(path, "--json")
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert expected in out["error"] and f"bad{suffix}" in out["error"]


def test_unknown_csv_layout_and_missing_file(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("foo,bar\n1,2\n")
    proc = check(path)
    assert proc.returncode == 2
    assert proc.stdout.startswith("error: odd.csv: is a CSV whose columns match no known layout")
    proc = check(tmp_path / "missing.csv", "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["type"] == "FileAccessError"


def test_kind_override_and_raster(tmp_path, demo_root, demo):
    flood = demo.layers["flood"].result.path
    proc = check(flood, "--json")
    out = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert (out["kind"], out["variable"], out["units"], out["crs"]) == (
        "raster", "flood_depth", "m", "EPSG:32642")
    wind = demo.layers["wind"].result.path
    out = json.loads(check(wind, "--kind", "raster", "--json").stdout)
    assert out["time_range"] == ["2026-09-24T00:00:00+00:00", "2026-09-28T00:00:00+00:00"]
    assert out["shape"] == [17, 240, 220]


def test_encoding_option(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("time,lat,lon,category,country,notes\n"
                     "2026-01-01,34.1,71.1,other,AFG,Caf\xe9\n".encode("latin-1"))
    assert check(path).returncode == 2
    proc = check(path, "--encoding", "latin-1", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["accepted"] == 1


def test_usage_without_command():
    proc = subprocess.run([sys.executable, "-m", "data_sources"], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2 and "usage" in proc.stderr
