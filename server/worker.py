"""The worker: the one thread that owns torch and the device.

It runs jobs handed to it by the event loop (every REST and websocket action), trains
every running session at its speed, finishes REST training requests in slices, renders a
frame only for viewers that acked the last one, and expires idle sessions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import torch

from .config import Settings
from .frames import encode, set_seq
from .sessions import STATE_CODES, Session

log = logging.getLogger(__name__)
T = TypeVar("T")

SLICE = 0.010  # seconds of training per session per pass, at most
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
                wait_frames = self._frames(time.monotonic())
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
        for session in list(self.sessions.values()):
            if time.perf_counter() > tick_end:
                return True
            try:
                busy |= self._train_session(session, now)
            except Exception:
                log.exception("session %s failed", session.id)
                if session.pending is not None:
                    session.pending.finish()
        return busy

    def _train_session(self, session: Session, now: float) -> bool:
        job: TrainJob | None = session.pending
        if job is not None:
            done = session.train_epochs(job.remaining, SLICE)
            job.history += done
            job.remaining -= len(done)
            if job.remaining <= 0 or session.state in ("diverged", "failed", "closed"):
                job.finish()
            else:
                return True
        if session.state != "running":
            session.rate = 0.0
            return False
        started = time.perf_counter()
        if session.speed == "max":
            count = len(session.train_epochs(10**9, SLICE))
            self._measure(session, count, time.perf_counter() - started, max_speed=True)
            return session.state == "running"
        speed = float(session.speed)
        due = math.floor((now - session.clock_start) * speed) - session.clock_epochs
        if due > speed * BACKLOG + 1:  # too far behind: honour the speed from now on
            session.clock_start, session.clock_epochs = now - 1 / speed, 0
            due = 1
        if due <= 0:
            return False
        count = len(session.train_epochs(due, SLICE))
        session.clock_epochs += count
        session.rate = speed
        return count < due

    def _measure(self, session: Session, count: int, seconds: float, max_speed: bool) -> None:
        if seconds > 0 and count:
            session.rate = (
                0.8 * session.rate + 0.2 * (count / seconds) if session.rate else count / seconds
            )

    def _next_due(self, now: float) -> float:
        wait = math.inf
        for session in self.sessions.values():
            if session.state == "running" and session.speed != "max":
                speed = float(session.speed)
                due_at = session.clock_start + (session.clock_epochs + 1) / speed
                wait = min(wait, due_at - now)
        return wait

    def _frames(self, now: float) -> float:
        """Send a frame to every viewer that can take one; seconds until one could be due."""
        wait = math.inf
        for session in self.sessions.values():
            rendered: dict[tuple, bytearray] = {}
            for viewer in list(session.viewers):
                if not viewer.ready or viewer.version == session.version:
                    continue
                if now < viewer.next_frame:
                    wait = min(wait, viewer.next_frame - now)
                    continue
                key = viewer.view.key
                if key not in rendered:
                    rendered[key] = self._encode(session, viewer.view)
                viewer.ready = False
                viewer.version = session.version
                viewer.next_frame = now + 1 / min(viewer.view.fps, self.settings.max_fps)
                viewer.seq += 1
                viewer.offer(set_seq(rendered[key], viewer.seq))
        return wait

    def _encode(self, session: Session, view: Any) -> bytearray:
        m = session.model
        return encode(
            net=m.net,
            features=m.features,
            state_code=STATE_CODES[session.state],
            epoch=m.epoch,
            rate=session.rate if session.state == "running" else 0.0,
            train_loss=m.train_loss,
            test_loss=m.test_loss,
            view=view,
        )
