import geopandas as gpd
import pandas as pd
import pytest

from geo.exposure import OUTSIDE, exposure
from geo.regions import countries_region, country_shape, parse_region
from geo.summary import situation_summary
from model.period import Period
from model.schema import SAARC_ISO3
from model.situation import KEY_FIGURES, Filters


@pytest.fixture(scope="module")
def default(demo):
    return situation_summary(demo)


def test_default_view_covers_saarc_last_90_days(demo, default):
    assert default.demo
    assert default.period == Period(demo.as_of - pd.Timedelta(days=90), demo.as_of)
    assert set(default.key_figures) == set(KEY_FIGURES)
    # Each country with its provinces; the Maldives, with no polygon at 1:110m, by its atolls.
    assert default.areas["iso3"].dropna().tolist() == list(SAARC_ISO3)
    assert not any("has no boundary polygon" in str(n) for n in default.notes)


def test_key_figures_are_the_sums_of_the_area_table(default):
    areas = default.areas.set_index("area")
    for col in ("people_exposed_flood", "people_exposed_cyclone"):
        # Hazard cells outside every area are outside the region.
        assert default.key_figures[col] == pytest.approx(areas[col].drop(OUTSIDE).sum()), col
    for col in ("incidents", "displaced"):
        # Records belong to the region by their country, even off a coarse coastline.
        assert default.key_figures[col] == pytest.approx(areas[col].sum()), col


def test_flood_figure_is_the_exposure_function(demo, default):
    areas = demo["boundaries"]
    # Pakistan: its outline together with its provinces.
    pak = gpd.GeoDataFrame({"name": ["Pakistan"]}, crs="EPSG:4326",
                           geometry=[country_shape(areas[areas["iso3"] == "PAK"])])
    direct = exposure(demo["flood"], 0.5, pak, population=demo["population"])
    row = default.areas.set_index("area").loc["Pakistan"]
    assert row["people_exposed_flood"] == pytest.approx(
        direct.table.set_index("area").loc["Pakistan", "people_exposed"], abs=0.5)
    assert default.key_figures["people_exposed_flood"] > 1_000_000


def test_incident_count_matches_the_filter(demo, default):
    inc = demo["incidents"]
    expected = inc[(inc["time"] >= default.period.start) & (inc["time"] < default.period.end)
                   & inc["country"].isin(["AFG", "BGD", "BTN", "IND", "MDV", "NPL", "PAK",
                                          "LKA"])]
    assert default.key_figures["incidents"] == len(expected)
    assert default.incidents["border_km"].notna().all()


def test_region_filter_changes_figures(demo, default):
    pak = situation_summary(demo, Filters(region=parse_region("PAK", demo["boundaries"])))
    assert pak.region_label == "PAK"
    assert pak.key_figures["people_exposed_cyclone"] == 0
    assert pak.key_figures["people_exposed_flood"] == default.key_figures["people_exposed_flood"]
    assert set(pak.incidents["country"]) == {"PAK"}
    assert pak.alerts["id"].tolist() == ["GDACS:FL9000001"]
    assert pak.cyclones.empty


def test_corridor_and_categories(demo):
    region = parse_region("border:AFG-PAK:25km", demo["boundaries"])
    view = situation_summary(demo, Filters(region=region, categories=("explosion/IED",)))
    assert set(view.incidents["category"].astype(str)) == {"explosion/IED"}
    assert (view.incidents["border_km"] <= 26).all()
    assert view.key_figures["people_exposed_flood"] == 0


def test_a_first_summary_without_incidents_asks_no_lookups_it_cannot_answer(demo):
    """Incidents switched off in a new process: nothing to look up, no error."""
    from geo.kept import forget_all

    forget_all()
    view = situation_summary(demo, Filters(hazards=frozenset({"flood"})))
    assert view.incidents.empty and view.hotspot_cells.empty
    assert "incidents" not in view.areas


def test_empty_period_gives_zeros_not_errors(demo):
    view = situation_summary(demo, Filters(period=Period.of_days("2020-01-01", "2020-01-31")))
    assert view.key_figures["incidents"] == 0 and view.incidents.empty
    assert view.top_hotspots.empty and view.alerts.empty and view.cyclones.empty
    assert view.key_figures["displaced"] == 0


def test_cyclone_summary(default):
    storm = default.cyclones.iloc[0]
    assert storm["name"] == "DEMO" and storm["max_wind_kt"] == 105
    assert storm["landfall_country"] == "BGD"
    assert pd.Timestamp("2026-09-26T06:00Z") < storm["landfall_time"] < pd.Timestamp(
        "2026-09-26T12:00Z")
    assert set(default.swaths["threshold_kt"]) == {34, 50, 64}
    people = default.swaths.set_index("threshold_kt")["people_exposed"]
    assert people[34] > people[50] > people[64] > 0


