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
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> list[T]:
        with self._lock:
            return list(self._items.values())


_ALL: weakref.WeakSet[Kept] = weakref.WeakSet()


def forget_all() -> None:
    """Empty every store of kept results, as in a new process (benchmarks
    measuring a fresh server, tests comparing with a first computation)."""
    for kept in list(_ALL):
        kept.clear()
