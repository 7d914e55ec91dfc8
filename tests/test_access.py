"""Sharing with trust: markings, viewers, logins, tokens, the audit log, and the
rule that no output holds a record its viewer may not see."""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import contextmanager

import numpy as np
import pandas as pd
import psycopg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from access.__main__ import run as access_main
from data_sources.settings import Settings
from data_sources.sql_tables import portable
from model.access import (
    OPEN,
    TLP_LEVELS,
    AccessError,
    MarkingError,
    Role,
    Viewer,
    check_marking,
    highest_tlp,
    tlp_level,
    visible,
)
from model.situation import Filters
from service.access import AccessService, LoginError
from tests.cli import run
from tests.geo_helpers import write_sindh_districts

PASSWORD = "a long enough password"


# -- the rule ---------------------------------------------------------------------------

def test_tlp_levels_are_read_as_people_write_them():
    assert tlp_level("amber") == "TLP:AMBER"
    assert tlp_level(" TLP:amber+strict ") == "TLP:AMBER+STRICT"
    with pytest.raises(MarkingError, match="unknown TLP level 'WHITE'"):
        tlp_level("WHITE")  # TLP 1.0's WHITE is CLEAR in TLP 2.0
    assert highest_tlp(["TLP:GREEN", "TLP:RED", "TLP:CLEAR"]) == "TLP:RED"
    assert highest_tlp([]) == "TLP:CLEAR"


@pytest.mark.parametrize("tlp, share, ok", [
    ("TLP:CLEAR", "public", True), ("TLP:GREEN", "public", False),
    ("TLP:GREEN", "members", True), ("TLP:AMBER", "country", True),
    ("TLP:AMBER+STRICT", "members", False), ("TLP:AMBER+STRICT", "group:INDUS", True),
    ("TLP:RED", "country", False), ("TLP:RED", "agency", True),
])
def test_a_tlp_level_limits_how_widely_data_can_be_shared(tlp, share, ok):
    if ok:
        check_marking(tlp, share)
    else:
        with pytest.raises(MarkingError, match="cannot be shared"):
            check_marking(tlp, share)


