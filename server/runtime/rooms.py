"""Classroom rooms behind async methods (docs/rooms.md): a teacher's room, its students'
sessions, the wall's tiles, locks, pushes, challenges. Rooms live on the worker thread
(runtime/room.py) beside the sessions they act on; what must survive a restart is
committed in a thread before a teacher's action is answered; room events go out through
the events interface (runtime/events.py), which the walls subscribe to."""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from typing import Any, TypeVar

from server.errors import Conflict, TooMany
from server.protocol.config import MAX_INT_SEED, Config
from server.protocol.frames import View
from server.protocol.rooms import CreateRoom, Join
from server.runtime.events import Events
from server.runtime.library import Library, iso
from server.runtime.manager import SessionManager
from server.runtime.outbox import Outbox
from server.runtime.quotas import RateLimit
from server.runtime.room import Member, Room, snapshots_owner, topic
from server.runtime.teaching import Teaching
from server.sessions import challenge as challenges
from server.sessions.nicknames import new_code, nickname
from server.sessions.rules import check_config
from server.sessions.session import Session, new_id
from server.storage import experiments
from server.storage import rooms as stored

log = logging.getLogger(__name__)
T = TypeVar("T")

CHECK_EVERY = 0.5  # seconds between challenge checks of every student
SAVE_EVERY = 2.0  # seconds between commits of what the checks changed
TILE_GRID = 20
CLOSED = "closed with its class"


def tile_view(fps: float) -> View:
    """A wall tile: a small boundary picture and the numbers, no neuron maps."""
    return View(grid=TILE_GRID, maps=False, map_size=2, fps=fps, render="server")


