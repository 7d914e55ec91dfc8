"""Warnings: what the early-warning rules raised, over the data this user may see."""

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import current_viewer
from data_sources.errors import DataSourceError
from early_warning.rules import RuleError

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
days = service.settings.warning_days
st.caption(f"Rules {found.rules.path.rsplit('/', 1)[-1]} (version {found.rules.version}), "
           f"evaluated once a day over the {days} days to the data's as-of time; a warning is "
           "updated while its condition holds and cancelled once it has not held for the "
           "rule's number of evaluations.")

active = found.active()
st.subheader(f"Active ({len(active)})")
if not active:
    st.info("No warning is active for the data you may see.")
for m in active:
    rule, f = m.finding.rule, m.finding
    with st.container(border=True):
        st.markdown(f":{SEVERITY_COLOUR[rule.severity]}-badge[{rule.severity}] · "
                    f"{rule.urgency} · {rule.certainty} · response: {rule.response} · "
                    f"{rule.tlp}, shared with {rule.share}")
        st.text(f"{f.area}: rule {rule.id}")
        st.text(m.reason)
        st.caption(f"Issued {found.issued(m):%Y-%m-%d %H:%M} UTC · last "
                   f"{m.kind.lower()} {m.sent:%Y-%m-%d %H:%M} UTC"
                   + (" · DEMO: an exercise, not a real warning" if f.demo else ""))

st.subheader("History")
if found.messages:
    st.dataframe(pd.DataFrame([{
        "sent (UTC)": m.sent.strftime("%Y-%m-%d %H:%M"), "message": m.kind,
        "rule": m.finding.rule.id, "area": m.finding.area, "why": m.reason}
        for m in reversed(found.messages)]), hide_index=True, width="stretch")
else:
    st.caption("No message in this period.")

with st.expander("Rules"):
    st.dataframe(pd.DataFrame([{
        "id": r.id, "kind": r.kind, "countries": ", ".join(r.countries),
        "thresholds": ", ".join(f"{k} {v}" for k, v in r.params.items()),
        "severity": r.severity, "response": r.response, "TLP": r.tlp, "shared with": r.share}
        for r in found.rules.rules]), hide_index=True, width="stretch")
