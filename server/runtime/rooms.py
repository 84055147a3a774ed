"""Classroom rooms behind async methods (docs/rooms.md): a teacher's room, its students'
sessions, the wall's tiles, locks, pushes, challenges. Rooms live on the worker thread
(runtime/room.py) beside the sessions they act on; what must survive a restart is
committed in a thread before a teacher's action is answered; room events go out through
the events interface (runtime/events.py), which the walls subscribe to."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from server.errors import Conflict, InvalidInput, NotFound, PlaygroundError, TooMany
from server.protocol.config import Config, ConfigPatch
from server.protocol.frames import View
from server.protocol.rooms import Challenge, CreateRoom, Join, Push, RoomPatch
from server.runtime.events import Events, LocalEvents
from server.runtime.library import Library, iso
from server.runtime.manager import SessionManager
from server.runtime.quotas import RateLimit
from server.runtime.room import Member, Room, topic
from server.runtime.teaching import Teaching
from server.sessions import challenge as challenges
from server.sessions import edits
from server.sessions.nicknames import new_code, nickname
from server.sessions.session import Session, new_id
from server.storage import rooms as stored
from server.storage.database import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
CHECK_EVERY = 0.5  # seconds between challenge checks of every student
SAVE_EVERY = 2.0  # seconds between commits of what the checks changed
TILE_GRID = 20


class NotTeacher(PlaygroundError):
    status = 403


def tile_view(fps: float) -> View:
    """A wall tile: a small boundary picture and the numbers, no neuron maps."""
    return View(grid=TILE_GRID, maps=False, map_size=2, fps=fps, render="server")


class Rooms(Teaching):
    def __init__(self, manager: SessionManager, library: Library, events: Events | None = None):
        self.manager, self.library = manager, library
        self.settings = manager.settings
        self.worker = manager.worker
        self.events = events or LocalEvents()
        self.rooms: dict[str, Room] = {}  # worker thread only
        self.joins = RateLimit(self.settings.join_rate)  # event loop only
        self._unsaved: set[str] = set()  # codes whose checks changed them (worker thread)
        self._next_check = 0.0
        self._writing: asyncio.Lock | None = None
        self.worker.ticks.append(self.tick)

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

    # -- lifecycle ----------------------------------------------------------------------
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

        def leave_all(c: Any) -> None:
            for session in gone:
                stored.leave(c, session)

        self._db_now(leave_all)
        if rows:
            log.info("restored %d rooms", len(rows))

    async def run(self) -> None:
        """In the background: commit what the challenge checks changed, close expired rooms."""
        while True:
            await asyncio.sleep(SAVE_EVERY)
            try:
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

    def stop(self) -> None:
        """At shutdown (the worker still runs): commit every room as it is."""
        if self.database is None:
            return
        try:
            rooms = self.worker.submit(
                lambda: [(r.code, dict(r.setup), r.settings()) for r in self.rooms.values()]
            ).result(30)
        except Exception:  # the worker is gone: what the last commits have is kept
            log.exception("could not read the rooms at shutdown")
            return

        def save(c: Any) -> None:
            for code, setup, settings in rooms:
                stored.save_settings(c, code, setup, settings)

        self._db_now(save)

    def _take_unsaved(self) -> list[str]:
        codes, self._unsaved = list(self._unsaved), set()
        return [c for c in codes if c in self.rooms]

    async def _save(self, code: str) -> None:
        """Commit the room's settings and setup as they are now (writes one at a time)."""
        if self._writing is None:
            self._writing = asyncio.Lock()
        async with self._writing:
            room = await self.worker.call(lambda: self.rooms.get(code))
            if room is None:
                return
            setup, settings = await self.worker.call(lambda: (dict(room.setup), room.settings()))
            await self._db(lambda c: stored.save_settings(c, code, setup, settings))

    # -- on the worker ------------------------------------------------------------------
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

    def _relink(self, room: Room) -> None:
        """Tell every member's session what it sees of the room and what it refuses; the
        worker posts their states after the job."""
        reasons = room.lock_reasons()
        for member in room.members.values():
            session = self.manager.sessions.get(member.session)
            if session is not None:
                session.room, session.locks = room.member_view(member), reasons
                session.dirty = True

    def _announce(self, room: Room, board: bool = False) -> None:
        self._relink(room)
        self.events.publish(topic(room.code), {"type": "room", "room": room.public()})
        if board:
            self.events.publish(topic(room.code), {"type": "board", "board": room.board()})

    def tick(self, now: float) -> None:
        """Check every student against their room's challenge (CHECK_EVERY seconds)."""
        if now < self._next_check:
            return
        self._next_check = now + CHECK_EVERY
        for room in self.rooms.values():
            goal = room.the_challenge()
            if goal is None or room.challenge is None:
                continue
            started = room.challenge["started"]
            found = False
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
                    found = True
            if found:
                self._unsaved.add(room.code)
                self._announce(room, board=True)

    # -- creating and joining -----------------------------------------------------------
    async def create(self, body: CreateRoom, teacher: str) -> dict[str, Any]:
        """A new room whose setup is the teacher's session's config, or ``body.config``."""
        if body.session is not None:
            config = await self.manager.on(body.session, lambda s: s.config)
        else:
            config = body.config or Config()
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
            await self._db(lambda c: stored.create(c, room.code, teacher, setup, ttl))
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
            taken = {m.nickname.casefold() for m in room.members.values()}
            if body.nickname is not None and body.nickname.casefold() in taken:
                raise InvalidInput("is taken in this class; pick another", "nickname")
            name = body.nickname or nickname({m.nickname for m in room.members.values()})
            number = room.take_number()
            config = Config.model_validate(room.setup)
            if room.seed_per_student:
                config = config.model_copy(update={"seed": zlib.crc32(f"{code}/{number}".encode())})
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
            await self.worker.call(lambda: self._announce(self._room(code)))
        return joined

    def _joined(self, room: Room, member: Member) -> dict[str, Any]:
        session = self.manager.sessions[member.session]
        return {"code": room.code, "nickname": member.nickname, "number": member.number,
                "session": session.public()}  # fmt: skip

    def _rename(self, room: Room, member: Member, name: str) -> None:
        taken = {m.nickname.casefold() for m in room.members.values() if m is not member}
        if name.casefold() in taken:
            raise InvalidInput("is taken in this class; pick another", "nickname")
        member.nickname = name
        self._announce(room, board=True)

    async def board(self, code: str) -> dict[str, Any]:
        return await self.worker.call(lambda: self._room(code).board())

    # -- the teacher ----------------------------------------------------------------------
    async def teacher(self, code: str, teacher: str) -> dict[str, Any]:
        """The room with every member's standing (the wall's first view, the REST view)."""

        def read() -> dict[str, Any]:
            room = self._teacher(code, teacher)
            view = room.public()
            for listed in view["members"]:
                session = self.manager.sessions.get(listed["session"])
                if session is not None:
                    listed.update(challenges.standing(session))
            return {**view, "board": room.board()}

        return await self.worker.call(read)

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

    async def patch(self, code: str, teacher: str, patch: RoomPatch) -> dict[str, Any]:
        def change(room: Room) -> dict[str, Any]:
            if patch.spotlight is not None:
                if patch.spotlight and patch.spotlight not in room.members:
                    raise NotFound(f"no student with session {patch.spotlight}", "spotlight")
                room.spotlight = patch.spotlight or None
            if patch.locks is not None:
                room.locks = sorted(set(patch.locks))
            for name in ("anonymise", "eyes"):
                if getattr(patch, name) is not None:
                    setattr(room, name, getattr(patch, name))
            if patch.timer is not None:
                room.timer_ends = round(time.time() + patch.timer, 1) if patch.timer else None
            if patch.paused is not None and patch.paused != room.paused:
                room.paused = patch.paused
                self._pause_all(room, patch.paused)
            return room.public()

        return await self.act(code, teacher, change, board=patch.anonymise is not None)

    def _pause_all(self, room: Room, paused: bool) -> None:
        for member in room.members.values():
            session = self.manager.sessions.get(member.session)
            if session is None:
                continue
            if paused:
                session.pause()
            else:
                with contextlib.suppress(Conflict):  # no points, diverged: it stays so
                    session.play()

    async def push(self, code: str, teacher: str, body: Push) -> dict[str, Any]:
        """The teacher's session's setup (and weights) to every student: each starts over."""

        def push(room: Room) -> dict[str, Any]:
            source_id = body.session or room.teacher_session
            source = self.manager.sessions.get(source_id or "")
            if source is None:
                raise Conflict("the teacher's playground session is gone: open the playground "
                               "and start the class from it again", "session")  # fmt: skip
            room.setup = source.config.model_dump()
            net = source.model.net
            layers = [
                (w.tolist(), b.tolist()) for w, b in zip(net.weights, net.biases, strict=True)
            ]
            pushed = 0
            for member in room.members.values():
                session = self.manager.sessions.get(member.session)
                if session is None:
                    continue
                setup = dict(room.setup)
                if room.seed_per_student:
                    setup["seed"] = session.config.seed
                session.pause()
                session.apply_config(ConfigPatch.model_validate(setup))
                session.reset()
                if body.weights:
                    edits.set_params(session, layers)
                pushed += 1
            return {"pushed": pushed, "weights": body.weights}

        return await self.act(code, teacher, push)

    async def set_challenge(
        self, code: str, teacher: str, goal: Challenge | None
    ) -> dict[str, Any]:
        def change(room: Room) -> dict[str, Any]:
            if goal is None:
                room.end_challenge()
            else:
                room.challenge = {**goal.model_dump(), "started": time.time()}
                room.finishes = {}
                self._next_check = 0.0
            return room.board()

        return await self.act(code, teacher, change, board=True)
