"""Our warnings as CAP 1.2 messages."""

from __future__ import annotations

from data_sources.capxml import cap_area, cap_time, element, new_message, to_bytes
from model.schema import SAARC_ISO3

from .lifecycle import Message

CATEGORY = {"flood": "Met", "cyclone": "Met", "drought": "Env", "earthquake": "Geo",
            "landslide": "Geo", "wildfire": "Fire"}
EVENT = {"hazard_alert": "{hazard} alert", "incident_surge": "Surge of border incidents",
         "displacement_jump": "Rise in displacement", "exposure": "{hazard} impact"}
RESTRICTED = ("TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def message_to_cap(message: Message, sender: str, addresses: list[str] | None = None) -> bytes:
    """One CAP 1.2 message, with an ``<info>`` in English and one in each
    language the rule gives its words in. DEMO-based warnings are Exercises,
    never Actual; a restricted rule's warnings are scope Restricted with its
    marking, or Private to ``addresses`` (a sharing group's agencies)."""
    f, rule = message.finding, message.finding.rule
    restricted = rule.tlp in RESTRICTED or rule.share != "public"
    root = new_message(
        identifier=message.identifier, sender=sender, sent=message.sent,
        msg_type=message.kind, source=f"rule {rule.id}", demo=f.demo,
        restriction=f"{rule.tlp}, shared with {rule.share}" if restricted else None,
        note="DEMO DATA: raised from the demonstration scenario", addresses=addresses)
    if message.references:
        element(root, "references", " ".join(f"{sender},{ref},{cap_time(sent)}"
                                             for ref, sent in message.references))
    ended = message.kind == "Cancel"
    event_en = EVENT[rule.kind].format(hazard=f.hazard.capitalize())
    english = {"event": event_en, "headline": event_en + ": {area}",
               "instruction": rule.instruction}
    for language, words in {"en": english, **rule.text}.items():
        event = words.get("event") or english["event"]
        info = element(root, "info")
        element(info, "language", language)
        element(info, "category", CATEGORY.get(f.hazard, "Security" if rule.kind ==
                                               "incident_surge" else "Other"))
        element(info, "event", event)
        element(info, "responseType", "AllClear" if ended else rule.response)
        element(info, "urgency", "Past" if ended else rule.urgency)
        element(info, "severity", rule.severity)
        element(info, "certainty", rule.certainty)
        element(info, "effective", cap_time(message.sent))
        element(info, "senderName", sender)
        element(info, "headline", words["headline"].replace("{area}", f.area)
                + (" (ended)" if ended else ""))
        # The reasons (rule, figures, test) are the engine's, in English.
        element(info, "description", message.reason)
        if words.get("instruction") and not ended:
            element(info, "instruction", words["instruction"])
        for name, value in f.figures.items():
            parameter = element(info, "parameter")
            element(parameter, "valueName", name)
            element(parameter, "value", "" if value is None else str(value))
        cap_area(info, f.area, f.geometry, {"ISO3166-1-alpha-3": f.key} if f.key in SAARC_ISO3
                 else None)
    return to_bytes(root)
