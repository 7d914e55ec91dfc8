"""Identity and the audit log: who is asking, and what they did.

Two ways in: local accounts (argon2 password hashes in the store; locked after
repeated failures) and OpenID Connect (``st.login``; the claims name the
agency and role). Both end in a ``Session``: a ``Viewer`` and an expiry.
Command lines use bearer tokens (``python -m access token create``), stored
as SHA-256 digests. What a viewer may see is decided by ``model.access``,
applied by the situation service; this module says who the viewer is.

Access control is on when ``SAMON_ACCESS=on`` or once any user exists; with
nothing configured it is off and the one person at the laptop sees everything
(``OPEN``), with a notice saying so.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data_sources.accounts import Accounts, User
from data_sources.settings import Settings
from data_sources.stores import open_store, store_exists
from model import i18n
from model.access import OPEN, AccessError, MarkingError, Role, Viewer, parse_share
from model.i18n import N_
from model.schema import SAARC_ISO3

MIN_PASSWORD = 12
ENABLED_CHECK_S = 10.0
_HASHER = PasswordHasher()
# The DEMO agencies and users ``create_demo_accounts`` makes (all marked DEMO).
DEMO_PARTNER = "DEMO-OCHA"
DEMO_USERS = {"demo-admin": ("DEMO-IND", "admin"), "demo-coordinator": ("DEMO-IND", "coordinator"),
              "demo-analyst": ("DEMO-BGD", "analyst"), "demo-viewer": ("DEMO-PAK", "viewer"),
              "demo-partner": (DEMO_PARTNER, "viewer")}


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that a wrong name takes
    as long as a wrong password (no way to learn which names exist). Made at the
    first login, not at import: hashing costs every start 0.15 s."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class LoginError(AccessError):
    """A login refused: wrong name or password, a locked or disabled account,
    an expired or revoked token, claims naming no known agency."""


@dataclass(frozen=True)
class Session:
    viewer: Viewer
    expires: pd.Timestamp
    method: str  # "password", "oidc" or "token"


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccessService:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._enabled_at: tuple[float, bool] | None = None  # (monotonic time, answer)

    def _store(self):
        """The node's store, where its accounts and audit log are (PostgreSQL on a hub)."""
        return open_store(self.settings)

    # -- mode ---------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        """On when set so, or once any user exists (off when set 'off')."""
        mode = (self.settings.access or "").strip().lower()
        if mode in ("on", "off"):
            return mode == "on"
        # Asked on every page run: the store is looked at once every few seconds.
        now = time.monotonic()
        if self._enabled_at is None or now - self._enabled_at[0] > ENABLED_CHECK_S or \
                not self._enabled_at[1]:
            self._enabled_at = (now, self.users_exist())
        return self._enabled_at[1]

    def users_exist(self) -> bool:
        if not store_exists(self.settings):
            return False
        with self._store() as store:
            return Accounts(store).any_user()

    def nobody(self) -> Viewer:
        """The viewer before any login: everyone (OPEN) when access control is
        off; else an anonymous visitor (TLP:CLEAR public data, if the node allows)."""
        if not self.enabled:
            return OPEN
        return Viewer("anonymous", kind="anonymous",
                      anonymous_clear=self.settings.anonymous.strip().lower() == "clear")

    def current(self, session: Session | None) -> Viewer:
        """The viewer of a session, or ``nobody()`` once it has expired or when
        there is none; a session also ends when its user is disabled."""
        if session is None or session.expires <= _now() or not self.enabled:
            return self.nobody()
        if session.method != "oidc":
            with self._store() as store:
                user = Accounts(store).user(session.viewer.name)
            if user is None or user.disabled:
                return self.nobody()
        return session.viewer

    # -- logins -------------------------------------------------------------------------

    def _session(self, user: User, method: str) -> Session:
        viewer = Viewer(user.name, agency=user.agency, country=user.country,
                        role=Role.parse(user.role), groups=user.groups, language=user.language)
        return Session(viewer, _now() + pd.Timedelta(hours=self.settings.session_hours), method)

    def login(self, name: str, password: str) -> Session:
        """A local account's login. Every attempt is in the audit log; after
        ``lockout_failures`` failures in a row the account is locked for a while."""
        with self._store() as store:
            accounts = Accounts(store)
            user = accounts.user(name)
            stored = user.password_hash if user and user.password_hash else _dummy_hash()
            try:
                ok = _HASHER.verify(stored, password) and user is not None \
                    and user.password_hash is not None
            except (VerificationError, InvalidHashError):
                ok = False
            now = _now()
            refusal = None
            # The outcome is written first, then told: a refusal raised inside
            # the transaction would roll back the failure count and its audit entry.
            with store.transaction() as db:
                if user is not None and user.locked_until is not None and \
                        user.locked_until > now:
                    accounts.append_audit(db, name, "login refused", {"reason": "locked"})
                    refusal = (f"the account {name} is locked after repeated failed logins "
                               f"until {user.locked_until:%H:%M} UTC")
                elif not ok or user is None:
                    locked = None
                    if user is not None and user.failures + 1 >= self.settings.lockout_failures:
                        locked = now + pd.Timedelta(minutes=self.settings.lockout_minutes)
                    if user is not None:
                        accounts.login_failed(db, name, locked)
                    accounts.append_audit(db, name, "login failed",
                                          {"locked": locked is not None})
                    refusal = "wrong user name or password"
                elif user.disabled:
                    accounts.append_audit(db, name, "login refused", {"reason": "disabled"})
                    refusal = f"the account {name} is disabled"
                else:
                    accounts.login_succeeded(db, name)
                    accounts.append_audit(db, name, "login", {"method": "password"})
            if refusal is not None or user is None:
                raise LoginError(refusal or "wrong user name or password")
            if _HASHER.check_needs_rehash(stored):
                with store.transaction() as db:
                    accounts.set_password(db, name, _HASHER.hash(password))
            return self._session(user, "password")

    def login_oidc(self, claims: Mapping[str, object]) -> Session:
        """A login through OpenID Connect: the provider vouched for the claims;
        the agency they name must be one of ours, the role one of the four. The
        session runs from the sign-in at the provider (the ID token's ``iat``):
        Streamlit keeps its login cookie for 30 days, our sessions end sooner."""
        s = self.settings
        issued = claims.get("iat")
        signed_in = (pd.Timestamp(int(issued), unit="s", tz="UTC")  # type: ignore[call-overload]
                     if issued is not None else _now())
        expires = signed_in + pd.Timedelta(hours=s.session_hours)
        if expires <= _now():
            raise LoginError(f"your sign-in at {signed_in:%Y-%m-%d %H:%M} UTC is older than "
                             f"{s.session_hours:g} h: log out and sign in again")
        name = str(claims.get(s.oidc_name_claim) or claims.get("email") or
                   claims.get("sub") or "")
        agency_code = str(claims.get(s.oidc_agency_claim) or "")
        role_text = str(claims.get(s.oidc_role_claim) or "viewer")
        with self._store() as store:
            accounts = Accounts(store)
            agency = accounts.agency(agency_code)
            if not name or agency is None:
                with store.transaction() as db:
                    accounts.append_audit(db, name or "?", "login refused",
                                          {"method": "oidc", "agency": agency_code})
                raise LoginError(f"the identity provider names no agency known here "
                                 f"(claim '{s.oidc_agency_claim}': '{agency_code}'); "
                                 "ask an administrator to add it")
            try:
                role = Role.parse(role_text)
            except MarkingError as exc:
                raise LoginError(f"the identity provider's role claim "
                                 f"('{s.oidc_role_claim}'): {exc}") from None
            with store.transaction() as db:
                accounts.append_audit(db, name, "login", {"method": "oidc",
                                                          "agency": agency_code,
                                                          "role": role.name})
            groups = accounts.groups_of(agency_code)
        # OpenID Connect's standard 'locale' claim (BCP 47, 'ur-PK'): a language of ours or none.
        viewer = Viewer(name, agency=agency_code, country=agency["country"], role=role,
                        groups=groups, language=i18n.known(str(claims.get("locale") or "")))
        return Session(viewer, expires, "oidc")

    def set_language(self, viewer: Viewer, code: str) -> None:
        """Keep ``code`` as the language of ``viewer`` (a local account) for its next logins."""
        code = i18n.get(code).code
        if viewer.kind != "user":
            return
        with self._store() as store, store.transaction() as db:
            Accounts(store).set_language(db, viewer.name, code)

    def logout(self, session: Session) -> None:
        self.record(session.viewer, "logout", {})

    # -- tokens -------------------------------------------------------------------------

    def create_token(self, name: str, hours: float | None = None) -> str:
        """A new bearer token for user ``name`` (shown once; stored as a digest)."""
        token = "samon_" + secrets.token_urlsafe(32)
        expires = _now() + pd.Timedelta(hours=hours or self.settings.session_hours)
        with self._store() as store:
            accounts = Accounts(store)
            if accounts.user(name) is None:
                raise LoginError(f"no user named {name}")
            with store.transaction() as db:
                token_id = accounts.add_token(db, name, token_digest(token), expires)
                accounts.append_audit(db, _operator(), "token create",
                                      {"user": name, "token": token_id,
                                       "expires": expires.isoformat()})
        return token

    def revoke_token(self, token_id: int) -> None:
        with self._store() as store:
            accounts = Accounts(store)
            with store.transaction() as db:
                if not accounts.revoke_token(db, token_id):
                    raise LoginError(f"no active token {token_id}")
                accounts.append_audit(db, _operator(), "token revoke", {"token": token_id})

    def from_token(self, token: str | None) -> Viewer:
        """The viewer a command line acts as: ``nobody()`` without a token;
        refused when the token is unknown, expired or revoked."""
        if not token:
            return self.nobody()
        with self._store() as store:
            accounts = Accounts(store)
            row = accounts.token(token_digest(token.strip()))
            if row is None:
                raise LoginError("the token is not known here")
            if row["revoked"]:
                raise LoginError(f"token {row['id']} was revoked")
            if row["expires"] <= _now():
                raise LoginError(f"token {row['id']} expired at "
                                 f"{row['expires']:%Y-%m-%d %H:%M} UTC")
            user = accounts.user(row["user"])
        if user is None or user.disabled:
            raise LoginError(f"the token's user {row['user']} is disabled")
        return self._session(user, "token").viewer

    # -- administration (the node's operator on its command line, or an admin) ----------

    def add_agency(self, code: str, country: str, name: str, *, by: Viewer = OPEN,
                   demo: bool = False) -> None:
        by.require("admin")
        code, country = code.strip(), country.strip().upper()
        if not code or len(country) != 3 or not country.isalpha():
            raise AccessError(N_("an agency needs a code and a country (ISO 3166 alpha-3, or "
                                 "INT for an international organisation)"))
        with self._store() as store:
            accounts = Accounts(store)
            if accounts.agency(code) is not None:
                raise AccessError(N_("the agency {code} exists already"), code=code)
            with store.transaction() as db:
                accounts.add_agency(db, code, country, name, demo)
                accounts.append_audit(db, _who(by), "agency add",
                                      {"agency": code, "country": country, "name": name})

    def add_user(self, name: str, agency: str, role: str, password: str | None, *,
                 by: Viewer = OPEN, demo: bool = False) -> None:
        by.require("admin")
        parsed = Role.parse(role)
        if password is not None:
            _check_password(password)
        with self._store() as store:
            accounts = Accounts(store)
            if accounts.agency(agency) is None:
                raise AccessError(N_("no agency {code}: add it first (python -m access agency "
                                     "add)"), code=agency)
            if accounts.user(name) is not None:
                raise AccessError(N_("the user {name} exists already"), name=name)
            with store.transaction() as db:
                accounts.add_user(db, name, agency, parsed.name,
                                  _HASHER.hash(password) if password is not None else None,
                                  demo)
                accounts.append_audit(db, _who(by), "user add",
                                      {"user": name, "agency": agency, "role": parsed.name})

    def set_password(self, name: str, password: str, *, by: Viewer = OPEN) -> None:
        if not (by.kind == "user" and by.name == name):
            by.require("admin")
        _check_password(password)
        with self._store() as store:
            accounts = Accounts(store)
            if accounts.user(name) is None:
                raise AccessError(N_("no user named {name}"), name=name)
            with store.transaction() as db:
                accounts.set_password(db, name, _HASHER.hash(password))
                accounts.append_audit(db, _who(by), "password set", {"user": name})

    def disable_user(self, name: str, *, by: Viewer = OPEN) -> None:
        by.require("admin")
        with self._store() as store:
            accounts = Accounts(store)
            if accounts.user(name) is None:
                raise AccessError(N_("no user named {name}"), name=name)
            with store.transaction() as db:
                accounts.set_disabled(db, name, True)
                accounts.append_audit(db, _who(by), "user disable", {"user": name})

    def add_group(self, name: str, agencies: list[str], *, by: Viewer = OPEN) -> None:
        by.require("admin")
        parse_share(f"group:{name}")
        with self._store() as store:
            accounts = Accounts(store)
            unknown = [a for a in agencies if accounts.agency(a) is None]
            if unknown:
                raise AccessError(N_("no agency {codes}"), codes=", ".join(unknown))
            if accounts.group_exists(name):
                raise AccessError(N_("the sharing group {name} exists already"), name=name)
            with store.transaction() as db:
                accounts.add_group(db, name, agencies)
                accounts.append_audit(db, _who(by), "group add",
                                      {"group": name, "agencies": agencies})

    def create_demo_accounts(self, password: str) -> list[str]:
        """The DEMO agencies (one per member state, and a partner) and a user of
        each role, all with ``password`` (chosen by whoever starts the demo:
        there is no default password). Returns the user names."""
        _check_password(password)
        with self._store() as store:
            accounts = Accounts(store)
            have = set(accounts.agencies()["code"])
        for iso3 in SAARC_ISO3:
            if f"DEMO-{iso3}" not in have:
                self.add_agency(f"DEMO-{iso3}", iso3, f"DEMO disaster agency ({iso3})",
                                demo=True)
        if DEMO_PARTNER not in have:
            self.add_agency(DEMO_PARTNER, "INT", "DEMO partner (UN OCHA-like)", demo=True)
        made = []
        with self._store() as store:
            existing = set(Accounts(store).users()["name"])
        for name, (agency, role) in DEMO_USERS.items():
            if name not in existing:
                self.add_user(name, agency, role, password, demo=True)
                made.append(name)
        return made

    # -- audit --------------------------------------------------------------------------

    def record(self, viewer: Viewer, action: str, detail: dict) -> None:
        """One entry in the audit log (nothing when access control is off: there
        is nobody to tell apart)."""
        if viewer.kind == "open":
            return
        with self._store() as store:
            with store.transaction() as db:
                Accounts(store).append_audit(db, _who(viewer), action, detail)

    def audit(self, user: str | None = None, since: pd.Timestamp | None = None
              ) -> pd.DataFrame:
        with self._store() as store:
            return Accounts(store).audit(user, since)

    def verify_audit(self) -> tuple[int, str | None]:
        with self._store() as store:
            return Accounts(store).verify_audit()

    def agencies(self) -> pd.DataFrame:
        with self._store() as store:
            return Accounts(store).agencies()

    def users(self) -> pd.DataFrame:
        with self._store() as store:
            return Accounts(store).users()

    def groups(self) -> pd.DataFrame:
        with self._store() as store:
            return Accounts(store).groups()

    def tokens(self) -> pd.DataFrame:
        """Every token: id, user, created, expires, revoked (never the token itself)."""
        with self._store() as store:
            return Accounts(store).tokens()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccessError(N_("a password needs at least {count} characters"),
                          count=MIN_PASSWORD)


def _operator() -> str:
    """Who runs a command line on this node: its operating-system user."""
    try:
        return f"operator:{getpass.getuser()}"
    except OSError:
        return "operator"


def _who(viewer: Viewer) -> str:
    return _operator() if viewer.kind == "open" else viewer.name
