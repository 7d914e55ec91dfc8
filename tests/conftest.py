"""Shared test fixtures: file writers in the real layouts, the demo scenario, shared/ samples."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (lists or dicts) to a CSV in tmp_path and return its path."""

    def write(name: str, header: list[str], rows: list, *, encoding="utf-8") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding=encoding) as f:
            if rows and isinstance(rows[0], dict):
                writer = csv.DictWriter(f, header)
                writer.writeheader()
                writer.writerows(rows)
            else:
                writer = csv.writer(f)
                writer.writerow(header)
                writer.writerows(rows)
        return path

    return write


def pytest_configure(config):
    # Generated demo files and cached grids go to a temporary folder, never the
    # user's home; CLI tests in subprocesses inherit it.
    os.environ["SAMON_CACHE_DIR"] = tempfile.mkdtemp(prefix="samon-test-cache-")
    for name in ("SAMON_SOURCES", "SAMON_SCENARIO", "SAMON_STORE_PATH", "SAMON_ACCESS",
                 "SAMON_TOKEN"):
        os.environ.pop(name, None)


@pytest.fixture(scope="session")
def demo_root() -> Path:
    return Path(os.environ["SAMON_CACHE_DIR"])


@pytest.fixture(scope="session")
def service(demo):
    """The situation service on the DEMO scenario (the one the demo fixture loaded)."""
    from service import SituationService

    return SituationService()


@pytest.fixture(scope="session")
def demo(demo_root):
    from data_sources.scenario import load_demo

    return load_demo(demo_root)


@pytest.fixture
def shared_fixture():
    """Path to a real public sample in ../shared/fixtures; skips when absent."""

    def get(name: str) -> Path:
        path = SHARED_FIXTURES / name
        if not path.exists():
            pytest.skip(f"shared fixture {name} not available on this machine")
        return path

    return get


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Tests never touch the internet: no basemap probe."""
    monkeypatch.setenv("SAMON_BASEMAP_URL", "")


PG_ADMIN_URL = os.environ.get("SAMON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgis_template():
    """A template database with PostGIS; skipped without a PostgreSQL server with
    PostGIS, except in CI (CI=true), where that is a failure."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 (any reason the server cannot be had)
        if os.environ.get("CI"):
            pytest.fail(f"no PostgreSQL at {PG_ADMIN_URL} ({exc}); .ci/run starts one")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {exc}")
    name = f"samon_template_{os.getpid()}"
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}",
                             autocommit=True) as db:
            db.execute("CREATE EXTENSION postgis")
    except psycopg.Error as exc:
        admin.execute(f"DROP DATABASE {name}")
        if os.environ.get("CI"):
            pytest.fail(f"PostGIS is not installed ({exc}); .ci/run installs it")
        pytest.skip(f"PostGIS is not installed: {exc}")
    databases: list[str] = []
    yield admin, name, databases
    for db_name in [*databases, name]:
        admin.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def postgis_url(postgis_template):
    """A new, empty PostGIS database for one test."""
    admin, template, databases = postgis_template
    name = f"samon_test_{os.getpid()}_{len(databases)}"
    admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    databases.append(name)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from data_sources.pgstore import close_pool

    close_pool(url)  # the pooled connections go with the test
