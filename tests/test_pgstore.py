"""The PostGIS store beyond the shared store tests (tests/test_store.py): the
sharing rules enforced by the database for agencies' own roles, several
writers at once, its schema version."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg
import pytest

from data_sources.pgstore import MIGRATIONS, PgStore
from data_sources.store import StoreError
from model.access import Viewer, visible
from tests.conftest import ROOT


def _marked(demo) -> dict[str, pd.DataFrame]:
    """DEMO incidents and displacement with every kind of marking among them."""
    incidents = demo["incidents"].copy()
    shares = ["public", "country", "members", "agency", "group:bay-of-bengal"]
    tlps = ["TLP:CLEAR", "TLP:AMBER", "TLP:GREEN", "TLP:RED", "TLP:AMBER+STRICT"]
    n = len(incidents)
    incidents["share"] = [shares[i % 5] for i in range(n)]
    incidents["tlp"] = [tlps[i % 5] for i in range(n)]
    incidents["agency"] = [f"DEMO-{c}" for c in incidents["country"]]
    incidents["agency_country"] = incidents["country"].astype(str)
    # Provinces kept by agencies, one kind of marking each (keyed by code).
    areas = demo["boundaries"][demo["boundaries"]["admin_level"] == 1].head(10).copy()
    areas["share"] = [shares[i % 5] for i in range(len(areas))]
    areas["tlp"] = [tlps[i % 5] for i in range(len(areas))]
    areas["agency"] = ["DEMO-PAK", "DEMO-BGD"] * (len(areas) // 2)
    areas["agency_country"] = areas["agency"].str[5:]
    return {"incidents": incidents, "displacement": demo["displacement"], "boundaries": areas}


def test_agency_roles_see_what_the_sharing_rules_allow_them_in_sql(postgis_url, demo):
    """A direct SQL client logged in with an agency's database role sees exactly
    the rows ``model.access.visible`` gives that agency: defence in depth."""
    data = _marked(demo)
    tag = uuid.uuid4().hex[:8]
    agencies = {
        f"bgd_{tag}": Viewer("b", agency="DEMO-BGD", country="BGD",
                             groups=frozenset({"bay-of-bengal"})),
        f"ocha_{tag}": Viewer("o", agency="DEMO-OCHA", country="INT"),
        f"pak_{tag}": Viewer("p", agency="DEMO-PAK", country="PAK"),
    }
    with PgStore(postgis_url) as store:
        for kind, frame in data.items():
            store.upsert(kind, frame)
        for role, viewer in agencies.items():
            store.grant_agency(role, viewer.agency, viewer.country, viewer.groups,
                               password=tag)
    url = urlsplit(postgis_url)
    try:
        for role, viewer in agencies.items():
            netloc = f"{role}:{tag}@{url.hostname}:{url.port or 5432}"
            with psycopg.connect(urlunsplit(url._replace(netloc=netloc))) as db:
                for kind, frame in data.items():
                    key = "code" if kind == "boundaries" else "id"
                    seen = {r[0] for r in db.execute(f'SELECT {key} FROM "{kind}" WHERE current')}
                    assert seen == set(frame.loc[visible(frame, viewer), key]), (role, kind)
                # Nor can the role read which agency another role stands for.
                assert [r[0] for r in db.execute("SELECT role FROM agency_roles")] == [role]
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    db.execute("DELETE FROM incidents")
        # Each sees a different part, and the partner outside the members the least.
        counts = {role: sum(visible(f, v).sum() for f in data.values())
                  for role, v in agencies.items()}
        assert counts[f"ocha_{tag}"] < min(counts[f"bgd_{tag}"], counts[f"pak_{tag}"])
    finally:
        with psycopg.connect(postgis_url, autocommit=True) as db:
            for role in agencies:
                db.execute(f'DROP OWNED BY "{role}"')
                db.execute(f'DROP ROLE "{role}"')


WRITER = """
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from data_sources.pgstore import PgStore
from data_sources.scenario import load_demo

url, part, parts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
incidents = load_demo(Path(sys.argv[4]))["incidents"]
frame = pd.concat([incidents.assign(source_id=incidents["source_id"] + f"-{k}")
                   for k in range(20)], ignore_index=True)  # 60,000 records
# Every writer writes all of them, each starting at another place.
frame = frame.iloc[np.roll(np.arange(len(frame)), part * len(frame) // parts)]
with PgStore(url) as store:
    for n in range(0, len(frame), 5000):
        store.upsert("incidents", frame.iloc[n:n + 5000])
print("done")
"""


@pytest.mark.slow
def test_four_writers_at_once_lose_and_duplicate_nothing(postgis_url, demo, demo_root):
    """Four processes upsert the same 60,000 records at once, each from another
    place: every record is stored once, current once."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    PgStore(postgis_url).close()  # the schema, before the writers race for it
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, postgis_url, str(i), "4",
                                 str(demo_root)], env=env, stdout=subprocess.PIPE, text=True)
               for i in range(4)]
    for w in writers:
        out, _ = w.communicate(timeout=600)
        assert w.returncode == 0 and out.strip() == "done"
    with PgStore(postgis_url) as store:
        current = store.query("incidents")
        assert len(current) == 60_000 and current["source_id"].is_unique
        assert len(store.query("incidents", history=True)) == 60_000  # nothing twice


