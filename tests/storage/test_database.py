"""Opening the database: where it lives, its schema version, and every way it can refuse
to open (each with one message a person can act on)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from server.config import Settings
from server.errors import StorageFailed
from server.storage import checkpoints, database
from server.storage.checkpoints import Row
from server.storage.database import Database
from server.storage.rows import Stored
from server.storage.schema import VERSION, schema_version

ROW = Row("session-aaaaaaaa", Stored(1, b'{"a":1}', b"", None, 3), 10.0, 11.0)


def test_first_open_creates_the_data_directory_and_the_file_in_wal_mode(tmp_path: Path) -> None:
    where = tmp_path / "not" / "yet"
    db = Database.open(Settings(data_dir=str(where)))
    try:
        assert (where / database.FILE).is_file()
        with db.begin() as c:
            assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        db.close()


def test_without_a_data_dir_the_file_is_in_the_per_user_data_directory(data_home: Path) -> None:
    db = Database.open(Settings())
    db.close()
    assert (data_home / database.APP_DIR / database.FILE).is_file()


def test_the_schema_version_is_recorded(database: Database) -> None:
    with database.begin() as c:
        assert c.execute(select(schema_version.c.version)).scalars().all() == [VERSION]


def test_opening_again_keeps_the_rows_and_migrates_once(backend_settings: Settings) -> None:
    first = Database.open(backend_settings)
    with first.begin() as c:
        checkpoints.write(c, [ROW])
    first.close()
    again = Database.open(backend_settings)
    try:
        with again.begin() as c:
            assert c.execute(select(func.count()).select_from(schema_version)).scalar() == 1
            assert c.execute(select(schema_version.c.version)).scalar() == VERSION
            found = checkpoints.find(c, ROW.id)
        assert found is not None and found.stored == ROW.stored
    finally:
        again.close()


def test_a_database_at_a_newer_schema_version_is_refused_naming_both(
    backend_settings: Settings,
) -> None:
    db = Database.open(backend_settings)
    with db.begin() as c:
        c.execute(schema_version.update().values(version=VERSION + 1))
    db.close()
    with pytest.raises(StorageFailed) as refused:
        Database.open(backend_settings)
    message = refused.value.message
    assert f"schema version {VERSION + 1}" in message
    assert f"this server's {VERSION}" in message
    assert refused.value.status == 503


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda f: f.write_bytes(b"this is no database, just bytes " * 200), id="garbage"
        ),
        pytest.param(
            lambda f: f.write_bytes(f.read_bytes()[:100] + b"\xff" * (f.stat().st_size - 100)),
            id="pages",
        ),
    ],
)
def test_a_damaged_sqlite_file_is_refused_saying_it_is_damaged(
    tmp_path: Path, damage: object
) -> None:
    settings = Settings(data_dir=str(tmp_path))
    db = Database.open(settings)
    with db.begin() as c:  # some pages to damage
        checkpoints.write(c, [Row(f"session-{i:08}", ROW.stored, 1.0, 1.0) for i in range(50)])
    db.close()
    assert not (tmp_path / f"{database.FILE}-wal").exists()  # all of it is in the file now
    damage(tmp_path / database.FILE)  # type: ignore[operator]
    with pytest.raises(StorageFailed) as refused:
        Database.open(settings)
    assert "damaged" in refused.value.message
    assert str(tmp_path / database.FILE) in refused.value.message


def test_a_database_url_of_another_kind_is_refused_naming_the_allowed_forms() -> None:
    with pytest.raises(StorageFailed) as refused:
        Database.open(Settings(database_url="mysql://root@localhost/playground"))
    assert "sqlite:///" in refused.value.message and "postgresql://" in refused.value.message
    assert "mysql" in refused.value.message
    with pytest.raises(StorageFailed, match="not a database URL"):
        Database.open(Settings(database_url="no url at all"))


def test_an_unreachable_server_is_named_without_its_address_user_or_password() -> None:
    """Storage messages reach clients (/api/health, 503s): the database by name only."""
    with pytest.raises(StorageFailed) as refused:
        Database.open(Settings(database_url="postgresql://someone:s3cret@127.0.0.1:1/none"))
    assert "PostgreSQL database none" in refused.value.message
    for secret in ("s3cret", "someone", "127.0.0.1"):
        assert secret not in refused.value.message, refused.value.message


def test_a_locked_sqlite_database_fails_a_write_within_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    db = Database.open(Settings(data_dir=str(tmp_path)))
    other = sqlite3.connect(tmp_path / database.FILE, isolation_level=None)
    try:
        with db.begin() as c:
            checkpoints.write(c, [ROW])
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(StorageFailed) as refused, db.begin() as c:
            checkpoints.write(c, [Row("session-bbbbbbbb", ROW.stored, 1.0, 1.0)])
        waited = time.monotonic() - started
        assert "locked" in refused.value.message
        assert waited < database.BUSY_TIMEOUT_MS / 1000 + 2  # the timeout set, not the 5 s default
        with db.begin() as c:  # WAL: readers do not wait for the writer
            assert checkpoints.find(c, ROW.id) is not None
        other.execute("ROLLBACK")
        with db.begin() as c:  # the lock gone, writes work again
            checkpoints.write(c, [Row("session-bbbbbbbb", ROW.stored, 1.0, 1.0)])
    finally:
        other.close()
        db.close()
