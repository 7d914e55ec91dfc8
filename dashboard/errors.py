"""What a visitor sees when a page fails unexpectedly: a plain message and an
error id, never a traceback or a server path; the details go to the server's
log under that id, where an administrator finds them."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from model.i18n import _

LOG = logging.getLogger("samon.dashboard")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Run a page; an unexpected error becomes a message with an error id.
    (st.stop and st.rerun are not errors: they are BaseExceptions and pass.)"""
    try:
        yield
    except Exception:
        error_id = secrets.token_hex(4).upper()
        LOG.exception("page failed, error id %s", error_id)
        st.error(_("Something went wrong on this page (error id {id}). Your filters are kept: "
                   "try again, or give the error id to the node's administrator, who finds "
                   "the details in the server's log.", id=error_id))
