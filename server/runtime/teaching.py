"""What a teacher does to one student, the class views (curves, results, snapshots), the
walls' connections and closing a room: the second half of Rooms (runtime/rooms.py),
which supplies the room plumbing (``act``, ``_teacher``, ``_member``, storage)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, TypeVar

from server.runtime.events import Events
from server.runtime.library import Library
from server.runtime.manager import SessionManager
from server.runtime.outbox import Outbox
from server.runtime.room import Member, Room, snapshots_owner, topic
from server.runtime.worker import Worker
from server.sessions import challenge as challenges
from server.sessions.session import Session
from server.storage import checkpoints, experiments
from server.storage import rooms as stored

T = TypeVar("T")
REMOVED = "removed from the class"
CLOSED = "closed with its class"
CURVE_POINTS = 200  # points of each student's loss curve on the class chart
RESULT_COLUMNS = ["number", "nickname", "architecture", "features", "hidden", "activation",
                  "epoch", "state", "train_loss", "test_loss", "test_accuracy", "params",
                  "reached_epoch", "reached_seconds", "rank"]  # fmt: skip


def thinned(history: dict[str, list[Any]], most: int) -> list[list[Any]]:
    """[epoch, train loss, test loss] rows, at most ``most`` of them, the last one kept."""
    rows = list(zip(history["epoch"], history["train_loss"], history["test_loss"], strict=True))
    if len(rows) <= most:
        return [list(r) for r in rows]
    step = len(rows) / (most - 1)
    picked = [rows[int(i * step)] for i in range(most - 1)] + [rows[-1]]
    return [list(r) for r in picked]


class Teaching:
    manager: SessionManager
    library: Library
    worker: Worker
    events: Events
    rooms: dict[str, Room]

    async def act(self, code: str, teacher: str, fn: Callable[[Room], T], board: bool = False) -> T:
        raise NotImplementedError

    def _teacher(self, code: str, teacher: str) -> Room:
        raise NotImplementedError

    def _member(self, room: Room, session_id: str) -> tuple[Member, Session]:
        raise NotImplementedError

    def _rename(self, room: Room, member: Member, name: str) -> None:
        raise NotImplementedError

    def _announce(self, room: Room, board: bool = False) -> None:
        raise NotImplementedError

    async def _db(self, fn: Callable[[Any], T]) -> T | None:
        raise NotImplementedError

    async def _save(self, code: str) -> None:
        raise NotImplementedError

    # -- one student ----------------------------------------------------------------------
    async def rename(self, code: str, teacher: str, session_id: str, name: str) -> dict[str, Any]:
        def change(room: Room) -> dict[str, Any]:
            member, _ = self._member(room, session_id)
            self._rename(room, member, name)
            return member.listed()

        listed = await self.act(code, teacher, change, board=True)
        await self._db(lambda c: stored.rename(c, session_id, name))
        return listed

    async def reset(self, code: str, teacher: str, session_id: str) -> dict[str, Any]:
        def reset(room: Room) -> dict[str, Any]:
            _, session = self._member(room, session_id)
            session.reset()
            return session.public()

        return await self.act(code, teacher, reset)

    async def remove(self, code: str, teacher: str, session_id: str) -> None:
        """The student leaves: their session ends ("removed from the class") and nothing
        of it is kept."""

        def remove(room: Room) -> None:
            _, session = self._member(room, session_id)
            del room.members[session_id]
            room.finishes.pop(session_id, None)
            if room.spotlight == session_id:
                room.spotlight = None
            self._end([session], REMOVED)

        await self.act(code, teacher, remove, board=True)
        await self._db(lambda c: stored.leave(c, session_id))

    def _end(self, sessions: list[Session], why: str) -> None:
        """On the worker: the sessions end, and their rows go (no last copy is kept)."""
        for session in sessions:
            session.room, session.locks = None, {}
            self.manager._ended(session, why)
        keeper = self.manager.keeper
        if keeper is not None and sessions:
            ids = [s.id for s in sessions]
            keeper.writer.do(lambda c: checkpoints.forget(c, ids))

    # -- snapshots ------------------------------------------------------------------------
    def _owner(self, code: str, teacher: str) -> str:
        return snapshots_owner(code, teacher)

    async def snapshot(
        self, code: str, teacher: str, session_id: str, name: str | None
    ) -> dict[str, Any]:
        """A copy of the student's session in the room's gallery (an experiment)."""

        def title(room: Room) -> str:
            member, session = self._member(room, session_id)
            return name or f"{room.name(member)} · epoch {session.model.epoch}"

        titled = await self.act(code, teacher, title)
        return await self.library.save(session_id, self._owner(code, teacher), titled)

    async def snapshots(self, code: str, teacher: str) -> dict[str, Any]:
        await self.worker.call(lambda: self._teacher(code, teacher))
        return await self.library.listed(self._owner(code, teacher))

    async def drop_snapshot(self, code: str, teacher: str, experiment_id: str) -> None:
        await self.worker.call(lambda: self._teacher(code, teacher))
        await self.library.remove(self._owner(code, teacher), experiment_id)

    # -- the class at once ------------------------------------------------------------------
    def _each(self, code: str, teacher: str, fn: Callable[[Room, Member, Session], T]) -> list[T]:
        room = self._teacher(code, teacher)
        out = []
        for member in sorted(room.members.values(), key=lambda m: m.number):
            session = self.manager.sessions.get(member.session)
            if session is not None:
                out.append(fn(room, member, session))
        return out

    async def curves(self, code: str, teacher: str) -> dict[str, Any]:
        """Every student's loss curve (at most CURVE_POINTS points each)."""

        def curve(room: Room, member: Member, session: Session) -> dict[str, Any]:
            return {"session": member.session, "number": member.number,
                    "name": room.name(member), "architecture": challenges.architecture(session),
                    "history": thinned(session.history.as_dict(), CURVE_POINTS)}  # fmt: skip

        return {"members": await self.worker.call(lambda: self._each(code, teacher, curve))}

    async def results_csv(self, code: str, teacher: str) -> str:
        def row(room: Room, member: Member, session: Session) -> dict[str, Any]:
            finish = room.finishes.get(member.session, {})
            ranks = {r["number"]: r["rank"] for r in room.ranks()}
            return {"number": member.number, "nickname": room.name(member),
                    **challenges.standing(session),
                    "features": " ".join(session.config.features),
                    "hidden": "-".join(map(str, session.config.hidden)),
                    "activation": session.config.activation,
                    "reached_epoch": finish.get("epoch"), "reached_seconds": finish.get("seconds"),
                    "rank": ranks.get(member.number)}  # fmt: skip

        rows = await self.worker.call(lambda: self._each(code, teacher, row))
        out = io.StringIO()
        writer = csv.DictWriter(out, RESULT_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    # -- walls ----------------------------------------------------------------------------
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

    # -- closing ----------------------------------------------------------------------------
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
        owner = self._owner(code, room.teacher)

        def forget(c: Any) -> None:
            stored.close(c, code)
            experiments.remove_owner(c, owner)

        await self._db(forget)
