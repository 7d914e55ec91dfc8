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

A rule may say what its warnings tell people to do (``instruction``) and give
its words in other languages, one ``<info>`` each in the CAP message; languages
named in ``languages`` get an ``<info>`` written from the interface's catalogues
(event, headline, the reasons with their figures)::

    instruction = "Move to a cyclone shelter."
    languages = ["ur"]
    [rule.text.bn]
    event = "ঘূর্ণিঝড়ের প্রভাব"
    headline = "ঘূর্ণিঝড়ের প্রভাব: {area}"
    instruction = "ঘূর্ণিঝড় আশ্রয়কেন্দ্রে যান।"

Recipients: who is sent the warnings they may receive (the sharing rules
decide, as for data: a recipient is treated as a user of its agency), by
e-mail and/or webhook, and whom to tell when they have not acknowledged a
warning in time::

    [[recipient]]
    id = "bgd-ddm"
    agency = "DEMO-BGD"
    country = "BGD"
    email = "duty@ddm.example"
    webhook = "https://ddm.example/hooks/warnings"
    secret_env = "BGD_DDM_HOOK_SECRET"  # the webhook's HMAC key, from this variable
    escalate_after = "2h"
    escalate_to = ["ocha-duty"]

``mqtt_topic = "samon/warnings"`` (top level) publishes the public warnings
(TLP:CLEAR, shared with the public) on the node's MQTT broker.

Kinds: ``hazard_alert`` (an alert of ``min_level`` or higher from any source),
``incident_surge`` (a rise of incidents per country, or per H3 cell with
``h3_resolution``: a Poisson test against the same window in the weeks before),
``displacement_jump`` (a country's displaced people, or each source's with
``per_source = true``, up by ``min_ratio`` and ``min_people`` against the window
before),
``exposure`` (at least ``min_people`` in a country live where the ``hazard``,
flood depth in m or cyclone wind in kt, reaches ``threshold``; from the exposure
engine, over what the hazard raster says up to that moment; ``layer`` names
another raster layer than the scenario's "flood" or "wind", e.g. an added one).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from model import i18n
from model.access import Role, Viewer, check_marking, parse_share, tlp_level
from model.i18n import N_
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


class RuleError(i18n.Said, ValueError):
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
    instruction: str = ""
    # Other languages: language -> {"event", "headline", "instruction"}
    text: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)
    # Languages of the interface's catalogues the CAP message also speaks
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipient:
    id: str
    agency: str
    country: str
    groups: frozenset[str] = frozenset()
    email: str | None = None
    webhook: str | None = None
    secret_env: str | None = None
    escalate_after: pd.Timedelta | None = None
    escalate_to: tuple[str, ...] = ()

    @property
    def viewer(self) -> Viewer:
        """The recipient as the sharing rules see it: a user of its agency."""
        return Viewer(f"recipient {self.id}", agency=self.agency, country=self.country,
                      role=Role.viewer, groups=self.groups)


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    path: str
    recipients: tuple[Recipient, ...] = ()
    mqtt_topic: str | None = None

    def recipient(self, rid: str) -> Recipient | None:
        return next((r for r in self.recipients if r.id == rid), None)


def _choice(where: i18n.Phrase, name: str, value, allowed) -> str:
    if value not in allowed:
        raise RuleError(N_("{where}: {name} '{value}' is not one of {choices}"), where=where,
                        name=name, value=str(value), choices=", ".join(allowed))
    return value


