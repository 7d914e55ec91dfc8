"""Access and audit: for administrators. Agencies, users, sharing groups and
the audit log are read here; they are changed with ``python -m access``."""

import streamlit as st

from dashboard import data
from dashboard.context import current_viewer
from model.i18n import _, ngettext, number

viewer = current_viewer()
access = data.service().access
st.title(_("Access and audit"))
if not viewer.may("admin"):
    st.info(_("This view is for administrators."))
    st.stop()
st.caption(_("Changes are made on the node's command line (`python -m access`, see the "
             "README); every change is in the audit log."))
tab_agencies, tab_users, tab_groups, tab_audit = st.tabs(
    [_("Agencies"), _("Users"), _("Sharing groups"), _("Audit log")])
with tab_agencies:
    agencies = access.agencies()
    st.caption(ngettext("{n} agency", "{n} agencies", len(agencies)))
    st.dataframe(agencies, hide_index=True, width="stretch")
with tab_users:
    users = access.users()
    st.caption(_("{users}, {disabled} disabled, {locked} locked after failed logins",
                 users=ngettext("{n} user", "{n} users", len(users)),
                 disabled=number(int(users["disabled"].sum())),
                 locked=number(int(users["locked_until"].notna().sum()))))
    st.dataframe(users, hide_index=True, width="stretch")
with tab_groups:
    groups = access.groups()
    if groups.empty:
        st.info(_("No sharing groups yet: `python -m access group add NAME --agencies A,B`."))
    else:
        st.dataframe(groups, hide_index=True, width="stretch")
with tab_audit:
    if st.button(_("Verify the audit log"), key="audit_verify"):
        checked, broken = access.verify_audit()
        if broken:
            st.error(_("The audit log is BROKEN after checking {count} entries: {problem}",
                       count=number(checked), problem=broken))
        else:
            st.success(_("The audit log is intact: {count} entries, each chained to the one "
                         "before it.", count=number(checked)))
    user = st.text_input(_("Only this user (empty: everyone)"), key="audit_user")
    log = access.audit(user.strip() or None)
    st.caption(_("{count} entries; the newest first (at most 500 shown).",
                 count=number(len(log))))
    st.dataframe(log.iloc[::-1].head(500), hide_index=True, width="stretch",
                 column_config={"detail": st.column_config.TextColumn(width="large")})
