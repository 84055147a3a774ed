"""SessionManager: the live sessions, their limits and expiry, behind async methods.

Every method hands its work to the worker thread, so REST handlers and the websocket
call the same code and never race training.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from . import edits
from .config import Settings
from .errors import Conflict, InvalidInput, NotFound, TooManySessions
from .export import layers_json
from .points import classes_of, parse_csv
from .schemas import Config, ConfigPatch, Data, ModelFile, Point, SetParam
from .sessions import Session, check_config, new_id
from .worker import TrainJob, Worker

log = logging.getLogger(__name__)
T = TypeVar("T")


def then(action: Callable[[Session], Any], view: Callable[[Session], T]) -> Callable[[Session], T]:
    """``action`` on a session, then ``view`` of it (the reply)."""

    def run(session: Session) -> T:
        action(session)
        return view(session)

    return run


ACTIONS: dict[str, Callable[[Session], None]] = {
    "play": Session.play,
    "pause": Session.pause,
    "step": Session.step,
    "reset": Session.reset,
    "regenerate": Session.regenerate,
}


class SessionManager:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.worker = Worker(settings)
        self.worker.expire = self._expire
        self.sessions = self.worker.sessions

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    # -- plumbing -----------------------------------------------------------------------
    async def on(self, session_id: str, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` on the worker thread; 404 for an unknown id."""

        def job() -> T:
            session = self._get(session_id)
            session.last_active = time.monotonic()
            return fn(session)

        return await self.worker.call(job)

    def _get(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise NotFound(f"unknown session {session_id}", "id")
        return session

    def _notify(self, session: Session) -> None:
        if session.viewers:
            state = session.public()
            for viewer in list(session.viewers):
                viewer.post({"type": "state", "session": state})

    # -- lifecycle ----------------------------------------------------------------------
    async def create(self, config: Config) -> dict[str, Any]:
        check_config(config, self.settings)

        def job() -> dict[str, Any]:
            if len(self.sessions) >= self.settings.max_sessions:
                raise TooManySessions(
                    f"the server holds its limit of {self.settings.max_sessions} sessions; "
                    "delete one or try again later"
                )
            session = Session(new_id(), config, self.settings, self.worker.device)
            session.on_change = self._notify
            self.sessions[session.id] = session
            return session.public()

        return await self.worker.call(job)

    async def delete(self, session_id: str) -> None:
        def job() -> None:
            self._get(session_id).close()
            del self.sessions[session_id]

        await self.worker.call(job)

    def _expire(self, now: float) -> None:
        """Pause unwatched running sessions after a grace period; drop long-idle ones."""
        for session in list(self.sessions.values()):
            if session.viewers:
                session.unwatched_since = None
                continue
            if session.unwatched_since is None:
                session.unwatched_since = now
            quiet = now - max(session.unwatched_since, session.last_active)
            if session.state == "running" and quiet > self.settings.idle_pause:
                session.pause()
            if quiet > self.settings.session_ttl and session.pending is None:
                log.info("session %s expired", session.id)
                session.close()
                del self.sessions[session.id]

    # -- actions ------------------------------------------------------------------------
    async def get(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, Session.public)

    async def act(self, session_id: str, action: str) -> dict[str, Any]:
        """play, pause, step, reset or regenerate."""
        return await self.on(session_id, then(ACTIONS[action], Session.public))

    async def configure(self, session_id: str, patch: ConfigPatch) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: s.apply_config(patch), Session.public))

    async def set_speed(self, session_id: str, speed: float | str) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: s.set_speed(speed), Session.public))

    async def set_param(self, session_id: str, param: SetParam) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: edits.set_param(s, param), params))

    async def set_params(self, session_id: str, layers: list) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: edits.set_params(s, layers), params))

    async def params(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, params)

    async def set_data(self, session_id: str, data: Data) -> dict[str, Any]:
        return await self.on(session_id, then(lambda s: edits.set_data(s, data), Session.public))

    async def set_data_csv(self, session_id: str, text: str) -> dict[str, Any]:
        """Points from CSV text (see points.parse_csv), checked against the session's config."""

        def upload(s: Session) -> None:
            classes = classes_of(s.config)
            edits.set_data(s, parse_csv(text, s.config.problem, classes, self.settings.max_points))

        return await self.on(session_id, then(upload, Session.public))

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
        return await self.on(session_id, data)

    async def history(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, lambda s: s.history.as_dict())

    async def train(self, session_id: str, epochs: int) -> dict[str, Any]:
        """Train N epochs, in slices between everyone else's work; returns their losses."""
        limit = self.settings.max_train_epochs
        if epochs > limit:
            raise InvalidInput(
                f"at most {limit} epochs per request (the server's max_train_epochs); "
                "send several requests for more",
                "epochs",
            )

        def start(session: Session) -> TrainJob:
            if session.pending is not None:
                raise Conflict("this session is already training a request", "epochs")
            if session.state in ("diverged", "failed"):
                raise Conflict(f"cannot train: the session is {session.state} (reset it first)")
            session.require_training_points("train")
            if session.state == "idle":
                session.transition("paused", "train")
            session.pending = TrainJob(session, epochs)
            return session.pending

        job = await self.on(session_id, start)
        self.worker.wake()
        history, state = await asyncio.wrap_future(job.future)
        return {
            "epoch": history[-1][0]
            if history
            else await self.on(session_id, lambda s: s.model.epoch),
            "state": state,
            "history": [
                {"epoch": e, "train_loss": _finite(a), "test_loss": _finite(b)}
                for e, a, b in history
            ],
        }

    async def attach(self, session_id: str, viewer: Any) -> dict[str, Any]:
        def job(session: Session) -> dict[str, Any]:
            session.viewers.add(viewer)
            session.unwatched_since = None
            return session.public()

        return await self.on(session_id, job)

    async def detach(self, session_id: str, viewer: Any) -> None:
        def job() -> None:
            session = self.sessions.get(session_id)
            if session is not None:
                session.viewers.discard(viewer)
                session.last_active = time.monotonic()

        await self.worker.call(job)

    async def run(self, session_id: str, fn: Callable[[Session], T]) -> T:
        """Anything else a route needs from a session (read-only views)."""
        return await self.on(session_id, fn)


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


def params(session: Session) -> dict[str, Any]:
    net = session.model.net
    return {"layers": layers_json(net.weights, net.biases), "dead": net.dead_links()}


def data(session: Session) -> dict[str, Any]:
    split = session.model.split

    def rows(x: Any, y: Any) -> list[list[float]]:
        return [[float(a), float(b), float(c)] for (a, b), c in zip(x, y, strict=True)]

    return {"train": rows(split.train_x, split.train_y), "test": rows(split.test_x, split.test_y)}
