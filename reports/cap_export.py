"""Active alerts as CAP 1.2 messages another agency's alerting system can ingest."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import shapely

from model.situation import Summary

from .files import safe_filename

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# Our alert level -> CAP severity; hazard -> CAP category.
SEVERITY = {"red": "Extreme", "orange": "Severe", "green": "Minor"}
CATEGORY = {"flood": "Met", "cyclone": "Met", "drought": "Env", "earthquake": "Geo",
            "landslide": "Geo", "wildfire": "Fire", "other": "Other"}
RESTRICTED = ("TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def cap_time(ts) -> str:
    """CAP dateTime: explicit offset, no fractional seconds, never 'Z'."""
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _identifier(value: str) -> str:
    # CAP identifiers may not contain spaces, commas or restricted characters (< and &).
    return re.sub(r"[\s,<&]", "_", value)


def _el(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    el.text = text
    return el


def _area(info: ET.Element, description: str, geometry) -> None:
    area = _el(info, "area")
    _el(area, "areaDesc", description or "see headline")
    if geometry is None or geometry.is_empty:
        return
    if geometry.geom_type == "Point":
        _el(area, "circle", f"{geometry.y:.4f},{geometry.x:.4f} 0")
        return
    for polygon in shapely.get_parts(geometry):
        if polygon.geom_type == "Polygon":  # CAP writes latitude first
            _el(area, "polygon", " ".join(f"{y:.4f},{x:.4f}" for x, y in polygon.exterior.coords))


def alerts_to_cap(summary: Summary, sender: str, tlp: str) -> dict[str, bytes]:
    """One CAP 1.2 message per active alert: {file name: XML bytes}.

    DEMO alerts are sent with status "Exercise", never "Actual". Under
    TLP:AMBER or TLP:RED the scope is "Restricted" with the marking as restriction.
    """
    ET.register_namespace("", CAP_NS)
    sent = cap_time(pd.Timestamp.now(tz="UTC").floor("s"))
    out = {}
    for alert in summary.alerts.itertuples():
        root = ET.Element(f"{{{CAP_NS}}}alert")
        sub = _el
        identifier = _identifier(f"samon-{alert.id}")
        sub(root, "identifier", identifier)
        sub(root, "sender", sender)
        sub(root, "sent", sent)
        sub(root, "status", "Exercise" if alert.demo else "Actual")
        sub(root, "msgType", "Alert")
        sub(root, "source", str(alert.source))
        if tlp in RESTRICTED:
            sub(root, "scope", "Restricted")
            sub(root, "restriction", f"{tlp}: share only as that marking allows")
        else:
            sub(root, "scope", "Public")
        if alert.demo:
            sub(root, "note", "DEMO DATA: synthetic alert from the demonstration scenario")
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
        _area(info, str(alert.countries) if pd.notna(alert.countries) else "", alert.geometry)
        out[safe_filename(f"{identifier}.xml")] = ET.tostring(root, encoding="utf-8",
                                                              xml_declaration=True)
    return out