def test_a_newer_schema_and_an_unreachable_server_are_refused(postgis_url):
    PgStore(postgis_url).close()
    with psycopg.connect(postgis_url, autocommit=True) as db:
        db.execute("INSERT INTO schema_version (version) VALUES (99)")
    with pytest.raises(StoreError, match="newer version"):
        PgStore(postgis_url)
    with pytest.raises(StoreError, match="cannot be reached"):
        PgStore("postgresql://nobody:secret@127.0.0.1:1/none")
    try:
        PgStore("postgresql://nobody:secret@127.0.0.1:1/none")
    except StoreError as exc:
        assert "secret" not in str(exc)  # errors never carry the password


def _fill_side_tables(store) -> None:
    """Accounts with a token and audit entries, two warnings sent at the same
    time with a delivery and an acknowledgement, a peer with its log."""
    from data_sources.accounts import Accounts
    from data_sources.network_log import NetworkLog
    from data_sources.warning_log import MESSAGE_COLUMNS, WarningLog

    accounts, warnings, network = Accounts(store), WarningLog(store), NetworkLog(store)
    sent = pd.Timestamp("2026-09-29T06:00Z")
    messages = [{c: None for c in MESSAGE_COLUMNS} | {
        "identifier": f"urn:samon:{name}", "warning": name, "kind": "Alert", "sent": sent,
        "rule_id": "flood", "rules_version": 1, "area_key": "PAK", "area": "Pakistan",
        "severity": "Severe", "urgency": "Immediate", "response": "Prepare",
        "tlp": "TLP:AMBER", "share": "members", "figures": {"people": 12}, "reason": "r",
        "demo": True, "cap": b"<alert>\x00\xff</alert>", "why": []}
        for name in ("zeta", "alpha")]  # sent at once: kept in the order sent, not by name
    with store.transaction() as db:
        accounts.add_agency(db, "NDMA-PK", "PAK", "NDMA")
        accounts.add_user(db, "ali", "NDMA-PK", "analyst", "$argon2id$x")
        accounts.add_group(db, "INDUS", ["NDMA-PK"])
        accounts.add_token(db, "ali", "d" * 64, pd.Timestamp("2026-12-01T00:00Z"))
        for action in ("agency add", "user add"):
            accounts.append_audit(db, "operator", action, {"name": "ali"})
        warnings.save_run(db, at=sent, rules_version=1, findings=2, messages=messages,
                          active={("flood", "PAK"): {"level": 2}}, log=["two sent"])
        warnings.queue(db, "urn:samon:zeta", "ops@example.org", "email")
        warnings.acknowledge(db, "zeta", "NDMA-PK", "ali", "dashboard")
        warnings.secret(db)
        network.add_peer(db, "ind", "https://ind.example.org", "t0k", ["incidents"])
        network.set_cursor(db, "ind", "incidents", 41)
        network.add_receipts(db, "incidents", [("k1", "ind", 2)], "ind")
        network.log(db, "ind", "received", 1, lag_s=2.5)


