"""The actions on one session (REST and websocket share them): each runs on the worker
thread through ``on`` (SessionManager's), which commits what a person changed before the
reply. Points uploaded are parsed off the worker; REST training runs in turns."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from server.config import Settings
from server.engine.data.datasets import Split
from server.errors import Conflict, InvalidInput, StorageFailed
from server.formats.points import check_data, classes_of, parse_csv
from server.protocol.rest import ConfigPatch, Data, ModelFile, Point, SetParam
from server.runtime.turns import start_request, wait_request
from server.runtime.worker import Worker
from server.sessions import edits, locks, views
from server.sessions.history import finite
from server.sessions.session import Session

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
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


async def durable_or_log(saved: concurrent.futures.Future[None] | None, session_id: str) -> None:
    """``durable`` for a new session: if storage fails it is made all the same (its id is
    in the reply, so nothing is orphaned), and the next checkpoint tries again."""
    try:
        await durable(saved)
    except StorageFailed as exc:
        log.warning("new session %s is not stored yet: %s", session_id, exc.message)


def guarded(lock: str, action: Callable[[Session], T]) -> Callable[[Session], T]:
    """``action``, refused (403) while the session's room locks ``lock``."""

    def run(session: Session) -> T:
        locks.check(session, lock)
        return action(session)

    return run


ACTIONS: dict[str, Callable[[Session], None]] = {
    "play": Session.play,
    "pause": Session.pause,
    "reset": Session.reset,
    "regenerate": Session.regenerate,
    "step_d": lambda s: s.step_part("d"),  # a GAN's stages alone: D's updates, or G's
    "step_g": lambda s: s.step_part("g"),
}
LOCK_OF = {"step_d": "step", "step_g": "step"}  # what a room's lock on an action covers


class SessionActions:
    """What can be done to a live session. SessionManager supplies ``on`` and the rest."""

    settings: Settings
    worker: Worker
    stopping: bool
    _parsing: asyncio.Semaphore

    async def on(self, session_id: str, fn: Callable[[Session], T]) -> T:
        raise NotImplementedError

    async def get(self, session_id: str) -> dict[str, Any]:
        return await self.on(session_id, Session.public)

    async def act(self, session_id: str, action: str) -> dict[str, Any]:
        """play, pause, step, reset, regenerate, or a GAN's step_d / step_g. A step is one
        epoch (a GAN's iteration) trained in turns like a REST request (an epoch of 10,000
        points at batch 1 takes seconds)."""
        if action != "step":
            lock = LOCK_OF.get(action, action)
            return await self.on(session_id, then(guarded(lock, ACTIONS[action]), Session.public))
        most = self.settings.max_train_seconds
        job = await self.on(
            session_id, guarded("step", lambda s: start_request(s, 1, "step", most))
        )
        self.worker.wake()
        await asyncio.wrap_future(job.future)
        return await self.get(session_id)

    async def configure(self, session_id: str, patch: ConfigPatch) -> dict[str, Any]:
        def apply(s: Session) -> None:
            locks.check_patch(s, patch)
            s.apply_config(patch)

        return await self.on(session_id, then(apply, Session.public))

    async def set_speed(self, session_id: str, speed: float | str) -> dict[str, Any]:
        change = guarded("speed", lambda s: s.set_speed(speed))
        return await self.on(session_id, then(change, Session.public))

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
            session_id, lambda problem, classes: check_data(data, problem, most, classes), "points"
        )

    async def set_data_csv(self, session_id: str, text: str) -> dict[str, Any]:
        """Points from CSV text (see points.parse_csv), checked against the session's config."""
        most = self.settings.max_points
        config = await self.on(session_id, views.config)
        # a GAN's or an autoencoder's points need no label or split (every point is real)
        bare = config.kind != "mlp"
        return await self.set_points(
            session_id,
            lambda problem, classes: parse_csv(text, problem, classes, most, bare),
            "upload",
        )

    async def set_points(
        self, session_id: str, make: Callable[[str, int], Split], lock: str
    ) -> dict[str, Any]:
        """Points made by ``make(problem, classes)``, parsed and checked once, off the worker
        thread (10,000 CSV rows take a while: nobody's training waits); the worker only
        installs the finished data set."""
        config = await self.on(session_id, guarded(lock, views.config))
        classes = classes_of(config)
        async with self._parsing:  # one at a time: a parse holds the interpreter's lock
            split = await asyncio.to_thread(make, config.problem, classes)

        def install(s: Session) -> None:
            locks.check(s, lock)
            if (s.config.problem, classes_of(s.config)) != (config.problem, classes):
                raise Conflict("the session's problem or classes changed meanwhile; upload again")
            edits.set_data(s, split)

        return await self.on(session_id, then(install, Session.public))

    async def add_point(self, session_id: str, point: Point) -> dict[str, Any]:
        add = guarded("points", lambda s: edits.add_point(s, point))
        return await self.on(session_id, then(add, Session.public))

    async def remove_point(self, session_id: str, x: float, y: float) -> dict[str, Any]:
        remove = guarded("points", lambda s: edits.remove_point(s, x, y))
        return await self.on(session_id, then(remove, Session.public))

    async def clear_points(self, session_id: str) -> dict[str, Any]:
        return await self.on(
            session_id, then(guarded("points", edits.clear_points), Session.public)
        )

    async def load_model(self, session_id: str, file: ModelFile) -> dict[str, Any]:
        def load(s: Session) -> None:
            locks.check(s, "import")  # and what the file would change of a locked field
            locks.check_patch(s, ConfigPatch.model_validate(file.config.model_dump()))
            edits.load_model(s, file)

        return await self.on(session_id, then(load, Session.public))

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

        most = self.settings.max_train_seconds
        job = await self.on(
            session_id, guarded("play", lambda s: start_request(s, epochs, "train", most))
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

    async def read(
        self,
        session_id: str,
        view: Callable[Concatenate[Session, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """A read-only view of the session (sessions/views.py), made on the worker."""
        return await self.on(session_id, lambda s: view(s, *args, **kwargs))
