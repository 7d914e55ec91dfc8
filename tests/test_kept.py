"""The bounded store of results the analysis keeps between callers."""

import math
import threading

import geopandas as gpd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo import fingerprint
from geo.kept import Kept


@given(st.lists(st.integers(0, 9), max_size=60), st.integers(1, 5))
def test_it_keeps_the_last_keys_asked_and_makes_each_once_while_kept(keys, size):
    kept: Kept[int] = Kept(size)
    made: list[int] = []
    recent: list[int] = []
    for key in keys:
        hit = key in recent
        before = len(made)
        assert kept.get_or(key, lambda key=key: made.append(key) or key * 10) == key * 10
        assert len(made) == before + (0 if hit else 1)  # made only when not kept
        if hit:
            recent.remove(key)
        elif len(recent) == size:
            recent.pop(0)
        recent.append(key)
        assert len(kept) == len(recent) <= size


def test_sessions_asking_at_once_get_the_same_values_and_the_bound_holds():
    kept: Kept[str] = Kept(8)
    errors: list[BaseException] = []

    def ask(n: int) -> None:
        try:
            for i in range(2000):
                key = (n * 7 + i) % 20
                assert kept.get_or(key, lambda key=key: f"v{key}") == f"v{key}"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(kept) <= 8


def test_forget_all_empties_every_store_as_a_new_process_would():
    from geo.kept import forget_all

    first, second = Kept(4), Kept(4)
    first.get_or("a", lambda: 1)
    second.get_or("b", lambda: 2)
    forget_all()
    assert len(first) == len(second) == 0
    assert first.get_or("a", lambda: 3) == 3  # made again


def test_values_kept_for_an_object_go_with_it():
    """Per-object values are dropped when their object is freed, so a new
    object given the same id never finds them."""
    import gc

    from geo.kept import KeptFor

    class Table:
        pass

    kept: KeptFor[int] = KeptFor(8)
    table, made = Table(), []
    assert kept.get_or(table, "a", lambda: made.append(1) or 1) == 1
    assert kept.get_or(table, "a", lambda: made.append(2) or 2) == 1 and made == [1]
    assert len(kept) == 1
    del table
    gc.collect()
    assert len(kept) == 0


