import geopandas as gpd
import pandas as pd
import pytest

from geo.displacement import period_figures, totals
from model.period import Period

SEPT = Period.of_days("2026-09-01", "2026-09-30")


def records(rows):
    return gpd.GeoDataFrame(
        [{"source": "S", "country": c, "area_name": a, "type": t, "cause": k,
          "date": pd.Timestamp(d, tz="UTC"), "figure": f} for c, a, t, k, d, f in rows],
        geometry=[None] * len(rows), crs="EPSG:4326")


DATA = records([
    ("PAK", "Dadu", "IDP stock", "flood", "2026-08-10", 1000),
    ("PAK", "Dadu", "IDP stock", "flood", "2026-08-25", 1500),  # latest in August
    ("PAK", "Dadu", "IDP stock", "flood", "2026-09-20", 900),
    ("PAK", "Johi", "IDP stock", "flood", "2026-09-05", 300),
    ("BGD", "Khulna", "new displacements", "cyclone", "2026-09-26", 200),
    ("BGD", "Khulna", "new displacements", "cyclone", "2026-09-27", 50),  # flows add up
    ("AFG", "Kunar", "new displacements", "conflict", "2026-08-15", 70),
])


def test_stock_is_latest_and_flow_is_sum():
    sept = period_figures(DATA, SEPT).set_index("area_name")["figure"]
    assert sept.to_dict() == {"Dadu": 900, "Johi": 300, "Khulna": 250}


def test_totals_with_change_against_previous_period():
    by_country = totals(DATA, SEPT, "country").set_index("country")
    # Previous period: the 29 days before 1 September: Dadu 1500 (stock), Kunar 70 (flow).
    assert by_country.loc["PAK"].tolist() == [1200, 1500, -300]
    assert by_country.loc["BGD"].tolist() == [250, 0, 250]
    assert by_country.loc["AFG"].tolist() == [0, 70, -70]
    by_cause = totals(DATA, SEPT, "cause").set_index("cause")
    assert by_cause.loc["flood", "current"] == 1200


def test_unknown_grouping():
    with pytest.raises(ValueError, match="cannot group displacement by 'colour'"):
        totals(DATA, SEPT, "colour")
