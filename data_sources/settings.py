"""Every setting, as one typed object: environment variables (SAMON_...) or a
``samon.env`` file in the working folder. With nothing configured no feed is
enabled and the DEMO scenario is the data."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from model import i18n

from .demo import cache_root


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMON_", env_file="samon.env",
                                      extra="ignore")

    store_path: Path = Field(default_factory=lambda: cache_root() / "store.gpkg")
    # The records in PostGIS (a regional hub): postgresql://user@host:port/database.
    # Accounts, the audit log and early-warning state stay in the GeoPackage above.
    store_url: str | None = None
    # Minimum needs of the displaced per country (JSON; model/needs.py): none, Sphere's.
    needs_file: Path | None = None
    # A dask.distributed scheduler (tcp://host:8786) to compute exposure on; none:
    # two threads of this machine.
    dask_scheduler: str | None = None
    sources: list[str] = []  # enabled sources, e.g. ["gdacs-events", "ibtracs"]
    scenario: Path | None = None  # a scenario manifest (JSON) instead of the demo
    data_tlp: str = "TLP:CLEAR"  # the marking of data from the live store
    basemap_url: str = "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png"
    timeout_s: float = 20.0
    retries: int = 3
    backoff_s: float = 1.0
    max_bytes: int = 100_000_000
    stale_after_h: float = 6.0  # a source older than this is shown as stale
    # The interface's language when a link or user names none (model/i18n.py), and
    # digits: "locale" (each language's usual), "latin" (0-9) or "native".
    language: str = "en"
    digits: str = "locale"

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return i18n.get(value).code  # a language we do not have is an error, not English

    @field_validator("digits")
    @classmethod
    def _known_digits(cls, value: str) -> str:
        if value not in i18n.DIGIT_STYLES:
            raise ValueError(f"unknown digit style {value!r}; one of: "
                             f"{', '.join(i18n.DIGIT_STYLES)}")
        return value

    gdacs_events_url: str = ("https://www.gdacs.org/gdacsapi/api/events/geteventlist/SEARCH"
                             "?alertlevel=Green;Orange;Red&eventlist=EQ;TC;FL;DR;WF")
    gdacs_rss_url: str = "https://www.gdacs.org/xml/rss.xml"
    cap_feeds: list[str] = []  # RSS or Atom indexes of CAP messages
    # CAP messages are fetched from the index's own host, plus these hosts; never
    # from private, loopback or link-local addresses unless cap_allow_private.
    cap_link_hosts: list[str] = []
    cap_allow_private: bool = False
    reliefweb_url: str = "https://api.reliefweb.int/v2/disasters"
    reliefweb_reports_url: str = "https://api.reliefweb.int/v2/reports"
    reliefweb_appname: str = ""
    acled_url: str = "https://acleddata.com/api/acled/read"
    acled_key: SecretStr | None = None
    acled_email: SecretStr | None = None
    ibtracs_url: str = ("https://www.ncei.noaa.gov/data/international-best-track-archive-for-"
                        "climate-stewardship-ibtracs/v04r01/access/csv/ibtracs.NI.list.v04r01.csv")
    hdx_url: str = "https://data.humdata.org/api/3/action/package_show"
    hdx_datasets: list[str] = []  # CKAN dataset ids (IOM DTM, IDMC ...)

    # Early-warning rules (TOML; early_warning/rules.py); None: the DEMO's rules.
    rules: Path | None = None
    warning_days: int = 30  # the rules are evaluated over this many days to the data's as-of
    # Sending warnings (python -m early_warning run / serve)
    warning_sender: str = "early-warning@localhost"  # CAP sender, e-mail From
    warning_base_url: str = "http://127.0.0.1:8600"  # where `early_warning serve` is reached
    smtp_url: str | None = None  # smtp://host:port
    mqtt_url: str | None = None  # mqtt://host:port

    # The regional network (python -m node serve): this node's name among its peers,
    # the address its API is reached at (links in its notifications), the root of
    # the broker topics it announces on (<root>/<ISO3>/<agency>/<kind>).
    node_name: str = "node"
    node_url: str = "http://127.0.0.1:8700"
    topic_root: str = "rsn"
    sync_every_s: float = 60.0  # a full catch-up with every peer at least this often

    # Access control (service.access). "on" or "off"; unset: on once any user exists.
    access: str | None = None
    anonymous: str = "none"  # what visitors who have not logged in see: "none" or "clear"
    session_hours: float = 8.0
    lockout_failures: int = 5  # failed logins in a row that lock an account ...
    lockout_minutes: float = 15.0  # ... for this long
    # OpenID Connect (st.login): the claims naming a user's agency and role; the
    # agency's country comes from our agency registry.
    oidc_agency_claim: str = "agency"
    oidc_role_claim: str = "role"
    oidc_name_claim: str = "preferred_username"
