"""Network: the peer nodes this node follows, how fresh what they shared is,
and what went wrong (refused records, unreachable peers)."""

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.components import counts
from dashboard.context import current_viewer
from model.i18n import N_, _, number, when

viewer = current_viewer()
service = data.service()
settings = service.settings
st.title(_("Network"))
broker = (_("announces on and follows the broker at {url}", url=settings.mqtt_url)
          if settings.mqtt_url
          else _("no broker set (SAMON_MQTT_URL): peers are read every {seconds} s",
                 seconds=number(settings.sync_every_s)))
st.caption(_("This node: {name}, its API at `{url}`; {broker}. Records from peers keep their "
             "marking: the map's popups name the agency that shared each one.",
             name=settings.node_name, url=settings.node_url, broker=broker))
status = service.network.status(viewer)
if status.empty:
    st.info(_("This node follows no peer yet. The node's operator adds one with "
              "`python -m node peers add URL --name NAME --token-stdin --topic rsn/ISO3/#` "
              "(the token comes from the peer's operator) and starts `python -m node serve`."))
    st.stop()

now = pd.Timestamp.now(tz="UTC")
stale_after = pd.Timedelta(seconds=2 * settings.sync_every_s + 60)
STATES = {"ok": N_("ok"), "stale": N_("stale"), "failing": N_("failing"),
          "never synced": N_("never synced")}


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
    if seconds < 120:
        return _("{n} s", n=number(round(seconds)))
    if minutes < 120:
        return _("{n} min", n=number(round(minutes)))
    return _("{n} h", n=number(minutes / 60, decimals=1))


def seconds(values: pd.Series) -> pd.Series:
    """Lags as text: '0.42 s', or '–' where there is none (no record received yet)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.map(lambda v: "–" if pd.isna(v) else _("{n} s", n=number(v, decimals=2)))


st.dataframe(pd.DataFrame({
    _("peer"): status["name"], _("state"): [_(STATES[state(r)]) for r in status.itertuples()],
    _("API"): status["url"], _("topics"): status["topics"],
    _("last sync"): [when(t) if pd.notna(t) else _("never") for t in status["last_sync"]],
    _("since"): status["since_sync_s"].map(ago),
    _("lag, median"): seconds(status["lag_s"]),
    _("records received"): counts(status["received"]), _("refused"): counts(status["refused"]),
    _("errors"): counts(status["errors"]), _("last problem"): status["last_problem"].fillna(""),
}), hide_index=True, width="stretch")
st.caption(_("state: ok, stale (no sync for twice the sync interval), failing (a problem since "
             "the last sync) or never synced. Lag: from a peer's announcement to the record "
             "stored here. Refused: records or messages that broke the rules (bad fields, "
             "TLP:RED, a hash that did not match), each in the log below. Problems are "
             "written in the log as they happened, in English."))
with st.expander(_("Recent events")):
    log = service.network.log(limit=100)
    if log.empty:
        st.caption(_("No event yet."))
    else:
        st.dataframe(pd.DataFrame({
            _("time"): log["time"].map(when), _("peer"): log["peer"],
            _("event"): log["event"], _("records"): log["records"],
            _("lag"): seconds(log["lag_s"]), _("detail"): log["detail"].fillna("")}),
            hide_index=True, width="stretch")
