"""Active alerts as CAP 1.2 messages another agency's alerting system can ingest."""

from __future__ import annotations

import pandas as pd

from data_sources.capxml import (
    cap_area,
    cap_identifier,
    cap_time,
    element,
    new_message,
    to_bytes,
)
from model.situation import Summary

from .files import safe_filename

# Our alert level -> CAP severity; hazard -> CAP category.
SEVERITY = {"red": "Extreme", "orange": "Severe", "green": "Minor"}
CATEGORY = {"flood": "Met", "cyclone": "Met", "drought": "Env", "earthquake": "Geo",
            "landslide": "Geo", "wildfire": "Fire", "other": "Other"}
RESTRICTED = ("TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def alerts_to_cap(summary: Summary, sender: str, tlp: str) -> dict[str, bytes]:
    """One CAP 1.2 message per active alert: {file name: XML bytes}.

    DEMO alerts are sent with status "Exercise", never "Actual". Under
    TLP:AMBER or TLP:RED the scope is "Restricted" with the marking as restriction.
    """
    sent = pd.Timestamp.now(tz="UTC").floor("s")
    out = {}
    for alert in summary.alerts.itertuples():
        identifier = cap_identifier(f"samon-{alert.id}")
        root = new_message(
            identifier=identifier, sender=sender, sent=sent, msg_type="Alert",
            source=str(alert.source), demo=bool(alert.demo),
            restriction=f"{tlp}: share only as that marking allows" if tlp in RESTRICTED
            else None, note="DEMO DATA: synthetic alert from the demonstration scenario")
        sub = element
        info = sub(root, "info", None)
        sub(info, "language", str(alert.language) if pd.notna(alert.language) else "en")
        sub(info, "category", CATEGORY.get(str(alert.hazard), "Other"))
        sub(info, "event", str(alert.hazard))
        sub(info, "urgency", "Expected")
        sub(info, "severity", SEVERITY[str(alert.alert_level)])
        sub(info, "certainty", "Likely")
        sub(info, "effective", cap_time(alert.start))
        if pd.notna(alert.end):
            sub(info, "expires", cap_time(alert.end))
        sub(info, "senderName", sender)
        if pd.notna(alert.headline):
            sub(info, "headline", str(alert.headline))
        if pd.notna(alert.description):
            sub(info, "description", str(alert.description))
        if pd.notna(alert.link) and str(alert.link).startswith(("http://", "https://")):
            sub(info, "web", str(alert.link))
        cap_area(info, str(alert.countries) if pd.notna(alert.countries) else "", alert.geometry)
        out[safe_filename(f"{identifier}.xml")] = to_bytes(root)
    return out
