"""Shared fixtures: a migrated database on every backend we support.

SQLite always runs. PostgreSQL runs when TEST_DATABASE_URL points at a server where we may
create databases; each test session gets a database of its own, dropped at the end.
With PATHWISE_REQUIRE_ALL_TESTS=1 (set by .ci/run) a test that would skip fails instead, so
CI cannot pass while silently leaving out PostgreSQL or the browser.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from data_model.database import create_database_engine, migrate_to_head
from data_model.models import Base

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
REQUIRE_ALL = os.environ.get("PATHWISE_REQUIRE_ALL_TESTS") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with a clear reason, or fail when CI demands that every test runs."""
    if REQUIRE_ALL:
        pytest.fail(f"PATHWISE_REQUIRE_ALL_TESTS=1 but {reason}")
    pytest.skip(reason)


def pytest_report_header() -> list[str]:
    backends = "sqlite, postgresql" if POSTGRES_URL else "sqlite (TEST_DATABASE_URL not set)"
    return [f"pathwise databases: {backends}"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    if not POSTGRES_URL:
        skip_or_fail("TEST_DATABASE_URL is not set, so the PostgreSQL tests cannot run")
    server = make_url(POSTGRES_URL)
    name = f"pathwise_test_{uuid.uuid4().hex[:10]}"
    admin = create_database_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty, not yet migrated database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pathwise.db'}"
    server_url: str = request.getfixturevalue("postgres_server_url")
    engine = create_database_engine(server_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return server_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    engine = create_database_engine(database_url)
    migrate_to_head(engine)
    _empty_all_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database, for tests about behaviour that does not depend on backend."""
    engine = create_database_engine(f"sqlite:///{tmp_path / 'pathwise.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every file a download button offers during an AppTest run, by file name."""
    kept: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self: MemoryMediaFileStorage, data: Any, mimetype: str, kind: Any,
             filename: str | None = None) -> str:  # fmt: skip
        if filename is not None and isinstance(data, bytes):
            kept[filename] = data
        return original(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return kept
