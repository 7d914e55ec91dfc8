import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.displacement import STOCK_TYPES, period_figures, totals
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


def _by_definition(displacement, period):
    """The period figures as the definition reads, with pandas' grouping."""
    chosen = displacement[period.contains(displacement["date"])]
    keys = ["source", "country", "area_name", "type", "cause"]
    marks = [c for c in ("agency", "tlp") if c in chosen]
    stock = chosen[chosen["type"].isin(STOCK_TYPES)].sort_values("date", kind="stable")
    latest = stock.groupby(keys, observed=True, dropna=False).tail(1)
    flow = chosen[~chosen["type"].isin(STOCK_TYPES)]
    flows = flow.groupby([*keys, *marks], observed=True, dropna=False).agg(
        figure=("figure", "sum"), date=("date", "max"), geometry=("geometry", "first"),
    ).reset_index()
    return pd.concat([pd.DataFrame(latest[[*keys, *marks, "figure", "date", "geometry"]]),
                      flows], ignore_index=True)


TYPES = ["new displacements", "IDP stock", "returns", "refugees"]
CAUSES = ["conflict", "flood", "cyclone", "other"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["S", "T"]), st.sampled_from(["PAK", "BGD", None]),
                          st.sampled_from(["Dadu", "Khulna", None]), st.sampled_from(TYPES),
                          st.sampled_from(CAUSES), st.integers(0, 60),
                          st.one_of(st.none(), st.integers(0, 5000)),
                          st.sampled_from(["NDMA", "UNHCR"]), st.booleans()),
                max_size=40))
def test_period_figures_are_those_the_definition_gives(rows):
    """Stocks: the latest record per area, type and cause (the later of two on one
    day); flows: summed per marking, dated by the last, located by the first with a
    location; groups in the order of their keys, missing ones last."""
    frame = gpd.GeoDataFrame({
        "source": pd.array([r[0] for r in rows], dtype="string"),
        "country": pd.array([r[1] for r in rows], dtype="string"),
        "area_name": pd.array([r[2] for r in rows], dtype="string"),
        "type": pd.Categorical([r[3] for r in rows], categories=TYPES),
        "cause": pd.Categorical([r[4] for r in rows], categories=CAUSES),
        "date": pd.Timestamp("2026-08-20", tz="UTC")
        + pd.to_timedelta([r[5] // 2 for r in rows], unit="D"),
        "figure": pd.array([r[6] for r in rows], dtype="Int64"),
        "agency": pd.array([r[7] for r in rows], dtype="string"),
        "tlp": pd.array(["TLP:CLEAR"] * len(rows), dtype="string")},
        geometry=[shapely.Point(70, 25 + i) if r[8] else None for i, r in enumerate(rows)],
        crs="EPSG:4326")
    got = period_figures(frame, SEPT)
    expected = _by_definition(frame, SEPT)
    pd.testing.assert_frame_equal(pd.DataFrame(got).drop(columns="geometry"),
                                  expected.drop(columns="geometry"), check_dtype=False)
    assert [None if g is None else g.wkt for g in got.geometry] == \
        [None if g is None else g.wkt for g in expected["geometry"]]
