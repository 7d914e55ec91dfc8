import math

import pandas as pd
import pytest

from data_sources.cyclones import read_ibtracs

HEADER = ["SID", "SEASON", "BASIN", "NAME", "ISO_TIME", "LAT", "LON", "WMO_WIND", "WMO_PRES",
          "USA_WIND", "USA_R34_NE", "USA_R34_SE", "USA_R34_SW", "USA_R34_NW", "REU_R34_NE"]
UNITS = [" ", "Year", " ", " ", " ", "degrees_north", "degrees_east", "kts", "mb", "kts",
         "nmile", "nmile", "nmile", "nmile", "nmile"]


def rows():
    return [
        ["2020136N10088", "2020", "NI", "AMPHAN", "2020-05-20 06:00:00", "21.2", "88.1", "85",
         "960", "95", "120", "100", "80", "90", " "],
        ["2020136N10088", "2020", "NI", "AMPHAN", "2020-05-20 00:00:00", "20.0", "87.9", " ",
         " ", "105", " ", " ", " ", " ", "150"],
        ["2020136N10088", "2020", "NI", "AMPHAN", "2020-05-20 12:00:00", "22.5", "88.3",
         "-999.9", "-999", "60", " ", " ", " ", " ", " "],
        ["2019100S10100", "2019", "SI", "OTHER", "2019-04-10 00:00:00", "-10", "100", "30",
         "1000", " ", " ", " ", " ", " ", " "],
        ["2020136N10088", "2020", "NI", "AMPHAN", "bad time", "22.5", "88.3", "60", "990",
         " ", " ", " ", " ", " ", " "],
    ]


@pytest.mark.parametrize("with_units_row", [True, False])
def test_ibtracs_units_row_blanks_and_missing_markers(write_csv, with_units_row):
    body = [UNITS, *rows()] if with_units_row else rows()
    result = read_ibtracs(write_csv("ib.csv", HEADER, body), basin="NI")
    data = result.data
    # Sorted by storm and time; the SI storm is filtered out by the basin.
    assert data["time"].dt.strftime("%H").tolist() == ["00", "06", "12"]
    assert data["name"].unique().tolist() == ["AMPHAN"]
    # WMO wind when present, else USA wind; -999.9 is missing.
    assert data["wind_kt"].tolist() == [105.0, 85.0, 60.0]
    assert data["pressure_hpa"].iloc[1] == 960.0
    assert math.isnan(data["pressure_hpa"].iloc[2])
    # Radii: USA first, else Réunion; nmi.
    assert data["r34_ne"].tolist()[:2] == [150.0, 120.0]
    assert data["r34_sw"].iloc[1] == 80.0
    bad_row = 7 if with_units_row else 6
    assert [(r.row, r.field) for r in result.rejections] == [(bad_row, "ISO_TIME")]


def test_ibtracs_without_basin_filter_keeps_all_basins(write_csv):
    result = read_ibtracs(write_csv("ib.csv", HEADER, rows()))
    assert sorted(result.data["basin"].unique()) == ["NI", "SI"]
    assert result.data["time"].dtype == "datetime64[ns, UTC]"
    assert result.data["time"].iloc[0] == pd.Timestamp("2019-04-10", tz="UTC")