RECORDS = pd.DataFrame({
    "id": ["r1", "r2", "r3", "r4", "r5", "r6"],
    "agency": ["NDMA-PK", "NDMA-PK", "NDMA-IN", "NDMA-IN", "BSF", "GDACS"],
    "agency_country": ["PAK", "PAK", "IND", "IND", "IND", ""],
    "tlp": ["TLP:AMBER", "TLP:RED", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER", "TLP:CLEAR"],
    "share": ["country", "agency", "members", "group:INDUS", "country", "public"],
})


@pytest.mark.parametrize("viewer, seen", [
    (Viewer("pk", agency="NDMA-PK", country="PAK"), ["r1", "r2", "r3", "r6"]),
    (Viewer("pk2", agency="PDMA-PUNJAB", country="PAK"), ["r1", "r3", "r6"]),
    (Viewer("pk3", agency="PDMA-PUNJAB", country="PAK", groups=frozenset({"INDUS"})),
     ["r1", "r3", "r4", "r6"]),
    (Viewer("in", agency="NDMA-IN", country="IND"), ["r3", "r4", "r5", "r6"]),
    (Viewer("ocha", agency="OCHA", country="INT"), ["r6"]),
    (Viewer("anon", kind="anonymous", anonymous_clear=True), ["r6"]),
    (Viewer("anon", kind="anonymous"), []),
    (OPEN, ["r1", "r2", "r3", "r4", "r5", "r6"]),
])
def test_who_sees_which_record(viewer, seen):
    assert RECORDS["id"][visible(RECORDS, viewer)].tolist() == seen


def test_records_without_a_marking_are_seen_by_nobody_but_the_open_viewer():
    unmarked = RECORDS.drop(columns="share")
    assert not visible(unmarked, Viewer("pk", agency="NDMA-PK", country="PAK")).any()
    assert visible(unmarked, OPEN).all()


AGENCIES = {"A-PAK": "PAK", "B-PAK": "PAK", "C-IND": "IND", "D-INT": "INT"}
GROUPS = ("G1", "G2")


@st.composite
def markings(draw):
    agency = draw(st.sampled_from(sorted(AGENCIES)))
    tlp = draw(st.sampled_from(TLP_LEVELS))
    share = draw(st.sampled_from(["agency", "country", "members", "public",
                                  *(f"group:{g}" for g in GROUPS)]))
    try:
        check_marking(tlp, share)
    except MarkingError:
        share = "agency"
    return {"agency": agency, "agency_country": AGENCIES[agency], "tlp": tlp, "share": share}


@st.composite
def viewers(draw):
    kind = draw(st.sampled_from(["user", "user", "user", "anonymous"]))
    agency = draw(st.sampled_from(sorted(AGENCIES)))
    return Viewer("v", kind=kind, agency=agency, country=AGENCIES[agency],
                  groups=frozenset(draw(st.sets(st.sampled_from(GROUPS)))),
                  anonymous_clear=draw(st.booleans()))


def _may_see(record: dict, viewer: Viewer) -> bool:
    """The rule as the issue states it, one record at a time (the oracle)."""
    if viewer.kind == "anonymous":
        return viewer.anonymous_clear and record["share"] == "public" and \
            record["tlp"] == "TLP:CLEAR"
    share = record["share"]
    return (share == "public" or record["agency"] == viewer.agency
            or (share == "country" and record["agency_country"] == viewer.country)
            or (share == "members" and viewer.country in ("PAK", "IND"))
            or (share.startswith("group:") and share[6:] in viewer.groups))


@given(st.lists(markings(), max_size=30), viewers())
def test_visible_follows_the_rule_for_any_records_and_viewer(records, viewer):
    frame = pd.DataFrame(records, columns=["agency", "agency_country", "tlp", "share"])
    assert visible(frame, viewer).tolist() == [_may_see(r, viewer) for r in records]


def test_roles_can_do_what_the_roles_below_them_can():
    analyst = Viewer("a", agency="X", country="PAK", role=Role.analyst)
    assert analyst.may("upload") and analyst.may("export") and not analyst.may("report")
    with pytest.raises(AccessError, match="needs the role coordinator"):
        analyst.require("publish")
    with pytest.raises(AccessError, match="log in first"):
        Viewer("anon", kind="anonymous", anonymous_clear=True).require("export")


# -- accounts, logins, tokens, audit ----------------------------------------------------

@pytest.fixture(params=["geopackage", "postgis"])
def node_store(request, tmp_path, monkeypatch) -> str:
    """The node's store for its accounts and audit log: a laptop's GeoPackage,
    or a hub's PostgreSQL (the same tests for both)."""
    monkeypatch.setenv("SAMON_STORE_PATH", str(tmp_path / "store.gpkg"))
    if request.param == "postgis":
        monkeypatch.setenv("SAMON_STORE_URL", request.getfixturevalue("postgis_url"))
    else:
        monkeypatch.delenv("SAMON_STORE_URL", raising=False)
    return request.param


@contextmanager
def plain_sql(settings: Settings):
    """The node's store opened by a plain SQL client, as someone who can reach
    the file or the database (not the app) would."""
    if settings.store_url:
        with psycopg.connect(settings.store_url, autocommit=True) as db:
            yield portable(db)
    else:
        with sqlite3.connect(settings.store_path) as db:
            yield portable(db)


@pytest.fixture
def node(node_store, monkeypatch):
    """A node with its own store, access control on, two agencies and their users."""
    monkeypatch.setenv("SAMON_LOCKOUT_FAILURES", "3")
    monkeypatch.delenv("SAMON_TOKEN", raising=False)
    access = AccessService(Settings())
    access.add_agency("NDMA-PK", "PAK", "National Disaster Management Authority")
    access.add_agency("NDMA-IN", "IND", "National Disaster Management Authority")
    for name, agency, role in (("ali", "NDMA-PK", "viewer"), ("sana", "NDMA-PK", "analyst"),
                               ("ravi", "NDMA-IN", "coordinator")):
        access.add_user(name, agency, role, PASSWORD)
    return access


def test_access_control_turns_on_once_a_user_exists(node_store, monkeypatch):
    access = AccessService(Settings())
    assert not access.enabled and access.nobody() is OPEN
    access.add_agency("NDMA-PK", "PAK", "NDMA")
    access.add_user("ali", "NDMA-PK", "viewer", PASSWORD)
    assert access.enabled and access.nobody().kind == "anonymous"
    monkeypatch.setenv("SAMON_ACCESS", "off")
    assert AccessService(Settings()).nobody() is OPEN


def test_a_login_gives_a_session_that_expires(node, monkeypatch):
    session = node.login("ali", PASSWORD)
    assert node.current(session) == session.viewer
    assert session.viewer.agency == "NDMA-PK" and session.viewer.country == "PAK"
    assert session.expires - pd.Timestamp.now(tz="UTC") <= pd.Timedelta(hours=8)
    expired = type(session)(session.viewer, pd.Timestamp.now(tz="UTC") - pd.Timedelta(1, "s"),
                            "password")
    assert node.current(expired).kind == "anonymous"
    node.disable_user("ali")
    assert node.current(session).kind == "anonymous"  # disabled: the session ends at once


def test_repeated_failures_lock_the_account(node):
    with pytest.raises(LoginError, match="wrong user name or password"):
        node.login("nobody-here", PASSWORD)
    for _ in range(3):
        with pytest.raises(LoginError, match="wrong user name or password"):
            node.login("ali", "not the password at all")
    with pytest.raises(LoginError, match="locked"):
        node.login("ali", PASSWORD)  # even the right password, until the lock ends
    actions = node.audit(user="ali")["action"].tolist()
    assert actions == ["login failed"] * 3 + ["login refused"]


def test_passwords_are_stored_as_argon2_hashes(node):
    with plain_sql(node.settings) as db:
        stored = db.execute("SELECT password_hash FROM users WHERE name = 'ali'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(AccessError, match="at least 12"):
        node.add_user("short", "NDMA-PK", "viewer", "2short")


def test_tokens_expired_revoked_or_unknown_are_refused(node):
    token = node.create_token("sana", hours=1)
    assert node.from_token(token).name == "sana"
    with pytest.raises(LoginError, match="not known"):
        node.from_token(token + "x")
    node.revoke_token(1)
    with pytest.raises(LoginError, match="revoked"):
        node.from_token(token)
    old = node.create_token("sana", hours=1)
    with plain_sql(node.settings) as db:
        db.execute("UPDATE tokens SET expires = '2026-01-01T00:00:00+00:00' WHERE id = 2")
    with pytest.raises(LoginError, match="expired"):
        node.from_token(old)
    with plain_sql(node.settings) as db:  # stored as digests only
        assert db.execute("SELECT count(*) FROM tokens WHERE digest = ?",
                          (token,)).fetchone()[0] == 0


def test_the_audit_log_detects_a_changed_byte_and_a_deleted_entry(node):
    assert run(access_main, "audit", "verify").returncode == 0
    n = len(node.audit())
    assert n == 5  # two agencies, three users
    with plain_sql(node.settings) as db:
        detail = db.execute("SELECT detail FROM audit_log WHERE id = 3").fetchone()[0]
        db.execute("UPDATE audit_log SET detail = ? WHERE id = 3",
                   (detail.replace("viewer", "admin"),))
    broken = run(access_main, "audit", "verify")
    assert broken.returncode == 1 and "entry 3: its content was changed" in broken.stdout
    with plain_sql(node.settings) as db:
        db.execute("UPDATE audit_log SET detail = ? WHERE id = 3", (detail,))
    assert run(access_main, "audit", "verify").returncode == 0
    with plain_sql(node.settings) as db:
        db.execute("DELETE FROM audit_log WHERE id = 2")
    broken = run(access_main, "audit", "verify")
    assert broken.returncode == 1 and "entry 3" in broken.stdout


def test_the_access_command_line(node_store, monkeypatch):
    assert run(access_main, "agency", "add", "NDMA-PK", "--country", "pak",
               "--name", "NDMA Pakistan").returncode == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    out = run(access_main, "user", "add", "ali", "--agency", "NDMA-PK", "--role", "analyst",
              "--password-stdin")
    assert out.returncode == 0 and "ali added" in out.stdout
    bad = run(access_main, "user", "add", "bob", "--agency", "NOPE", "--role", "viewer")
    assert bad.returncode == 2 and "no agency NOPE" in bad.stdout
    assert run(access_main, "group", "add", "INDUS", "--agencies", "NDMA-PK").returncode == 0
    token = run(access_main, "token", "create", "ali", "--expires", "2h").stdout.strip()
    assert token.startswith("samon_")
    shown = run(access_main, "audit", "show", "--user", "operator:" + __import__(
        "getpass").getuser()).stdout
    assert "token create" in shown and token not in shown
    listed = run(access_main, "token", "list").stdout
    assert "ali" in listed and token not in listed
    assert AccessService(Settings()).from_token(token).groups == frozenset({"INDUS"})


def test_demo_accounts_need_a_chosen_password(node_store):
    access = AccessService(Settings())
    with pytest.raises(AccessError, match="at least 12"):
        access.create_demo_accounts("")
    made = access.create_demo_accounts(PASSWORD)
    assert made == ["demo-admin", "demo-coordinator", "demo-analyst", "demo-viewer",
                    "demo-partner"]
    users = access.users().set_index("name")
    assert users["demo"].all() and users.loc["demo-viewer", "agency"] == "DEMO-PAK"
    assert access.login("demo-coordinator", PASSWORD).viewer.role == Role.coordinator


# -- enforcement in the service ---------------------------------------------------------

def test_a_summary_holds_only_what_its_viewer_may_see(service):
    everything = service.summary(viewer=OPEN)
    india = Viewer("in", agency="DEMO-IND", country="IND")
    mine = service.summary(viewer=india)
    expected = everything.incidents[everything.incidents["agency_country"] == "IND"]
    assert sorted(mine.incidents["id"]) == sorted(expected["id"])
    assert mine.key_figures["incidents"] == len(expected) > 0
    # Displacement figures are shared with every member state: all of them.
    assert mine.key_figures["displaced"] == everything.key_figures["displaced"]
    assert mine.tlp == "TLP:AMBER" and mine.audience == ("country IND", "members")
    partner = service.summary(viewer=Viewer("o", agency="DEMO-OCHA", country="INT"))
    assert partner.key_figures["incidents"] == partner.key_figures["displaced"] == 0
    assert partner.tlp == "TLP:CLEAR" and partner.audience == ()
    # Public hazard layers: the same exposure figures for everyone.
    assert partner.key_figures["people_exposed_flood"] == \
        everything.key_figures["people_exposed_flood"]
    with pytest.raises(AccessError, match="log in first"):
        service.summary(viewer=Viewer("anon", kind="anonymous"))


def test_a_document_is_made_only_for_the_viewer_the_summary_was_made_for(service):
    india = Viewer("in", agency="DEMO-IND", country="IND", role=Role.coordinator)
    pakistan = Viewer("pk", agency="DEMO-PAK", country="PAK", role=Role.coordinator)
    summary = service.summary(viewer=india)
    with pytest.raises(AccessError, match="another viewer"):
        service.document("pdf", summary, "x", lambda: b"", pakistan)
    with pytest.raises(AccessError, match="needs the role coordinator"):
        service.document("pdf", service.summary(viewer=Viewer("v", agency="DEMO-IND",
                                                              country="IND")),
                         "x", lambda: b"", Viewer("v", agency="DEMO-IND", country="IND"))
    assert service.document("pdf", summary, "x", lambda: b"made", india) == b"made"


@pytest.mark.slow
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), viewer=viewers())
def test_no_output_holds_a_record_beyond_its_viewers_rights(demo, tmp_path_factory, seed,
                                                             viewer):
    """Random markings on the DEMO incidents and displacement, a random viewer:
    the summary, every export format and the key figures hold only records the
    viewer may see."""
    from data_sources.scenario import with_results
    from model.scenario import Scenario
    from reports.content import ReportFields
    from reports.sitrep import FORMATS, write_report
    from service import SituationService

    rng = np.random.default_rng(seed)
    layers = dict(demo.layers)
    hidden_ids: list[str] = []
    for kind in ("incidents", "displacement"):
        result = layers[kind].result
        data = result.data.copy()
        agencies = rng.choice(sorted(AGENCIES), len(data))
        data["agency"] = agencies
        data["agency_country"] = [AGENCIES[a] for a in agencies]
        data["tlp"] = "TLP:AMBER"
        data["share"] = rng.choice(["agency", "country", "members", "group:G1"], len(data))
        hidden_ids += data.loc[~visible(data, viewer), "id"].tolist()
        layers[kind] = type(layers[kind])(kind, layers[kind].source, layers[kind].updated,
                                          True, type(result)(kind, result.format, result.path,
                                                             data))
    scenario = Scenario(demo.name, demo.as_of, True, layers, demo.tlp)
    svc = SituationService()
    svc._load = lambda: with_results(scenario, [])  # type: ignore[method-assign]
    if not viewer.may("see"):
        with pytest.raises(AccessError):
            svc.summary(viewer=viewer)
        return
    summary = svc.summary(Filters(), viewer=viewer)
    for frame in (summary.incidents, summary.displacement_records):
        assert visible(frame, viewer).all()
    assert not set(summary.incidents["id"]) & set(hidden_ids)
    assert summary.key_figures["incidents"] == len(summary.incidents)
    out = tmp_path_factory.mktemp("exports")
    allowed = Viewer(viewer.name, kind=viewer.kind, agency=viewer.agency, country=viewer.country,
                     role=Role.coordinator, groups=viewer.groups) if viewer.kind == "user" \
        else viewer
    if allowed.kind != "user":
        return
    summary = svc.summary(Filters(), viewer=allowed)
    svc.may_export(FORMATS, summary, allowed)
    files = write_report(summary, ReportFields(tlp=summary.tlp), out, FORMATS)
    hidden = {i.split(":", 1)[1] for i in hidden_ids}
    shown = set()
    for path in files:
        ids = set(re.findall(r"DEMO-(?:INC|IDP)-\d+", _text(path)))
        assert not ids & hidden, path.name
        shown |= ids
    assert shown  # the check looked where the records are