def test_sources_listed_with_demo_flag(default):
    sources = default.sources.set_index("layer")
    assert sources.loc["incidents", "demo"] and not sources.loc["boundaries", "demo"]


def test_hazards_can_be_switched_off(demo):
    view = situation_summary(demo, Filters(hazards=frozenset({"incidents"})))
    assert view.key_figures["people_exposed_flood"] == 0
    assert view.key_figures["active_alerts"] == 0 and view.key_figures["displaced"] == 0
    assert view.key_figures["incidents"] > 0


def test_admin_areas_get_their_own_table(demo):
    import geopandas as gpd
    import shapely

    from data_sources.scenario import with_results
    from data_sources.validate import conform
    from model.schema import ReadResult

    # The demo flood reaches 29.4 N at most: all of it lies in the first box.
    boxes = [shapely.box(66.5, 23.5, 71.2, 29.6), shapely.box(69.3, 29.6, 75.4, 34.0)]
    admin = conform("boundaries", {"admin_level": pd.Series([1, 1]),
                                   "iso3": pd.Series(["PAK", "PAK"]),
                                   "code": pd.Series(["PK2", "PK3"]),
                                   "name": pd.Series(["Sindh", "Punjab"]),
                                   "source": pd.Series(["test", "test"])}, boxes)
    scenario = with_results(demo, [("adm1", ReadResult("boundaries", "vector", "x", admin))])
    # Pakistan's own areas: the two boxes replaced the shipped provinces.
    region = countries_region(scenario["boundaries"], ["PAK"])
    view = situation_summary(scenario, Filters(region=region))
    table = view.admin_areas.set_index("code")
    assert list(table.index[:2]) == ["PK2", "PK3"] and len(table) == 3
    # The flood is in Sindh: the admin table puts it there, and it matches Pakistan's
    # figure in the country table up to the flood cells outside both boxes.
    assert table.loc["PK2", "people_exposed_flood"] > 0.9 * view.key_figures[
        "people_exposed_flood"]
    assert table.loc["PK3", "people_exposed_flood"] == 0
    # The boxes as the region clips them: Pakistan's shape, not India's provinces.
    inside = gpd.GeoSeries(boxes, crs="EPSG:4326").union_all().intersection(
        region.geometry)
    expected = int(view.incidents.geometry.intersects(inside).sum())
    assert table["incidents"].iloc[:2].sum() == expected


def test_a_wind_time_step_gives_the_people_within_each_radius_then(demo):
    """At a time step: fewer people within 64 kt than 50 kt than 34 kt, and
    never more than the whole swath of the same threshold."""
    import pandas as pd

    from model.situation import Filters

    view = situation_summary(demo, Filters(wind_time=pd.Timestamp("2026-09-26 12:00",
                                                                  tz="UTC")))
    step = view.storm_step.set_index("threshold_kt")
    assert list(step.index) == [34, 50, 64]
    people = step["people_exposed"]
    assert people[34] >= people[50] >= people[64] > 0
    swath = view.swaths.set_index("threshold_kt")["people_exposed"]
    assert (people <= swath.reindex(people.index)).all()
    assert situation_summary(demo).storm_step.empty  # no step chosen: none


def test_minimum_needs_of_the_displaced_per_area(demo, tmp_path):
    """Sphere's minimums by default; a country's own figures where given (the
    other figures stay Sphere's); each row says which standard it used."""
    import json

    from model.needs import SPHERE, MinimumNeeds, needs_for, parse_needs

    assert needs_for(1000, MinimumNeeds()) == {
        "water_l_per_day": 15_000, "food_kcal_per_day": 2.1, "shelter_m2": 3_500,
        "toilets": 50, "soap_kg_per_month": 250}
    assert needs_for(1001, MinimumNeeds())["toilets"] == 51  # whole toilets
    view = situation_summary(demo)
    pak = view.needs.set_index("iso3").loc["PAK"]
    assert pak["displaced"] == 1_139_390 and pak["water_l_per_day"] == 17_090_850
    assert pak["standard"] == SPHERE
    path = tmp_path / "needs.json"
    path.write_text(json.dumps({"BGD": {"water_l_per_day": 20, "standard": "BGD DDM 2024"}}))
    needs = parse_needs(path)
    own = situation_summary(demo, needs=needs).needs.set_index("iso3")
    assert own.loc["BGD", "water_l_per_day"] == 216_430 * 20
    assert own.loc["BGD", "shelter_m2"] == 216_430 * 3.5 and own.loc["BGD", "standard"] == \
        "BGD DDM 2024"
    assert own.loc["PAK", "standard"] == SPHERE


