"""The checkpoints table: the latest stored form of each live session, and the last copy
of one that ended, kept until it is purged."""

from __future__ import annotations

from sqlalchemy import select

from server.storage import checkpoints
from server.storage.checkpoints import Row
from server.storage.database import Database
from server.storage.rows import Stored
from server.storage.schema import checkpoints as table

POINTS = bytes(range(48)) * 2  # four packed points


def stored(epoch: int, body: bytes = b'{"epoch":0}', points: bytes | None = POINTS) -> Stored:
    return Stored(1, body, b"h" * 24 * epoch, points, epoch)


def size_of(database: Database, session_id: str) -> int:
    with database.begin() as c:
        return int(c.execute(select(table.c.size).where(table.c.id == session_id)).scalar_one())


def test_a_written_row_is_found_and_live(database: Database) -> None:
    row = Row("session-one", stored(3), active_at=100.0, saved_at=101.0)
    with database.begin() as c:
        checkpoints.write(c, [row])
    with database.begin() as c:
        found = checkpoints.find(c, "session-one")
        live = checkpoints.live(c)
        assert checkpoints.find(c, "session-two") is None
    assert found is not None
    assert (found.id, found.stored, found.active_at, found.saved_at, found.ended) == (
        "session-one", row.stored, 100.0, 101.0, None,
    )  # fmt: skip
    assert [f.id for f in live] == ["session-one"]
    assert size_of(database, "session-one") == row.stored.size


def test_live_lists_the_oldest_use_first(database: Database) -> None:
    with database.begin() as c:
        checkpoints.write(c, [Row(f"s-{t}", stored(1), float(t), 1.0) for t in (30, 10, 20)])
    with database.begin() as c:
        assert [f.id for f in checkpoints.live(c)] == ["s-10", "s-20", "s-30"]


def test_a_second_write_replaces_the_first(database: Database) -> None:
    with database.begin() as c:
        checkpoints.write(c, [Row("s", stored(1, b'{"old":1}'), 1.0, 1.0)])
    newer = Row("s", stored(9, b'{"new":22}', points=None), 5.0, 6.0)
    with database.begin() as c:
        checkpoints.write(c, [newer])
    with database.begin() as c:
        found = checkpoints.find(c, "s")
        assert len(checkpoints.live(c)) == 1
    assert found is not None and found.stored == newer.stored  # points None: generated again
    assert (found.active_at, found.saved_at) == (5.0, 6.0)
    assert size_of(database, "s") == newer.stored.size


def test_points_kept_leaves_the_stored_points_and_counts_them_in_the_size(
    database: Database,
) -> None:
    with database.begin() as c:
        checkpoints.write(c, [Row("s", stored(1), 1.0, 1.0)])
    later = stored(50, b'{"epoch":50,"longer":true}', points=None)
    with database.begin() as c:
        checkpoints.write(c, [Row("s", later, 2.0, 2.0, points_kept=True)])
    with database.begin() as c:
        found = checkpoints.find(c, "s")
    assert found is not None
    assert found.stored.points == POINTS and found.stored.epoch == 50
    assert found.stored.body == later.body and found.stored.history == later.history
    # what max_database_bytes counts: this body and history, and the points kept
    assert size_of(database, "s") == len(later.body) + len(later.history) + len(POINTS)


def test_an_ended_session_is_no_longer_live_and_keeps_why(database: Database) -> None:
    with database.begin() as c:
        checkpoints.write(c, [Row("gone", stored(4), 1.0, 1.0), Row("here", stored(2), 1.0, 1.0)])
        checkpoints.end(c, "gone", "deleted", 50.0)
    with database.begin() as c:
        checkpoints.end(c, "gone", "expired", 60.0)  # ended once: the first reason stays
        found = checkpoints.find(c, "gone")
        assert [f.id for f in checkpoints.live(c)] == ["here"]
    assert found is not None and found.ended == "deleted" and found.stored.epoch == 4


def test_purge_forgets_only_last_copies_that_ended_before(database: Database) -> None:
    with database.begin() as c:
        checkpoints.write(c, [Row(s, stored(1), 1.0, 1.0) for s in ("old", "new", "live")])
        checkpoints.end(c, "old", "deleted", 100.0)
        checkpoints.end(c, "new", "deleted", 300.0)
    with database.begin() as c:
        assert checkpoints.purge(c, before=200.0) == 1
    with database.begin() as c:
        assert checkpoints.find(c, "old") is None
        new = checkpoints.find(c, "new")
        assert new is not None and new.ended == "deleted"
        assert [f.id for f in checkpoints.live(c)] == ["live"]


def test_expire_ends_live_rows_last_used_before(database: Database) -> None:
    with database.begin() as c:
        checkpoints.write(
            c, [Row("quiet", stored(1), 100.0, 1.0), Row("busy", stored(1), 900.0, 1.0)]
        )
        checkpoints.write(c, [Row("deleted", stored(1), 50.0, 1.0)])
        checkpoints.end(c, "deleted", "deleted", 60.0)
    with database.begin() as c:
        assert checkpoints.expire(c, before=500.0) == 1
    with database.begin() as c:
        quiet, deleted = checkpoints.find(c, "quiet"), checkpoints.find(c, "deleted")
        assert [f.id for f in checkpoints.live(c)] == ["busy"]
        assert checkpoints.purge(c, before=101.0) == 2  # it ended when it was last used
    assert quiet is not None and quiet.ended == "expired"
    assert deleted is not None and deleted.ended == "deleted"


def test_a_refused_row_is_set_aside(database: Database) -> None:
    with database.begin() as c:
        checkpoints.write(c, [Row("bad", stored(1), 1.0, 1.0)])
        checkpoints.refuse(c, "bad", 5.0)
    with database.begin() as c:
        found = checkpoints.find(c, "bad")
        assert checkpoints.live(c) == []
    assert found is not None and found.ended == "refused"