def load_rules(path: str | Path) -> RuleSet:
    """Read and check a rules file; every problem names the rule and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(N_("{where}: cannot be read ({detail})"), where=str(path),
                        detail=str(exc)) from None
    return parse_rules(text, str(path))


def parse_rules(text: str, path: str) -> RuleSet:
    """Check the text of a rules file (``path`` names it in errors)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(N_("{where}: cannot be read as TOML ({detail})"), where=path,
                        detail=str(exc)) from None
    version = raw.get("version")
    if not isinstance(version, int):
        raise RuleError(N_("{where}: 'version = N' (an integer) is required: rules are "
                           "versioned"), where=path)
    rules, seen = [], set()
    for n, spec in enumerate(raw.get("rule", []), start=1):
        where = i18n.Phrase(N_("{file}, rule {rule}"),
                            {"file": Path(path).name, "rule": str(spec.get("id") or n)})
        rule_id, kind = str(spec.get("id") or ""), spec.get("kind")
        if not rule_id or rule_id in seen:
            raise RuleError(N_("{where}: every rule needs an id of its own"), where=where)
        seen.add(rule_id)
        _choice(where, "kind", kind, tuple(KINDS))
        _known(where, spec, RULE_FIELDS | set(KINDS[kind]))
        countries = tuple(str(c).upper() for c in spec.get("countries", SAARC_ISO3))
        for c in countries:
            _choice(where, "country", c, SAARC_ISO3)
        params = {}
        for name, kind_of in KINDS[kind].items():
            if name not in spec:
                raise RuleError(N_("{where}: '{name}' is required for a {kind} rule"),
                                where=where, name=name, kind=kind)
            try:
                params[name] = kind_of(spec[name])
            except (TypeError, ValueError):
                raise RuleError(N_("{where}: '{name}' must be a {kind}"), where=where,
                                name=name, kind=kind_of.__name__) from None
        if kind == "hazard_alert":
            _choice(where, "min_level", params["min_level"], ALERT_LEVELS)
        if kind == "displacement_jump" and "per_source" in spec:
            if not isinstance(spec["per_source"], bool):
                raise RuleError(N_("{where}: per_source must be true or false"), where=where)
            params["per_source"] = spec["per_source"]
        if kind == "incident_surge" and "h3_resolution" in spec:
            res = spec["h3_resolution"]
            if not isinstance(res, int) or not 0 <= res <= 15:
                raise RuleError(N_("{where}: h3_resolution must be an integer from 0 to 15"),
                                where=where)
            params["h3_resolution"] = res
        if kind == "exposure":
            _choice(where, "hazard", params["hazard"], tuple(HAZARD_LAYERS))
            params["layer"] = str(spec.get("layer") or HAZARD_LAYERS[params["hazard"]])
        try:
            tlp, share = tlp_level(spec.get("tlp", "TLP:CLEAR")), \
                parse_share(spec.get("share", "public"))
            check_marking(tlp, share)
        except ValueError as exc:
            raise RuleError(N_("{where}: {problem}"), where=where,
                            problem=exc.said if isinstance(exc, i18n.Said) else str(exc)
                            ) from None
        if share in ("agency", "country"):  # a rule belongs to the node, not to one agency
            raise RuleError(N_("{where}: a rule's warnings go to 'public', 'members' or a "
                               "'group:NAME'"), where=where)
        rules.append(Rule(
            rule_id, kind, countries, params,
            _choice(where, "severity", spec.get("severity", "Severe"), SEVERITIES),
            _choice(where, "urgency", spec.get("urgency", "Expected"), URGENCIES),
            _choice(where, "certainty", spec.get("certainty", "Likely"), CERTAINTIES),
            _choice(where, "response", spec.get("response", "Monitor"), RESPONSES),
            tlp, share, int(spec.get("clear_after", 2)), str(spec.get("instruction", "")),
            _texts(where, spec.get("text", {})), _languages(where, spec.get("languages", []))))
    if not rules:
        raise RuleError(N_("{where}: no [[rule]] in the file"), where=path)
    recipients = _recipients(Path(path).name, raw.get("recipient", []))
    topic = raw.get("mqtt_topic")
    if topic is not None and (not isinstance(topic, str) or not topic or "#" in topic
                              or "+" in topic):
        raise RuleError(N_("{where}: mqtt_topic must be a topic name without wildcards"),
                        where=path)
    return RuleSet(version, tuple(rules), str(path), recipients, topic)


RULE_FIELDS = {"id", "kind", "countries", "severity", "urgency", "certainty", "response", "tlp",
               "share", "clear_after", "instruction", "text", "layer", "h3_resolution",
               "per_source", "languages"}
RECIPIENT_FIELDS = {"id", "agency", "country", "groups", "email", "webhook", "secret_env",
                    "escalate_after", "escalate_to"}


