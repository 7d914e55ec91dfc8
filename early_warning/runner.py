"""One run of the early-warning engine on a node's store: restore the active
warnings, evaluate every rule at one moment, keep the messages (with their CAP
XML) and the new state together, queue a delivery for each recipient the
sharing rules allow, escalate warnings nobody acknowledged in time, then try
every pending delivery. A failed delivery stays queued for the next run.

One run at a time per store (a lock file beside it): two runs interleaved
would each raise the same warning.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pandas as pd
import shapely

from data_sources.accounts import Accounts
from data_sources.warning_log import WarningLog
from model.access import may_see
from model.i18n import N_, Phrase
from model.scenario import Scenario

from .cap import message_to_cap
from .conditions import Finding, evaluate
from .dissemination import (
    Channels,
    DeliveryError,
    Outgoing,
    ack_url,
    post_webhook,
    publish_mqtt,
    send_email,
)
from .lifecycle import Engine, Message, _Active, _identifier, message_row
from .rules import Recipient, Rule, RuleSet

MQTT = "mqtt"  # the recipient name of the node's MQTT topic


class RunBusy(RuntimeError):
    """Another run holds the store's early-warning lock."""


class RunError(ValueError):
    """A run that cannot be made (asked for a moment before the last run's)."""


@dataclass
class RunResult:
    at: pd.Timestamp
    findings: int
    messages: list[Message]
    log: list[str] = field(default_factory=list)


