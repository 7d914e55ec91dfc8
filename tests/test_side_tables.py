"""The node's own tables (accounts and the audit log, the early-warning log, the
network log) in either store: a laptop's GeoPackage or a hub's PostgreSQL, with
the same SQL and the same answers."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from data_sources.accounts import Accounts
from data_sources.network_log import NetworkLog
from data_sources.store import Store
from data_sources.warning_log import WarningLog


@pytest.fixture(params=["geopackage", "postgis"])
def opener(request, tmp_path):
    """Opens a new connection to one store, as another process of the node would."""
    if request.param == "geopackage":
        path = tmp_path / "node.gpkg"
        return lambda: Store(path)
    from data_sources.pgstore import PgStore

    url = request.getfixturevalue("postgis_url")
    return lambda: PgStore(url)


def test_groups_list_their_members_and_a_group_without_any(opener):
    with opener() as store, store.transaction() as db:
        accounts = Accounts(store)
        for code, country in (("NDMA-PK", "PAK"), ("NDMA-IN", "IND"), ("DDMA-AF", "AFG")):
            accounts.add_agency(db, code, country, code)
        accounts.add_group(db, "INDUS", ["NDMA-PK", "NDMA-IN", "DDMA-AF"])
        accounts.add_group(db, "EMPTY", [])
    with opener() as store:
        groups = Accounts(store).groups()
        assert groups.to_dict("records") == [
            {"name": "EMPTY", "agencies": None},
            {"name": "INDUS", "agencies": "DDMA-AF,NDMA-IN,NDMA-PK"}]
        assert Accounts(store).groups_of("NDMA-IN") == frozenset({"INDUS"})


def test_the_audit_chain_holds_with_writers_in_several_processes(opener):
    """Four writers with their own connections append at once: every entry
    follows the one before it (no two chained to the same), none lost."""
    def write(worker: int) -> None:
        with opener() as store:
            for n in range(15):
                with store.transaction() as db:
                    Accounts(store).append_audit(db, f"worker {worker}", "test", {"n": n})

    opener().close()  # the schema made once, before the writers start
    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with opener() as store:
        assert Accounts(store).verify_audit() == (60, None)
        assert Accounts(store).audit()["user"].value_counts().tolist() == [15] * 4


def test_the_warning_log_never_queues_or_acknowledges_twice(opener):
    with opener() as store, store.transaction() as db:
        log = WarningLog(store)
        log.save_run(db, at=pd.Timestamp("2026-09-29T06:00Z"), rules_version=3, findings=0,
                     messages=[], active={("flood", "PAK"): {"level": 1}}, log=["nothing"])
        secret = log.secret(db)
        assert log.secret(db) == secret and len(secret) == 32
        assert log.acknowledge(db, "w1", "NDMA-PK", "ali", "dashboard")
        assert not log.acknowledge(db, "w1", "NDMA-PK", "sana", "link")
    with opener() as store:
        log = WarningLog(store)
        assert log.active_state() == {("flood", "PAK"): {"level": 1}}
        assert log.runs()[["rules_version", "findings", "messages", "log"]].to_dict(
            "records") == [{"rules_version": 3, "findings": 0, "messages": 0, "log": "nothing"}]
        acks = log.acks()
        assert acks[["warning", "user", "via"]].to_dict("records") == [
            {"warning": "w1", "user": "ali", "via": "dashboard"}]
        assert str(acks["time"].dt.tz) == "UTC"
        assert log.last_run() == pd.Timestamp("2026-09-29T06:00Z")


def test_the_network_log_keeps_peers_cursors_receipts_and_totals(opener):
    with opener() as store, store.transaction() as db:
        net = NetworkLog(store)
        net.add_peer(db, "ind", "https://old.example.org", "t0", ["incidents"])
        net.add_peer(db, "ind", "https://ind.example.org", "t1", ["incidents", "alerts"])
        net.set_cursor(db, "ind", "incidents", 10)
        net.set_cursor(db, "ind", "incidents", 41)
        net.add_receipts(db, "incidents", [("k1", "ind", 1), ("k2", "bgd", 4)], "ind")
        net.add_receipts(db, "incidents", [("k1", "ind", 2)], "ind")
        net.set_published(db, "incidents", 7)
        for event, records, lag in (("sync", 2, None), ("received", 1, 2.0),
                                    ("received", 1, 4.0), ("refused", 0, None)):
            net.log(db, "ind", event, records, lag_s=lag, detail=f"{event} detail")
    with opener() as store:
        net = NetworkLog(store)
        assert [(p["url"], p["token"], p["topics"]) for p in net.peers()] == [
            ("https://ind.example.org", "t1", ["incidents", "alerts"])]
        assert net.cursor("ind", "incidents") == 41 and net.cursor("ind", "alerts") == 0
        assert net.origins("incidents", ["k1", "k2", "k3"]) == {"k1": ("ind", 2),
                                                                 "k2": ("bgd", 4)}
        assert net.published("incidents") == 7
        totals = net.totals().iloc[0]
        assert (totals["received"], totals["refused"], totals["errors"]) == (4, 1, 0)
        assert totals["lag_s"] == 3.0 and totals["last_problem"] == "refused detail"
        assert list(net.entries("ind")["event"]) == ["refused", "received", "received", "sync"]