def _text(path) -> str:
    """Everything a file says, unpacked (DOCX is a ZIP; PDF text is compressed)."""
    import zipfile

    from pypdf import PdfReader

    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".pdf":
        return "".join(page.extract_text() for page in PdfReader(path).pages)
    return path.read_bytes().decode("utf-8", "replace")


# -- the data command lines take a token -------------------------------------------------

def test_command_lines_act_with_the_tokens_rights(node, tmp_path, monkeypatch):
    from data_sources.__main__ import main as data_main
    from reports.__main__ import main as reports_main
    from service import SituationService

    node.add_user("noor", "NDMA-PK", "coordinator", PASSWORD)
    token = {name: node.create_token(name, hours=1) for name in ("ali", "sana", "noor", "ravi")}
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("time,lat,lon,category,country,id\n"
                         "2026-09-20,34.1,71.1,armed clash,PAK,k1\n"
                         "2026-09-21,34.2,71.2,smuggling/trafficking,PAK,k2\n", encoding="utf-8")
    refused = run(data_main, "add", incidents, "--token", token["ali"])
    assert refused.returncode == 2 and "needs the role analyst" in refused.stdout
    added = run(data_main, "add", incidents, "--token", token["sana"], "--tlp", "amber",
                "--share", "agency")
    assert added.returncode == 0 and "2 new" in added.stdout
    bad = run(data_main, "add", incidents, "--token", token["sana"], "--tlp", "amber",
              "--share", "public")
    assert bad.returncode == 2 and "cannot be shared with 'public'" in bad.stdout

    monkeypatch.setenv("SAMON_SOURCES", '["acled"]')  # live: the data is the store's
    service = SituationService()
    pakistan, india = node.from_token(token["ali"]), node.from_token(token["ravi"])
    ids = service.scenario(pakistan)["incidents"]["id"].tolist()
    assert len(ids) == 2 and service.scenario(india)["incidents"].empty

    foreign = run(data_main, "share", "incidents", ",".join(ids), "--tlp", "green",
                  "--share", "members", "--token", token["ravi"])
    assert foreign.returncode == 2 and "no current incidents record" not in foreign.stdout
    assert "not your agency's" in foreign.stdout
    shared = run(data_main, "share", "incidents", ",".join(ids), "--tlp", "green",
                 "--share", "members", "--token", token["noor"])
    assert shared.returncode == 0 and shared.stdout.startswith("2 incidents records")
    assert sorted(SituationService().scenario(india)["incidents"]["id"]) == sorted(ids)

    out = tmp_path / "out"
    viewer_pdf = run(reports_main, "sitrep", "--out", out, "--format", "pdf",
                     "--token", token["ali"])
    assert viewer_pdf.returncode == 2 and "needs the role coordinator" in viewer_pdf.stderr
    assert not out.exists() or not list(out.iterdir())
    analyst_csv = run(reports_main, "sitrep", "--out", out, "--format", "csv", "--tlp", "green",
                      "--token", token["sana"])
    assert analyst_csv.returncode == 0, analyst_csv.stderr
    low = run(reports_main, "sitrep", "--out", out, "--format", "pdf", "--tlp", "clear",
              "--token", token["noor"])
    assert low.returncode == 2 and "cannot be marked TLP:CLEAR" in low.stderr
    audit = node.audit()
    assert audit["action"].tolist().count("upload") == 1
    assert audit["action"].tolist().count("share") == 1
    export = audit[audit["action"] == "export"]
    assert len(export) == 1 and '"csv"' in export["detail"].iloc[0] \
        and export["user"].iloc[0] == "sana"
    node.revoke_token(2)  # sana's
    revoked = run(reports_main, "sitrep", "--out", out, "--format", "csv",
                  "--token", token["sana"])
    assert revoked.returncode == 2 and "revoked" in revoked.stderr


