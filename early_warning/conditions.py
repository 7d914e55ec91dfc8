"""Each rule, evaluated on a scenario at one moment: a ``Finding`` per area it
watches that meets its condition, with the figures and the reason in words."""

from __future__ import annotations

from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd
import shapely
from scipy.special import gammainc  # scipy.stats would add 0.9 s to every start

from geo.cyclones import swath_exposure, wind_swaths
from geo.displacement import period_figures
from geo.exposure import ExposureError, exposure
from geo.hotspots import h3_cells
from geo.views import as_seen
from model.i18n import N_, Phrase, joined
from model.period import Period
from model.scenario import Layer, Scenario
from model.schema import ALERT_LEVELS

from .rules import Rule

# The hazard as the middle of a sentence says it ("where the flood reaches 0.5 m").
HAZARD_WORDS = {"flood": N_("flood"), "cyclone": N_("cyclone")}


@dataclass(frozen=True)
class Finding:
    rule: Rule
    key: str  # the area (ISO3) or event (alert id) the condition holds for
    area: str  # in words, for the warning's areaDesc
    geometry: shapely.Geometry | None
    figures: dict = field(hash=False)
    # Why, in catalogue messages: English in the log, each language in CAP.
    explanation: tuple[Phrase, ...] = ()
    hazard: str = "other"
    demo: bool = False

    @property
    def reason(self) -> str:
        return joined(self.explanation, in_english=True)


def evaluate(rule: Rule, scenario: Scenario, at: pd.Timestamp, *,
             scheduler: str | None = None) -> list[Finding]:
    """The findings of ``rule`` at time ``at`` (UTC): only records dated up to
    ``at`` count, so a replay sees what was known then. ``scheduler``: a
    dask.distributed scheduler address the exposure rules compute on (figures
    identical to this machine's)."""
    if rule.kind == "exposure":
        return _exposures(rule, scenario, at, scheduler)
    return {"hazard_alert": _hazard_alerts, "incident_surge": _incident_surges,
            "displacement_jump": _displacement_jumps}[rule.kind](rule, scenario, at)


def _boundaries(scenario: Scenario):
    """The boundaries' own outlines (warnings follow no member state's view)."""
    return as_seen(scenario, None)["boundaries"]


def _countries(scenario: Scenario) -> dict[str, tuple[str, shapely.Geometry]]:
    b = _boundaries(scenario)
    level0 = b[b["admin_level"] == 0]
    return {str(r.iso3): (str(r.name), r.geometry) for r in level0.itertuples()}


def _hazard_alerts(rule: Rule, scenario: Scenario, at: pd.Timestamp) -> list[Finding]:
    alerts = scenario["alerts"]
    rank = {level: n for n, level in enumerate(ALERT_LEVELS)}
    minimum = rank[rule.params["min_level"]]
    level = alerts["alert_level"].astype(str).map(rank)
    active = (alerts["start"] <= at) & (alerts["end"].isna() | (alerts["end"] > at)) & \
        (level >= minimum)
    watched = alerts["countries"].fillna("").astype(str).apply(
        lambda text: bool(set(text.split(";")) & set(rule.countries)))
    out = []
    for a in alerts[active & watched].itertuples():
        out.append(Finding(
            rule, str(a.id), str(a.countries), a.geometry,
            {"alert_level": str(a.alert_level), "source": str(a.source),
             "severity_value": None if pd.isna(a.severity_value) else float(a.severity_value)},
            (Phrase(N_("{source} raised a {level} {hazard} alert ({headline})"),
                    {"source": str(a.source), "level": str(a.alert_level),
                     "hazard": str(a.hazard), "headline": str(a.headline)}),
             Phrase(N_("the rule warns from level {level}"),
                    {"level": str(rule.params["min_level"])})),
            str(a.hazard), bool(a.demo)))
    return out


