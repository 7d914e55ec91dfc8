"""Our warnings as CAP 1.2 messages."""

from __future__ import annotations

from data_sources.capxml import cap_area, cap_time, element, new_message, to_bytes
from model import i18n
from model.i18n import N_, _, joined
from model.schema import SAARC_ISO3

from .lifecycle import Message

CATEGORY = {"flood": "Met", "cyclone": "Met", "drought": "Env", "earthquake": "Geo",
            "landslide": "Geo", "wildfire": "Fire"}
EVENT = {"hazard_alert": N_("{hazard} alert"), "incident_surge": N_("Surge of border incidents"),
         "displacement_jump": N_("Rise in displacement"), "exposure": N_("{hazard} impact")}
HAZARD = {"flood": N_("Flood"), "cyclone": N_("Cyclone"), "earthquake": N_("Earthquake"),
          "drought": N_("Drought"), "landslide": N_("Landslide"), "wildfire": N_("Wildfire"),
          "other": N_("Other hazard")}
RESTRICTED = ("TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def message_to_cap(message: Message, sender: str, addresses: list[str] | None = None) -> bytes:
    """One CAP 1.2 message, with an ``<info>`` in English and one in each
    language the rule gives its words in (``text``) or names (``languages``:
    event, headline and reasons from the interface's catalogues; an instruction
    the rule gives only in English stays English). DEMO-based warnings are Exercises,
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
    for language in dict.fromkeys(["en", *rule.text, *rule.languages]):
        words = rule.text.get(language, {})
        # A language the rule spells out but we have no catalogue for: its own
        # words, the rest in English.
        with i18n.language(i18n.known(language) or "en"):
            info = _info(root, message, sender, language, words, ended)
        cap_area(info, f.area, f.geometry, {"ISO3166-1-alpha-3": f.key} if f.key in SAARC_ISO3
                 else None)
    return to_bytes(root)


def _info(root, message: Message, sender: str, language: str, words: dict[str, str],
          ended: bool):
    f, rule = message.finding, message.finding.rule
    event = words.get("event") or _(EVENT[rule.kind],
                                    hazard=_(HAZARD.get(f.hazard, HAZARD["other"])))
    headline = (words["headline"].replace("{area}", f.area) if words.get("headline")
                else _("{event}: {area}", event=event, area=f.area))
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
    element(info, "headline", _("{headline} (ended)", headline=headline) if ended else headline)
    element(info, "description", joined(message.why))
    instruction = words.get("instruction") or rule.instruction
    if instruction and not ended:
        element(info, "instruction", instruction)
    # Parameters are for machines: names and values as the engine wrote them.
    for name, value in f.figures.items():
        parameter = element(info, "parameter")
        element(parameter, "valueName", name)
        element(parameter, "value", "" if value is None else str(value))
    return info