def test_openid_connect_claims_name_a_known_agency_and_a_role(node):
    import time

    node.add_group("INDUS", ["NDMA-PK", "NDMA-IN"])
    now = int(time.time())
    session = node.login_oidc({"preferred_username": "amina", "agency": "NDMA-PK",
                               "role": "analyst", "iat": now})
    viewer = session.viewer
    assert (viewer.name, viewer.country, viewer.role, viewer.groups) == \
        ("amina", "PAK", Role.analyst, frozenset({"INDUS"}))
    assert session.expires == pd.Timestamp(now, unit="s", tz="UTC") + pd.Timedelta(hours=8)
    with pytest.raises(LoginError, match="names no agency known here"):
        node.login_oidc({"preferred_username": "eve", "agency": "NOPE", "iat": now})
    with pytest.raises(LoginError, match="older than 8 h"):  # the cookie outlives the session
        node.login_oidc({"preferred_username": "amina", "agency": "NDMA-PK",
                         "iat": now - 9 * 3600})
    with pytest.raises(LoginError, match="unknown role 'superuser'"):
        node.login_oidc({"preferred_username": "amina", "agency": "NDMA-PK",
                         "role": "superuser", "iat": now})
    assert node.audit()["action"].tolist()[-2:] == ["login", "login refused"]


