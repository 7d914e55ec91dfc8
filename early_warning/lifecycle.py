"""Warnings with a lifecycle: a condition that starts raises an ``Alert``; while
it holds, a change in its figures sends an ``Update`` (referencing the message
before), an unchanged one sends nothing; once it has been absent for the rule's
``clear_after`` evaluations in a row a ``Cancel`` follows. A condition that comes
back within that time continues its warning: flapping raises nothing new."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import shapely

from data_sources.capxml import cap_identifier
from model.i18n import N_, Phrase, joined

from .conditions import Finding
from .rules import RuleSet


@dataclass(frozen=True)
class Message:
    kind: str  # "Alert", "Update" or "Cancel"
    identifier: str
    sent: pd.Timestamp
    finding: Finding
    # The earlier messages of this warning: (identifier, sent), oldest first.
    references: tuple[tuple[str, pd.Timestamp], ...] = ()
    why: tuple[Phrase, ...] = ()

    @property
    def reason(self) -> str:
        """Why, in English: the log, the store and the Atom feed keep it so."""
        return joined(self.why, in_english=True)


@dataclass
class _Active:
    messages: list[tuple[str, pd.Timestamp]]
    finding: Finding
    missed: int = 0


@dataclass
class Engine:
    """The state of every active warning, stepped along time."""

    active: dict[tuple[str, str], _Active] = field(default_factory=dict)
    # The moment last evaluated: evaluating it again (a run repeated) counts no
    # absence twice.
    last_at: pd.Timestamp | None = None

    def step(self, findings: list[Finding], at: pd.Timestamp,
             rule_ids: set[str] | None = None) -> list[Message]:
        """Messages for the findings of one evaluation at ``at``. ``rule_ids``:
        the rules evaluated (default: those of ``findings`` and every active
        warning); warnings of other rules are left as they are."""
        out: list[Message] = []
        seen = set()
        for finding in findings:
            key = (finding.rule.id, finding.key)
            seen.add(key)
            current = self.active.get(key)
            if current is None:
                identifier = _identifier(finding, at)
                self.active[key] = _Active([(identifier, at)], finding)
                out.append(Message("Alert", identifier, at, finding, (), finding.explanation))
                continue
            current.missed = 0
            if finding.figures != current.finding.figures:
                identifier = _identifier(finding, at)
                out.append(Message("Update", identifier, at, finding,
                                   tuple(current.messages), finding.explanation))
                current.messages.append((identifier, at))
            current.finding = finding
        evaluated = rule_ids if rule_ids is not None else {k[0] for k in self.active}
        again = self.last_at is not None and at <= self.last_at
        self.last_at = at if self.last_at is None else max(at, self.last_at)
        for key in [k for k in self.active if k not in seen and k[0] in evaluated]:
            current = self.active[key]
            if again:
                continue
            current.missed += 1
            if current.missed >= current.finding.rule.clear_after:
                out.append(Message(
                    "Cancel", _identifier(current.finding, at), at, current.finding,
                    tuple(current.messages),
                    (Phrase(N_("the condition has not held for {count} evaluations in a row "
                               "(rule {rule})"), {"count": current.missed, "rule": key[0]}),)))
                del self.active[key]
        return out


def message_row(message: Message, rules_version: int, cap: bytes = b"") -> dict:
    """A message as the store keeps it (``data_sources.warning_log``) and as the
    dashboard lists it; ``warning`` is the identifier of the warning's Alert."""
    f, rule = message.finding, message.finding.rule
    return {"identifier": message.identifier,
            "warning": message.references[0][0] if message.references else message.identifier,
            "kind": message.kind, "sent": message.sent, "rule_id": rule.id,
            "rules_version": rules_version, "area_key": f.key, "area": f.area,
            "severity": rule.severity, "urgency": rule.urgency, "response": rule.response,
            "tlp": rule.tlp, "share": rule.share, "figures": f.figures, "reason": message.reason,
            "why": [p.as_list() for p in message.why],
            "geometry": None if f.geometry is None else shapely.to_wkt(f.geometry, 5),
            "demo": f.demo, "cap": cap}


@dataclass(frozen=True)
class Warnings:
    """Warnings as a user sees them: every message (rows of ``message_row``,
    oldest first), from the node's runs or, where none ran, replayed over the
    data; the evaluations' log and the acknowledgements."""

    rules: RuleSet
    messages: pd.DataFrame
    log: list[str]
    source: str  # "runs" (python -m early_warning run) or "replay"
    acks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["warning", "agency", "user", "via", "time"]))

    def active(self) -> pd.DataFrame:
        """The latest message of each warning not cancelled, newest first, with
        when the warning was ``issued`` and the agencies that ``acknowledged`` it."""
        m = self.messages
        if m.empty:
            return m.assign(issued=pd.Series(dtype="datetime64[ns, UTC]"),
                            acknowledged=pd.Series(dtype=object))
        issued = m.groupby("warning")["sent"].min()
        latest = m.groupby("warning").tail(1)
        latest = latest[latest["kind"] != "Cancel"].copy()
        latest["issued"] = latest["warning"].map(issued)
        by = {w: ", ".join(sorted(a)) for w, a in self.acks.groupby("warning")["agency"]}
        latest["acknowledged"] = [by.get(w, "") for w in latest["warning"]]
        return latest.sort_values("sent", ascending=False, kind="stable")


def _identifier(finding: Finding, at: pd.Timestamp) -> str:
    return cap_identifier(f"samon-ew-{finding.rule.id}-{finding.key}-{at:%Y%m%dT%H%M%S}")
