"""Writing CAP 1.2 (OASIS Common Alerting Protocol) elements: the pieces every
CAP message we send is made of (exported alerts, our own warnings)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import shapely

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"


def cap_time(ts) -> str:
    """CAP dateTime: explicit offset, no fractional seconds, never 'Z'."""
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S+00:00")


def cap_identifier(value: str) -> str:
    # CAP identifiers may not contain spaces, commas or restricted characters (< and &).
    return re.sub(r"[\s,<&]", "_", value)


def element(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    el.text = text
    return el


def cap_area(info: ET.Element, description: str, geometry,
             geocodes: dict[str, str] | None = None) -> None:
    """An <area>: its description, a polygon per part (or a circle for a
    point), and its geocodes (valueName -> value)."""
    area = element(info, "area")
    element(area, "areaDesc", description or "see headline")
    if geometry is not None and geometry.geom_type == "Point":
        element(area, "circle", f"{geometry.y:.4f},{geometry.x:.4f} 0")
    elif geometry is not None and not geometry.is_empty:
        for polygon in shapely.get_parts(geometry):
            if polygon.geom_type == "Polygon":  # CAP writes latitude first
                element(area, "polygon",
                        " ".join(f"{y:.4f},{x:.4f}" for x, y in polygon.exterior.coords))
    for name, value in (geocodes or {}).items():
        geocode = element(area, "geocode")
        element(geocode, "valueName", name)
        element(geocode, "value", value)


def new_message(*, identifier: str, sender: str, sent, msg_type: str, source: str,
                demo: bool, restriction: str | None, note: str,
                addresses: list[str] | None = None) -> ET.Element:
    """A message's head: DEMO messages are Exercises, never Actual; with a
    ``restriction`` the scope is Restricted, with ``addresses`` Private (to
    them alone); ``note`` is said of DEMO ones."""
    ET.register_namespace("", CAP_NS)
    root = ET.Element(f"{{{CAP_NS}}}alert")
    element(root, "identifier", identifier)
    element(root, "sender", sender)
    element(root, "sent", cap_time(sent))
    element(root, "status", "Exercise" if demo else "Actual")
    element(root, "msgType", msg_type)
    element(root, "source", source)
    element(root, "scope", "Private" if addresses else "Restricted" if restriction
            else "Public")
    if restriction and not addresses:
        element(root, "restriction", restriction)
    if addresses:
        # CAP separates addresses with spaces; one with a space is quoted.
        element(root, "addresses", " ".join(f'"{a}"' if " " in a else a for a in addresses))
    if demo:
        element(root, "note", note)
    return root


def to_bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
