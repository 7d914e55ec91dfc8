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

# Streamlit badge colours (text, no emoji: air-gapped machines often lack emoji fonts).
SEVERITY_COLOUR = {"Extreme": "red", "Severe": "orange", "Moderate": "violet", "Minor": "blue",
                   "Unknown": "gray"}

viewer = current_viewer()
service = data.service()
st.title("Warnings")
try:
    with st.spinner("Evaluating the early-warning rules…"):
        found = service.warnings(viewer)
except (RuleError, DataSourceError) as exc:
    st.error(f"The early-warning rules cannot be used: {exc}")
    st.stop()
rules_name = found.rules.path.rsplit("/", 1)[-1]
if found.source == "runs":
    st.caption(f"Sent by this node's early-warning runs (rules {rules_name}, version "
               f"{found.rules.version}); acknowledged warnings stop escalating.")
else:
    st.caption(f"Replayed: rules {rules_name} (version {found.rules.version}) evaluated once a "
               f"day over the {service.settings.warning_days} days to the data's as-of time. "
               "This node has not run the rules yet, so nothing was sent: start "
               "`python -m early_warning run --every 15m` to send warnings.")

st.caption("The sidebar's filters do not apply here: warnings cover every area the rules "
           "watch, as far as the sharing rules let you receive them.")
active = found.active()
demo = bool(found.messages["demo"].any()) if len(found.messages) else False
warnings_map_view(active, demo=demo, key="warnings_map")
st.subheader(f"Active ({len(active)})")
if active.empty:
    st.info("No warning is active for the data you may see.")
for m in active.itertuples():
    with st.container(border=True):
        st.markdown(f":{SEVERITY_COLOUR.get(m.severity, 'gray')}-badge[{m.severity}] · "
                    f"{m.urgency} · response: {m.response} · {m.tlp}, shared with {m.share}")
        st.text(f"{m.area}: rule {m.rule_id}")
        st.text(m.reason)
        st.caption(f"Issued {m.issued:%Y-%m-%d %H:%M} UTC · last {m.kind.lower()} "
                   f"{m.sent:%Y-%m-%d %H:%M} UTC · acknowledged by: "
                   f"{m.acknowledged or 'nobody yet'}"
                   + (" · DEMO: an exercise, not a real warning" if m.demo else ""))
        mine = viewer.agency and viewer.agency in m.acknowledged.split(", ")
        if found.source == "runs" and viewer.kind == "user" and not mine:
            if st.button(f"Acknowledge for {viewer.agency}", key=f"ack_{m.warning}"):
                try:
                    service.acknowledge(viewer, m.warning)
                except AccessError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()

st.subheader("History")
if found.messages.empty:
    st.caption("No message in this period.")
else:
    history = found.messages.iloc[::-1]
    st.dataframe(pd.DataFrame({
        "sent (UTC)": history["sent"].dt.strftime("%Y-%m-%d %H:%M"),
        "message": history["kind"], "rule": history["rule_id"], "area": history["area"],
        "TLP": history["tlp"], "why": history["reason"]}), hide_index=True, width="stretch")

if found.source == "runs" and viewer.may("rules"):
    sent = service.deliveries(viewer)
    failed = sent[sent["status"] == "failed"]
    pending = sent[sent["status"] == "pending"]
    label = f"Deliveries ({len(failed)} failed, {len(pending)} waiting to be tried again)"
    with st.expander(label, expanded=bool(len(failed))):
        if sent.empty:
            st.caption("Nothing was sent: no recipient may receive these warnings, or the "
                       "rules name no recipient.")
        else:
            st.dataframe(sent[["updated", "identifier", "recipient", "channel", "purpose",
                               "status", "attempts", "last_error"]],
                         hide_index=True, width="stretch")

st.subheader("Rules")
st.dataframe(pd.DataFrame([{
    "id": r.id, "kind": r.kind, "countries": ", ".join(r.countries),
    "thresholds": ", ".join(f"{k} {v}" for k, v in r.params.items()),
    "severity": r.severity, "response": r.response, "TLP": r.tlp, "shared with": r.share,
    "languages": ", ".join(["en", *r.text])}
    for r in found.rules.rules]), hide_index=True, width="stretch")
if found.rules.recipients:
    st.caption("Recipients: " + "; ".join(
        f"{r.id} ({r.agency}" + (f", escalates after {r.escalate_after}" if r.escalate_after
                                 else "") + ")" for r in found.rules.recipients))
if viewer.may("rules"):
    with st.expander("Edit the rules"):
        st.caption("The whole rules file (TOML). Raise `version` with every change: warnings "
                   "name the version that raised them. Saving checks every rule first and is "
                   "written to the audit log with the change.")
        with st.form("rules_form"):
            text = st.text_area("Rules", service.rules_path().read_text(encoding="utf-8"),
                                height=420)
            if st.form_submit_button("Check and save"):
                try:
                    saved = service.save_rules(viewer, text)
                except RuleError as exc:
                    st.error(f"Not saved: {exc}")
                else:
                    st.success(f"Saved: version {saved.version}, {len(saved.rules)} rules.")
