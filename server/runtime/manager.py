"""SessionManager: the live sessions, their limits and expiry, behind async methods.

Every method hands its work to the worker thread, so REST handlers and the websocket
call the same code and never race training.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from server.config import Settings
from server.errors import NotFound
from server.protocol.frames import View as FrameView
from server.protocol.rest import Config
from server.runtime.actions import CUT_SHUTDOWN, SessionActions, durable, durable_or_log
from server.runtime.keeper import Keeper
from server.runtime.outbox import Outbox
from server.runtime.quotas import RateLimit, admit_create, admit_hold
from server.runtime.worker import Worker
from server.sessions.rules import check_config
from server.sessions.session import Session, new_id
from server.sessions.state import State
from server.storage.database import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
ENDED_REMEMBERED = 10_000  # ids of ended sessions kept, so a late viewer hears "ended"


class SessionManager(SessionActions):
    """The live sessions, their lifecycle and storage; the actions on one: actions.py."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.worker = Worker(settings)
        self.worker.expire = self._expire
        self.sessions = self.worker.sessions
        self.creates = RateLimit(settings.create_rate)
        self.connects = RateLimit(settings.connect_rate)
        self.stopping = False
        self._parsing = asyncio.Semaphore(1)  # uploads parsed at once (set_points)
        # ids of sessions that ended (deleted, expired), most recent last: written on the
        # worker thread, read by the websocket edge (a dict lookup is atomic)
        self.ended: OrderedDict[str, str] = OrderedDict()
        # checkpoints (runtime/keeper.py); opening the database may fail: StorageFailed
        self.keeper = Keeper(settings, Database.open(settings)) if settings.storage else None
        if self.keeper is not None:
            keeper = self.keeper
            self.worker.ticks.append(lambda now: keeper.tick(self.sessions.values(), now))
            self.worker.on_stop = lambda: keeper.save_all(self.sessions.values())

    def claim(self) -> None:
        """Be the one server of the database (StorageFailed if another is): before start."""
        if self.keeper is not None:
            self.keeper.database.claim()

    def start(self) -> None:
        """Start the worker and bring back the stored sessions (paused) before serving."""
        self.claim()
        self.worker.start()
        if self.keeper is not None:
            self.keeper.start()
            keeper = self.keeper

            def restore() -> int:
                for session in keeper.restore(self.worker.device):
                    self.sessions[session.id] = session
                return len(self.sessions)

            count = self.worker.submit(restore).result()
            if count:
                log.info("restored %d sessions", count)

    def begin_shutdown(self) -> None:
        """The server is stopping: REST train requests end now (their replies say so), so
        nothing waits for them. Call on the event loop; idempotent."""
        if not self.stopping:
            self.stopping = True
            self.worker.submit(lambda: self.worker.cut_requests(CUT_SHUTDOWN))

    def stop(self) -> None:
        """End requests, checkpoint every session, commit, stop."""
        self.begin_shutdown()
        self.worker.stop()
        if self.keeper is not None:
            self.keeper.stop()

    def counts(self) -> dict[str, int]:
        """Sessions, live ones, REST requests and viewers, read without the worker (a
        dict copy and attribute reads are atomic): health must answer under any load."""
        sessions = list(self.sessions.values())
        return {
            "sessions": len(sessions),
            "running": sum(s.state == State.RUNNING for s in sessions),
            "requests": sum(s.pending is not None for s in sessions),
            "viewers": self.worker.followers.count(),
        }

    def _ended(self, session: Session, why: str) -> concurrent.futures.Future[None] | None:
        """On the worker thread: ``session`` is gone for good (a future resolved once its
        last copy is committed)."""
        saved = self.keeper.ended(session, why) if self.keeper is not None else None
        session.close(why)
        self.worker.post_state(session)  # its viewers hear "closed", then nothing more
        self.worker.followers.drop_session(session.id)
        del self.sessions[session.id]
        self.ended[session.id] = why
        while len(self.ended) > ENDED_REMEMBERED:
            self.ended.popitem(last=False)
        return saved

    # -- plumbing -----------------------------------------------------------------------
    async def on(self, session_id: str, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` on the worker thread; 404 for an unknown id. What it changed
        of what a person entered is committed to storage before this returns."""

        def job() -> tuple[T, Any]:
            session = self._get(session_id)
            session.last_active = time.monotonic()
            edits = session.edits
            result = fn(session)
            if self.keeper is None or session.edits == edits:  # a read: nothing to wait for
                return result, None
            return result, self.keeper.durable(session)

        result, saved = await self.worker.call(job)
        await durable(saved)
        return result

    def _get(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise NotFound(f"unknown session {session_id}", "id")
        return session

    # -- lifecycle ----------------------------------------------------------------------
    async def create(self, config: Config, client: str = "") -> dict[str, Any]:
        """A new session owned by ``client`` (an address), within its limits."""
        check_config(config, self.settings)
        return await self.add(
            lambda: Session(new_id(), config, self.settings, self.worker.device), client
        )

    async def add(
        self, make: Callable[[], Session], client: str, per_client: bool = True
    ) -> dict[str, Any]:
        """A new live session ``make()`` builds on the worker (a fresh one, a copy),
        owned by ``client`` within its limits, stored before the reply. A room's student
        (``per_client`` False) counts against max_sessions only: a class shares an address."""
        if per_client:
            admit_create(self.creates, client, self.settings.create_rate)

        def job() -> tuple[dict[str, Any], Any]:
            owners = [s.owner for s in self.sessions.values()]
            admit_hold(owners, client if per_client else None, self.settings)
            session = make()
            session.owner = client if per_client else ""  # a room's: not the address's
            session.last_active = time.monotonic()
            self.sessions[session.id] = session
            saved = self.keeper.durable(session) if self.keeper is not None else None
            return session.public(), saved

        public, saved = await self.worker.call(job)
        await durable_or_log(saved, public["id"])
        return public

    async def delete(self, session_id: str) -> None:
        """End the session; answered once its end (and its last copy) is committed."""
        await durable(await self.worker.call(lambda: self._ended(self._get(session_id), "deleted")))

    def _expire(self, now: float) -> None:
        """Pause unwatched running sessions after a grace period; drop long-idle ones."""
        for session in list(self.sessions.values()):
            if self.worker.followers.watched(session.id):
                session.unwatched_since = None
                continue
            if session.unwatched_since is None:
                session.unwatched_since = now
            quiet = now - max(session.unwatched_since, session.last_active)
            if session.state == State.RUNNING and quiet > self.settings.idle_pause:
                session.pause()
            # a room's students live as long as their room (runtime/rooms.py)
            if quiet > self.settings.session_ttl and session.pending is None and not session.room:
                log.info("session %s expired", session.id)
                self._ended(session, "expired")

    # -- actions ------------------------------------------------------------------------
    async def attach(self, session_id: str, outbox: Outbox, view: FrameView) -> dict[str, Any]:
        """``outbox`` follows the session with ``view``; its first message, the state, is
        posted here on the worker thread, so a deletion that follows is always seen after
        it (never replaced by it)."""

        def job(session: Session) -> dict[str, Any]:
            self.worker.followers.add(outbox, session.id, view)
            session.unwatched_since = None
            state = session.public()
            outbox.post({"type": "state", "session": state})
            return state

        return await self.on(session_id, job)

    def detach(self, session_id: str, outbox: Outbox) -> None:
        """``outbox`` stops following. Not awaited: a handler cancelled in its cleanup (a
        shutdown, a test client) must still let its session go."""

        def job() -> None:
            self.worker.followers.remove(outbox, session_id)
            session = self.sessions.get(session_id)
            if session is not None:
                session.last_active = time.monotonic()

        self.worker.submit(job)

    def ack(self, outbox: Outbox, seq: int | None) -> bool:
        """On the event loop: the client drew frame ``seq``; True if that released a frame
        in flight (the worker is woken to send the next)."""
        if self.worker.followers.ack(outbox, seq):
            self.worker.wake()
            return True
        return False

    def set_view(self, outbox: Outbox, view: FrameView) -> None:
        """Frames of this shape for ``outbox`` from its next frame on."""
        self.worker.submit(lambda: self.worker.followers.set_view(outbox, view))
