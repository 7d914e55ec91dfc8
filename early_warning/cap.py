"""Our warnings as CAP 1.2 messages."""

from __future__ import annotations

from data_sources.capxml import cap_area, cap_time, element, new_message, to_bytes

from .lifecycle import Message

CATEGORY = {"flood": "Met", "cyclone": "Met", "drought": "Env", "earthquake": "Geo",
            "landslide": "Geo", "wildfire": "Fire"}
EVENT = {"hazard_alert": "{hazard} alert", "incident_surge": "Surge of border incidents",
         "displacement_jump": "Rise in displacement", "exposure": "{hazard} impact"}
RESTRICTED = ("TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def message_to_cap(message: Message, sender: str) -> bytes:
    """One CAP 1.2 message. DEMO-based warnings are Exercises, never Actual;
    a restricted rule's warnings are scope Restricted with its marking."""
    f, rule = message.finding, message.finding.rule
    restricted = rule.tlp in RESTRICTED or rule.share != "public"
    root = new_message(
        identifier=message.identifier, sender=sender, sent=message.sent,
        msg_type=message.kind, source=f"rule {rule.id}", demo=f.demo,
        restriction=f"{rule.tlp}, shared with {rule.share}" if restricted else None,
        note="DEMO DATA: raised from the demonstration scenario")
    if message.references:
        element(root, "references", " ".join(f"{sender},{ref},{cap_time(sent)}"
                                             for ref, sent in message.references))
    info = element(root, "info")
    element(info, "language", "en")
    element(info, "category", CATEGORY.get(f.hazard, "Security" if rule.kind ==
                                           "incident_surge" else "Other"))
    event = EVENT[rule.kind].format(hazard=f.hazard.capitalize())
    element(info, "event", event)
    element(info, "responseType", "AllClear" if message.kind == "Cancel" else rule.response)
    element(info, "urgency", "Past" if message.kind == "Cancel" else rule.urgency)
    element(info, "severity", rule.severity)
    element(info, "certainty", rule.certainty)
    element(info, "effective", cap_time(message.sent))
    element(info, "senderName", sender)
    element(info, "headline", f"{event}: {f.area}" + (" (ended)" if message.kind == "Cancel"
                                                      else ""))
    element(info, "description", message.reason)
    for name, value in f.figures.items():
        parameter = element(info, "parameter")
        element(parameter, "valueName", name)
        element(parameter, "value", "" if value is None else str(value))
    cap_area(info, f.area, f.geometry)
    return to_bytes(root)