def test_a_store_copied_there_and_back_loses_nothing(postgis_url, tmp_path, demo):
    """GeoPackage -> PostGIS -> GeoPackage: every version, its hash, number,
    current flag, ingest time and marking; the raster catalogue and the log; the
    node's accounts, audit chain, warning log and network log, row for row, the
    messages in the order they were sent, new ids after the copied ones."""
    from data_sources.__main__ import main as data_main
    from data_sources.accounts import Accounts
    from data_sources.ingest import add_file
    from data_sources.store import Store
    from data_sources.store_copy import SIDE_TABLES, _side_rows
    from data_sources.warning_log import WarningLog
    from model.access import Marking
    from tests.cli import run

    source = tmp_path / "node.gpkg"
    marking = Marking("NDMA-PK", "PAK", "TLP:AMBER", "country")
    with Store(source) as s:
        add_file(s, demo.layers["incidents"].result.path, marking=marking)
        add_file(s, demo.layers["flood"].result.path, marking=marking)
        changed = demo["incidents"].head(5).assign(fatalities=7)
        s.upsert("incidents", changed)  # five records with a second version
        s.upsert("alerts", demo["alerts"])
        s.upsert("tracks", demo["tracks"])
        areas = demo["boundaries"][demo["boundaries"]["admin_level"] == 1].head(4)
        s.upsert("boundaries", areas.assign(**{c: getattr(marking, c) for c in
                                               ("agency", "agency_country", "tlp", "share")}))
        before = {k: s.dump(k) for k in ("incidents", "alerts", "tracks", "boundaries")}
        _fill_side_tables(s)
        side = {t: _side_rows(s, t) for t in SIDE_TABLES}
    proc = run(data_main, "store", "copy", source, postgis_url)
    assert proc.returncode == 0, proc.stdout
    assert "copied and checked: incidents 3,005, alerts 3, tracks 25" in proc.stdout
    with PgStore(postgis_url) as hub:
        assert {t: _side_rows(hub, t) for t in SIDE_TABLES} == side
        assert Accounts(hub).verify_audit() == (2, None)
        assert WarningLog(hub).messages()["warning"].tolist() == ["zeta", "alpha"]
        with hub.transaction() as db:
            assert Accounts(hub).add_token(db, "ali", "e" * 64,
                                           pd.Timestamp("2026-12-01T00:00Z")) == 2
    back = tmp_path / "back.gpkg"
    assert run(data_main, "store", "copy", postgis_url, back).returncode == 0
    with Store(back) as s:
        assert WarningLog(s).messages()["warning"].tolist() == ["zeta", "alpha"]
        assert Accounts(s).verify_audit() == (2, None) and len(Accounts(s).tokens()) == 2
        for kind, frame in before.items():
            again = s.dump(kind)
            pd.testing.assert_frame_equal(again.drop(columns="geometry"),
                                          frame.drop(columns="geometry"), check_dtype=False)
            assert again.geometry.equals(frame.geometry)
        assert s.rasters()["agency"].tolist() == ["NDMA-PK"]
        assert len(s.ingest_log()) == 2
    refused = run(data_main, "store", "copy", source, postgis_url)
    assert refused.returncode == 2 and "already holds records" in refused.stdout


def test_the_service_keeps_records_in_postgis_when_told(postgis_url, tmp_path, demo):
    """SAMON_STORE_URL: files added through the service land in PostGIS and come
    back in the scenario; the data token follows the database."""
    from data_sources.settings import Settings
    from model.access import OPEN
    from service import SituationService

    incidents = tmp_path / "incidents.csv"
    incidents.write_text("time,lat,lon,category,country,id\n"
                         "2026-09-20,34.1,71.1,armed clash,PAK,k1\n"
                         "2026-09-21,34.2,71.2,smuggling/trafficking,PAK,k2\n",
                         encoding="utf-8")
    service = SituationService(Settings(store_path=tmp_path / "node.gpkg",
                                        store_url=postgis_url))
    token = service.token()
    assert service.add_file(str(incidents), None, OPEN, "TLP:CLEAR", "public")["inserted"] == 2
    assert service.token() != token
    with PgStore(postgis_url) as store:
        assert store.counts()["incidents"] == 2
    kept = service.scenario(OPEN)["incidents"]
    assert {"k1", "k2"} <= set(kept["source_id"])
    assert not (tmp_path / "node.gpkg").exists()  # no record went to the GeoPackage


def test_maintain_rewrites_tables_in_time_order_and_keeps_every_record(postgis_url, demo):
    with PgStore(postgis_url) as store:
        shuffled = demo["incidents"].sample(frac=1, random_state=1)
        store.upsert("incidents", shuffled)
        before = store.query("incidents").sort_values("id").reset_index(drop=True)
    done = subprocess.run([sys.executable, "-m", "data_sources", "store", "maintain",
                           postgis_url], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "incidents: rewritten in time order" in done.stdout
    with PgStore(postgis_url) as store:
        after = store.query("incidents")
        # Rows now lie in time order on disk (what made period queries read few pages).
        physical = store._frame("SELECT time FROM incidents ORDER BY ctid")["time"]
        assert physical.is_monotonic_increasing
    pd.testing.assert_frame_equal(after.sort_values("id").reset_index(drop=True), before)


def test_connections_are_kept_between_opens_and_come_back_clean(postgis_url):
    """A page run opens the store a few times: the connection is borrowed from
    the process's pool, not made anew; one given back inside a transaction
    comes back with it rolled back, and one the server ended is replaced."""
    with PgStore(postgis_url) as store:
        first = store.db.execute("SELECT pg_backend_pid()").fetchone()[0]
        store.db.execute("BEGIN")
        store.db.execute("INSERT INTO schema_version (version) VALUES (50)")
    with PgStore(postgis_url) as store:
        assert store.db.execute("SELECT pg_backend_pid()").fetchone()[0] == first
        assert store.schema_version == MIGRATIONS[-1][0]  # the insert was rolled back
    with psycopg.connect(postgis_url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (first,))
    with PgStore(postgis_url) as store:
        assert store.db.execute("SELECT pg_backend_pid()").fetchone()[0] != first
        assert store.schema_version == MIGRATIONS[-1][0]