@pytest.mark.parametrize("doc, reason", [
    ({"BGD": {"water": 20}}, "BGD.water: unknown"),
    ({"BGD": {"water_l_per_day": -1}}, "BGD.water_l_per_day: must be a positive number"),
    ({"default": {"shelter_m2": "lots"}}, "default.shelter_m2: must be a positive number"),
    ([1, 2], "must be an object"),
])
def test_a_bad_minimum_needs_file_names_the_key_and_why(tmp_path, doc, reason):
    import json

    from model.needs import NeedsError, parse_needs

    path = tmp_path / "needs.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(NeedsError, match=reason) as caught:
        parse_needs(path)
    assert str(path) in str(caught.value)


def test_figures_do_not_depend_on_what_was_computed_before(demo):
    """Exposure, people under the swaths and the provinces clipped to their
    country are kept per country, borders and swaths per input: a region computed
    after another gives exactly the figures it gives on its own, and the people
    under each swath added country by country are those of all areas at once."""
    from geo import summary as module
    from geo.kept import forget_all

    def filters(codes):
        return Filters(region=countries_region(demo["boundaries"], codes),
                       wind_time=pd.Timestamp("2026-09-26 12:00", tz="UTC"))

    seven = [code for code in SAARC_ISO3 if code != "NPL"]
    forget_all()
    alone = situation_summary(demo, filters(seven))
    situation_summary(demo, filters(list(SAARC_ISO3)))
    after = situation_summary(demo, filters(seven))
    assert alone.key_figures == after.key_figures
    pd.testing.assert_frame_equal(alone.areas, after.areas)
    pd.testing.assert_frame_equal(alone.admin_areas, after.admin_areas)
    for part in ("swaths", "storm_step"):
        people = getattr(alone, part)["people_exposed"]
        assert people.sum() > 0 and people.tolist() == getattr(after, part)[
            "people_exposed"].tolist()
    at_once = module._swath_people(after.swaths, demo["population"], after.area_shapes)
    assert at_once.tolist() == after.swaths["people_exposed"].tolist()
    for part in ("cyclones", "swaths", "tracks", "top_hotspots", "displacement_records"):
        pd.testing.assert_frame_equal(getattr(alone, part), getattr(after, part))


def test_a_regions_storms_are_those_its_own_tracks_give(demo):
    """The period's storms are worked out once, storm by storm: a region's
    storms, swaths and landfalls are what its storms' tracks alone give."""
    from geo import cyclones

    view = situation_summary(demo, Filters(region=countries_region(demo["boundaries"],
                                                                   ["BGD", "IND"])))
    assert len(view.cyclones) == 1
    swaths = cyclones.wind_swaths(view.tracks)
    pd.testing.assert_frame_equal(view.swaths.drop(columns="people_exposed"), swaths)
    land = cyclones.landfall(view.tracks, view.countries)
    assert view.cyclones["landfall_country"].tolist() == land["country"].tolist() == ["BGD"]
    assert view.cyclones["landfall_time"].tolist() == land["time"].tolist()