def test_an_object_freed_while_its_store_is_busy_is_dropped_later_without_a_deadlock():
    """The collector may free an owner while its store holds its own lock (from
    the same thread): the store only notes it, and drops the owner's values
    before anything else is looked up."""
    import threading

    from geo.kept import KeptFor

    class Table:
        pass

    kept: KeptFor[int] = KeptFor(8)
    owners = [Table()]
    kept.get_or(owners[0], "a", lambda: 1)

    def free_while_busy() -> None:
        with kept._lock:  # as when a collection runs inside get_or
            owners.clear()

    worker = threading.Thread(target=free_while_busy, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the store waited for itself"
    assert len(kept) == 0
    assert kept.get_or(Table(), "a", lambda: 2) == 2


def test_a_large_shape_is_known_by_its_content_whatever_object_holds_it():
    """Large shapes' digests are kept per object: equal shapes in other objects
    get the same fingerprint, a changed shape another one."""
    ring = [(70 + math.cos(a / 100), 25 + math.sin(a / 100)) for a in range(629)]
    big = shapely.Polygon(ring)
    assert shapely.get_num_coordinates(big) >= fingerprint.LARGE_SHAPE

    def frame(shape):
        return gpd.GeoDataFrame({"name": ["x"]}, geometry=[shape], crs="EPSG:4326")

    first = fingerprint.of_frame(frame(big), ["name"])
    assert fingerprint.of_frame(frame(big), ["name"]) == first
    assert fingerprint.of_frame(frame(shapely.from_wkb(shapely.to_wkb(big))), ["name"]) == first
    moved = shapely.Polygon([(x + 1e-6, y) for x, y in ring])
    assert fingerprint.of_frame(frame(moved), ["name"]) != first
    assert fingerprint.of_shape(moved) != fingerprint.of_shape(big)
    assert fingerprint.of_frame(frame(big).assign(name="y"), ["name"]) != first


def test_a_value_asked_for_by_many_sessions_at_once_is_made_once():
    """Sessions of a hub asking at once for what is missing wait for the one
    making it (the first views after a start all need each country's figures);
    a value that could not be made is tried again by the next caller."""
    import time

    made = []
    kept: Kept[str] = Kept(4)

    def make():
        made.append(1)
        time.sleep(0.05)
        return "figures"

    threads = [threading.Thread(target=kept.get_or, args=("same", make)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and kept.get_or("same", make) == "figures"

    def fail():
        raise OSError("the disk is gone")

    with pytest.raises(OSError):
        kept.get_or("other", fail)
    assert kept.get_or("other", lambda: "made") == "made"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMON_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_stored_values_are_found_by_the_next_process_and_only_by_the_same_code(cache,
                                                                               monkeypatch):
    """A store kept for later runs: a new store (as in a new process) finds the
    value without making it; another version of the code, a damaged file or a
    key naming an object make it again; forget_all forgets the stored ones too."""
    from geo import kept as module

    first: Kept[dict] = Kept(4, stored_as="figures")
    assert first.get_or(("a", 1.5), lambda: {"people": 7}) == {"people": 7}
    later: Kept[dict] = Kept(4, stored_as="figures")
    assert later.get_or(("a", 1.5), lambda: pytest.fail("made again")) == {"people": 7}
    assert Kept(4, stored_as="figures").get_or(("a", 2.5), lambda: 3) == 3  # another key
    stored = module._stored_path("figures", ("a", 1.5))
    assert stored is not None
    assert stored.parent == cache / "kept" / module.code_version() / "figures"
    assert sorted(stored.parent.iterdir()) == sorted(
        [stored, module._stored_path("figures", ("a", 2.5))])
    assert oct((cache / "kept").stat().st_mode & 0o777) == "0o700"

    stored.write_bytes(b"not a pickle")
    assert Kept(4, stored_as="figures").get_or(("a", 1.5), lambda: {"people": 8}) == \
        {"people": 8}
    assert Kept(4, stored_as="figures").get_or(("a", 1.5), lambda: 0) == {"people": 8}

    monkeypatch.setattr(module, "code_version", lambda: "another version")
    module._CURRENT.clear()  # as in a new process
    assert Kept(4, stored_as="figures").get_or(("a", 1.5), lambda: 9) == 9
    # The other version's values are gone from the folder, not piled up.
    assert [p.name for p in (cache / "kept").iterdir()] == ["another version"]

    thing = object()
    assert Kept(4, stored_as="figures").get_or(("b", thing), lambda: 1) == 1
    assert Kept(4, stored_as="figures").get_or(("b", thing), lambda: 2) == 2  # not stored

    module.forget_all()
    assert not (cache / "kept").exists()
    assert Kept(4, stored_as="figures").get_or(("a", 1.5), lambda: 10) == 10


def test_values_are_not_stored_where_others_may_write(cache, caplog):
    """Unpickling runs what a file says: a folder others may write to is not
    used (and the log says so once, not at every result)."""
    (cache / "kept").mkdir(mode=0o777)
    (cache / "kept").chmod(0o777)
    with caplog.at_level("WARNING", logger="geo.kept"):
        assert Kept(4, stored_as="figures").get_or("a", lambda: 1) == 1
        assert Kept(4, stored_as="figures").get_or("a", lambda: 2) == 2
    assert list((cache / "kept").iterdir()) == []
    assert [r.getMessage() for r in caplog.records] == [
        f"results are not kept for later runs: {cache / 'kept'} is writable by others"]


def test_code_version_follows_the_computing_code(tmp_path, monkeypatch):
    """Any change to a module of the computing packages changes the version."""
    from geo import kept as module

    for package in module._CODE_PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "a.py").write_text("x = 1\n")
    (tmp_path / "geo" / "kept.py").write_text("")
    monkeypatch.setattr(module, "__file__", str(tmp_path / "geo" / "kept.py"))
    module.code_version.cache_clear()
    try:
        before = module.code_version()
        module.code_version.cache_clear()
        assert module.code_version() == before
        (tmp_path / "geo" / "a.py").write_text("x = 2\n")
        module.code_version.cache_clear()
        assert module.code_version() != before
    finally:
        module.code_version.cache_clear()
