"""Add data: check a file, see what is accepted and rejected, then use it."""

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import current_viewer
from data_sources.check import summarize
from data_sources.detect import READERS
from data_sources.errors import DataSourceError
from data_sources.uploads import read_upload
from model.access import TLP_LEVELS, AccessError, MarkingError
from model.i18n import _, number, said

DETECT = "detect automatically"  # the kind choice that lets the file say what it is
SHOWN = 1000  # rejected rows listed on the page

st.title(_("Add data"))
viewer = current_viewer()
if not viewer.may("upload"):
    st.info(_("Adding data needs the role analyst or higher; you are {role}.",
              role=viewer.role.name)
            if viewer.kind == "user" else _("Log in as an analyst to add data."))
    st.stop()
st.write(_("Upload a file exactly as the agency published it (ACLED, UCDP, IBTrACS, GDACS, "
           "CAP, IDMC, IOM DTM or any HXL CSV, GeoTIFF, NetCDF, boundaries). It is checked "
           "first; nothing joins your layers until you confirm."))
upload = st.file_uploader(_("File"), key="add_data_file")
kind = st.selectbox(_("Kind"), [DETECT, *sorted(READERS)], key="add_data_kind",
                    format_func=lambda k: _("detect automatically") if k == DETECT else k)
encoding = st.text_input(_("Text encoding (leave empty for UTF-8)"), key="add_data_encoding")
band = st.number_input(_("Band (rasters with several bands; 0: the only band)"), min_value=0,
                       step=1, key="add_data_band")
# One folder per session for the rasters it adds (tables are read into memory).
folder = Path(st.session_state.setdefault("upload_folder",
                                          tempfile.mkdtemp(prefix="samon-upload-")))

if upload is not None:
    # Checked once per file and choice: a rerun neither re-reads nor re-writes it.
    wanted = (upload.file_id, kind, encoding, int(band))
    checked = st.session_state.get("add_data_checked")
    if checked is None or checked[0] != wanted:
        try:
            with st.spinner(_("Checking {file}…", file=upload.name)):
                result = read_upload(upload.name, upload.getvalue(), folder,
                                     kind=None if kind == DETECT else kind,
                                     encoding=encoding or None, band=int(band) or None)
        except DataSourceError as exc:
            st.error(_("{file} cannot be used: {reason}", file=upload.name, reason=exc.text()))
            st.stop()
        checked = st.session_state["add_data_checked"] = (wanted, result)
    result = checked[1]
    report = summarize(result, shown=0)
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Kind"), f"{report['kind']} ({report['format']})")
    c2.metric(_("Accepted"), number(report["accepted"]))
    c3.metric(_("Rejected"), number(report["rejected"]))
    for note in result.warnings:
        st.info(_("Changed or assumed on reading ({field}): {reason}",
                  field=note.field or _("file"), reason=note.text()))
    details = {k: report[k] for k in ("crs", "bounds", "time_range") if report.get(k)}
    if details:
        st.json(details, expanded=False)
    if report["rejected"]:
        st.subheader(_("Rejected rows"))
        st.dataframe(pd.DataFrame({
            _("row"): [r.row for r in result.rejections[:SHOWN]],
            _("field"): [r.field for r in result.rejections[:SHOWN]],
            _("reason"): [r.text() for r in result.rejections[:SHOWN]]}),
            hide_index=True, width="stretch")
        if result.rejected > SHOWN:
            st.caption(_("The first {shown} of {count} rejected rows are listed.",
                         shown=number(SHOWN), count=number(result.rejected)))
    if report["accepted"]:
        owner = _("your agency") if viewer.kind == "user" else _("this node")
        st.subheader(_("Sharing"))
        c1, c2 = st.columns(2)
        tlp = c1.selectbox("TLP", TLP_LEVELS, index=TLP_LEVELS.index("TLP:AMBER"),
                           key="add_data_tlp")
        shares = ["agency", "country", *(f"group:{g}" for g in sorted(viewer.groups)),
                  "members", "public"]
        share = c2.selectbox(_("Who may see it (data of {owner})", owner=owner), shares,
                             index=1, key="add_data_share",
                             help=_("agency: your agency only; country: agencies of your "
                                    "country; group: a sharing group; members: every member "
                                    "state; public: anyone (TLP:CLEAR only)"))
    if report["accepted"] and st.button(_("Add {count} accepted records to this session",
                                          count=number(report["accepted"])),
                                        key="add_data_confirm"):
        try:
            marked = data.service().mark_upload(upload.name, result, viewer, tlp, share)
        except (AccessError, MarkingError) as exc:
            st.error(_("{file} cannot be shared so: {error}", file=upload.name, error=said(exc)))
            st.stop()
        st.session_state.setdefault("user_results", []).append((upload.name, marked))
        st.success(_("{file} added. Figures and maps now include it.", file=upload.name))
        st.rerun()
    elif not report["accepted"]:
        st.error(_("Nothing in this file is usable; see the rejected rows above."))

if "add_data_kept" in st.session_state:
    st.success(st.session_state.pop("add_data_kept"))
added = st.session_state.get("user_results", [])
if added:
    st.subheader(_("Added in this session"))
    st.dataframe(pd.DataFrame([{"file": name, "kind": r.kind, "records": r.accepted,
                                "rejected": r.rejected} for name, r in added]),
                 hide_index=True, width="stretch")
    st.caption(_("Added files are yours, for this session only. Keep them in the node's store "
                 "to share them as marked: other users then see them as their marking allows "
                 "(figures and maps, never the file itself)."))
    keep, clear = st.columns(2)
    if keep.button(_("Keep them in the node's store"), key="add_data_keep"):
        service = data.service()
        kept, left = [], []
        for name, result in added:
            try:
                counts = service.keep_upload(name, result, viewer)
            except (DataSourceError, AccessError) as exc:
                st.error(_("{file} was not kept: {error}", file=name, error=said(exc)))
                left.append((name, result))
            else:
                kept.append(_("{file} ({new} new, {updated} updated)", file=name,
                              new=number(counts["inserted"]), updated=number(counts["updated"])))
        # Kept files now come from the store: in the session too they would count twice.
        st.session_state["user_results"] = left
        if kept:
            st.session_state["add_data_kept"] = _("Kept in the node's store: {files}",
                                                  files="; ".join(kept))
            st.rerun()
    if clear.button(_("Remove all added data"), key="add_data_clear"):
        st.session_state["user_results"] = []
        shutil.rmtree(folder, ignore_errors=True)  # the rasters they kept on disk
        st.rerun()

