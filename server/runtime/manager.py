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
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from server.config import Settings
from server.engine.data.datasets import Split
from server.errors import Conflict, InvalidInput, NotFound, StorageFailed
from server.formats.points import check_data, classes_of, parse_csv
from server.protocol.frames import View as FrameView
from server.protocol.rest import Config, ConfigPatch, Data, ModelFile, Point, SetParam
from server.runtime.keeper import Keeper
from server.runtime.outbox import Outbox
from server.runtime.quotas import RateLimit, admit_create, admit_hold
from server.runtime.turns import start_request, wait_request
from server.runtime.worker import Worker
from server.sessions import edits, views
from server.sessions.history import finite
from server.sessions.rules import check_config
from server.sessions.session import Session, new_id
from server.sessions.state import State
from server.storage.database import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
ENDED_REMEMBERED = 10_000  # ids of ended sessions kept, so a late viewer hears "ended"
CUT_SHUTDOWN = "the server is shutting down"


def then(action: Callable[[Session], Any], view: Callable[[Session], T]) -> Callable[[Session], T]:
    """``action`` on a session, then ``view`` of it (the reply)."""

    def run(session: Session) -> T:
        action(session)
        return view(session)

    return run


async def durable(saved: concurrent.futures.Future[None] | None) -> None:
    """Wait for a change to be committed (keeper.durable); if it cannot be, say so."""
    if saved is None:
        return
    try:
        await asyncio.wrap_future(saved)
    except StorageFailed as exc:
        raise StorageFailed(f"the change was made but not saved: {exc.message}") from None


ACTIONS: dict[str, Callable[[Session], None]] = {
    "play": Session.play,
    "pause": Session.pause,
    "reset": Session.reset,
    "regenerate": Session.regenerate,
}


class SessionManager:
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
            self.worker.keep = lambda now: keeper.tick(self.sessions.values(), now)
            self.worker.on_stop = lambda: keeper.save_all(self.sessions.values())

    def start(self) -> None:
        """Start the worker and bring back the stored sessions (paused) before serving."""
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

    def _ended(self, session: Session, why: str) -> None:
        """On the worker thread: ``session`` is gone for good."""
        if self.keeper is not None:
            self.keeper.ended(session, why)
        session.close()
        self.worker.post_state(session)  # its viewers hear "closed", then nothing more
        self.worker.followers.drop_session(session.id)
        del self.sessions[session.id]
        self.ended[session.id] = why
        while len(self.ended) > ENDED_REMEMBERED:
            self.ended.popitem(last=False)

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
        admit_create(self.creates, client, self.settings.create_rate)

        def job() -> tuple[dict[str, Any], Any]:
            admit_hold([s.owner for s in self.sessions.values()], client, self.settings)
            session = Session(new_id(), config, self.settings, self.worker.device)
            session.owner = client
            self.sessions[session.id] = session
            saved = self.keeper.durable(session) if self.keeper is not None else None
            return session.public(), saved

        public, saved = await self.worker.call(job)
        await durable(saved)
        return public

    async def delete(self, session_id: str) -> None:
        await self.worker.call(lambda: self._ended(self._get(session_id), "deleted"))

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
            if quiet > self.settings.session_ttl and session.pending is None:
                log.info("session %s expired", session.id)
                self._ended(session, "expired")

    # -- actions ------------------------------------------------------------------------
    async def get(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, Session.public)

    async def act(self, session_id: str, action: str) -> dict[str, Any]:
        """play, pause, step, reset or regenerate. A step is one epoch trained in turns
        like a REST request (an epoch of 10,000 points at batch 1 takes seconds)."""
        if action != "step":
            return await self.on(session_id, then(ACTIONS[action], Session.public))
        job = await self.on(
            session_id, lambda s: start_request(s, 1, "step", self.settings.max_train_seconds)
        )
        self.worker.wake()
        await asyncio.wrap_future(job.future)
        return await self.get(session_id)

    async def configure(self, session_id: str, patch: ConfigPatch) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: s.apply_config(patch), Session.public))

    async def set_speed(self, session_id: str, speed: float | str) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: s.set_speed(speed), Session.public))

    async def set_param(self, session_id: str, param: SetParam) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: edits.set_param(s, param), views.params))

    async def set_params(self, session_id: str, layers: list[Any]) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: edits.set_params(s, layers), views.params))

    async def params(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, views.params)

    async def set_data(self, session_id: str, data: Data) -> dict[str, Any]:
        """The caller's own points (REST JSON), checked against the session's config."""
        most = self.settings.max_points
        return await self.set_points(
            session_id, lambda problem, classes: check_data(data, problem, most, classes)
        )

    async def set_data_csv(self, session_id: str, text: str) -> dict[str, Any]:
        """Points from CSV text (see points.parse_csv), checked against the session's config."""
        most = self.settings.max_points
        return await self.set_points(
            session_id, lambda problem, classes: parse_csv(text, problem, classes, most)
        )

    async def set_points(
        self, session_id: str, make: Callable[[str, int], Split]
    ) -> dict[str, Any]:
        """Points made by ``make(problem, classes)``, parsed and checked once, off the worker
        thread (10,000 CSV rows take a while: nobody's training waits); the worker only
        installs the finished data set."""
        config = await self.on(session_id, views.config)
        classes = classes_of(config)
        async with self._parsing:  # one at a time: a parse holds the interpreter's lock
            split = await asyncio.to_thread(make, config.problem, classes)

        def install(s: Session) -> None:
            if (s.config.problem, classes_of(s.config)) != (config.problem, classes):
                raise Conflict("the session's problem or classes changed meanwhile; upload again")
            edits.set_data(s, split)

        return await self.on(session_id, then(install, Session.public))

    async def add_point(self, session_id: str, point: Point) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: edits.add_point(s, point), Session.public))

    async def remove_point(self, session_id: str, x: float, y: float) -> dict[str, Any]:
        return await self.on(
            session_id, then(lambda s: edits.remove_point(s, x, y), Session.public)
        )

    async def clear_points(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, then(edits.clear_points, Session.public))

    async def load_model(self, session_id: str, file: ModelFile) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: edits.load_model(s, file), Session.public))

    async def data(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, views.data)

    async def history(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, views.history)

    async def train(
        self,
        session_id: str,
        epochs: int,
        disconnected: Callable[[], Awaitable[object]] | None = None,
    ) -> dict[str, Any]:
        """Train N epochs, in turns between everyone else's work; returns their losses.
        ``disconnected`` returns when the client has gone: the request then ends within a
        turn and the session is free at once."""
        limit = self.settings.max_train_epochs
        if epochs > limit:
            raise InvalidInput(
                f"at most {limit} epochs per request (the server's max_train_epochs); "
                "send several requests for more",
                "epochs",
            )
        if self.stopping:
            raise Conflict(CUT_SHUTDOWN, "epochs")

        job = await self.on(
            session_id, lambda s: start_request(s, epochs, "train", self.settings.max_train_seconds)
        )
        self.worker.wake()
        history, state = await wait_request(job, self.worker.submit, disconnected)
        return {
            "epoch": history[-1][0] if history else await self.on(session_id, views.epoch),
            "state": state,
            "history": [
                {"epoch": e, "train_loss": finite(a), "test_loss": finite(b)} for e, a, b in history
            ],
            "cut_short": job.cut,
        }

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

    async def read(
        self,
        session_id: str,
        view: Callable[Concatenate[Session, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """A read-only view of the session (sessions/views.py), made on the worker."""
        return await self.on(session_id, lambda s: view(s, *args, **kwargs))
