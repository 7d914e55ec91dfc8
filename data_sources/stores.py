"""Which store a node keeps its records in: PostGIS at ``SAMON_STORE_URL`` (a
hub), else the GeoPackage at ``SAMON_STORE_PATH`` (a laptop node).

Apart from both stores so that a laptop never imports the PostgreSQL driver
(0.1 s of every dashboard start).
"""

from __future__ import annotations

from .settings import Settings
from .store import Store


def store_exists(settings: Settings) -> bool:
    """Whether the node has a store yet (a PostgreSQL one always has)."""
    return bool(settings.store_url) or settings.store_path.exists()


def open_store(settings: Settings, *, verify: bool = False):
    """The store the settings name (``verify``: check a GeoPackage's pages first)."""
    if settings.store_url:
        from .pgstore import PgStore

        return PgStore(settings.store_url, files_dir=settings.store_path.parent)
    return Store(settings.store_path, verify=verify)