def test_a_users_language_is_theirs_at_every_login(node):
    import time

    assert node.login("ravi", PASSWORD).viewer.language is None  # none chosen yet
    node.set_language(node.login("ravi", PASSWORD).viewer, "hi-IN")
    assert node.login("ravi", PASSWORD).viewer.language == "hi"
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        node.set_language(node.login("ravi", PASSWORD).viewer, "xx")
    now = int(time.time())
    claims = {"preferred_username": "amina", "agency": "NDMA-PK", "iat": now}
    assert node.login_oidc({**claims, "locale": "ur-PK"}).viewer.language == "ur"
    assert node.login_oidc({**claims, "locale": "fr-FR"}).viewer.language is None
    assert node.login_oidc(claims).viewer.language is None


def test_a_report_says_whom_its_data_was_shared_with(service):
    from reports.content import ReportError, ReportFields
    from reports.sitrep import document

    summary = service.summary(viewer=Viewer("in", agency="DEMO-IND", country="IND",
                                            role=Role.coordinator))
    html = document("html", summary, ReportFields(tlp="TLP:AMBER")).decode()
    assert "Holds data shared only with: country IND; members: send it no further." in html
    with pytest.raises(ReportError, match="cannot be marked TLP:GREEN"):
        document("html", summary, ReportFields(tlp="TLP:GREEN"))


