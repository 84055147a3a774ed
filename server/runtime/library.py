"""Saved experiments, share links and last copies, behind async methods: what is read of
a live session is read on the worker, pictures are drawn and the database written in a
thread, and a copy becomes a live session of its own on the worker."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from server.errors import Conflict, NotFound, StorageFailed
from server.formats.images import stored_pictures
from server.formats.images_generative import generative_png
from server.protocol.config import Config
from server.protocol.stored import Checkpoint
from server.runtime.manager import SessionManager
from server.sessions import views
from server.sessions.checkpoint import Refused, capture, restore
from server.sessions.history import finite
from server.sessions.session import Session, new_id
from server.storage import checkpoints, experiments
from server.storage.database import Database
from server.storage.experiments import Limits, Pictures
from server.storage.rows import Stored

T = TypeVar("T")
SHARED_VIEWS = 64  # shared copies whose read-only view is kept
PICTURE_GRID = 100  # cells a side of a saved experiment's pictures


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Library:
    def __init__(self, manager: SessionManager) -> None:
        self.manager = manager
        settings = manager.settings
        self.limits = Limits(
            settings.max_experiments_per_owner,
            settings.max_checkpoint_bytes,
            settings.max_database_bytes,
        )
        # read-only views of shared copies, most recent last: a link opened by a class
        # builds its session on the worker once, not once per visitor
        self._views: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._saving = asyncio.Lock()  # saves one at a time: limits are counted, then kept

    @property
    def database(self) -> Database:
        if self.manager.keeper is None:
            raise StorageFailed("storage is off on this server (started with --no-storage)")
        return self.manager.keeper.database

    async def _in_db(self, fn: Callable[[Any], T]) -> T:
        """``fn(connection)`` in a transaction, in a thread (the event loop never waits on
        the disk)."""
        database = self.database

        def run() -> T:
            with database.begin() as c:
                return fn(c)

        return await asyncio.to_thread(run)

    # -- experiments ------------------------------------------------------------------------
    async def save(self, session_id: str, owner: str, name: str) -> dict[str, Any]:
        def read(s: Session) -> tuple[Stored, dict[str, Any], Callable[[], tuple[bytes, bytes]]]:
            stored = capture(s)
            if stored is None:
                raise Conflict(
                    "the session cannot be saved as it is: its weights or training state are "
                    "not finite or run away (it diverged); reset it first"
                )
            summary = {
                "config": s.config.model_dump(),
                "train_loss": finite(s.model.train_loss),
                "test_loss": finite(s.model.test_loss),
            }
            if s.config.kind != "mlp":  # a GAN's or an autoencoder's plot, 100 and 400 px
                shown = views.generative(s, PICTURE_GRID)
                return stored, summary, lambda: (generative_png(shown, 1), generative_png(shown, 4))
            output, confidence = views.maps(s, PICTURE_GRID)
            split, classes = s.model.split, s.config.classes
            return stored, summary, lambda: stored_pictures(output, confidence, split, classes)

        self.database  # noqa: B018  (storage off: say so before reading the session)
        stored, summary, draw = await self.manager.on(session_id, read)
        thumbnail, picture = await asyncio.to_thread(draw)
        pictures = Pictures(thumbnail, picture)
        limits, database = self.limits, self.database

        def create(c: Any) -> dict[str, Any]:
            used = lambda: database.stored_bytes(c)  # noqa: E731
            return experiments.create(c, owner, name, stored, summary, pictures, limits, used)

        async with self._saving:
            return self.listing(await self._in_db(create))

    async def listed(self, owner: str) -> dict[str, Any]:
        rows = await self._in_db(lambda c: experiments.listed(c, owner))
        return {"experiments": [self.listing(r) for r in rows], "limit": self.limits.per_owner}

    async def one(self, owner: str, experiment_id: str) -> dict[str, Any]:
        return self.listing(await self._in_db(lambda c: experiments.one(c, owner, experiment_id)))

    async def rename(self, owner: str, experiment_id: str, name: str) -> dict[str, Any]:
        row = await self._in_db(lambda c: experiments.rename(c, owner, experiment_id, name))
        return self.listing(row)

    async def remove(self, owner: str, experiment_id: str) -> None:
        await self._in_db(lambda c: experiments.remove(c, owner, experiment_id))

    async def share(self, owner: str, experiment_id: str) -> dict[str, str]:
        token = await self._in_db(lambda c: experiments.share(c, owner, experiment_id))
        return {"token": token, "url": f"/s/{token}"}

    async def unshare(self, owner: str, experiment_id: str) -> None:
        await self._in_db(lambda c: experiments.unshare(c, owner, experiment_id))

    async def open(self, owner: str, experiment_id: str, client: str) -> dict[str, Any]:
        where = experiments.by_owner(owner, experiment_id)
        missing = f"unknown experiment {experiment_id}"
        _, stored = await self._in_db(lambda c: experiments.stored(c, where, missing))
        return await self.adopt(stored, client)

    async def picture(self, where: Any, which: str) -> bytes:
        return await self._in_db(lambda c: experiments.picture(c, where, which))

    # -- shares -------------------------------------------------------------------------------
    async def shared(self, token: str) -> dict[str, Any]:
        """The read-only view of a shared experiment: made from its stored form by building
        the session (off the worker's list: it is never live) on the worker."""
        listing, stored = await self._in_db(
            lambda c: experiments.stored(c, experiments.by_token(token))
        )

        key = (token, listing["id"])  # a copy never changes: its view is made once
        built = self._views.get(key)
        if built is None:

            def view() -> dict[str, Any]:
                session = self._restored(stored, new_id())
                params = views.params(session) if session.config.kind == "mlp" else None
                return {"params": params, "history": views.history(session)}

            built = await self.manager.worker.call(view)
            self._views[key] = built
            while len(self._views) > SHARED_VIEWS:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(key)
        base = f"/api/shares/{token}"
        return {
            "name": listing["name"],
            "created": iso(listing["created"]),
            "epoch": listing["epoch"],
            "train_loss": listing["train_loss"],
            "test_loss": listing["test_loss"],
            "config": listing["config"],
            **built,
            "picture": f"{base}/picture.png",
            "thumbnail": f"{base}/thumbnail.png",
        }

    async def is_shared(self, token: str) -> bool:
        """Whether ``token`` names a shared experiment now."""
        where = experiments.by_token(token)
        return bool(await self._in_db(lambda c: experiments.exists(c, where)))

    async def fork(self, token: str, client: str) -> dict[str, Any]:
        _, stored = await self._in_db(lambda c: experiments.stored(c, experiments.by_token(token)))
        return await self.adopt(stored, client)

    # -- last copies of ended sessions ------------------------------------------------------
    async def _ended_here(self, session_id: str) -> None:
        """A session that ended in this process: its end committed first (a DELETE is
        answered once the writer has it queued, not written)."""
        keeper = self.manager.keeper
        if keeper is not None and session_id in self.manager.ended:
            await asyncio.to_thread(keeper.writer.flush)

    async def last_copy(self, session_id: str) -> dict[str, Any]:
        self.database  # noqa: B018  (storage off: say so first)
        await self._ended_here(session_id)
        found = await self._in_db(lambda c: checkpoints.find(c, session_id))
        if found is None or found.ended not in ("expired", "deleted"):
            raise NotFound(f"no last copy of session {session_id}", "id")
        try:  # read as a checkpoint is: a tampered row is a 409, not a 500
            cp = Checkpoint.model_validate_json(found.stored.body)
            packed = cp.model or cp.generative
            if packed is None:
                raise Conflict(f"the last copy of session {session_id} is damaged")
            raw = packed.config
            config = Config.model_validate(raw).model_dump()
        except ValidationError:
            raise Conflict(f"the last copy of session {session_id} is damaged") from None
        return {"id": session_id, "ended": found.ended, "epoch": found.stored.epoch,
                "saved_at": iso(found.saved_at), "config": config}  # fmt: skip

    async def revive(self, session_id: str, client: str) -> dict[str, Any]:
        self.database  # noqa: B018
        await self._ended_here(session_id)
        found = await self._in_db(lambda c: checkpoints.find(c, session_id))
        if found is None or found.ended not in ("expired", "deleted"):
            raise NotFound(f"no last copy of session {session_id}", "id")
        return await self.adopt(found.stored, client)

    # -- a stored form as a live session ---------------------------------------------------------
    def _restored(self, stored: Stored, session_id: str) -> Session:
        try:
            return restore(stored, self.manager.settings, self.manager.worker.device, session_id)
        except Refused as exc:
            raise Conflict(f"the stored copy cannot be opened: {exc}") from None

    async def adopt(self, stored: Stored, client: str) -> dict[str, Any]:
        """A new live session of ``client``'s from ``stored`` (paused), within its limits."""
        return await self.manager.add(lambda: self._restored(stored, new_id()), client)

    @staticmethod
    def listing(row: dict[str, Any]) -> dict[str, Any]:
        """An experiments row as the API shows it (protocol/stored.Experiment)."""
        return {
            **row,
            "created": iso(row["created"]),
            "updated": iso(row["updated"]),
            "thumbnail": f"/api/experiments/{row['id']}/thumbnail.png",
        }
