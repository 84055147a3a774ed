"""The databases the storage tests run on: SQLite in a test's own directory, and the
PostgreSQL server CI starts (.ci/postgres), named by PLAYGROUND_TEST_DATABASE_URL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from server.storage.schema import metadata

POSTGRES_VAR = "PLAYGROUND_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str:
    """The test server's URL; without one the test is skipped here and fails on CI (a CI
    run must never pass with the PostgreSQL cases silently skipped)."""
    url = os.environ.get(POSTGRES_VAR, "")
    if not url:
        why = f"{POSTGRES_VAR} is not set (start a server: url=$(.ci/postgres start DIR))"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{why}: CI runs the storage tests on PostgreSQL", pytrace=False)
        pytest.skip(why)
    return url


def drop_tables(url: str) -> None:
    """Every table of the schema gone (schema_version too): the next open starts afresh."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    try:
        with engine.begin() as c:
            metadata.drop_all(c, checkfirst=True)
    finally:
        engine.dispose()
