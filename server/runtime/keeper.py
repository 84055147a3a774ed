"""Keeping live sessions: when each is checkpointed, and bringing them back at start.

Runs on the worker thread (it reads sessions); the writes themselves happen on the
storage writer's thread. A training session is checkpointed at most every
``checkpoint_interval`` seconds; a person's change (a point, an edit, an upload, a config)
is written before its request is answered (``durable``); everything at shutdown.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from server.config import Settings
from server.errors import TooLarge
from server.sessions.checkpoint import Refused, capture, restore
from server.sessions.session import Session
from server.storage import checkpoints
from server.storage.checkpoints import Row
from server.storage.database import Database
from server.storage.writer import Writer

log = logging.getLogger(__name__)
TICK_S = 0.2  # how often the worker looks for sessions due a checkpoint
PURGE_EVERY_S = 600.0  # how often old last copies are deleted while the server runs
TOUCH_EVERY_S = 60.0  # how often each session's last use is written (expiry at restart)


@dataclass
class Saved:
    version: int  # session.version when last queued
    edits: int  # session.edits then
    at: float  # monotonic time then
    points: tuple[int, bool]  # (data_version, custom_data) of the points stored
    points_bytes: int = 0  # their size (a checkpoint that keeps them still counts them)


class Keeper:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.writer = Writer(database)
        self._saved: dict[str, Saved] = {}
        self._next = 0.0
        self._next_purge = time.monotonic() + PURGE_EVERY_S  # the start purges too
        self._next_touch = time.monotonic() + TOUCH_EVERY_S
        # sessions over max_checkpoint_bytes, with the points that made them so
        self._too_big: dict[str, tuple[int, bool]] = {}

    def start(self) -> None:
        self.writer.start()

    # -- on the worker thread ----------------------------------------------------------------
    def tick(self, sessions: Iterable[Session], now: float) -> None:
        """Queue a checkpoint of every session changed and not saved for an interval."""
        if now < self._next:
            return
        self._next = now + TICK_S
        every = list(sessions)
        if self.writer.lost:  # the database lost its rows: everything is written again
            self.writer.lost = False
            self._saved.clear()
        if now >= self._next_purge:  # last copies older than ended_keep go
            self._next_purge = now + PURGE_EVERY_S
            before = time.time() - self.settings.ended_keep
            self.writer.do(lambda c: checkpoints.purge(c, before))
        if now >= self._next_touch:  # when each was last used, though nothing else changed
            self._next_touch = now + TOUCH_EVERY_S
            self.touch(every, now)
        interval = self.settings.checkpoint_interval
        # at most twice the even share of a tick: sessions that came due together (created
        # at once) spread over the next ticks instead of stalling one pass
        budget = max(8, int(2 * len(every) * TICK_S / interval) + 1)
        for session in every:
            saved = self._saved.get(session.id)
            if saved is None or (saved.version != session.version and now - saved.at >= interval):
                try:
                    self.save(session, now)
                except Exception:  # one session's checkpoint must not cost the pass
                    log.exception("could not checkpoint session %s", session.id)
                    self._saved[session.id] = Saved(session.version, session.edits, now, (0, False))
                budget -= 1
                if not budget:
                    return

    def durable(self, session: Session) -> concurrent.futures.Future[None] | None:
        """After a person's change: a future resolved once it is committed (None if
        nothing a person entered changed since the last checkpoint)."""
        saved = self._saved.get(session.id)
        if saved is not None and saved.edits == session.edits:
            return None
        return self.save(session, time.monotonic(), durable=True)

    def save(
        self, session: Session, now: float, durable: bool = False
    ) -> concurrent.futures.Future[None] | None:
        saved = self._saved.get(session.id)
        points = (session.data_version, session.custom_data)
        if self._too_big.get(session.id) == points:  # still too big: not captured again
            self._saved[session.id] = Saved(session.version, session.edits, now, points)
            return None
        kept = saved is not None and saved.points == points
        stored = capture(session, with_points=not kept)
        if stored is None:  # not finite: the last finite checkpoint stays
            self._saved[session.id] = Saved(session.version, session.edits, now, points,
                                            saved.points_bytes if saved else 0)  # fmt: skip
            return None
        points_bytes = saved.points_bytes if kept and saved else len(stored.points or b"")
        size, limit = (
            stored.size + (points_bytes if kept else 0),
            self.settings.max_checkpoint_bytes,
        )
        if size > limit:
            return self._over(session, points, size, durable)
        self._too_big.pop(session.id, None)
        self._saved[session.id] = Saved(session.version, session.edits, now, points, points_bytes)
        row = Row(session.id, stored, self._active_at(session, now), time.time(), kept)
        return self.writer.save(row, durable)

    def _over(
        self, session: Session, points: tuple[int, bool], size: int, durable: bool
    ) -> concurrent.futures.Future[None] | None:
        """The session outgrew max_checkpoint_bytes (its own points, mostly): its stored
        copy, now older than it, is ended so a restart does not bring back that older
        state; the change that made it so is answered with a 413, once."""
        limit = self.settings.max_checkpoint_bytes
        log.warning("session %s: checkpoint of %d bytes over %d: not kept", session.id, size,
                    limit)  # fmt: skip
        self._too_big[session.id] = points
        self._saved.pop(session.id, None)
        self.writer.end(session.id, "too big")
        if durable:
            raise TooLarge(
                f"the session is now too big to keep ({size} bytes; the server's "
                f"max_checkpoint_bytes is {limit}): it works, but will not survive a restart",
                "train",
            )
        return None

    def _active_at(self, session: Session, now: float) -> float:
        """Unix time from which the session's time to live counts (now while watched)."""
        quiet_since = session.last_active
        if session.unwatched_since is not None:
            quiet_since = max(quiet_since, session.unwatched_since)
        else:
            quiet_since = now
        return time.time() - max(0.0, now - quiet_since)

    def ended(self, session: Session, why: str) -> concurrent.futures.Future[None]:
        """The session is gone: its latest state becomes its last copy (a future resolved
        once that is committed)."""
        saved = self._saved.get(session.id)
        if saved is None or saved.version != session.version or saved.edits != session.edits:
            self.save(session, time.monotonic())
        self._saved.pop(session.id, None)
        self._too_big.pop(session.id, None)
        return self.writer.end(session.id, why)

    def touch(self, sessions: list[Session], now: float) -> None:
        """Write when each session was last used (one statement for all): a session read
        or watched but unchanged must not count as unused at the next start."""
        used = {s.id: self._active_at(s, now) for s in sessions}
        if used:
            self.writer.do(lambda c: checkpoints.touch(c, used))

    def save_all(self, sessions: Iterable[Session]) -> None:
        """At shutdown: every session changed since its last checkpoint, and when each
        was last used."""
        now = time.monotonic()
        sessions = list(sessions)
        self.touch(sessions, now)
        for session in sessions:
            saved = self._saved.get(session.id)
            if saved is None or saved.version != session.version or saved.edits != session.edits:
                try:
                    self.save(session, now)
                except Exception:
                    log.exception("could not checkpoint session %s at shutdown", session.id)

    def restore(self, device: torch.device) -> list[Session]:
        """Every unexpired session in the database, paused; rows that cannot be restored
        are named in the log and set aside (never half a session)."""
        now = time.time()
        with self.database.begin() as c:
            checkpoints.purge(c, now - self.settings.ended_keep)
            checkpoints.expire(c, now - self.settings.session_ttl)
            ids = checkpoints.live_ids(c)[-self.settings.max_sessions :]
        sessions, refused = [], []
        mono = time.monotonic()
        for session_id in ids:
            try:
                with self.database.begin() as c:
                    row = checkpoints.find(c, session_id)
                if row is None:  # ended meanwhile (another process)
                    continue
            except Exception as exc:  # a row the database cannot even hand over
                log.warning("session %s was not restored: its row cannot be read (%s)",
                            session_id, exc)  # fmt: skip
                refused.append(session_id)
                continue
            try:
                session = restore(row.stored, self.settings, device)
            except Refused as exc:
                log.warning("session %s was not restored: %s", row.id, exc)
                refused.append(row.id)
                continue
            except Exception:  # a row no check foresaw must not stop the start
                log.exception("session %s was not restored", row.id)
                refused.append(row.id)
                continue
            if session.id != row.id:
                log.warning("session %s was not restored: its checkpoint names %s", row.id,
                            session.id)  # fmt: skip
                refused.append(row.id)
                continue
            quiet = max(0.0, now - row.active_at)
            session.last_active = session.unwatched_since = mono - quiet
            points = (session.data_version, session.custom_data)
            size = len(row.stored.points or b"")
            self._saved[session.id] = Saved(session.version, session.edits, mono, points, size)
            sessions.append(session)
        if refused:
            with self.database.begin() as c:
                for session_id in refused:
                    checkpoints.refuse(c, session_id, now)
        return sessions

    def stop(self) -> None:
        self.writer.stop()
        self.database.close()