class Rooms(Teaching):
    def __init__(self, manager: SessionManager, library: Library, events: Events | None = None):
        super().__init__(manager, library, events)
        self.joins = RateLimit(self.settings.join_rate)  # event loop only
        self._left: list[str] = []  # members whose session ended (worker thread)
        self.worker.ticks.append(self.tick)

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        """Bring back the stored rooms (after the manager restored the sessions)."""
        rows = self._db_now(stored.everything) or []

        def relink() -> list[str]:
            gone = []
            for row in rows:
                room = Room.from_row(row)
                for member in list(room.members.values()):
                    if member.session not in self.manager.sessions:
                        gone.append(member.session)  # its checkpoint was refused or expired
                        del room.members[member.session]
                self.rooms[room.code] = room
                self._relink(room)
            return gone

        gone = self.worker.submit(relink).result()
        self._db_now(lambda c: stored.leave(c, *gone))
        if rows:
            log.info("restored %d rooms", len(rows))

    async def run(self) -> None:
        """In the background: commit what the challenge checks changed, close expired rooms."""
        while True:
            await asyncio.sleep(SAVE_EVERY)
            try:
                await self._leave(await self.worker.call(self._take_left))
                codes = await self.worker.call(self._take_unsaved)
                for code in codes:
                    await self._save(code)
                expired = await self.worker.call(
                    lambda: [r.code for r in self.rooms.values() if r.expired()]
                )
                for code in expired:
                    log.info("room %s expired", code)
                    await self._close(code)
            except Exception:  # never let the loop die
                log.exception("saving rooms failed")

    async def _leave(self, sessions: list[str]) -> None:
        await self._db(lambda c: stored.leave(c, *sessions))

    def _take_left(self) -> list[str]:
        left, self._left = self._left, []
        return left

    def stop(self) -> None:
        """At shutdown (the worker still runs): commit every room as it is."""
        if self.database is None:
            return
        try:
            rooms = self.worker.submit(lambda: [self._stored(code) for code in self.rooms]).result(
                30
            )
        except Exception:  # the worker is gone: what the last commits have is kept
            log.exception("could not read the rooms at shutdown")
            return

        def save(c: Any) -> None:
            for found in rooms:
                if found is not None:
                    stored.save_settings(c, *found)

        self._db_now(save)

    def tick(self, now: float) -> None:
        """Check every student against their room's challenge (CHECK_EVERY seconds)."""
        if now < self._next_check:
            return
        self._next_check = now + CHECK_EVERY
        for room in self.rooms.values():
            gone = [m for m in room.members.values() if m.session not in self.manager.sessions]
            if gone:  # a student deleted their own session: they left the class
                for member in gone:
                    del room.members[member.session]
                    room.finishes.pop(member.session, None)
                    self._left.append(member.session)
                self._unsaved.add(room.code)
                self._announce(room, board=True, members=[])
            goal = room.the_challenge()
            if goal is None or room.challenge is None:
                continue
            started = room.challenge["started"]
            found = []
            for member in room.members.values():
                session = self.manager.sessions.get(member.session)
                if session is None or member.session in room.finishes:
                    continue
                measured = challenges.reached(session, goal)
                if measured is not None:
                    room.finishes[member.session] = {
                        "epoch": session.model.epoch,
                        "seconds": round(time.time() - started, 1),
                        "params": challenges.parameters(session),
                        "value": measured,
                        "architecture": challenges.architecture(session),
                    }
                    found.append(member)  # later finishers rank below: the others keep theirs
            if found:
                self._unsaved.add(room.code)
                self._announce(room, board=True, members=found)

    # -- creating and joining ----------------------------------------------------
    async def create(self, body: CreateRoom, teacher: str) -> dict[str, Any]:
        """A new room whose setup is the teacher's session's config, or ``body.config``."""
        if body.session is not None:
            config = await self.manager.on(body.session, lambda s: s.config)
        else:
            config = body.config or Config()
            check_config(config, self.settings)  # every student gets it: the server's limits
        taken = await self._db(stored.codes) or set()

        def make() -> Room:
            if len(self.rooms) >= self.settings.max_rooms:
                raise TooMany(
                    f"the server holds its limit of {self.settings.max_rooms} classes "
                    "(max_rooms); close one or try later", "max_rooms",
                )  # fmt: skip
            now = time.time()
            code = new_code(set(taken) | set(self.rooms))
            room = Room(code, teacher, now, now + self.settings.room_ttl, config.model_dump())
            room.seed_per_student, room.teacher_session = body.seed_per_student, body.session
            self.rooms[code] = room
            return room

        room = await self.worker.call(make)
        setup, ttl = room.setup, self.settings.room_ttl
        try:
            made = room.created  # the times the room holds are the stored ones
            await self._db(lambda c: stored.create(c, room.code, teacher, setup, ttl, made))
            await self._save(room.code)
        except Exception:
            await self.worker.call(lambda: self.rooms.pop(room.code, None))
            raise
        return {"code": room.code, "expires": iso(room.expires), "setup": setup}

    def admit(self, client: str) -> None:
        """On the event loop: a join attempt (or a code looked up) from ``client``."""
        if not self.joins.allow(client):
            wait = max(1, round(self.joins.retry_after(client)))
            raise TooMany(
                f"too many join attempts from this address (join_rate "
                f"{self.settings.join_rate:g} a minute); try again in {wait} s",
                "join_rate", retry_after=wait,
            )  # fmt: skip

    async def info(self, code: str) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            room = self._room(code)
            taken = {m.nickname for m in room.members.values()}
            return {"code": code, "students": len(room.members),
                    "max_students": self.settings.max_room_students,
                    "nickname": nickname(taken)}  # fmt: skip

        return await self.worker.call(read)

    async def join(self, code: str, body: Join, client: str) -> dict[str, Any]:
        """A student's own session from the room's setup (or their earlier one back)."""

        def rejoin() -> dict[str, Any] | None:
            room = self._room(code)
            member = room.members.get(body.session or "")
            if member is None or member.session not in self.manager.sessions:
                return None
            if body.nickname and body.nickname != member.nickname:
                self._rename(room, member, body.nickname)
            return self._joined(room, member)

        again = await self.worker.call(rejoin)
        if again is not None:
            return again
        joined: dict[str, Any] = {}

        def make() -> Session:
            room = self._room(code)
            most = self.settings.max_room_students
            if len(room.members) >= most:
                raise Conflict(f"class {code} is full ({most} students, max_room_students)")
            if body.nickname is not None:
                self._free(room, body.nickname)
            name = body.nickname or nickname({m.nickname for m in room.members.values()})
            number = room.take_number()
            config = Config.model_validate(room.setup)
            if room.seed_per_student:
                config = config.model_copy(
                    update={"seed": zlib.crc32(f"{code}/{number}".encode()) & MAX_INT_SEED}
                )
            session = Session(new_id(), config, self.settings, self.worker.device)
            member = Member(session.id, number, name, time.time())
            room.members[session.id] = member
            if room.walls:  # the roster first: a tile is named by it
                self.events.publish(topic(code), {"type": "room", "room": room.public()})
            for outbox, view in room.walls.items():
                self.worker.followers.add(outbox, session.id, view)
            session.room, session.locks = room.member_view(member), room.lock_reasons()
            joined.update(code=code, nickname=name, number=number)
            return session

        public = await self.manager.add(make, client, per_client=False)
        joined["session"] = public
        member_row = (public["id"], joined["nickname"])
        try:
            await self._db(lambda c: stored.join(c, code, *member_row))
        finally:
            await self._save(code)
            # the roster changed: the walls hear it; the other students see nothing new
            await self.worker.call(lambda: self._announce(self._room(code), members=[]))
        return joined

    def _joined(self, room: Room, member: Member) -> dict[str, Any]:
        session = self.manager.sessions[member.session]
        return {"code": room.code, "nickname": member.nickname, "number": member.number,
                "session": session.public()}  # fmt: skip

    async def board(self, code: str) -> dict[str, Any]:
        return await self.worker.call(lambda: self._room(code).board())

    # -- walls -------------------------------------------------------------------
    async def attach_wall(
        self, code: str, teacher: str, outbox: Outbox, view: Any
    ) -> dict[str, Any]:
        """``outbox`` (a wall's websocket) follows every student with ``view``; its first
        messages, the room and the board, are posted here on the worker, before any tile."""

        def attach() -> dict[str, Any]:
            room = self._teacher(code, teacher)
            outbox.post({"type": "room", "room": room.public()})
            outbox.post({"type": "board", "board": room.board()})
            room.walls[outbox] = view
            for member in room.members.values():
                if member.session in self.manager.sessions:
                    self.worker.followers.add(outbox, member.session, view)
            return room.public()

        return await self.worker.call(attach)

    def detach_wall(self, code: str, outbox: Outbox) -> None:
        def detach() -> None:
            room = self.rooms.get(code)
            if room is not None:
                room.walls.pop(outbox, None)
                for member in room.members.values():
                    self.worker.followers.remove(outbox, member.session)

        self.worker.submit(detach)

    # -- closing -----------------------------------------------------------------
    async def close(self, code: str, teacher: str) -> None:
        await self.worker.call(lambda: self._teacher(code, teacher))
        await self._close(code)

    async def _close(self, code: str) -> None:
        """Everything of the room goes: its students' sessions (and their rows), members,
        snapshots, the room; its walls hear "closed"."""

        def close() -> Room | None:
            room = self.rooms.pop(code, None)
            if room is None:
                return None
            sessions = [self.manager.sessions.get(m.session) for m in room.members.values()]
            self._end([s for s in sessions if s is not None], CLOSED)
            self.events.publish(topic(code), {"type": "closed"})
            return room

        room = await self.worker.call(close)
        if room is None:
            return
        owner = snapshots_owner(code, room.teacher)

        def forget(c: Any) -> None:
            stored.close(c, code)
            experiments.remove_owner(c, owner)

        await self._db(forget)
