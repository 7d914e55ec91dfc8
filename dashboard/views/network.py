"""Network: the peer nodes this node follows, how fresh what they shared is,
and what went wrong (refused records, unreachable peers)."""

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import current_viewer

viewer = current_viewer()
service = data.service()
settings = service.settings
st.title("Network")
broker = (f"announces on and follows the broker at {settings.mqtt_url}" if settings.mqtt_url
          else "no broker set (SAMON_MQTT_URL): peers are read every "
               f"{settings.sync_every_s:g} s")
st.caption(f"This node: {settings.node_name}, its API at `{settings.node_url}`; {broker}. "
           "Records from peers keep their marking: the map's popups name the agency that "
           "shared each one.")
status = service.network.status(viewer)
if status.empty:
    st.info("This node follows no peer yet. The node's operator adds one with "
            "`python -m node peers add URL --name NAME --token-stdin --topic rsn/ISO3/#` "
            "(the token comes from the peer's operator) and starts `python -m node serve`.")
    st.stop()

now = pd.Timestamp.now(tz="UTC")
stale_after = pd.Timedelta(seconds=2 * settings.sync_every_s + 60)


def state(row) -> str:
    if pd.isna(row.last_sync):
        return "failing" if row.errors else "never synced"
    if pd.notna(row.last_problem_at) and row.last_problem_at > row.last_sync:
        return "failing"
    if now - row.last_sync > stale_after:
        return "stale"
    return "ok"


def ago(seconds: float) -> str:
    if pd.isna(seconds):
        return "–"
    minutes = seconds / 60
    return f"{seconds:.0f} s" if seconds < 120 else f"{minutes:.0f} min" if minutes < 120 \
        else f"{minutes / 60:.1f} h"


def seconds(values: pd.Series) -> pd.Series:
    """Lags as text: '0.42 s', or '–' where there is none (no record received yet)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.map(lambda v: "–" if pd.isna(v) else f"{v:.2f} s")


st.dataframe(pd.DataFrame({
    "peer": status["name"], "state": [state(r) for r in status.itertuples()],
    "API": status["url"], "topics": status["topics"],
    "last sync (UTC)": status["last_sync"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("never"),
    "since": status["since_sync_s"].map(ago),
    "lag, median": seconds(status["lag_s"]),
    "records received": status["received"], "refused": status["refused"],
    "errors": status["errors"], "last problem": status["last_problem"].fillna(""),
}), hide_index=True, width="stretch")
st.caption("state: ok, stale (no sync for twice the sync interval), failing (a problem since "
           "the last sync) or never synced. Lag: from a peer's announcement to the record "
           "stored here. Refused: records or messages that broke the rules (bad fields, "
           "TLP:RED, a hash that did not match), each in the log below.")
with st.expander("Recent events"):
    log = service.network.log(limit=100)
    if log.empty:
        st.caption("No event yet.")
    else:
        st.dataframe(pd.DataFrame({
            "time (UTC)": log["time"].dt.strftime("%Y-%m-%d %H:%M:%S"), "peer": log["peer"],
            "event": log["event"], "records": log["records"], "lag": seconds(log["lag_s"]),
            "detail": log["detail"].fillna("")}), hide_index=True, width="stretch")
