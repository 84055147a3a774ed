"""The plumbing of classroom rooms (runtime/rooms.py is the service): the rooms as the
worker thread holds them, finding a room for its teacher and a student in it, telling
members and walls what changed (the events interface), and committing a room's
settings in a thread."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from server.errors import InvalidInput, NotFound, PlaygroundError
from server.runtime.events import Events, LocalEvents
from server.runtime.library import Library
from server.runtime.manager import SessionManager
from server.runtime.room import Member, Room, topic
from server.sessions.session import Session
from server.storage import checkpoints
from server.storage import rooms as stored
from server.storage.database import Database

T = TypeVar("T")


class NotTeacher(PlaygroundError):
    status = 403


class RoomsCore:
    def __init__(self, manager: SessionManager, library: Library, events: Events | None = None):
        self.manager, self.library = manager, library
        self.settings = manager.settings
        self.worker = manager.worker
        self.events = events or LocalEvents()
        self.rooms: dict[str, Room] = {}  # worker thread only
        self._unsaved: set[str] = set()  # codes whose checks changed them (worker thread)
        self._next_check = 0.0
        self._writing: asyncio.Lock | None = None

    @property
    def database(self) -> Database | None:
        keeper = self.manager.keeper
        return None if keeper is None else keeper.database

    def _db_now(self, fn: Callable[[Any], T]) -> T | None:
        database = self.database
        if database is None:
            return None  # storage off: rooms live in memory only
        with database.begin() as c:
            return fn(c)

    async def _db(self, fn: Callable[[Any], T]) -> T | None:
        return await asyncio.to_thread(self._db_now, fn)

    def _take_unsaved(self) -> list[str]:
        codes, self._unsaved = list(self._unsaved), set()
        return [c for c in codes if c in self.rooms]

    async def _save(self, code: str) -> None:
        """Commit the room's settings and setup as they are now (writes one at a time)."""
        if self._writing is None:
            self._writing = asyncio.Lock()
        async with self._writing:
            found = await self.worker.call(lambda: self._stored(code))
            if found is not None:
                await self._db(lambda c: stored.save_settings(c, *found))

    def _stored(self, code: str) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
        """On the worker: what is committed of a room (code, setup, settings), if open."""
        room = self.rooms.get(code)
        return None if room is None else (code, dict(room.setup), room.settings())

    # -- on the worker -----------------------------------------------------------
    def _room(self, code: str) -> Room:
        room = self.rooms.get(code)
        if room is None:
            raise NotFound(f"no class {code} (closed, expired, or a mistyped code)", "code")
        return room

    def _teacher(self, code: str, teacher: str) -> Room:
        room = self._room(code)
        if not hmac.compare_digest(room.teacher, teacher):
            raise NotTeacher(f"this teacher key is not the key of class {code}", "key")
        return room

    def _member(self, room: Room, session_id: str) -> tuple[Member, Session]:
        member = room.members.get(session_id)
        session = self.manager.sessions.get(session_id)
        if member is None or session is None:
            raise NotFound(f"no student with session {session_id} in class {room.code}", "session")
        return member, session

    def _relink(self, room: Room, members: Iterable[Member] | None = None) -> None:
        """Tell members' sessions (all by default) what they see of the room and what they
        refuse; the worker posts their states after the job."""
        reasons, ranks = room.lock_reasons(), room.rank_of()
        for member in room.members.values() if members is None else members:
            session = self.manager.sessions.get(member.session)
            if session is not None:
                session.room, session.locks = room.member_view(member, ranks), reasons
                session.dirty = True

    def _announce(
        self, room: Room, board: bool = False, members: Iterable[Member] | None = None
    ) -> None:
        """The room changed: its members (all, or ``members``: what changed is theirs
        alone) and its walls are told."""
        self._relink(room, members)
        self.events.publish(topic(room.code), {"type": "room", "room": room.public()})
        if board:
            self.events.publish(topic(room.code), {"type": "board", "board": room.board()})

    @staticmethod
    def _free(room: Room, name: str, member: Member | None = None) -> None:
        """``name`` is no other member's, ignoring case (a 422 on nickname if it is)."""
        taken = {m.nickname.casefold() for m in room.members.values() if m is not member}
        if name.casefold() in taken:
            raise InvalidInput("is taken in this class; pick another", "nickname")

    def _rename(self, room: Room, member: Member, name: str) -> None:
        self._free(room, name, member)
        member.nickname = name
        self._announce(room, board=True, members=[member])

    def _end(self, sessions: list[Session], why: str) -> None:
        """On the worker: the sessions end, and their rows go (no last copy is kept)."""
        for session in sessions:
            session.room, session.locks = None, {}
            self.manager._ended(session, why)
        keeper = self.manager.keeper
        if keeper is not None and sessions:
            ids = [s.id for s in sessions]
            keeper.writer.do(lambda c: checkpoints.forget(c, ids))

    async def act(self, code: str, teacher: str, fn: Callable[[Room], T], board: bool = False) -> T:
        """``fn(room)`` on the worker for the room's teacher, announced and committed."""

        def job() -> T:
            room = self._teacher(code, teacher)
            result = fn(room)
            self._announce(room, board)
            return result

        result = await self.worker.call(job)
        await self._save(code)
        return result