# A JTWC a-deck as ATCF writes it: one line per position and wind radius (34, 50,
# 64 kt; radii NE, SE, SW, NW in nmi), padded; other forecast aids (AVNO) beside it.
ADECK = """\
IO, 02, 2026092600, 03, JTWC,   0, 195N,  890E,  90,  960, TY,  34, NEQ,  120,  110,   90,  100, 1000,  150,  15, 110,   0,   B,   0,    ,   0,   0,    DEMOSTORM,
IO, 02, 2026092600, 03, JTWC,   0, 195N,  890E,  90,  960, TY,  50, NEQ,   60,   55,   45,   50, 1000,  150,  15, 110,   0,   B,   0,    ,   0,   0,    DEMOSTORM,
IO, 02, 2026092600, 03, JTWC,   0, 195N,  890E,  90,  960, TY,  64, NEQ,   35,   30,   25,   30, 1000,  150,  15, 110,   0,   B,   0,    ,   0,   0,    DEMOSTORM,
IO, 02, 2026092600, 03, JTWC,  12, 210N,  898E, 100,    0, TY,  34, NEQ,  130,  120,  100,  110,
IO, 02, 2026092600, 03, JTWC,  12, 210N,  898E, 100,    0, TY,  64, AAA,   40,    0,    0,    0,
IO, 02, 2026092600, 03, JTWC,  24, 225N,  903E,  95,    0, TY,  64, NEQ,   30,   30,   25,   25,
IO, 02, 2026092600, 03, JTWC,  36, 240N,  908E,  60,    0, TS,  34, NEQ,   80,   70,   60,   70,
IO, 02, 2026092600, 03, JTWC,  48, 999X,  912E,  40,    0, TS,  34, NEQ,    0,    0,    0,    0,
IO, 02, 2026092600, 03, AVNO,  12, 208N,  896E,  85,  970, XX,  34, NEQ,  110,  100,   90,   90,
"""  # noqa: E501


def test_atcf_adeck_forecast_positions_with_their_wind_radii(tmp_path):
    from data_sources.detect import detect_format, read_any

    path = tmp_path / "aio022026.dat"
    path.write_text(ADECK, encoding="utf-8")
    assert detect_format(path) == "atcf"
    result = read_any(path)
    t = result.data
    assert list(t["time"].dt.strftime("%d %H")) == ["26 00", "26 12", "27 00", "27 12"]
    assert t["forecast"].tolist() == [False, True, True, True]  # TAU 0 is the analysis
    assert set(t["storm_id"]) == {"IO022026"} and set(t["basin"]) == {"NI"}
    assert set(t["source"]) == {"ATCF JTWC"}
    assert t[["wind_kt", "pressure_hpa"]].iloc[0].tolist() == [90.0, 960.0]
    assert math.isnan(t["pressure_hpa"].iloc[1])  # 0 hPa: not given
    assert t[["r34_ne", "r50_ne", "r64_ne", "r64_nw"]].iloc[0].tolist() == [120, 60, 35, 30]
    assert t[["r64_ne", "r64_se", "r64_sw", "r64_nw"]].iloc[1].tolist() == [40] * 4  # AAA
    assert math.isnan(t["r50_ne"].iloc[2]) and t["r64_sw"].iloc[2] == 25
    assert (t.geometry.y.iloc[0], t.geometry.x.iloc[0]) == (19.5, 89.0)
    assert [(r.row, r.field) for r in result.rejections] == [(8, "LAT")]
    assert "'999X' is not tenths of a degree" in result.rejections[0].reason
    assert any("1 lines of other forecasters (AVNO) left out" in n.reason
               for n in result.warnings)
    # The store keeps the forecast flag; stored observed positions stay unchanged.
    from data_sources.store import Store

    t = t.assign(agency="JTWC", agency_country="", tlp="TLP:CLEAR", share="public")
    with Store(tmp_path / "store.gpkg") as store:
        assert store.upsert("tracks", t)["inserted"] == 4
        assert store.upsert("tracks", t)["duplicates"] == 4
        assert store.query("tracks")["forecast"].tolist() == [False, True, True, True]


def test_atcf_refuses_a_file_that_is_not_a_deck(tmp_path):
    from data_sources.cyclones import read_atcf
    from data_sources.errors import FormatError

    path = tmp_path / "aio.dat"
    path.write_text("IO, 02, yesterday, 03, JTWC, 0, 195N, 890E\n", encoding="utf-8")
    with pytest.raises(FormatError, match="is not an ATCF deck"):
        read_atcf(path)
