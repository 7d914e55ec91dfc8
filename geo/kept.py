"""Results kept for the next caller: a bounded, thread-safe store (the service
computes summaries for several sessions at once), and for the slowest results
a copy in the cache folder for the next process too."""

from __future__ import annotations

import collections
import functools
import hashlib
import logging
import os
import pickle
import shutil
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

from data_sources.demo import cache_root

T = TypeVar("T")
log = logging.getLogger(__name__)


class Kept(Generic[T]):
    """The ``size`` values asked for last, by key. A value is made once even
    when several callers (sessions of a hub) ask for it at the same moment: the
    others wait for it, while requests for other keys go on. (A value made
    while making another of the same store is fine; one needing itself would
    never finish, as it would never end single-threaded either.)

    ``stored_as``: the values are also kept in the cache folder under that name,
    for later processes (a dashboard's cold start, a hub's restart). Only for
    values that their key decides whole: a key of text and numbers, the same in
    every process, naming every input (fingerprints of data, not objects). A
    stored value is found again only by the same code and libraries: any change
    to them (``code_version``) makes every value anew."""

    def __init__(self, size: int, *, stored_as: str | None = None):
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.RLock()
        self._making: dict[Hashable, threading.Lock] = {}
        self._stored_as = stored_as
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
                value = self._made(key, make)  # outside the store's lock: others go on
            except BaseException:
                with self._lock:
                    self._making.pop(key, None)
                raise
            with self._lock:  # kept before the next caller can miss it
                self.put(key, value)
                self._making.pop(key, None)
        return value

    def _made(self, key: Hashable, make: Callable[[], T]) -> T:
        path = _stored_path(self._stored_as, key) if self._stored_as else None
        if path is None:
            return make()
        try:
            with path.open("rb") as file:
                return pickle.load(file)  # noqa: S301 (our own files, in a private folder)
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged file: made again, and replaced
            log.warning("kept result %s unreadable (%s): working it out again", path, exc)
        value = make()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            with tmp.open("wb") as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)  # whole or not at all, for a process reading it meanwhile
        except OSError as exc:  # a full or read-only disk costs the next process time only
            log.warning("could not keep %s for later runs: %s", path, exc)
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
    """Empty every store of kept results, and their copies for later processes:
    everything is worked out anew (tests comparing with a first computation)."""
    for kept in list(_ALL):
        kept.clear()
    shutil.rmtree(_stored_root(), ignore_errors=True)
    _CURRENT.clear()


# The code and libraries that work out stored values: a change to any makes them anew.
_CODE_PACKAGES = ("model", "data_sources", "geo", "layers")
_LIBRARIES = ("numpy", "pandas", "shapely", "pyproj", "rasterio", "xarray", "geopandas", "PIL")


@functools.cache
def code_version() -> str:
    """A digest of this project's computing code (every module and message
    catalogue of ``_CODE_PACKAGES``) and the versions of the libraries it computes
    with."""
    import importlib

    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in _CODE_PACKAGES:
        for path in sorted([*(root / package).rglob("*.py"), *(root / package).rglob("*.po")]):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for name in _LIBRARIES:
        digest.update(f"{name} {importlib.import_module(name).__version__}\n".encode())
    return digest.hexdigest()[:16]


def _stored_root() -> Path:
    return cache_root() / "kept"


def _private(root: Path) -> bool:
    """Whether stored values may be read from ``root``: made here for this user
    alone (unpickling runs what a file says, so nobody else may write there)."""
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        stat = root.stat()
    except OSError as exc:
        _warn_once(root, f"results are not kept for later runs ({root}): {exc}")
        return False
    if stat.st_uid != os.getuid() or stat.st_mode & 0o022:
        _warn_once(root, f"results are not kept for later runs: {root} is writable by others")
        return False
    return True


_WARNED: set[Path] = set()


def _warn_once(root: Path, message: str) -> None:
    """Said once per folder: it would be asked again at every result worked out."""
    if root not in _WARNED:
        _WARNED.add(root)
        log.warning(message)


def _stored_path(name: str, key: Hashable) -> Path | None:
    """Where the value of ``key`` is stored; None for a key naming an object (its
    text changes from process to process: stored, it would never be found)."""
    text = repr(key)
    if " at 0x" in text:
        log.debug("not stored (a key naming an object): %s", text)
        return None
    root = _stored_root()
    if not _private(root):
        return None
    version = code_version()
    _drop_other_versions(root, version)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return root / version / name / f"{digest[:32]}.pickle"


_CURRENT: set[Path] = set()  # stores whose other versions this process dropped


def _drop_other_versions(root: Path, version: str) -> None:
    """The values of other code versions are never found again: dropped, once per
    process, so that updates do not pile them up (a process of another version
    running beside this one finds its values gone and works them out again)."""
    if root in _CURRENT:
        return
    _CURRENT.add(root)
    for folder in root.iterdir():
        if folder.is_dir() and folder.name != version:
            shutil.rmtree(folder, ignore_errors=True)