@contextmanager
def run_lock(store_path: Path):
    with open(f"{store_path}.ew-lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunBusy(f"another early-warning run is in progress on {store_path}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _state(active: _Active) -> dict:
    f, rule = active.finding, active.finding.rule
    return {"rule": {"kind": rule.kind, "severity": rule.severity, "urgency": rule.urgency,
                     "certainty": rule.certainty, "response": rule.response, "tlp": rule.tlp,
                     "share": rule.share},
            "area": f.area, "geometry": None if f.geometry is None else shapely.to_wkb(
                f.geometry, hex=True), "figures": f.figures,
            "explanation": [p.as_list() for p in f.explanation],
            "hazard": f.hazard, "demo": f.demo, "missed": active.missed,
            "messages": [[i, t.isoformat()] for i, t in active.messages]}


def _phrases(stored: str | list) -> tuple[Phrase, ...]:
    """A finding's reasons as the state keeps them; a state written before
    reasons were phrases holds one English sentence."""
    if isinstance(stored, str):
        return (Phrase(stored),) if stored else ()
    return tuple(Phrase.from_list(phrase) for phrase in stored)


def restore(stored: dict[tuple[str, str], dict], rules: RuleSet
            ) -> tuple[Engine, list[_Active]]:
    """The engine as the last run left it, and the warnings whose rule is no
    longer in the rules file (to be cancelled)."""
    engine, orphans = Engine(), []
    current = {r.id: r for r in rules.rules}
    for (rule_id, key), s in stored.items():
        rule = current.get(rule_id) or Rule(rule_id, s["rule"]["kind"], (), {},
                                            **{k: v for k, v in s["rule"].items()
                                               if k != "kind"})
        geometry = shapely.from_wkb(s["geometry"]) if s["geometry"] else None
        finding = Finding(rule, key, s["area"], geometry, s["figures"],
                          _phrases(s["explanation"]), s["hazard"], s["demo"])
        active = _Active([(i, pd.Timestamp(t)) for i, t in s["messages"]], finding,
                         s["missed"])
        if rule_id in current:
            engine.active[(rule_id, key)] = active
        else:
            orphans.append(active)
    return engine, orphans


def recipients_of(rule: Rule, rules: RuleSet) -> list[Recipient]:
    """Who may receive the warnings of ``rule``: the sharing rules decide."""
    marking = {"agency": "", "agency_country": "", "tlp": rule.tlp, "share": rule.share}
    return [r for r in rules.recipients if may_see(marking, r.viewer)]


def _with_groups(rules: RuleSet, accounts: Accounts) -> RuleSet:
    """Recipients of registered agencies are in the groups the node says."""
    recipients = tuple(replace(r, groups=accounts.groups_of(r.agency))
                       if accounts.agency(r.agency) else r for r in rules.recipients)
    return replace(rules, recipients=recipients)


def run_once(store, scenario_for: Callable[[Rule], Scenario], rules: RuleSet,
             at: pd.Timestamp, channels: Channels, *, client: httpx.Client | None = None,
             now: pd.Timestamp | None = None, scheduler: str | None = None) -> RunResult:
    """Evaluate ``rules`` at ``at`` and send what that changes. Each rule sees
    ``scenario_for(rule)``: the data every receiver of its warnings may see,
    so that a warning never carries figures from data its receivers may not.
    ``now``: the wall-clock time escalations are measured against;
    ``scheduler``: the dask.distributed scheduler exposure rules compute on."""
    log_table = WarningLog(store)
    rules = _with_groups(rules, Accounts(store))
    engine, orphans = restore(log_table.active_state(), rules)
    engine.last_at = log_table.last_run()
    if engine.last_at is not None and at < engine.last_at:
        raise RunError(f"runs go forward in time: the last run evaluated "
                       f"{engine.last_at:%Y-%m-%d %H:%M} UTC, after {at:%Y-%m-%d %H:%M} UTC")
    findings = [f for rule in rules.rules
                for f in evaluate(rule, scenario_for(rule), at, scheduler=scheduler)]
    messages = [Message("Cancel", _identifier(o.finding, at), at, o.finding,
                        tuple(o.messages),
                        (Phrase(N_("rule {rule} is no longer in the rules (version {version})"),
                                {"rule": o.finding.rule.id, "version": str(rules.version)}),))
                for o in orphans]
    messages += engine.step(findings, at, {r.id for r in rules.rules})
    log = [f"{at:%Y-%m-%d %H:%M} UTC: {len(findings)} conditions hold, {len(engine.active)} "
           f"warnings active, {len(messages)} messages"]
    rows, sent_to = [], []
    for m in messages:
        recipients = recipients_of(m.finding.rule, rules)
        sent_to.append(recipients)
        addresses = (sorted({r.agency for r in recipients})
                     if m.finding.rule.share.startswith("group:") else None)
        rows.append(message_row(m, rules.version, message_to_cap(m, channels.sender,
                                                                  addresses)))
        log.append(f"  {m.kind} {m.identifier} [rule {m.finding.rule.id} v{rules.version}] "
                   f"{m.finding.area}: {m.reason}")
    with store.transaction() as db:
        log_table.save_run(db, at=at, rules_version=rules.version, findings=len(findings),
                           messages=rows,
                           active={k: _state(a) for k, a in engine.active.items()}, log=log)
        for m, recipients in zip(messages, sent_to, strict=True):
            for r in recipients:
                for channel in ("email", "webhook"):
                    if getattr(r, channel):
                        log_table.queue(db, m.identifier, r.id, channel)
            if rules.mqtt_topic and m.finding.rule.tlp == "TLP:CLEAR" and \
                    m.finding.rule.share == "public":
                log_table.queue(db, m.identifier, MQTT, MQTT)
    log += escalate(store, rules, now or pd.Timestamp.now(tz="UTC"))
    log += deliver(store, rules, channels, client)
    return RunResult(at, len(findings), messages, log)


def escalate(store, rules: RuleSet, now: pd.Timestamp) -> list[str]:
    """Queue an escalation for each active warning a recipient's agency has not
    acknowledged within the recipient's ``escalate_after``, to the recipients it
    names who may receive the warning; once per warning and recipient."""
    log_table = WarningLog(store)
    messages = log_table.messages()
    if messages.empty:
        return []
    latest = messages.groupby("warning").tail(1)
    active = latest[latest["kind"] != "Cancel"]
    acked = set(zip(*(log_table.acks()[c] for c in ("warning", "agency")), strict=True))
    by_rule = {r.id: r for r in rules.rules}
    log = []
    with store.transaction() as db:
        for row in active.itertuples():
            rule = by_rule.get(row.rule_id)
            if rule is None:
                continue
            allowed = {r.id for r in recipients_of(rule, rules)}
            for r in rules.recipients:
                if r.escalate_after is None or r.id not in allowed or \
                        (row.warning, r.agency) in acked:
                    continue
                first = log_table.first_sent(row.warning, r.id)
                if first is None or now - first < r.escalate_after:
                    continue
                for other in (rules.recipient(x) for x in r.escalate_to):
                    if other is None or other.id not in allowed:
                        continue
                    for channel in ("email", "webhook"):
                        if getattr(other, channel) and log_table.queue(
                                db, row.warning, other.id, channel, f"escalation:{r.id}"):
                            log.append(f"  escalation of {row.warning} to {other.id} "
                                       f"({channel}): {r.agency} has not acknowledged it "
                                       f"since {first:%Y-%m-%d %H:%M} UTC")
    return log


def _outgoing(row, message: pd.Series, cap: bytes, purpose: str, secret: bytes,
              channels: Channels) -> Outgoing:
    exercise = "EXERCISE " if message["demo"] else ""
    subject = (f"{exercise}[{message['tlp']}] {message['severity']} warning, "
               f"{message['kind']}: {message['area']} (rule {message['rule_id']})")
    figures = "\n".join(f"  {k}: {v}" for k, v in message["figures"].items())
    lines = [f"{message['tlp']}: share with {message['share']} only." if message["tlp"] !=
             "TLP:CLEAR" else "TLP:CLEAR: may be shared without restriction.", ""]
    if message["demo"]:
        lines += ["EXERCISE: raised from the DEMO scenario, not a real warning.", ""]
    if purpose.startswith("escalation:"):
        subject = "ESCALATION " + subject
        lines += [f"ESCALATION: recipient {purpose.split(':', 1)[1]} has not acknowledged "
                  "this warning in time.", ""]
    sent = message["sent"].strftime("%Y-%m-%d %H:%M")
    lines += [f"{message['kind']} {message['identifier']}, sent {sent} UTC",
              f"Area: {message['area']}",
              f"Severity {message['severity']}, urgency {message['urgency']}, response "
              f"{message['response']}", "", message["reason"], "", "Figures:", figures,
              "", "The CAP 1.2 message is attached."]
    return Outgoing(message["identifier"], message["warning"], subject, "\n".join(lines), cap,
                    ack_url(channels.base_url, secret, message["warning"], row.recipient))


def deliver(store, rules: RuleSet, channels: Channels,
            client: httpx.Client | None = None) -> list[str]:
    """Try every pending delivery once (webhooks: with their retries)."""
    log_table = WarningLog(store)
    pending = log_table.pending()
    if pending.empty:
        return []
    messages = log_table.messages().set_index("identifier", drop=False)
    latest = messages.groupby("warning").tail(1).set_index("warning", drop=False)
    with store.transaction() as db:
        secret = log_table.secret(db)
    log = []
    own_client = client is None
    client = client or httpx.Client(follow_redirects=False)
    try:
        for row in pending.itertuples():
            # An escalation carries the warning's latest message, not the Alert.
            message = latest.loc[row.warning] if row.purpose != "warning" else \
                messages.loc[row.identifier]
            stored = log_table.cap(message["identifier"])
            assert stored is not None
            out = _outgoing(row, message, stored[0], row.purpose, secret, channels)
            recipient = rules.recipient(row.recipient)
            error, retry = None, False
            try:
                if row.channel == MQTT:
                    if not rules.mqtt_topic:
                        raise DeliveryError("the rules no longer name an mqtt_topic", retry=False)
                    publish_mqtt(channels, rules.mqtt_topic, out)
                elif recipient is None:
                    raise DeliveryError("no longer a recipient in the rules", retry=False)
                elif row.channel == "email":
                    send_email(channels, recipient, out)
                else:
                    post_webhook(channels, recipient, out, client)
            except DeliveryError as exc:
                error, retry = str(exc), exc.retry
            give_up = not retry or row.attempts + 1 >= channels.max_attempts
            with store.transaction() as db:
                log_table.delivered(db, row.id, ok=error is None, error=error, give_up=give_up)
            what = f"  {row.channel} {out.identifier} to {row.recipient}"
            log.append(f"{what}: sent" if error is None else
                       f"{what}: {'FAILED' if give_up else 'not sent, will retry'}: {error}")
    finally:
        if own_client:
            client.close()
    return log