def test_the_hotspot_command_line_needs_a_login_when_access_is_on(node, demo, monkeypatch):
    from geo.__main__ import main as geo_main

    path = demo.layers["incidents"].result.path
    anonymous = run(geo_main, "hotspots", path)
    assert anonymous.returncode == 2 and "log in first" in anonymous.stdout
    monkeypatch.setenv("SAMON_TOKEN", node.create_token("ali", hours=1))
    assert run(geo_main, "hotspots", path).returncode == 0


def test_kept_boundaries_come_back_after_a_restart_for_those_who_may_see_them(node, tmp_path):
    """An agency's district outlines kept in the node's store: after a restart
    (a new service) its country sees them in the area choice and the per-area
    table, in place of the shipped provinces; another country does not."""
    from data_sources.boundaries import read_boundaries
    from service import SituationService

    path = tmp_path / "sindh_districts.geojson"
    write_sindh_districts(path)
    service = SituationService(node.settings)
    sana = node.from_token(node.create_token("sana", hours=1))  # analyst, NDMA-PK
    marked = service.mark_upload(path.name, read_boundaries(path), sana, "amber", "country")
    assert service.keep_upload(path.name, marked, sana)["inserted"] == 2

    restarted = SituationService(node.settings)
    pakistan = Viewer("p", agency="PDMA-SINDH", country="PAK")
    india = Viewer("i", agency="NDMA-IN", country="IND")
    assert {"PK-KHI", "PK-HYD"} <= set(restarted.options(viewer=pakistan).admin_areas)
    assert not {"PK-KHI", "PK-HYD"} & set(restarted.options(viewer=india).admin_areas)
    region = restarted.region(countries=["PAK"], viewer=pakistan)
    table = restarted.summary(Filters(region=region), viewer=pakistan).admin_areas
    assert table["code"].dropna().tolist() == ["PK-KHI", "PK-HYD"]  # Pakistan's finest level
    india_view = restarted.summary(Filters(region=restarted.region(countries=["IND"],
                                                                   viewer=india)),
                                   viewer=india).admin_areas
    assert len(india_view["code"].dropna()) == 35  # India's shipped states


