"""Who may see what: TLP 2.0 markings, distributions, roles and the viewer.

Every record, file and layer carries a marking: its originating agency and
that agency's country, a TLP level and a distribution (who it is shared
with). ``visible`` decides, for a whole table at once, which records a viewer
may see; the situation service applies it before any analysis, so no figure,
map or export is ever computed from a record its viewer may not see.

The rule, in one place:

- ``public``: everyone, anonymous visitors included (TLP:CLEAR only);
- ``members``: users of an agency of a member state (SAARC);
- ``country``: users of an agency of the originating country;
- ``group:NAME``: users of an agency in the sharing group NAME;
- ``agency``: users of the originating agency.

Users of the originating agency always see its records. TLP limits the
widest distribution a record can have (``widest_share``); anonymous visitors
see only TLP:CLEAR public records, and only when the node allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import pandas as pd

from model.i18n import N_, Said

from .schema import SAARC_ISO3

# FIRST TLP 2.0, least to most restricted.
TLP_LEVELS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")

SHARE_KINDS = ("agency", "group", "country", "members", "public")

# The widest distribution each TLP level allows: TLP:RED and AMBER+STRICT go to
# named recipients (an agency or a sharing group) only; nothing but TLP:CLEAR is public.
_WIDEST = {"TLP:CLEAR": "public", "TLP:GREEN": "members", "TLP:AMBER": "members",
           "TLP:AMBER+STRICT": "group", "TLP:RED": "group"}
# How far each distribution reaches, narrowest first (a group may span countries,
# but it is a list of named agencies: narrower than a whole country's).
_REACH = {"agency": 0, "group": 1, "country": 2, "members": 3, "public": 4}

# The columns that carry a record's marking (added where data enters: ingest,
# upload, scenario load; readers do not know them).
MARKING_COLUMNS = ("agency", "agency_country", "tlp", "share")


class AccessError(Said, PermissionError):
    """The viewer may not do this (a role too low, a marking they cannot set)."""


class MarkingError(Said, ValueError):
    """A TLP level or distribution that does not exist, or that cannot go together."""


def tlp_level(text: str) -> str:
    """'amber', 'TLP:AMBER', 'amber+strict' -> the canonical 'TLP:...' form."""
    value = text.strip().upper()
    value = value if value.startswith("TLP:") else f"TLP:{value}"
    if value not in TLP_LEVELS:
        raise MarkingError(N_("unknown TLP level '{value}'; use one of {choices}"), value=text,
                           choices=", ".join(t.removeprefix("TLP:") for t in TLP_LEVELS))
    return value


def highest_tlp(levels) -> str:
    """The most restricted of ``levels`` (TLP:CLEAR for none)."""
    ranks = [TLP_LEVELS.index(t) for t in levels]
    return TLP_LEVELS[max(ranks)] if ranks else TLP_LEVELS[0]


def share_kind(share: str) -> str:
    """'group:NAME' -> 'group'; the other distributions are their own kind."""
    return "group" if share.startswith("group:") else share


def parse_share(text: str) -> str:
    """A distribution as written on a command line or a form, checked."""
    value = text.strip()
    kind = share_kind(value)
    if kind not in SHARE_KINDS or (kind == "group" and not value[6:].strip()):
        raise MarkingError(N_("unknown distribution '{value}'; use agency, country, "
                              "group:NAME, members or public"), value=text)
    return f"group:{value[6:].strip()}" if kind == "group" else value


@dataclass(frozen=True)
class Marking:
    """Where a record or layer comes from and who may see it."""

    agency: str
    agency_country: str
    tlp: str = "TLP:CLEAR"
    share: str = "public"

    def __post_init__(self):
        check_marking(self.tlp, self.share)



def check_marking(tlp: str, share: str) -> None:
    """Refuse a distribution wider than the TLP level allows."""
    if tlp not in TLP_LEVELS:
        raise MarkingError(N_("unknown TLP level '{value}'"), value=tlp)
    kind = share_kind(parse_share(share))
    if _REACH[kind] > _REACH[_WIDEST[tlp]]:
        raise MarkingError(N_("{tlp} data cannot be shared with '{share}': the widest "
                              "distribution {tlp} allows is '{widest}'"), tlp=tlp, share=share,
                           widest=_WIDEST[tlp])


def widest_share(tlp: str) -> str:
    """The widest distribution ``tlp`` allows that needs no group name."""
    widest = _WIDEST[tlp]
    return "agency" if widest == "group" else widest


class Role(IntEnum):
    """Each role can do what the ones below it can."""

    viewer = 1  # see
    analyst = 2  # upload, run analyses, export data
    coordinator = 3  # reports, publish warnings, change the sharing of their agency's data
    admin = 4  # users, agencies, sharing groups

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().lower()]
        except KeyError:
            raise MarkingError(N_("unknown role '{value}'; use one of {choices}"), value=text,
                               choices=", ".join(r.name for r in cls)) from None


# What each action needs.
NEEDS = {"see": Role.viewer, "upload": Role.analyst, "analyse": Role.analyst,
         "export": Role.analyst, "report": Role.coordinator, "publish": Role.coordinator,
         "share": Role.coordinator, "rules": Role.coordinator, "admin": Role.admin}


@dataclass(frozen=True)
class Viewer:
    """Who is asking. ``kind``: 'user' (logged in), 'anonymous' (access control
    on, nobody logged in) or 'open' (access control off: one person on their
    own laptop, who sees everything, with a notice saying so)."""

    name: str
    kind: str = "user"
    agency: str = ""
    country: str = ""
    role: Role = Role.viewer
    groups: frozenset[str] = frozenset()
    anonymous_clear: bool = False  # anonymous visitors may see TLP:CLEAR public data
    # The interface language the user chose (model/i18n code); not a right: no cache key.
    language: str | None = field(default=None, compare=False)

    @property
    def member(self) -> bool:
        return self.country in SAARC_ISO3

    def may(self, action: str) -> bool:
        if self.kind == "open":
            return True
        if self.kind == "anonymous":
            return action == "see" and self.anonymous_clear
        return self.role >= NEEDS[action]

    def require(self, action: str) -> None:
        if self.may(action):
            return
        if self.kind == "anonymous":
            raise AccessError(N_("log in first: visitors who have not logged in may not "
                                 "{action} here"), action=action)
        raise AccessError(N_("{name} ({role}) may not {action}: it needs the role {needed} or "
                             "higher"), name=self.name, role=self.role.name, action=action,
                          needed=NEEDS[action].name)

    def key(self) -> tuple:
        """What decides which records this viewer sees (for caches): two users
        of one agency see the same data, whatever their names or roles."""
        return (self.kind, self.agency, self.country, tuple(sorted(self.groups)),
                self.anonymous_clear)


OPEN = Viewer("local user", kind="open")


def visible(frame: pd.DataFrame, viewer: Viewer) -> np.ndarray:
    """Boolean array over ``frame``'s rows (which carry MARKING_COLUMNS): which
    records ``viewer`` may see. A record without a marking is seen by nobody
    but the open viewer: unmarked data is never assumed public."""
    n = len(frame)
    if viewer.kind == "open":
        return np.ones(n, dtype=bool)
    if not set(MARKING_COLUMNS) <= set(frame.columns):
        return np.zeros(n, dtype=bool)
    share = frame["share"].astype("string").fillna("")
    tlp = frame["tlp"].astype("string").fillna("")
    public = (share == "public").to_numpy(dtype=bool) & (tlp == "TLP:CLEAR").to_numpy(dtype=bool)
    if viewer.kind == "anonymous":
        return public if viewer.anonymous_clear else np.zeros(n, dtype=bool)
    agency = frame["agency"].astype("string").fillna("")
    country = frame["agency_country"].astype("string").fillna("")
    own = (agency == viewer.agency).to_numpy(dtype=bool)
    same_country = ((share == "country") & (country == viewer.country)).to_numpy(dtype=bool)
    members = (share == "members").to_numpy(dtype=bool) & viewer.member
    groups = share.isin([f"group:{g}" for g in viewer.groups]).to_numpy(dtype=bool)
    return public | own | same_country | members | groups


def may_see(marking: Mapping[str, object], viewer: Viewer) -> bool:
    """The same rule for one marking (a raster's attributes, a file's)."""
    frame = pd.DataFrame([{c: marking.get(c) for c in MARKING_COLUMNS}])
    return bool(visible(frame, viewer)[0])
