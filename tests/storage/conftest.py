"""``database``: a fresh, migrated Database on SQLite (a file of the test's own) and on
PostgreSQL (the test server, its tables dropped before and after each test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Settings
from server.storage.database import Database
from tests.helpers.storage import BACKENDS, drop_tables, postgres_url


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings naming an empty database of the backend (nothing opened yet)."""
    if request.param == "sqlite":
        yield Settings(data_dir=str(tmp_path / "data"))
        return
    url = postgres_url()
    drop_tables(url)
    yield Settings(database_url=url)
    drop_tables(url)


@pytest.fixture
def database(backend_settings: Settings) -> Iterator[Database]:
    db = Database.open(backend_settings)
    yield db
    db.close()