def test_a_kept_upload_is_shared_as_marked_and_a_hidden_raster_falls_back(node, demo,
                                                                           tmp_path):
    from data_sources.incidents import read_points
    from data_sources.rasters import open_raster
    from service import SituationService

    service = SituationService(node.settings)
    sana = node.from_token(node.create_token("sana", hours=1))  # analyst, NDMA-PK
    pakistan = Viewer("p", agency="PDMA-PUNJAB", country="PAK")
    india = Viewer("i", agency="NDMA-IN", country="IND")
    before = {v.name: service.summary(viewer=v) for v in (pakistan, india)}
    path = tmp_path / "incidents.csv"
    path.write_text("time,lat,lon,category,country,id\n"
                    "2026-09-20,34.1,71.1,armed clash,PAK,k1\n"
                    "2026-09-21,34.2,71.2,armed clash,PAK,k2\n", encoding="utf-8")
    marked = service.mark_upload("incidents.csv", read_points(path), sana, "amber", "country")
    assert service.keep_upload("incidents.csv", marked, sana)["inserted"] == 2
    flood = demo.layers["flood"].result.path
    raster = service.mark_upload("flood.tif", open_raster(flood), sana, "red", "agency")
    service.keep_upload("flood.tif", raster, sana)
    assert (node.settings.store_path.parent / "uploads" / "NDMA-PK").is_dir()

    after = {v.name: service.summary(viewer=v) for v in (pakistan, india, sana)}
    # Same country: the two kept incidents join the DEMO's (no SAMON_SOURCES: DEMO + store).
    assert after["p"].key_figures["incidents"] == before["p"].key_figures["incidents"] + 2
    assert after["i"].key_figures["incidents"] == before["i"].key_figures["incidents"]
    # The TLP:RED flood raster is NDMA-PK's only: others keep the public one it replaced.
    assert after["sana"].flood.attrs["agency"] == "NDMA-PK" and after["sana"].tlp == "TLP:RED"
    assert after["p"].flood.attrs["share"] == "public" and after["p"].tlp == "TLP:AMBER"
    assert node.audit(user="sana")["action"].tolist().count("upload kept") == 2
