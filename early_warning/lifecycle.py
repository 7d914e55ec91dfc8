"""Warnings with a lifecycle: a condition that starts raises an ``Alert``; while
it holds, a change in its figures sends an ``Update`` (referencing the message
before), an unchanged one sends nothing; once it has been absent for the rule's
``clear_after`` evaluations in a row a ``Cancel`` follows. A condition that comes
back within that time continues its warning: flapping raises nothing new."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from data_sources.capxml import cap_identifier

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
    reason: str = ""


@dataclass
class _Active:
    messages: list[tuple[str, pd.Timestamp]]
    finding: Finding
    missed: int = 0


@dataclass
class Engine:
    """The state of every active warning, stepped along time."""

    active: dict[tuple[str, str], _Active] = field(default_factory=dict)

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
        for key in [k for k in self.active if k not in seen and k[0] in evaluated]:
            current = self.active[key]
            current.missed += 1
            if current.missed >= current.finding.rule.clear_after:
                out.append(Message(
                    "Cancel", _identifier(current.finding, at), at, current.finding,
                    tuple(current.messages),
                    f"the condition has not held for {current.missed} evaluations in a row "
                    f"(rule {key[0]})"))
                del self.active[key]
        return out


@dataclass(frozen=True)
class Warnings:
    """What the rules raised along a timeline: every message in order, and the
    log of every evaluation."""

    rules: RuleSet
    messages: list[Message]
    log: list[str]

    def issued(self, message: Message) -> pd.Timestamp:
        """When the warning ``message`` belongs to was first sent."""
        return message.references[0][1] if message.references else message.sent

    def active(self) -> list[Message]:
        """The latest message of each warning not cancelled, newest first."""
        latest: dict[tuple[str, str], Message] = {}
        for m in self.messages:
            latest[(m.finding.rule.id, m.finding.key)] = m
        return sorted((m for m in latest.values() if m.kind != "Cancel"),
                      key=lambda m: m.sent, reverse=True)


def _identifier(finding: Finding, at: pd.Timestamp) -> str:
    return cap_identifier(f"samon-ew-{finding.rule.id}-{finding.key}-{at:%Y%m%dT%H%M%S}")
