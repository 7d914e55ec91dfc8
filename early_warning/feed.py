"""The node's CAP Atom feed: an index of its warnings' CAP messages, newest
first, in the form alert hubs (and our own ``cap`` source) consume."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

ATOM_NS = "http://www.w3.org/2005/Atom"


def atom_feed(messages: pd.DataFrame, links: dict[str, str], *, title: str,
              feed_id: str) -> bytes:
    """``messages``: rows of ``lifecycle.message_row``; ``links``: each
    message's identifier -> the URL of its CAP file."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        el.text = text
        return el

    def when(ts: pd.Timestamp) -> str:
        return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    newest = messages["sent"].max() if len(messages) else pd.Timestamp.now(tz="UTC")
    sub(feed, "updated", when(newest))
    for m in messages.sort_values("sent", ascending=False, kind="stable").itertuples():
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:samon:warning:{m.identifier}")
        sub(entry, "title", f"{m.kind}: {m.area} (rule {m.rule_id})")
        sub(entry, "updated", when(m.sent))
        sub(entry, "summary", m.reason)
        sub(entry, "link", href=links[m.identifier], type="application/cap+xml")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