def _known(where: i18n.Phrase, spec: dict, fields: set[str]) -> None:
    """TOML puts a key written after a [[table]] into that table: say so rather
    than ignore a setting the user believes is in force."""
    unknown = sorted(set(spec) - fields)
    if unknown:
        raise RuleError(N_("{where}: unknown field(s) {fields} (settings of the whole file, "
                           "like version and mqtt_topic, go before the first [[rule]])"),
                        where=where, fields=", ".join(unknown))


def _texts(where: i18n.Phrase, spec) -> dict[str, dict[str, str]]:
    if not isinstance(spec, dict):
        raise RuleError(N_("{where}: 'text' must be a table of languages"), where=where)
    out = {}
    for language, words in spec.items():
        unknown = set(words) - {"event", "headline", "instruction"} if isinstance(
            words, dict) else {"(not a table)"}
        if unknown or not words.get("headline"):
            raise RuleError(N_("{where}: text.{language} needs a headline and may give event "
                               "and instruction (not {fields})"), where=where,
                            language=str(language), fields=", ".join(sorted(unknown)) or "—")
        out[str(language)] = {k: str(v) for k, v in words.items()}
    return out


def _languages(where: i18n.Phrase, spec) -> tuple[str, ...]:
    if not isinstance(spec, list) or not all(isinstance(code, str) for code in spec):
        raise RuleError(N_("{where}: 'languages' must be a list of language codes"),
                        where=where)
    unknown = [code for code in spec if i18n.known(code) is None]
    if unknown:
        raise RuleError(N_("{where}: no catalogue for language(s) {codes} (we have {known})"),
                        where=where, codes=", ".join(unknown), known=", ".join(i18n.LANGUAGES))
    codes = dict.fromkeys(i18n.get(code).code for code in spec)
    return tuple(code for code in codes if code != "en")


def _recipient(file: str, rid: object) -> i18n.Phrase:
    return i18n.Phrase(N_("{file}, recipient {recipient}"), {"file": file, "recipient": str(rid)})


def _recipients(name: str, specs: list) -> tuple[Recipient, ...]:
    out: list[Recipient] = []
    for n, spec in enumerate(specs, start=1):
        where = _recipient(name, spec.get("id") or n)
        rid = str(spec.get("id") or "")
        if not rid or any(r.id == rid for r in out):
            raise RuleError(N_("{where}: every recipient needs an id of its own"), where=where)
        _known(where, spec, RECIPIENT_FIELDS)
        for needed in ("agency", "country"):
            if not spec.get(needed):
                raise RuleError(N_("{where}: '{name}' is required (the sharing rules decide "
                                   "what a recipient receives)"), where=where, name=needed)
        if not spec.get("email") and not spec.get("webhook"):
            raise RuleError(N_("{where}: give an 'email' or a 'webhook' (or both)"),
                            where=where)
        webhook = spec.get("webhook")
        if webhook and not str(webhook).startswith(("https://", "http://")):
            raise RuleError(N_("{where}: webhook '{value}' is not an http(s) URL"),
                            where=where, value=str(webhook))
        if webhook and not spec.get("secret_env"):
            raise RuleError(N_("{where}: a webhook needs 'secret_env', the environment "
                               "variable holding the key its requests are signed with"),
                            where=where)
        after = None
        if "escalate_after" in spec:
            try:
                after = pd.Timedelta(str(spec["escalate_after"]))
            except ValueError:
                raise RuleError(N_("{where}: escalate_after '{value}' is not a duration like "
                                   "30min or 2h"), where=where,
                                value=str(spec["escalate_after"])) from None
        out.append(Recipient(rid, str(spec["agency"]), str(spec["country"]).upper(),
                             frozenset(spec.get("groups", [])), spec.get("email"), webhook,
                             spec.get("secret_env"), after,
                             tuple(str(x) for x in spec.get("escalate_to", []))))
    ids = {r.id for r in out}
    for r in out:
        for other in r.escalate_to:
            if other not in ids:
                raise RuleError(N_("{where}: escalate_to names '{other}', which is not a "
                                   "recipient"), where=_recipient(name, r.id), other=other)
        if r.escalate_to and r.escalate_after is None:
            raise RuleError(N_("{where}: escalate_to needs escalate_after"),
                            where=_recipient(name, r.id))
    return tuple(out)