def _incident_surges(rule: Rule, scenario: Scenario, at: pd.Timestamp) -> list[Finding]:
    """Per country, or per H3 cell with ``h3_resolution``: the incidents of the
    last ``days`` against the mean of the same window in each of the
    ``baseline_weeks`` weeks before, by a Poisson test. Cells are many tests at
    once: each is held to ``p_value`` divided by the number of cells with recent
    incidents (Bonferroni), and the explanation says so."""
    p = rule.params
    incidents = scenario["incidents"]
    selected = incidents["country"].isin(rule.countries).to_numpy()
    times = incidents["time"][selected]
    res = p.get("h3_resolution")
    if res is None:
        codes, uniques = pd.factorize(incidents["country"][selected])
        names = [str(u) for u in uniques]
    else:
        codes, uniques = pd.factorize(h3_cells(incidents.geometry[selected], res))
        names = [h3.int_to_str(int(u)) for u in uniques]
    recent_period = Period(at - pd.Timedelta(days=p["days"]), at)

    def counts(period: Period) -> pd.Series:
        inside = codes[period.contains(times).to_numpy()]
        return pd.Series(np.bincount(inside, minlength=len(names)), index=names, dtype=int)

    recent = counts(recent_period)
    before = [counts(Period(recent_period.start - pd.Timedelta(weeks=k),
                            recent_period.end - pd.Timedelta(weeks=k)))
              for k in range(1, p["baseline_weeks"] + 1)]
    tests = int((recent > 0).sum()) if res is not None else 1
    threshold = p["p_value"] / max(tests, 1)
    places = _countries(scenario)
    out = []
    for unit in (rule.countries if res is None else sorted(recent.index[recent > 0])):
        count = int(recent.get(unit, 0))
        expected = float(np.mean([int(b.get(unit, 0)) for b in before]))
        # P(X >= count) under Poisson(expected): how unlikely the rise is by chance;
        # for count >= 1 that is the regularised lower incomplete gamma P(count, expected).
        if expected > 0:
            chance = float(gammainc(count, expected)) if count > 0 else 1.0
        else:
            chance = 0.0 if count else 1.0
        if count < p["min_count"] or chance >= threshold:
            continue
        in_unit = codes == names.index(unit)  # a rise has incidents: the unit is named
        if res is None:
            name, geometry = places.get(unit, (unit, None))
            key = unit
        else:
            country = str(incidents["country"].to_numpy()[selected][in_unit][0])
            name = f"H3 cell {unit} ({places.get(country, (country, None))[0]})"
            geometry = shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(unit)])
            key = f"h3:{unit}"
        demo = incidents["demo"].to_numpy()[selected][in_unit]
        why = [Phrase(N_("{count} border incidents in {area} in the {days} days to {time} UTC "
                         "against {expected} expected (the mean of the same {days} days in "
                         "each of the {weeks} weeks before)"),
                      {"count": int(count), "area": name, "days": int(p["days"]),
                       "time": f"{at:%Y-%m-%d %H:%M}", "expected": round(float(expected), 1),
                       "weeks": int(p["baseline_weeks"])}),
               Phrase(N_("Poisson test p = {p} < {threshold}"),
                      {"p": f"{chance:.2g}", "threshold": f"{threshold:.2g}"})]
        if res is not None:
            why.append(Phrase(N_("Bonferroni: {p} / {cells} cells with recent incidents"),
                              {"p": f"{p['p_value']:g}", "cells": int(tests)}))
        out.append(Finding(
            rule, key, name, geometry,
            {"incidents": count, "expected": round(expected, 2), "p_value": chance},
            tuple(why), "other", bool(demo.any()) if len(demo) else scenario.demo))
    return out


def _displacement_jumps(rule: Rule, scenario: Scenario, at: pd.Timestamp) -> list[Finding]:
    """Per country, or per country and source with ``per_source`` (IOM DTM and
    IDMC count differently: a jump in one is not diluted by the other)."""
    p = rule.params
    displacement = scenario["displacement"]
    now = Period(at - pd.Timedelta(days=p["days"]), at)
    places = _countries(scenario)
    per_source = bool(p.get("per_source"))
    by = ["country", "source"] if per_source else ["country"]

    def figures(period: Period) -> dict[tuple, int]:
        sums = period_figures(displacement, period).groupby(by)["figure"].sum()
        return {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in sums.items()}

    current, previous = figures(now), figures(now.before())
    units = sorted(u for u in current if u[0] in rule.countries) if per_source else \
        [(c,) for c in rule.countries]
    out = []
    for unit in units:
        iso3, source = unit[0], (unit[1] if per_source else None)
        cur, prev = current.get(unit, 0), previous.get(unit, 0)
        if cur - prev < p["min_people"] or cur < prev * p["min_ratio"]:
            continue
        name, geometry = places.get(iso3, (iso3, None))
        said = {"count": int(cur), "area": name, "days": int(p["days"]),
                "date": f"{at:%Y-%m-%d}", "before": int(prev), "source": source}
        out.append(Finding(
            rule, f"{iso3}:{source}" if source else iso3, name + (f" ({source})" if source
                                                                 else ""),
            geometry, {"displaced": cur, "before": prev},
            (Phrase(N_("{count} people displaced in {area} according to {source} in the {days} "
                       "days to {date} against {before} in the {days} days before") if source
                    else N_("{count} people displaced in {area} in the {days} days to {date} "
                            "against {before} in the {days} days before"), said),
             Phrase(N_("the rule warns from a rise of {people} and ×{ratio}"),
                    {"people": int(p["min_people"]), "ratio": float(p["min_ratio"])})),
            "other", bool(displacement["demo"].any()) if len(displacement) else scenario.demo))
    return out


