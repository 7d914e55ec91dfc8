import pandas as pd
import pytest

from data_sources.displacement import cause_from_text, read_hxl_displacement, read_idmc_idu
from data_sources.errors import FormatError

IDU_HEADER = ["id", "country", "iso3", "latitude", "longitude", "displacement_type", "qualifier",
              "figure", "displacement_date", "event_name", "category", "type"]


def test_idmc_idu(write_csv):
    path = write_csv("idu.csv", IDU_HEADER, [
        ["1", "India", "IND", "26.05", "90.75", "Disaster", "total", "9",
         "2023-10-09T11:00:00.000Z", "India: Flood - Assam", "Weather related", "Flood"],
        ["2", "India", "IND", "", "", "Conflict", "total", "120", "2023-05-04",
         "India: Manipur violence", "", ""],
        ["3", "India", "IND", "22.0", "88.0", "Disaster", "total", "1.5", "2023-05-04",
         "x", "Weather related", "Storm"],
        ["4", "India", "IND", "95", "88.0", "Disaster", "total", "10", "2023-05-04",
         "x", "Weather related", "Storm"],
    ])
    result = read_idmc_idu(path)
    data = result.data
    assert data["figure"].tolist() == [9, 120]
    assert data["cause"].tolist() == ["flood", "conflict"]
    assert data["type"].unique().tolist() == ["new displacements"]
    assert data["date"].iloc[0] == pd.Timestamp("2023-10-09T11:00:00Z")
    assert data.geometry.iloc[0].x == 90.75
    assert data.geometry.iloc[1] is None  # no coordinates given: kept, not dropped
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (4, "figure", "1.5 is not a whole number"),
        (5, "latitude", "95 is outside -90..90"),
    ]


DTM_HEADER = ["id", "operation", "admin0Name", "admin0Pcode", "admin1Name", "admin1Pcode",
              "admin2Name", "admin2Pcode", "numPresentIdpInd", "reportingDate",
              "displacementReason"]
DTM_TAGS = ["", "", "#country+name", "#country+code", "#adm1+name", "#adm1+code", "#adm2+name",
            "#adm2+code", "#affected+idps+ind", "#date+reported", "#cause+type"]
DTM_ROWS = [
    ["1", "Floods", "Pakistan", "PAK", "Sindh", "PK2", "Dadu", "PK201", "12000", "2022-09-15",
     "Natural disaster - flood"],
    ["2", "Floods", "Pakistan", "PAK", "Sindh", "PK2", "جوہی", "PK202", "-5", "2022-09-15",
     "Flood"],
    ["3", "Conflict", "Afghanistan", "AFG", "Kunar", "AF15", "Asadabad", "AF1501", "300",
     "2022-09-20", "Conflict"],
]


@pytest.mark.parametrize("with_tags", [True, False])
def test_iom_dtm_with_and_without_hxl_row(write_csv, with_tags):
    rows = [DTM_TAGS, *DTM_ROWS] if with_tags else DTM_ROWS
    result = read_hxl_displacement(write_csv("dtm.csv", DTM_HEADER, rows))
    data = result.data
    assert result.format == "dtm"
    assert data["area_name"].tolist() == ["Dadu", "Asadabad"]
    assert data["area_code"].tolist() == ["PK201", "AF1501"]
    assert data["country"].tolist() == ["PAK", "AFG"]
    assert data["type"].unique().tolist() == ["IDP stock"]
    assert data["cause"].tolist() == ["flood", "conflict"]
    assert data["source"].unique().tolist() == ["IOM DTM"]
    row = 4 if with_tags else 3
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (row, "numPresentIdpInd", "-5 is negative")]


def test_generic_hxl_refugees_with_points(write_csv):
    path = write_csv("unhcr.csv", ["Camp", "Country", "People", "As of", "Lat", "Lon"], [
        ["#loc+name", "#country+code", "#affected+refugees", "#date+reported", "#geo+lat",
         "#geo+lon"],
        ["Kutupalong", "BGD", "600000", "2026-06-30", "21.21", "92.16"],
    ])
    result = read_hxl_displacement(path, source="UNHCR")
    row = result.data.iloc[0]
    assert (row["area_name"], row["type"], row["figure"], row["source"]) == (
        "Kutupalong", "refugees", 600000, "UNHCR")
    assert row.geometry.y == 21.21


def test_hxl_missing_tags_named(write_csv):
    path = write_csv("x.csv", ["Area", "Date"], [["#adm1+name", "#date"], ["A", "2026-01-01"]])
    with pytest.raises(FormatError, match="HXL tags missing: #affected"):
        read_hxl_displacement(path)


def test_plain_csv_is_not_hxl(write_csv):
    path = write_csv("x.csv", ["Area", "Date"], [["A", "2026-01-01"]])
    with pytest.raises(FormatError, match="has no HXL tag row"):
        read_hxl_displacement(path)


def test_cause_words():
    text = pd.Series(["Tropical Cyclone", "Mass movement", "Armed violence", None, "Heatwave"])
    assert cause_from_text(text).tolist() == ["cyclone", "landslide", "conflict", "other", "other"]
