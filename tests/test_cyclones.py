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
