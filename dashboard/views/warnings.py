"""Warnings: what the early-warning rules raised for this user, on the map and
as a list; acknowledgements, the history and the rules (coordinators edit them)."""

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.components import warnings_map_view
from dashboard.context import current_viewer
from data_sources.errors import DataSourceError
from early_warning.rules import RuleError
from model.access import AccessError
from model.i18n import Phrase, _, joined, number, said, when

# Streamlit badge colours (text, no emoji: air-gapped machines often lack emoji fonts).
SEVERITY_COLOUR = {"Extreme": "red", "Severe": "orange", "Moderate": "violet", "Minor": "blue",
                   "Unknown": "gray"}



def why(message) -> str:
    """A message's reasons in the reader's language (messages stored before the
    store kept them as phrases show their English)."""
    if isinstance(message.why, list):
        return joined(Phrase.from_list(phrase) for phrase in message.why)
    return message.reason


viewer = current_viewer()
service = data.service()
st.title(_("Warnings"))
try:
    with st.spinner(_("Evaluating the early-warning rules…")):
        found = service.warnings(viewer)
except (RuleError, DataSourceError) as exc:
    st.error(_("The early-warning rules cannot be used: {error}", error=said(exc)))
    st.stop()
rules_name = found.rules.path.rsplit("/", 1)[-1]
if found.source == "runs":
    st.caption(_("Sent by this node's early-warning runs (rules {rules}, version {version}); "
                 "acknowledged warnings stop escalating.", rules=rules_name,
                 version=found.rules.version))
else:
    st.caption(_("Replayed: rules {rules} (version {version}) evaluated once a day over the "
                 "{days} days to the data's as-of time. This node has not run the rules yet, "
                 "so nothing was sent: start `python -m early_warning run --every 15m` to "
                 "send warnings.", rules=rules_name, version=found.rules.version,
                 days=service.settings.warning_days))

st.caption(_("The sidebar's filters do not apply here: warnings cover every area the rules "
             "watch, as far as the sharing rules let you receive them."))
active = found.active()
demo = bool(found.messages["demo"].any()) if len(found.messages) else False
warnings_map_view(active, demo=demo, key="warnings_map")
st.subheader(_("Active ({count})", count=number(len(active))))
if active.empty:
    st.info(_("No warning is active for the data you may see."))
for m in active.itertuples():
    with st.container(border=True):
        # CAP's severity, urgency, response and message type are its own codes: as sent.
        st.markdown(f":{SEVERITY_COLOUR.get(m.severity, 'gray')}-badge[{m.severity}] · "
                    f"{m.urgency} · " + _("response: {response}", response=m.response)
                    + f" · {m.tlp}, " + _("shared with {share}", share=m.share))
        st.text(_("{area}: rule {rule}", area=m.area, rule=m.rule_id))
        st.text(why(m))
        st.caption(_("Issued {issued} · last {kind} {sent} · acknowledged by: {by}",
                     issued=when(m.issued), kind=m.kind.lower(), sent=when(m.sent),
                     by=m.acknowledged or _("nobody yet"))
                   + (" · " + _("DEMO: an exercise, not a real warning") if m.demo else ""))
        mine = viewer.agency and viewer.agency in m.acknowledged.split(", ")
        if found.source == "runs" and viewer.kind == "user" and not mine:
            if st.button(_("Acknowledge for {agency}", agency=viewer.agency),
                         key=f"ack_{m.warning}"):
                try:
                    service.acknowledge(viewer, m.warning)
                except AccessError as exc:
                    st.error(said(exc))
                else:
                    st.rerun()

st.subheader(_("History"))
if found.messages.empty:
    st.caption(_("No message in this period."))
else:
    history = found.messages.iloc[::-1]
    st.dataframe(pd.DataFrame({
        _("Sent"): [when(t) for t in history["sent"]],
        _("Message"): history["kind"], _("Rule"): history["rule_id"],
        _("Area"): history["area"], "TLP": history["tlp"],
        _("Why"): [why(m) for m in history.itertuples()]}),
        hide_index=True, width="stretch")

if found.source == "runs" and viewer.may("rules"):
    sent = service.deliveries(viewer)
    failed = sent[sent["status"] == "failed"]
    pending = sent[sent["status"] == "pending"]
    label = _("Deliveries ({failed} failed, {pending} waiting to be tried again)",
              failed=number(len(failed)), pending=number(len(pending)))
    with st.expander(label, expanded=bool(len(failed))):
        if sent.empty:
            st.caption(_("Nothing was sent: no recipient may receive these warnings, or the "
                         "rules name no recipient."))
        else:
            st.dataframe(sent[["updated", "identifier", "recipient", "channel", "purpose",
                               "status", "attempts", "last_error"]],
                         hide_index=True, width="stretch")

st.subheader(_("Rules"))
st.dataframe(pd.DataFrame([{
    _("Rule"): r.id, _("Kind"): r.kind, _("Countries"): ", ".join(r.countries),
    _("Thresholds"): ", ".join(f"{k} {v}" for k, v in r.params.items()),
    _("Severity"): r.severity, _("Response"): r.response, "TLP": r.tlp,
    _("Shared with"): r.share, _("Languages"): ", ".join(["en", *r.text])}
    for r in found.rules.rules]), hide_index=True, width="stretch")
if found.rules.recipients:
    st.caption(_("Recipients: {recipients}", recipients="; ".join(
        f"{r.id} ({r.agency}"
        + (", " + _("escalates after {time}", time=r.escalate_after) if r.escalate_after
           else "") + ")" for r in found.rules.recipients)))
if viewer.may("rules"):
    with st.expander(_("Edit the rules")):
        st.caption(_("The whole rules file (TOML). Raise `version` with every change: warnings "
                     "name the version that raised them. Saving checks every rule first and "
                     "is written to the audit log with the change."))
        with st.form("rules_form"):
            text = st.text_area(_("Rules"), service.rules_path().read_text(encoding="utf-8"),
                                height=420)
            if st.form_submit_button(_("Check and save")):
                try:
                    saved = service.save_rules(viewer, text)
                except RuleError as exc:
                    st.error(_("Not saved: {error}", error=said(exc)))
                else:
                    st.success(_("Saved: version {version}, {count} rules.",
                                 version=saved.version, count=len(saved.rules)))
