"""The writer thread: checkpoints coalesce, a durable save is acknowledged only once it is
readable elsewhere, and a failed commit is reported and tried again, losing nothing."""

from __future__ import annotations

import concurrent.futures
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection

from server.config import Settings
from server.errors import StorageFailed
from server.storage import checkpoints, database, writer
from server.storage.checkpoints import Found, Row
from server.storage.database import Database
from server.storage.rows import Stored
from server.storage.writer import Writer

WAIT_S = 30.0  # the longest any future here may take (a stuck writer fails, never hangs)


def row(session_id: str, epoch: int) -> Row:
    return Row(session_id, Stored(1, b'{"e":%d}' % epoch, b"", None, epoch), 1.0, 1.0)


def read(settings: Settings, session_id: str) -> Found | None:
    """What another connection (another process) finds."""
    other = Database.open(settings)
    try:
        with other.begin() as c:
            return checkpoints.find(c, session_id)
    finally:
        other.close()


class Flaky:
    """A Database whose commits fail while ``broken`` names a reason, and whose next
    commit waits at ``gate`` while it is clear (``inside`` says it is waiting)."""

    def __init__(self, real: Database) -> None:
        self.real = real
        self.broken: str | None = None
        self.gate = threading.Event()
        self.gate.set()
        self.inside = threading.Event()
        self.commits: list[list[str]] = []

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        self.inside.set()
        assert self.gate.wait(WAIT_S)
        if self.broken:
            raise StorageFailed(f"storage at test: {self.broken}")
        with self.real.begin() as c:
            yield c


@pytest.fixture
def flaky(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Writer, Flaky]]:
    monkeypatch.setattr(writer, "RETRY_S", 0.01)
    fake = Flaky(database)
    w = Writer(fake)  # type: ignore[arg-type]
    w.start()
    yield w, fake
    fake.broken = None
    fake.gate.set()
    w.stop()


@pytest.fixture
def started(database: Database) -> Iterator[Writer]:
    w = Writer(database)
    w.start()
    yield w
    w.stop()