def _exposures(rule: Rule, scenario: Scenario, at: pd.Timestamp,
               scheduler: str | None = None) -> list[Finding]:
    """People where the hazard reaches the threshold, per country: a raster with
    time steps counts the steps up to ``at`` (the swath so far); one without
    counts from its layer's update time. A cyclone rule also counts the people
    under the swath of the storms' forecast positions (ATCF a-decks), from
    their last observed position on: the condition holds when either count
    reaches ``min_people``."""
    p = rule.params
    if "population" not in scenario.layers:
        return []
    b = _boundaries(scenario)
    areas = b[(b["admin_level"] == 0) & b["iso3"].isin(rule.countries)][["iso3", "name",
                                                                          "geometry"]]
    names = dict(zip(areas["iso3"], areas["name"], strict=True))
    unit = "m" if p["hazard"] == "flood" else "kt"
    observed, layer = _raster_exposure(rule, scenario, at, areas, scheduler)
    ahead = _forecast_exposure(rule, scenario, at, areas) if p["hazard"] == "cyclone" else {}
    out = []
    for iso3 in [a for a in names if a in observed or a in ahead]:
        people, km2 = observed.get(iso3, (0, 0.0))
        later, later_km2 = ahead.get(iso3, (0, 0.0))
        if max(people, later) < p["min_people"]:
            continue
        figures: dict = {}
        reasons = []
        if iso3 in observed:
            figures.update(people_exposed=people, hazard_km2=round(km2, 1))
            reasons.append(Phrase(
                N_("{people} people in {area} live where the {hazard} reaches {threshold} "
                   "{unit} ({km2} km², {source})"),
                {"people": int(people), "area": names[iso3],
                 "hazard": Phrase(HAZARD_WORDS.get(p["hazard"], p["hazard"])),
                 "threshold": float(p["threshold"]), "unit": unit, "km2": int(round(km2)),
                 "source": layer.source if layer else ""}))
        if iso3 in ahead:
            figures.update(people_in_forecast_swath=later, forecast_km2=round(later_km2, 1))
            reasons.append(Phrase(
                N_("{people} people in {area} live under the forecast swath of {threshold} kt "
                   "winds ({km2} km², forecast track positions)"),
                {"people": int(later), "area": names[iso3], "threshold": float(p["threshold"]),
                 "km2": int(round(later_km2))}))
        geometry = areas.loc[areas["iso3"] == iso3, "geometry"].iloc[0]
        demo = (layer.demo if layer is not None and iso3 in observed else False) or \
            (iso3 in ahead and bool(scenario["tracks"]["demo"].any()))
        out.append(Finding(
            rule, str(iso3), names[iso3], geometry, figures,
            (*reasons, Phrase(N_("the rule warns from {people}"),
                              {"people": int(p["min_people"])})),
            p["hazard"], demo))
    return out


def _raster_exposure(rule: Rule, scenario: Scenario, at: pd.Timestamp, areas,
                     scheduler: str | None = None
                     ) -> tuple[dict[str, tuple[int, float]], Layer | None]:
    """(people, km²) per country from the rule's raster layer, as known at ``at``."""
    p = rule.params
    layer = scenario.layers.get(p["layer"])
    if layer is None:
        return {}, None
    raster = layer.data
    if "time" in raster.dims:
        known = raster["time"].values <= np.datetime64(at.tz_convert("UTC").tz_localize(None))
        if not known.any():
            return {}, layer
        raster = raster.isel(time=np.flatnonzero(known))
    elif layer.updated is not None and layer.updated > at:
        return {}, layer
    try:
        result = exposure(raster, p["threshold"], areas, "iso3",
                          population=scenario["population"], scheduler=scheduler)
    except ExposureError:  # the hazard does not reach these countries
        return {}, layer
    table = result.table.set_index("area")
    return {str(iso3): (int(round(row["people_exposed"])), float(row["hazard_km2"]))
            for iso3, row in table.iterrows() if iso3 in set(areas["iso3"])}, layer


def _forecast_exposure(rule: Rule, scenario: Scenario, at: pd.Timestamp, areas
                       ) -> dict[str, tuple[int, float]]:
    """(people, km²) per country under the swath of each storm's forecast
    positions, from its last observed position (at most a day old: an older one
    belongs to a storm no longer tracked) on, while the forecast still reaches
    past ``at``."""
    if "tracks" not in scenario.layers:
        return {}
    tracks = scenario["tracks"]
    seen = tracks[~tracks["forecast"] & (tracks["time"] <= at)
                  & (tracks["time"] >= at - pd.Timedelta(days=1))]
    last = seen.sort_values("time").groupby("storm_id").tail(1).set_index("storm_id")
    ahead = tracks[tracks["forecast"] & tracks["storm_id"].isin(last.index)]
    if ahead.empty:
        return {}
    ahead = ahead[ahead["time"] > ahead["storm_id"].map(last["time"])]
    running = set(ahead.loc[ahead["time"] > at, "storm_id"])
    if not running:
        return {}
    path = pd.concat([last.reset_index()[last.index.isin(running)],
                      ahead[ahead["storm_id"].isin(running)]])
    swaths = wind_swaths(path, thresholds=(int(rule.params["threshold"]),))
    table = swath_exposure(swaths, scenario["population"], areas, "iso3")
    table = table[table["area"].isin(areas["iso3"])].groupby("area")[
        ["people_exposed", "hazard_km2"]].sum()
    return {str(iso3): (int(round(row["people_exposed"])), float(row["hazard_km2"]))
            for iso3, row in table.iterrows()}
