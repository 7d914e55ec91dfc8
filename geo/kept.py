"""Results kept for the next caller: a bounded, thread-safe store (the service
computes summaries for several sessions at once)."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    """The ``size`` values asked for last, by key. Two callers asking for a
    missing key at once may both make it (the later one is kept): values here
    are pure functions of their key, cheap enough to make twice."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.add(self)

    def get_or(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> list[T]:
        with self._lock:
            return list(self._items.values())


class KeptFor(Generic[T]):
    """Results derived from objects that are never changed (a scenario's tables),
    kept per object while it lives: found by its identity, checked at each use
    (an id is reused once its object is gone)."""

    def __init__(self, size: int):
        self._kept: Kept[tuple[weakref.ref, T]] = Kept(size)

    def get_or(self, owner: object, key: Hashable, make: Callable[[], T]) -> T:
        entry = self._kept.get_or((id(owner), key), lambda: (weakref.ref(owner), make()))
        if entry[0]() is owner:
            return entry[1]
        value = make()  # kept for an object gone since, whose id this one has now
        self._kept.put((id(owner), key), (weakref.ref(owner), value))
        return value


_ALL: weakref.WeakSet[Kept] = weakref.WeakSet()


def forget_all() -> None:
    """Empty every store of kept results, as in a new process (benchmarks
    measuring a fresh server, tests comparing with a first computation)."""
    for kept in list(_ALL):
        kept.clear()
