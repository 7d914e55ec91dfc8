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
