"""The worker: the one thread that owns torch and the device.

It runs jobs handed to it by the event loop (every REST and websocket action), trains
every running session at its speed and every REST request and step in turns (turns.py),
running waiting jobs between turns, has streaming.Framer send a frame to every viewer
that acked its last one, and expires idle sessions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import torch

from server.config import Settings
from server.engine import compiled
from server.engine.kinds.registry import group_key, train_together
from server.runtime.outbox import Followers
from server.runtime.paths import Paths
from server.runtime.schedule import due, measure, next_due
from server.runtime.streaming import Framer
from server.runtime.turns import TICK, Work, shares, train_request
from server.sessions.session import Session
from server.sessions.state import State

log = logging.getLogger(__name__)
T = TypeVar("T")

OVERRUN = 1.5  # a pass past this many TICKs leaves the rest of its turns to the next pass
MAX_COSTS = 10_000  # remembered per-group epoch costs before old ones are dropped
EXPIRY_EVERY = 1.0


def pick_device(setting: str) -> torch.device:
    if setting == "cuda" or (setting == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("device=cuda was asked for, but torch sees no CUDA device")
        return torch.device("cuda")
    return torch.device("cpu")


class Worker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.device = pick_device(settings.device)
        self.sessions: dict[str, Session] = {}  # touched only on the worker thread
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._next_expiry = 0.0
        self._turn = 0  # which group trains first in a pass (fairness)
        self._cost: dict[Hashable, float] = {}  # seconds per epoch, by group key
        self.frames = Framer(settings, self.device)
        self.followers = Followers()  # who watches which session (worker thread)
        # a session with no group trains as a stack of one on a GPU too: a CUDA graph per
        # epoch and one host transfer per pass, where alone every epoch's losses sync
        self.stack_alone = self.device.type == "cuda"
        # which engine trains what on the CPU (torch stacked, or the compiled kernel)
        self.paths = Paths(
            settings.kernel and self.device.type == "cpu" and settings.dtype == "float64"
        )
        self.expire: Callable[[float], None] = lambda now: None
        # after each pass: checkpoints (keeper.py), rooms' challenges (rooms.py)
        self.ticks: list[Callable[[float], None]] = []
        self.on_stop: Callable[[], None] = lambda: None  # the last checkpoints

    def kernel_status(self) -> str:
        """The compiled CPU kernel: "ready", "compiling", "off" (--no-kernel, float32, or a
        GPU trains everything) or why it is unavailable (torch trains every session)."""
        if not self.paths.enabled:
            return "off"
        return compiled.why_not() or "ready"

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        if self.paths.enabled:
            compiled.prepare()  # in the background: torch trains until it is ready
        self._thread = threading.Thread(target=self._run, name="playground-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        self._jobs.put(None)

    # -- jobs ---------------------------------------------------------------------------
    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((fn, future))
        return future

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the worker thread and return its result (or raise its error)."""
        return await asyncio.wrap_future(self.submit(fn))

    def _run_job(self, job: Any) -> None:
        if job is None:
            return
        fn, future = job
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the caller, who reports it
            future.set_exception(exc)
        self.publish()

    # -- states to viewers --------------------------------------------------------------
    def publish(self) -> None:
        """Post the state of every session whose state changed to whoever follows it."""
        for session in self.sessions.values():
            if session.dirty:
                self.post_state(session)

    def post_state(self, session: Session) -> None:
        session.dirty = False
        follows = self.followers.of(session.id)
        if follows:
            message = {"type": "state", "session": session.public()}
            for follow in follows:
                follow.outbox.post(message)

    # -- the loop -----------------------------------------------------------------------
    def _run(self) -> None:
        torch.set_grad_enabled(False)
        if self.device.type == "cpu":
            torch.set_num_threads(1)  # measured: 2 threads made small steps 6x slower
        timeout: float | None = None
        while not self._stopping:
            with contextlib.suppress(queue.Empty):  # woken by a job, or time to train
                self._run_job(self._jobs.get(timeout=timeout))
            self._run_jobs()
            if self._stopping:
                break
            now = time.monotonic()
            try:
                busy = self._train(now)
                self.publish()  # a divergence, a failure, a request done
                wait_frames = self.frames.send(
                    self.sessions.values(), self.followers, time.monotonic()
                )
                if now >= self._next_expiry:
                    self._next_expiry = now + EXPIRY_EVERY
                    self.expire(now)
                    self.publish()
                for tick in self.ticks:
                    tick(now)
            except Exception:  # never let the loop die
                log.exception("worker pass failed")
                busy, wait_frames = False, EXPIRY_EVERY
            timeout = (
                0 if busy else min(next_due(self.sessions.values(), now), wait_frames, EXPIRY_EVERY)
            )
            timeout = max(timeout, 0.0)
        try:
            self.on_stop()
        except Exception:
            log.exception("the last checkpoints failed")
        for session in list(self.sessions.values()):
            session.close()
        self.publish()

    def _run_jobs(self) -> int:
        """Every job waiting now; how many ran."""
        ran = 0
        try:
            while True:
                job = self._jobs.get_nowait()
                self._run_job(job)
                ran += job is not None  # None only wakes the worker
        except queue.Empty:
            return ran

    # -- sharing the time -------------------------------------------------------------
    def _plan(self, now: float) -> list[Work]:
        """Everything that wants training now: REST requests, then groups of running
        sessions (one group per key when batching, else one per session)."""
        work = [
            Work(("request", s.id), [s], s.pending.remaining, s.pending)
            for s in self.sessions.values()
            if s.pending is not None
        ]
        owed = {s: d for s in self.sessions.values() if (d := due(s, now)) > 0}
        groups: dict[Hashable, list[Session]] = {}
        for session in owed:
            key = group_key(session.model) if self.settings.batching else session.id
            groups.setdefault(key, []).append(session)
        for key, group in groups.items():
            if len(group) > 1 and self.paths.alone(group[0].model, len(group), now):
                work += [Work(s.id, [s], owed[s], alone=True) for s in group]
            else:
                work.append(Work(key, group, min(owed[s] for s in group)))
        return work

    def _turns(self, work: list[Work]) -> list[float]:
        """Seconds of this pass for each piece of work (turns.shares)."""
        return shares(work, self._cost)

    def _train(self, now: float) -> bool:
        """One pass: every piece of work gets its turn; True when some want more now."""
        work = self._plan(now)
        turns = self._turns(work)
        start = self._turn % len(work) if work else 0
        order = list(range(start, len(work))) + list(range(start))
        end = time.perf_counter() + OVERRUN * TICK
        busy, reached, stale = False, 0, False
        for i in order:
            if time.perf_counter() > end:  # many short turns overran: the rest go first next
                busy = True
                break
            reached += 1
            piece: Work | None = work[i]
            if stale:  # a job ran since the plan: take only what is still as planned
                piece = self._still(work[i], now)
            if piece is None:
                continue
            try:
                busy |= self._take_turn(piece, turns[i])
            except Exception:  # a piece that fails must not starve the pieces after it
                log.exception("a turn of %d sessions failed", len(piece.sessions))
            stale |= self._run_jobs() > 0
        self._turn = start + reached
        if len(self._cost) > MAX_COSTS:  # group keys come and go; forget old estimates
            self._cost = {
                w.cost_key: self._cost[w.cost_key] for w in work if w.cost_key in self._cost
            }
        self.paths.forget(MAX_COSTS)
        for session in self.sessions.values():
            measure(session, now)
        return busy

    def _still(self, piece: Work, now: float) -> Work | None:
        """``piece`` less what a job changed (a session paused, deleted or rebuilt)."""
        if piece.request is not None:
            return piece if piece.sessions[0].pending is piece.request else None
        sessions = [
            s
            for s in piece.sessions
            if self.sessions.get(s.id) is s
            and due(s, now) > 0
            and (s.id if piece.alone or not self.settings.batching else group_key(s.model))
            == piece.key
        ]
        return Work(piece.key, sessions, piece.wants, alone=piece.alone) if sessions else None

    def _take_turn(self, piece: Work, seconds: float) -> bool:
        """Train ``piece`` for about ``seconds``; True if it wants more right away."""
        deadline = time.perf_counter() + seconds

        def stop() -> bool:
            return time.perf_counter() >= deadline

        first = piece.sessions[0].model
        before = first.epoch + first.fraction
        on_kernel = len(piece.sessions) == 1 and self.paths.kernel_for(first)
        started = time.perf_counter()
        if piece.request is not None:
            trained = train_request(piece.request, stop, on_kernel)
        else:
            trained = self._train_group(piece.sessions, piece.wants, stop)
        progress = first.epoch + first.fraction - before
        if progress > 0:
            cost = (time.perf_counter() - started) / progress
            key = piece.cost_key
            self._cost[key] = 0.5 * self._cost.get(key, cost) + 0.5 * cost
            self.paths.measured(first, len(piece.sessions), on_kernel, cost)
        if piece.request is not None:
            return piece.request.session.pending is piece.request
        busy = False
        for session in piece.sessions:
            session.clock_epochs += trained
            wants_more = session.speed == "max" or trained < piece.wants
            busy |= session.state == State.RUNNING and wants_more
        return busy

    def cut_requests(self, reason: str) -> None:
        """On the worker thread: end every REST request now, its reply saying ``reason``."""
        for session in list(self.sessions.values()):
            if session.pending is not None:
                session.pending.finish(reason)

    def _train_group(
        self, group: list[Session], count: int, stop: Callable[[], bool] | None = None
    ) -> int:
        """Up to ``count`` epochs of sessions that share a group key until ``stop()``;
        returns how many epochs they completed."""
        if len(group) == 1 and not self.stack_alone:
            return self._train_alone(group[0], count, stop)
        try:
            out = train_together([s.model for s in group], count, stop, now=time.monotonic())
        except Exception:  # find the culprit: each trains alone, failing only itself
            log.exception("batched training of %d sessions failed; trying each alone", len(group))
            return min(self._train_alone(session, count, stop) for session in group)
        done = int(out.shape[0])
        if not done:
            for session in group:
                session.changed(frame_only=True)  # the weights moved within the epoch
            return 0
        for index, session in enumerate(group):  # (one transfer, no Python float each)
            first = session.model.epoch - done + 1  # epochs differ within a group
            session.record(first, out[:, index])
        return done

    def _train_alone(
        self, session: Session, count: int, stop: Callable[[], bool] | None = None
    ) -> int:
        try:
            return len(session.train(count, stop, self.paths.kernel_for(session.model)))
        except Exception:  # train() marked the session failed; the others go on
            log.exception("session %s failed", session.id)
            return 0
