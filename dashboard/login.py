"""Who is at the screen: the login page, the session, the account box.

The session (a ``service.access.Session``) lives in this browser session's
state on the server; it ends when it expires (SAMON_SESSION_HOURS), on logout,
or when the page is reloaded (local accounts; an OpenID Connect login is kept
in Streamlit's own cookie and resumes by itself).
"""

from __future__ import annotations

import streamlit as st

from model.access import AccessError, Viewer
from model.i18n import _, said
from service import SituationService

SESSION = "access_session"


def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (st.login)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def viewer(service: SituationService) -> Viewer:
    """The viewer of this browser session (``access.nobody()`` before a login)."""
    access = service.access
    session = st.session_state.get(SESSION)
    if session is None and oidc_configured() and st.user.is_logged_in:
        try:
            session = st.session_state[SESSION] = access.login_oidc(st.user.to_dict())
        except AccessError as exc:
            st.error(_("Your login was refused: {error}", error=said(exc)))
            st.button(_("Log out"), on_click=st.logout, key="oidc_refused_logout")
            st.stop()
    current = access.current(session)
    if session is not None and current.kind != "user":
        del st.session_state[SESSION]
        st.warning(_("Your session has ended (it expired, or your account was disabled); "
                     "please log in again."))
    return current


def login_page(service: SituationService) -> None:
    """Shown instead of the data to visitors who may see nothing yet."""
    access = service.access
    st.title(_("South Asia Monitor"))
    st.write(_("This node shares data under sharing rules: log in to see what your agency "
               "may see."))
    if oidc_configured():
        st.button(_("Log in with your organisation's account (OpenID Connect)"),
                  on_click=st.login, key="login_oidc", type="primary")
    with st.form("login", enter_to_submit=True):
        name = st.text_input(_("User name"), key="login_name")
        password = st.text_input(_("Password"), type="password", key="login_password")
        if st.form_submit_button(_("Log in")):
            try:
                st.session_state[SESSION] = access.login(name.strip(), password)
            except AccessError as exc:
                st.error(said(exc))
            else:
                st.rerun()
    if not access.users_exist():
        _first_start(service)


def _first_start(service: SituationService) -> None:
    st.divider()
    st.subheader(_("No accounts yet"))
    st.write(_("Create the DEMO agencies (one per member state and a partner) and one DEMO "
               "user of each role, to try the sharing rules. Choose their password: there is "
               "no default one. Real accounts: `python -m access` (see the README)."))
    with st.form("demo_accounts"):
        first = st.text_input(_("Password for the DEMO users (12 characters or more)"),
                              type="password", key="demo_password")
        again = st.text_input(_("The same password again"), type="password",
                              key="demo_password_again")
        if st.form_submit_button(_("Create the DEMO accounts")):
            if first != again:
                st.error(_("The two passwords differ."))
            else:
                try:
                    made = service.access.create_demo_accounts(first)
                except AccessError as exc:
                    st.error(said(exc))
                else:
                    st.success(_("Created: {users}. Log in with one of them.",
                                 users=", ".join(made)))


def account_box(service: SituationService, who: Viewer) -> None:
    """The sidebar's account box: who is logged in and a logout button, or the
    notice that access control is off."""
    with st.sidebar:
        if who.kind == "open":
            st.warning(_("Access control is off: everyone who can open this page sees all "
                         "data. Turn it on with SAMON_ACCESS=on (README: Users, agencies and "
                         "sharing)."), icon=None)
            return
        if who.kind == "anonymous":
            st.caption(_("Not logged in: you see TLP:CLEAR public data only."))
            if st.button(_("Log in"), key="login_from_sidebar"):
                st.session_state["show_login"] = True
                st.rerun()
            return
        st.caption(_("Logged in as {name} ({role}, {agency}, {country})", name=f"**{who.name}**",
                     role=who.role.name, agency=who.agency, country=who.country))
        if st.button(_("Log out"), key="logout"):
            session = st.session_state.pop(SESSION, None)
            if session is not None:
                service.access.logout(session)
            if session is not None and session.method == "oidc":
                st.logout()
            st.rerun()
