"""The worker: the one thread that owns torch and the device.

It runs jobs handed to it by the event loop (every REST and websocket action), trains
every running session at its speed, finishes REST training requests in slices, has
streaming.Framer send a frame to every viewer that acked its last one, and expires idle
sessions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import torch

from .config import Settings
from .engine.batched import group_key, train_together
from .sessions import Session
from .streaming import Framer

log = logging.getLogger(__name__)
T = TypeVar("T")

# A round (every group trained once) aims at this many seconds per group, or per session
# if longer, so that the per-session work of each visit (losses, history, frames) stays
# small beside the training; every group trains the same number of epochs in a round.
SLICE = 0.008
SLICE_PER_SESSION = 0.0001
MAX_DUE = 10**9  # a session at "max" wants as many epochs as time allows
MAX_COSTS = 10_000  # remembered per-group epoch costs before old ones are dropped
RATE_WINDOW = 1.0  # seconds over which achieved speed is measured
TICK = 0.030  # seconds of training per pass over all sessions, at most
BACKLOG = 0.25  # a paced session more than this many seconds behind drops the backlog
EXPIRY_EVERY = 1.0


def pick_device(setting: str) -> torch.device:
    if setting == "cuda" or (setting == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("device=cuda was asked for, but torch sees no CUDA device")
        return torch.device("cuda")
    return torch.device("cpu")


class TrainJob:
    """A REST request for N epochs, trained in slices so nobody else waits."""

    def __init__(self, session: Session, epochs: int) -> None:
        self.session = session
        self.remaining = epochs
        self.history: list[tuple[int, float, float]] = []
        self.future: concurrent.futures.Future = concurrent.futures.Future()

    def finish(self) -> None:
        self.session.pending = None
        self.session.changed()  # viewers get the new epoch and losses as JSON too
        if not self.future.done():
            self.future.set_result((self.history, self.session.state))


class Worker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.device = pick_device(settings.device)
        self.sessions: dict[str, Session] = {}  # touched only on the worker thread
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._next_expiry = 0.0
        self._turn = 0  # which group trains first in a pass (fairness)
        self._cost: dict[Hashable, float] = {}  # seconds per epoch, by group key
        self.frames = Framer(settings, self.device)
        # a session with no group trains as a stack of one on a GPU too: a CUDA graph per
        # epoch and one host transfer per pass, where alone every epoch's losses sync
        self.stack_alone = self.device.type == "cuda"
        self.expire: Callable[[float], None] = lambda now: None

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
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
    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
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

    # -- the loop -----------------------------------------------------------------------
    def _run(self) -> None:
        torch.set_grad_enabled(False)
        if self.device.type == "cpu":
            torch.set_num_threads(1)  # measured: 2 threads made small steps 6x slower
        timeout: float | None = None
        while not self._stopping:
            try:
                self._run_job(self._jobs.get(timeout=timeout))
                while True:
                    self._run_job(self._jobs.get_nowait())
            except queue.Empty:
                pass
            if self._stopping:
                break
            now = time.monotonic()
            try:
                busy = self._train(now)
                wait_frames = self.frames.send(self.sessions.values(), time.monotonic())
                if now >= self._next_expiry:
                    self._next_expiry = now + EXPIRY_EVERY
                    self.expire(now)
            except Exception:  # never let the loop die
                log.exception("worker pass failed")
                busy, wait_frames = False, EXPIRY_EVERY
            timeout = 0 if busy else min(self._next_due(now), wait_frames, EXPIRY_EVERY)
            timeout = max(timeout, 0.0)
        for session in list(self.sessions.values()):
            session.close()

    def _train(self, now: float) -> bool:
        """One pass of training; True when some session wants more right away."""
        busy = False
        tick_end = time.perf_counter() + TICK
        for session in [s for s in self.sessions.values() if s.pending is not None]:
            if time.perf_counter() > tick_end:  # the rest wait for the next pass
                return True
            busy |= self._train_request(session)
        plan = {s: due for s in self.sessions.values() if (due := self._due(s, now)) > 0}
        groups: dict[Hashable, list[Session]] = {}
        for session in plan:
            key = group_key(session.model) if self.settings.batching else session.id
            groups.setdefault(key, []).append(session)
        order = list(groups.items())
        # round robin: a pass starts with the first group the previous pass did not reach
        start = self._turn % len(order) if order else 0
        order = order[start:] + order[:start]
        # Speeds fall evenly: every group trains the same number of epochs per round, as
        # many as fit the round's time at the groups' measured costs. (Sharing time instead
        # would starve small groups on a GPU, where an epoch of 30 networks costs about
        # what one of 800 does.)
        round_time = max(SLICE * len(groups), SLICE_PER_SESSION * len(plan))
        wants = {key: min(plan[s] for s in group) for key, group in groups.items()}
        even = self._even(round_time, {key: self._cost.get(key, SLICE) for key in groups}, wants)
        reached = 0
        tick_end = time.perf_counter() + TICK
        for key, group in order:
            if time.perf_counter() > tick_end:
                busy = True
                break
            reached += 1
            count = min(wants[key], even)
            started = time.perf_counter()
            trained = self._train_group(group, count)
            if trained:
                cost = (time.perf_counter() - started) / trained
                self._cost[key] = 0.5 * self._cost.get(key, cost) + 0.5 * cost
            for session in group:
                session.clock_epochs += trained
                busy |= session.state == "running" and (
                    session.speed == "max" or trained < plan[session]
                )
        self._turn = start + reached
        if len(self._cost) > MAX_COSTS:  # group keys come and go; forget old estimates
            self._cost = {key: self._cost[key] for key in groups if key in self._cost}
        for session in self.sessions.values():
            self._measure(session, now)
        return busy

    @staticmethod
    def _even(round_time: float, costs: dict[Hashable, float], wants: dict[Hashable, int]) -> int:
        """Epochs per group this round: as many as fit ``round_time`` at ``costs`` (seconds
        per epoch of each group), after groups that want fewer (a set speed) take theirs."""
        fixed, free = 0.0, dict(costs)
        while True:
            per_epoch = sum(free.values())
            even = max(1, int((round_time - fixed) / per_epoch)) if per_epoch > 0 else 1
            fewer = [key for key in free if wants[key] < even]
            if not fewer:
                return even
            for key in fewer:
                fixed += free.pop(key) * wants[key]

    def _train_request(self, session: Session) -> bool:
        """A slice of a REST request for N epochs; True while it goes on."""
        job: TrainJob = session.pending
        try:
            done = session.train_epochs(job.remaining, SLICE)
        except Exception:
            log.exception("session %s failed", session.id)
            job.finish()
            return False
        job.history += done
        job.remaining -= len(done)
        if job.remaining <= 0 or session.state in ("diverged", "failed", "closed"):
            job.finish()
            return False
        return True

    def _due(self, session: Session, now: float) -> int:
        """How many epochs a running session should train now to keep its speed."""
        if session.state != "running" or session.pending is not None:
            return 0
        if session.speed == "max":
            return MAX_DUE
        speed = float(session.speed)
        due = math.floor((now - session.clock_start) * speed) - session.clock_epochs
        if due > speed * BACKLOG + 1:  # too far behind: honour the speed from now on
            session.clock_start, session.clock_epochs = now - 1 / speed, 0
            due = 1
        return due

    def _train_group(self, group: list[Session], count: int) -> int:
        """Train ``count`` epochs of sessions that share a group key; returns how many."""
        if len(group) == 1 and not self.stack_alone:
            return self._train_alone(group[0], count)
        try:
            out = train_together([s.model for s in group], count)  # (count, S, 2)
        except Exception:  # find the culprit: each trains alone, failing only itself
            log.exception("batched training of %d sessions failed; trying each alone", len(group))
            return min(self._train_alone(session, count) for session in group)
        losses = out.to("cpu", torch.float64).numpy()  # one transfer, no Python float each
        for index, session in enumerate(group):
            first = session.model.epoch - count + 1  # epochs differ within a group
            session.record(first, losses[:, index])
        return count

    def _train_alone(self, session: Session, count: int) -> int:
        try:
            return len(session.train_epochs(count))
        except Exception:  # train_epochs marked the session failed; the others go on
            log.exception("session %s failed", session.id)
            return 0

    def _measure(self, session: Session, now: float) -> None:
        """Achieved epochs/s over about the last second."""
        if session.state != "running":
            session.rate, session.rate_since = 0.0, None
            return
        if session.rate_since is None:
            session.rate_since = (now, session.model.epoch)
            return
        since, epoch = session.rate_since
        if now - since >= RATE_WINDOW:
            session.rate = (session.model.epoch - epoch) / (now - since)
            session.rate_since = (now, session.model.epoch)

    def _next_due(self, now: float) -> float:
        wait = math.inf
        for session in self.sessions.values():
            if session.state == "running" and session.speed != "max":
                speed = float(session.speed)
                due_at = session.clock_start + (session.clock_epochs + 1) / speed
                wait = min(wait, due_at - now)
        return wait