@pytest.mark.slow
def test_summaries_made_at_once_in_several_threads_equal_those_made_one_by_one(demo):
    """Sessions of a hub ask for summaries at once (threads of one process, GDAL
    rasterising in each; rasterio may warn "no geotransform" then): every figure
    is the one a lone computation gives."""
    import threading

    from geo.kept import forget_all

    choices = [["PAK"], ["BGD", "IND"], ["AFG", "PAK"], ["NPL", "BTN", "IND"]]

    def figures(codes):
        view = situation_summary(demo, Filters(region=countries_region(demo["boundaries"],
                                                                       codes)))
        return view.key_figures, view.areas, view.admin_areas, view.swaths["people_exposed"]

    forget_all()
    alone = [figures(codes) for codes in choices]
    forget_all()
    together: dict[int, tuple] = {}
    threads = [threading.Thread(target=lambda i=i: together.__setitem__(i, figures(choices[i])))
               for i in range(len(choices)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, (key, areas, admin, swath) in enumerate(alone):
        assert together[i][0] == key
        pd.testing.assert_frame_equal(together[i][1], areas)
        pd.testing.assert_frame_equal(together[i][2], admin)
        assert together[i][3].tolist() == swath.tolist()


def test_what_each_incident_gives_is_looked_up_as_a_fresh_join_finds_it(demo):
    """Each incident's country outline, nearest border, H3 cell and province are
    worked out once for the scenario's table and looked up for every region:
    the same as joining that region's incidents afresh."""
    import numpy as np
    import shapely

    from geo.hotspots import hotspots
    from geo.join import area_index, join_areas
    from geo.kept import forget_all
    from geo.regions import finest_areas

    forget_all()
    boundaries = demo["boundaries"]
    situation_summary(demo)  # the table's lookups made for all eight countries
    region = countries_region(boundaries, ["AFG", "PAK"])
    view = situation_summary(demo, Filters(region=region))
    joined = ["area_code", "area_name", "border_pair", "border_km"]
    countries = boundaries[boundaries["admin_level"] == 0].reset_index(drop=True)
    again, _ = join_areas(view.incidents.drop(columns=joined), countries, view.borders)
    pd.testing.assert_frame_equal(again[joined], view.incidents[joined])

    incidents = demo["incidents"]
    pool = incidents[incidents["country"].isin(["AFG", "PAK"])]
    fresh = hotspots(pool, view.filters.h3_res, period=view.period,
                     trend_days=view.filters.trend_days)
    pd.testing.assert_frame_equal(pd.DataFrame(fresh.drop(columns="geometry")),
                                  pd.DataFrame(view.hotspot_cells.drop(columns="geometry")))

    shapes = dict(region.parts)
    admin = finest_areas(boundaries, admin_only=True)
    admin = admin[admin["iso3"].isin(list(shapes))].copy()
    admin["geometry"] = shapely.intersection(admin.geometry.values,
                                             [shapes[c] for c in admin["iso3"]])
    admin = admin[~admin.geometry.is_empty].reset_index(drop=True)
    idx = area_index(view.incidents.geometry, admin)
    counts = np.bincount(idx + 1, minlength=len(admin) + 1)
    assert view.admin_areas["incidents"].tolist() == np.roll(counts, -1).tolist()


@pytest.mark.parametrize("codes", [("PAK",), ("IND", "BGD"), ("AFG", "PAK", "LKA")])
@pytest.mark.parametrize("days", [30, 90])
def test_a_regions_displacement_from_the_whole_tables_figures_equals_its_own(demo, codes, days):
    """Countries' figures are taken from the whole table's (kept per period):
    the same as the figures of the region's own records."""
    from geo.displacement import period_figures
    from geo.summary import _displacement

    table = demo["displacement"]
    region = countries_region(demo["boundaries"], list(codes))
    period = Period.ending(demo.as_of, days=days)
    own = table[table["country"].isin(codes)]
    current, previous = _displacement(table, region, period, True)
    assert len(current)  # the DEMO's records are of Pakistan and Bangladesh
    for got, span in ((current, period), (previous, period.before())):
        assert set(got["country"]) <= set(codes)
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(period_figures(own, span)))


def test_each_figure_names_its_sources_their_oldest_update_and_any_demo(default):
    """A real flood map beside the DEMO population: the flood figure names both,
    says DEMO, and is as old as the older of the two (a time without a zone is UTC)."""
    import dataclasses

    sources = pd.DataFrame({
        "layer": ["flood", "population", "incidents", "alerts", "displacement", "tracks"],
        "source": ["UNOSAT flood extent", "DEMO population surface", "BSF incident log",
                   "GDACS", "IOM DTM", "JTWC"],
        "updated": [pd.Timestamp("2026-09-30 06:00", tz="UTC"),
                    pd.Timestamp("2026-09-29 12:00"), pd.Timestamp("2026-09-30 10:00+05:30"),
                    None, pd.NaT, pd.Timestamp("2026-09-28 00:00", tz="UTC")],
        "demo": [False, True, False, False, False, False]})
    summary = dataclasses.replace(default, sources=sources)
    assert summary.figure_sources("people_exposed_flood") == (
        "UNOSAT flood extent; DEMO population surface (DEMO)", "2026-09-29 12:00 UTC")
    assert summary.figure_uses_demo("people_exposed_flood")
    assert summary.figure_sources("incidents") == ("BSF incident log", "2026-09-30 04:30 UTC")
    assert not summary.figure_uses_demo("incidents")
    assert summary.figure_sources("active_alerts") == ("GDACS", "reference data")
    assert summary.figure_sources("people_exposed_cyclone") == (
        "DEMO population surface (DEMO); JTWC", "2026-09-28 00:00 UTC")  # in the table's order


def test_details_are_worked_out_once_for_all_readers_at_once():
    """Sessions reading a summary's details at the same moment wait for one
    computation; a failure reaches each reader and the next read tries again."""
    import threading
    import time

    from model.situation import Later

    calls = []

    def make():
        calls.append(1)
        time.sleep(0.05)
        return "details"

    later = Later(make)  # type: ignore[arg-type]
    results = []
    readers = [threading.Thread(target=lambda: results.append(later.get())) for _ in range(8)]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    assert results == ["details"] * 8 and len(calls) == 1

    attempts = []

    def failing():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("store unreachable")
        return "details"

    later = Later(failing)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="unreachable"):
        later.get()
    assert later.get() == "details" and len(attempts) == 2
