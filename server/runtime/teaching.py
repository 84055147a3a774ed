"""What a teacher does: to one student (rename, reset, remove, snapshot) and to the whole
class (locks, pause, eyes on me, timer, spotlight, push a setup, challenges). The second
layer of Rooms (runtime/rooms.py) on the plumbing of runtime/roomcore.py."""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections.abc import Callable
from typing import Any, TypeVar

from server.errors import Conflict, NotFound
from server.protocol.config import ConfigPatch
from server.protocol.rooms import Challenge, Push, RoomPatch
from server.runtime.room import Member, Room, snapshots_owner
from server.runtime.roomcore import RoomsCore
from server.sessions import challenge as challenges
from server.sessions import edits
from server.sessions.session import Session
from server.sessions.state import State
from server.storage import rooms as stored

T = TypeVar("T")

REMOVED = "removed from the class"
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


class Teaching(RoomsCore):
    # -- one student -------------------------------------------------------------
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

    # -- snapshots ---------------------------------------------------------------
    async def snapshot(
        self, code: str, teacher: str, session_id: str, name: str | None
    ) -> dict[str, Any]:
        """A copy of the student's session in the room's gallery (an experiment)."""

        def title(room: Room) -> str:
            member, session = self._member(room, session_id)
            return name or f"{room.name(member)} · epoch {session.model.epoch}"

        titled = await self.act(code, teacher, title)
        return await self.library.save(session_id, snapshots_owner(code, teacher), titled)

    async def snapshots(self, code: str, teacher: str) -> dict[str, Any]:
        await self.worker.call(lambda: self._teacher(code, teacher))
        return await self.library.listed(snapshots_owner(code, teacher))

    async def drop_snapshot(self, code: str, teacher: str, experiment_id: str) -> None:
        await self.worker.call(lambda: self._teacher(code, teacher))
        await self.library.remove(snapshots_owner(code, teacher), experiment_id)

    # -- the whole class ---------------------------------------------------------
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
        """Pause everyone, remembering who was training; resume those alone."""
        if paused:
            room.resume = [m.session for m in room.members.values()
                           if (s := self.manager.sessions.get(m.session)) is not None
                           and s.state == State.RUNNING]  # fmt: skip
        for member in room.members.values():
            session = self.manager.sessions.get(member.session)
            if session is None:
                continue
            if paused:
                session.pause()
            elif member.session in room.resume:
                with contextlib.suppress(Conflict):  # no points, diverged: it stays so
                    session.play()
        if not paused:
            room.resume = []

    async def push(self, code: str, teacher: str, body: Push) -> dict[str, Any]:
        """The teacher's session's setup (and weights) to every student: each starts over."""

        def push(room: Room) -> dict[str, Any]:
            source_id = body.session or room.teacher_session
            if source_id is None:
                raise Conflict("this class was started without a playground session: give "
                               "`session` (the teacher's, or a student's)", "session")  # fmt: skip
            if source_id != room.teacher_session and source_id not in room.members:
                raise Conflict("`session` must be the class's teacher session or one of its "
                               "students'", "session")  # fmt: skip
            source = self.manager.sessions.get(source_id)
            if source is None:
                raise Conflict("the session to push is gone: open the playground and start "
                               "the class from it again", "session")  # fmt: skip
            if body.weights and source.config.kind != "mlp":  # (refused: nothing changes)
                raise Conflict(f"weights: a {source.config.kind} session's setup is pushed "
                               "without its weights (each student's nets start fresh)",
                               "weights")  # fmt: skip
            room.setup = source.config.model_dump()
            layers = []
            if body.weights:
                net = source.mlp.net
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

    # -- the class at once -------------------------------------------------------
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
            return {"number": member.number, "nickname": room.name(member),
                    **challenges.standing(session),
                    "features": " ".join(session.config.features),
                    "hidden": "-".join(map(str, session.config.hidden)),
                    "activation": session.config.activation,
                    "reached_epoch": finish.get("epoch"), "reached_seconds": finish.get("seconds"),
                    "rank": ranks.get(member.number)}  # fmt: skip

        def rows() -> list[dict[str, Any]]:
            ranks.update(self._teacher(code, teacher).rank_of())  # sorted once for the class
            return self._each(code, teacher, row)

        ranks: dict[int, int] = {}
        found = await self.worker.call(rows)
        out = io.StringIO()
        writer = csv.DictWriter(out, RESULT_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(found)
        return out.getvalue()
