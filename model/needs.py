"""Minimum needs of displaced people: what relief coordinators plan with.

Defaults are the Sphere Handbook's minimum standards (2018 edition): water for
drinking, cooking and personal hygiene, food energy, covered living space,
toilets and bathing soap. A country's own standards may replace any of them
(``SAMON_NEEDS_FILE``, see ``parse_needs``), as InaSAFE lets an agency set its
minimum needs; every figure says which standard it was computed with.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .i18n import N_, _

SPHERE = "Sphere Handbook 2018 minimum standards"


class NeedsError(ValueError):
    """A minimum-needs file that cannot be used (which file, key and why)."""


@dataclass(frozen=True)
class MinimumNeeds:
    """Per displaced person."""

    water_l_per_day: float = 15.0  # Sphere water supply standard 2.1
    food_kcal_per_day: float = 2100.0  # Sphere food security standard 6.1
    shelter_m2: float = 3.5  # covered living space, Sphere shelter standard 3
    people_per_toilet: float = 20.0  # Sphere excreta management standard 3.2
    soap_g_per_month: float = 250.0  # bathing soap, Sphere hygiene standard 1.3
    standard: str = SPHERE


# The columns of a table of needs, with their labels and units.
NEEDS_COLUMNS = {
    "water_l_per_day": N_("Water (litres a day)"),
    "food_kcal_per_day": N_("Food (million kcal a day)"),
    "shelter_m2": N_("Covered living space (m²)"),
    "toilets": N_("Toilets"),
    "soap_kg_per_month": N_("Bathing soap (kg a month)"),
}


def needs_for(displaced: float, rates: MinimumNeeds) -> dict[str, float]:
    """The needs of ``displaced`` people at ``rates``, in the units of NEEDS_COLUMNS."""
    return {
        "water_l_per_day": displaced * rates.water_l_per_day,
        "food_kcal_per_day": displaced * rates.food_kcal_per_day / 1e6,
        "shelter_m2": displaced * rates.shelter_m2,
        "toilets": math.ceil(displaced / rates.people_per_toilet) if displaced > 0 else 0,
        "soap_kg_per_month": displaced * rates.soap_g_per_month / 1000,
    }


def needs_note(standards) -> str:
    """What a table of needs computed with ``standards`` (the rows' "standard"
    values) says of itself: the same sentence in the dashboard and every report."""
    named = "; ".join(dict.fromkeys(standards)) or _("no displacement")
    return _("Minimum needs of the people displaced in each area, per day unless said "
             "otherwise ({standards}): for planning relief, not an assessment of what has "
             "been delivered.", standards=named)


def no_needs_text(displacement_on: bool) -> str:
    """Why a table of needs is empty, in the language in use."""
    return (_("No displacement in this selection.") if displacement_on
            else _("Displacement is switched off in this selection."))


def parse_needs(path: Path) -> dict[str, MinimumNeeds]:
    """Per-country minimum needs from a JSON file: {"default": {...}, "BGD": {...}};
    each object names some of MinimumNeeds' fields (and its "standard"); what it
    leaves out is the default's (Sphere unless "default" says otherwise)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NeedsError(f"{path}: cannot be read as JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise NeedsError(f"{path}: must be an object of country code -> needs")
    known = [f.name for f in fields(MinimumNeeds)]
    out: dict[str, MinimumNeeds] = {}
    base = MinimumNeeds()
    for key in ["default", *sorted(k for k in doc if k != "default")]:
        if key not in doc:
            continue
        values = doc[key]
        if not isinstance(values, dict):
            raise NeedsError(f"{path}: {key}: must be an object")
        for name, value in values.items():
            if name not in known:
                raise NeedsError(f"{path}: {key}.{name}: unknown; use one of {', '.join(known)}")
            if name == "standard":
                if not isinstance(value, str) or not value.strip():
                    raise NeedsError(f"{path}: {key}.standard: must name the standard")
            elif not isinstance(value, int | float) or isinstance(value, bool) or \
                    not math.isfinite(value) or value <= 0:
                raise NeedsError(f"{path}: {key}.{name}: must be a positive number, "
                                 f"not {value!r}")
        start = base if key == "default" else out.get("default", base)
        rates = replace(start, **values)
        if key != "default" and "standard" not in values and len(values):
            rates = replace(rates, standard=f"{start.standard}, with {key}'s own figures")
        out[key] = rates
    out.setdefault("default", base)
    return out
