"""Rules, versioned in a TOML file. Each ``[[rule]]`` names its kind, the member
states it watches, its thresholds and what a warning from it says (CAP
severity, urgency, certainty, response type) and who receives it (TLP and
distribution, as for data)::

    version = 3

    [[rule]]
    id = "incident-surge"
    kind = "incident_surge"
    countries = ["AFG", "PAK"]
    days = 7            # the recent window
    baseline_weeks = 4  # compared with the same window in each of the weeks before
    p_value = 0.01      # Poisson test: a rise this unlikely by chance
    min_count = 5
    severity = "Severe"
    urgency = "Expected"
    certainty = "Likely"
    response = "Monitor"
    tlp = "TLP:AMBER"
    share = "members"

Kinds: ``hazard_alert`` (an alert of ``min_level`` or higher from any source),
``incident_surge`` (a rise of incidents per country, Poisson test against the
same window in the weeks before), ``displacement_jump`` (a country's displaced
people up by ``min_ratio`` and ``min_people`` against the window before),
``exposure`` (at least ``min_people`` in a country live where the ``hazard``,
flood depth in m or cyclone wind in kt, reaches ``threshold``; from the exposure
engine, over what the hazard raster says up to that moment).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from model.access import check_marking, parse_share, tlp_level
from model.schema import ALERT_LEVELS, SAARC_ISO3

KINDS: dict[str, dict[str, type]] = {
    "hazard_alert": {"min_level": str},
    "incident_surge": {"days": int, "baseline_weeks": int, "p_value": float, "min_count": int},
    "displacement_jump": {"days": int, "min_ratio": float, "min_people": int},
    "exposure": {"hazard": str, "threshold": float, "min_people": int},
}
HAZARD_LAYERS = {"flood": "flood", "cyclone": "wind"}  # an exposure rule's hazard -> layer
DEMO_RULES = Path(__file__).resolve().parent / "rules" / "demo.toml"
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
RESPONSES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess",
             "AllClear", "None")


class RuleError(ValueError):
    """A rules file that cannot be used: which rule, which field, why."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    countries: tuple[str, ...]
    params: dict = field(hash=False)
    severity: str = "Severe"
    urgency: str = "Expected"
    certainty: str = "Likely"
    response: str = "Monitor"
    tlp: str = "TLP:CLEAR"
    share: str = "public"
    clear_after: int = 2  # evaluations without the condition before the warning is cancelled


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    path: str


def _choice(where: str, name: str, value, allowed) -> str:
    if value not in allowed:
        raise RuleError(f"{where}: {name} '{value}' is not one of {', '.join(allowed)}")
    return value


def load_rules(path: str | Path) -> RuleSet:
    """Read and check a rules file; every problem names the rule and field."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot be read as TOML ({exc})") from None
    version = raw.get("version")
    if not isinstance(version, int):
        raise RuleError(f"{path}: 'version = N' (an integer) is required: rules are versioned")
    rules, seen = [], set()
    for n, spec in enumerate(raw.get("rule", []), start=1):
        where = f"{path.name}, rule {spec.get('id') or n}"
        rule_id, kind = str(spec.get("id") or ""), spec.get("kind")
        if not rule_id or rule_id in seen:
            raise RuleError(f"{where}: every rule needs an id of its own")
        seen.add(rule_id)
        _choice(where, "kind", kind, tuple(KINDS))
        countries = tuple(str(c).upper() for c in spec.get("countries", SAARC_ISO3))
        for c in countries:
            _choice(where, "country", c, SAARC_ISO3)
        params = {}
        for name, kind_of in KINDS[kind].items():
            if name not in spec:
                raise RuleError(f"{where}: '{name}' is required for a {kind} rule")
            try:
                params[name] = kind_of(spec[name])
            except (TypeError, ValueError):
                raise RuleError(f"{where}: '{name}' must be a {kind_of.__name__}") from None
        if kind == "hazard_alert":
            _choice(where, "min_level", params["min_level"], ALERT_LEVELS)
        if kind == "exposure":
            _choice(where, "hazard", params["hazard"], tuple(HAZARD_LAYERS))
        try:
            tlp, share = tlp_level(spec.get("tlp", "TLP:CLEAR")), \
                parse_share(spec.get("share", "public"))
            check_marking(tlp, share)
        except ValueError as exc:
            raise RuleError(f"{where}: {exc}") from None
        if share in ("agency", "country"):  # a rule belongs to the node, not to one agency
            raise RuleError(f"{where}: a rule's warnings go to 'public', 'members' or a "
                            "'group:NAME'")
        rules.append(Rule(
            rule_id, kind, countries, params,
            _choice(where, "severity", spec.get("severity", "Severe"), SEVERITIES),
            _choice(where, "urgency", spec.get("urgency", "Expected"), URGENCIES),
            _choice(where, "certainty", spec.get("certainty", "Likely"), CERTAINTIES),
            _choice(where, "response", spec.get("response", "Monitor"), RESPONSES),
            tlp, share, int(spec.get("clear_after", 2))))
    if not rules:
        raise RuleError(f"{path}: no [[rule]] in the file")
    return RuleSet(version, tuple(rules), str(path))
