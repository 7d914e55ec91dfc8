"""Access and audit: for administrators. Agencies, users, sharing groups and
the audit log are read here; they are changed with ``python -m access``."""

import streamlit as st

from dashboard import data
from dashboard.context import current_viewer

viewer = current_viewer()
access = data.service().access
st.title("Access and audit")
if not viewer.may("admin"):
    st.info("This view is for administrators.")
    st.stop()
st.caption("Changes are made on the node's command line (`python -m access`, see the README); "
           "every change is in the audit log.")
tab_agencies, tab_users, tab_groups, tab_audit = st.tabs(
    ["Agencies", "Users", "Sharing groups", "Audit log"])
with tab_agencies:
    agencies = access.agencies()
    st.caption(f"{len(agencies)} agencies")
    st.dataframe(agencies, hide_index=True, width="stretch")
with tab_users:
    users = access.users()
    locked = int(users["locked_until"].notna().sum())
    st.caption(f"{len(users)} users, {int(users['disabled'].sum())} disabled, {locked} locked "
               "after failed logins")
    st.dataframe(users, hide_index=True, width="stretch")
with tab_groups:
    groups = access.groups()
    if groups.empty:
        st.info("No sharing groups yet: `python -m access group add NAME --agencies A,B`.")
    else:
        st.dataframe(groups, hide_index=True, width="stretch")
with tab_audit:
    if st.button("Verify the audit log", key="audit_verify"):
        checked, broken = access.verify_audit()
        if broken:
            st.error(f"The audit log is BROKEN after checking {checked} entries: {broken}")
        else:
            st.success(f"The audit log is intact: {checked} entries, each chained to the one "
                       "before it.")
    user = st.text_input("Only this user (empty: everyone)", key="audit_user")
    log = access.audit(user.strip() or None)
    st.caption(f"{len(log):,} entries; the newest first (at most 500 shown).")
    st.dataframe(log.iloc[::-1].head(500), hide_index=True, width="stretch",
                 column_config={"detail": st.column_config.TextColumn(width="large")})
