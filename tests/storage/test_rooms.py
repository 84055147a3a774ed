"""The rooms tables (#14) on both databases, and the migration that made them: a database
written by the first schema is brought to the current one at start, its sessions kept."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import insert, select, text

from server.config import Settings
from server.errors import NotFound
from server.storage import checkpoints, rooms
from server.storage.database import Database
from server.storage.rows import Stored
from server.storage.schema import MIGRATIONS, VERSION, schema_version
from server.storage.schema import checkpoints as checkpoints_table


def test_a_room_keeps_its_setup_and_members_until_it_is_closed(database: Database) -> None:
    with database.begin() as c:
        rooms.create(c, "ACE479", rooms.teacher_of("teacher-key"), {"dataset": "xor"}, 3600)
        rooms.join(c, "ACE479", "session-one", "Curious Otter")
        rooms.join(c, "ACE479", "session-two", "Brave Lynx")
        assert "ACE479" in rooms.codes(c)
    with database.begin() as c:  # another transaction (a restart) finds it all
        room = rooms.find(c, "ACE479")
        assert room["setup"] == {"dataset": "xor"} and room["teacher"] != "teacher-key"
        assert [m["nickname"] for m in rooms.roster(c, "ACE479")] == ["Curious Otter",
                                                                      "Brave Lynx"]  # fmt: skip
        assert rooms.count(c, "ACE479") == 2
        assert sorted(rooms.close(c, "ACE479")) == ["session-one", "session-two"]
    with database.begin() as c:
        with pytest.raises(NotFound):
            rooms.find(c, "ACE479")
        assert rooms.roster(c, "ACE479") == [] and rooms.codes(c) == set()


def test_expired_rooms_are_found(database: Database) -> None:
    with database.begin() as c:
        rooms.create(c, "TTTTTT", "t", {}, -1)
        rooms.create(c, "YYYYYY", "t", {}, 3600)
        assert rooms.expired(c, time.time()) == ["TTTTTT"]


def test_a_first_schema_database_is_migrated_keeping_its_sessions(
    backend_settings: Settings,
) -> None:
    database = Database.open(backend_settings)
    with database.begin() as c:  # back to what a version-1 server wrote
        c.execute(text("DROP TABLE members"))
        c.execute(text("DROP TABLE rooms"))
        c.execute(schema_version.update().values(version=1))
        stored = Stored(1, b"{}", b"", None, 7)
        c.execute(insert(checkpoints_table).values(
            id="kept-session", format=1, body=stored.body, history=b"", points=None, size=2,
            epoch=7, saved_at=1.0, active_at=1.0))  # fmt: skip
    database.close()
    assert len(MIGRATIONS) == VERSION >= 2
    again = Database.open(backend_settings)  # the newer server
    with again.begin() as c:
        assert c.execute(select(schema_version.c.version)).scalar() == VERSION
        found = checkpoints.find(c, "kept-session")
        assert found is not None and found.stored.epoch == 7
        rooms.create(c, "ACE479", "t", {}, 60)  # the new tables are there
    again.close()
