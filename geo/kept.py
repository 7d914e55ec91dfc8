"""Results kept for the next caller: a bounded, thread-safe store (the service
computes summaries for several sessions at once)."""

from __future__ import annotations

import collections
import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    """The ``size`` values asked for last, by key. A value is made once even
    when several callers (sessions of a hub) ask for it at the same moment: the
    others wait for it, while requests for other keys go on. (A value made
    while making another of the same store is fine; one needing itself would
    never finish, as it would never end single-threaded either.)"""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.RLock()
        self._making: dict[Hashable, threading.Lock] = {}
        _ALL.add(self)

    def get_or(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._items:  # made by another caller while this one waited
                    self._items.move_to_end(key)
                    return self._items[key]
            try:
                value = make()  # outside the store's lock: other keys are not held up
            except BaseException:
                with self._lock:
                    self._making.pop(key, None)
                raise
            with self._lock:  # kept before the next caller can miss it
                self.put(key, value)
                self._making.pop(key, None)
        return value

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def discard(self, which: Callable[[Hashable], bool]) -> None:
        """Drop the values whose keys ``which`` picks."""
        with self._lock:
            for key in [k for k in self._items if which(k)]:
                del self._items[key]

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
    kept per object and dropped with it: found by its identity, which is reused
    only once the object is gone. Values must not hold their object (it would
    never go)."""

    def __init__(self, size: int):
        self._kept: Kept[T] = Kept(size)
        self._watched: dict[int, weakref.ref] = {}
        self._lock = threading.Lock()
        self._gone_since: collections.deque[int] = collections.deque()

    def get_or(self, owner: object, key: Hashable, make: Callable[[], T]) -> T:
        self._forget_gone()
        ident = id(owner)
        with self._lock:
            if ident not in self._watched:
                self._watched[ident] = weakref.ref(owner, functools.partial(self._gone, ident))
        return self._kept.get_or((ident, key), make)

    def _gone(self, ident: int, _ref: weakref.ref) -> None:
        # Only noted here: the garbage collector runs this wherever it happens to
        # run, perhaps inside this store's own lock or while it walks its entries.
        self._gone_since.append(ident)

    def _forget_gone(self) -> None:
        """Drop the entries of owners gone since the last call (before their ids
        can be found again: an id is reused only once its object is gone, and
        the owner's entries go before any new entry is looked up)."""
        while self._gone_since:
            ident = self._gone_since.popleft()
            with self._lock:
                if ident in self._watched and self._watched[ident]() is None:
                    del self._watched[ident]
            self._kept.discard(functools.partial(_owned_by, ident))

    def __len__(self) -> int:
        self._forget_gone()
        return len(self._kept)


def _owned_by(ident: int, key: Hashable) -> bool:
    return isinstance(key, tuple) and key[0] == ident


_ALL: weakref.WeakSet[Kept] = weakref.WeakSet()


def forget_all() -> None:
    """Empty every store of kept results, as in a new process (benchmarks
    measuring a fresh server, tests comparing with a first computation)."""
    for kept in list(_ALL):
        kept.clear()
