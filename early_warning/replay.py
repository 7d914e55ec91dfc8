"""Evaluating the rules along a timeline: what would have been sent, and why."""

from __future__ import annotations

import pandas as pd

from model.scenario import Scenario

from .conditions import evaluate
from .lifecycle import Engine, Message
from .rules import RuleSet


def replay_timeline(scenario: Scenario, rules: RuleSet, start: pd.Timestamp,
                    end: pd.Timestamp, every: pd.Timedelta) -> tuple[list[Message], list[str]]:
    """Messages in the order they would have been sent, and a log line for each
    evaluation and each message (which rule, which figures)."""
    engine = Engine()
    messages: list[Message] = []
    log: list[str] = []
    ids = {rule.id for rule in rules.rules}
    for at in pd.date_range(start, end, freq=every):
        findings = [f for rule in rules.rules for f in evaluate(rule, scenario, at)]
        sent = engine.step(findings, at, ids)
        log.append(f"{at:%Y-%m-%d %H:%M} UTC: {len(findings)} conditions hold, "
                   f"{len(engine.active)} warnings active, {len(sent)} messages")
        for m in sent:
            log.append(f"  {m.kind} {m.identifier} [rule {m.finding.rule.id} v{rules.version}] "
                       f"{m.finding.area}: {m.reason}")
        messages.extend(sent)
    return messages, log