def test_rows_of_one_session_coalesce_to_the_latest(
    database: Database, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[tuple[str, int]] = []
    real_write = checkpoints.write

    def spy(c: Connection, rows: list[Row]) -> None:
        written.extend((r.id, r.stored.epoch) for r in rows)
        real_write(c, rows)

    monkeypatch.setattr(checkpoints, "write", spy)
    w = Writer(database)
    for epoch in range(1, 6):  # queued before the thread runs: all wait together
        w.save(row("a", epoch))
    w.save(row("b", 7))
    queued = w.do(lambda c: None)  # flush()'s marker, queued with them
    w.start()
    try:
        queued.result(WAIT_S)
    finally:
        w.stop()
    assert sorted(written) == [("a", 5), ("b", 7)]
    assert w.commits == 1
    found = read(backend_settings, "a")
    assert found is not None and found.stored.epoch == 5


def test_a_durable_save_resolves_once_another_connection_reads_it(
    started: Writer, backend_settings: Settings
) -> None:
    done = started.save(row("a", 3), durable=True)
    assert done is not None
    done.result(WAIT_S)
    found = read(backend_settings, "a")
    assert found is not None and found.stored.epoch == 3
    assert started.save(row("a", 4)) is None  # not durable: nothing to wait for


def test_flush_waits_for_everything_queued(started: Writer, backend_settings: Settings) -> None:
    for i in range(20):
        started.save(row(f"s{i}", i))
    started.end("s3", "deleted")
    started.flush(WAIT_S)
    for i in (0, 19):
        found = read(backend_settings, f"s{i}")
        assert found is not None and found.stored.epoch == i
    ended = read(backend_settings, "s3")
    assert ended is not None and ended.ended == "deleted"


def test_a_failed_commit_fails_the_durable_save_and_the_row_is_written_later(
    flaky: tuple[Writer, Flaky], backend_settings: Settings
) -> None:
    w, fake = flaky
    fake.broken = "the disk is full (no space left on device)"
    done = w.save(row("a", 3), durable=True)
    assert done is not None
    with pytest.raises(StorageFailed, match="the disk is full"):
        done.result(WAIT_S)
    assert w.failure is not None and "the disk is full" in w.failure
    assert read(backend_settings, "a") is None
    fake.broken = None  # the disk has room again
    w.flush(WAIT_S)
    found = read(backend_settings, "a")
    assert found is not None and found.stored.epoch == 3
    assert w.failure is None


def test_a_session_ended_while_commits_fail_is_ended_once_they_work(
    flaky: tuple[Writer, Flaky], backend_settings: Settings
) -> None:
    w, fake = flaky
    w.save(row("a", 3))
    w.flush(WAIT_S)
    fake.broken = "the database is locked by another program"
    w.end("a", "deleted")
    with pytest.raises(StorageFailed, match="locked"):
        w.flush(WAIT_S)
    fake.broken = None
    w.flush(WAIT_S)
    found = read(backend_settings, "a")  # else a deleted session comes back at the next start
    assert found is not None and found.ended == "deleted"


def test_a_real_lock_fails_a_durable_save_until_it_is_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(writer, "RETRY_S", 0.01)
    settings = Settings(data_dir=str(tmp_path))
    db = Database.open(settings)
    other = sqlite3.connect(tmp_path / database.FILE, isolation_level=None)
    w = Writer(db)
    w.start()
    try:
        other.execute("BEGIN EXCLUSIVE")
        done = w.save(row("a", 8), durable=True)
        assert done is not None
        with pytest.raises(StorageFailed, match="locked"):
            done.result(WAIT_S)
        other.execute("ROLLBACK")
        w.flush(WAIT_S)
        found = read(settings, "a")
        assert found is not None and found.stored.epoch == 8
    finally:
        w.stop()
        other.close()
        db.close()


def test_stop_commits_what_was_queued(
    flaky: tuple[Writer, Flaky], backend_settings: Settings
) -> None:
    w, fake = flaky
    fake.gate.clear()  # the next commit waits: what is queued meanwhile waits behind it
    fake.inside.clear()
    w.save(row("first", 1))
    assert fake.inside.wait(WAIT_S)
    w.save(row("queued", 2))
    done = w.save(row("durable", 3), durable=True)
    stopping = concurrent.futures.ThreadPoolExecutor(1)
    stopped = stopping.submit(w.stop, WAIT_S)
    fake.gate.set()
    stopped.result(WAIT_S)
    stopping.shutdown()
    assert done is not None and done.result(0) is None
    for name, epoch in (("first", 1), ("queued", 2), ("durable", 3)):
        found = read(backend_settings, name)
        assert found is not None and found.stored.epoch == epoch


def test_a_row_queued_during_a_failed_commit_keeps_the_failed_rows_points(
    flaky: tuple[Writer, Flaky], backend_settings: Settings
) -> None:
    """The failed row wrote the session's own points; the newer one only keeps them: the
    newer one is written with them (else its body names points the row does not hold)."""
    w, fake = flaky
    fake.broken = "the database is locked by another program"
    fake.gate.clear()  # the next commit waits, with the first row in it
    with_points = Row("a", Stored(1, b"{}", b"", b"P" * 24, 3), 1.0, 1.0)
    w.save(with_points)
    assert fake.inside.wait(WAIT_S)
    w.save(Row("a", Stored(1, b'{"later":1}', b"", None, 4), 1.0, 1.0, points_kept=True))
    fake.gate.set()  # that commit fails; the two rows meet again
    fake.broken = None
    w.flush(WAIT_S)
    found = read(backend_settings, "a")
    assert found is not None and found.stored.epoch == 4 and found.stored.points == b"P" * 24


def test_a_newer_row_cancels_a_queued_end(started: Writer, backend_settings: Settings) -> None:
    started.save(row("a", 1))
    started.flush(WAIT_S)
    with started._lock:  # both queued for one commit: the end, then a newer row
        started._ops.append(("a", lambda c: checkpoints.end(c, "a", "too big", 1.0)))
    started.save(row("a", 2))
    started.flush(WAIT_S)
    found = read(backend_settings, "a")
    assert found is not None and found.ended is None and found.stored.epoch == 2


def test_writes_after_stop_fail_at_once(database: Database) -> None:
    w = Writer(database)
    w.start()
    w.stop()
    done = w.save(row("late", 1), durable=True)
    assert done is not None
    with pytest.raises(StorageFailed, match="shutting down"):
        done.result(0)
