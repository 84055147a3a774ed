"""Frames for the viewers: which are due, the budget that keeps them to a share of the
time, encoding (weights, and the maps for ``render: "server"``) and the hand-over to the
event loop. Runs on the worker thread (worker.py), after each pass of training.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import torch

from server.config import Settings
from server.engine import compiled
from server.engine.batched import Stack
from server.engine.kinds.mlp import Model
from server.protocol.frames import encode, encode_body, set_seq
from server.runtime.outbox import Followers, Outbox
from server.sessions.session import METRICS_EVERY, Session
from server.sessions.state import State

# the most cells a side of a GAN's discriminator map in a frame (measured: a frame took
# 0.7 ms at 40, 2.0 ms at 60; the page smooths the map)
GENERATIVE_GRID = 40
FRAME_TURN = 0.010  # seconds of encoding per pass at most
SLOWEST = 0.75  # seconds: the budget stretches no viewer's frame interval past this


def cpu_clock() -> tuple[float, float]:
    """CPU seconds of the whole process, and of the calling (worker) thread together with
    the kernel's compiling thread (engine/compiled.py: importing numba at start is not
    the event loop serving viewers)."""
    return time.process_time(), time.thread_time() + compiled.compile_cpu()


class FrameBudget:
    """Keeps frames to a share of the time while anything trains.

    A frame costs the worker its encoding (``spent``) and the event loop its sending and
    the ack, which share the one interpreter lock with training. Every ``window`` seconds
    the worker's frame time plus the CPU time of every other thread of the process (the
    event loop, mostly serving viewers; measured, so it holds on any machine) is compared
    with ``share`` of the elapsed time; above it, every viewer's frame interval stretches
    by the same factor (fewer frames for all, evenly, instead of training falling behind);
    well below it, the stretch relaxes. No interval stretches past SLOWEST (a view slower
    than that keeps its own): a frame a second of anything is cheap, and a teacher's wall
    of 200 tiles at 3/s must still see each student every second (the ack's round trip
    comes on top of the interval)."""

    def __init__(
        self,
        share: float = 0.4,
        window: float = 1.0,
        most: float = 30.0,
        clock: Callable[[], tuple[float, float]] = cpu_clock,
    ) -> None:
        self.share, self.window, self.most, self.clock = share, window, most, clock
        self.scale = 1.0  # multiplies every viewer's frame interval
        self._since: float | None = None
        self._cpu = (0.0, 0.0)  # clock() at _since
        self._spent = 0.0

    def spent(self, seconds: float) -> None:
        """Seconds the worker spent on frames (call on the worker thread)."""
        self._spent += seconds

    def update(self, now: float, training: bool) -> None:
        """Call on the worker thread (the clock tells its CPU time from the others')."""
        if self._since is None:
            self._since, self._cpu = now, self.clock()
            return
        elapsed = now - self._since
        if elapsed < self.window:
            return
        cpu = self.clock()
        others = (cpu[0] - self._cpu[0]) - (cpu[1] - self._cpu[1])
        used = (self._spent + max(0.0, others)) / elapsed
        if training and used > self.share:
            self.scale = min(self.most, self.scale * used / self.share)
        elif not training or used < self.share / 2:
            self.scale = max(1.0, self.scale * 0.7)
        self._since, self._cpu, self._spent = now, cpu, 0.0


class Framer:
    """Sends every due frame of a pass; one per worker."""

    def __init__(self, settings: Settings, device: torch.device) -> None:
        self.settings, self.device = settings, device
        self.budget = FrameBudget()
        self._start = 0  # the session a pass's frames start from (round robin)

    def send(self, sessions: Iterable[Session], followers: Followers, now: float) -> float:
        """Send a frame to every follow that can take one; seconds until one could be due."""
        started = time.thread_time()  # CPU, not wall: waits for the lock are the others'
        wait = math.inf
        sessions = list(sessions)
        training = any(s.state == State.RUNNING or s.pending for s in sessions)
        self.budget.update(now, training)
        host: dict[int, torch.Tensor] = {}  # per stack: everyone's parameters, one copy
        # per channel (event loop): (outbox, session, frame), handed over at once
        out: dict[Hashable, list[tuple[Outbox, str, bytes]]] = {}
        # a pass encodes for FRAME_TURN seconds at most (many viewers asking for costly,
        # different views must not hold the worker); the rest go first in the next pass
        self._start = self._start % len(sessions) if sessions else 0
        order = sessions[self._start :] + sessions[: self._start]
        for done, session in enumerate(order):
            if time.thread_time() - started > FRAME_TURN:
                self._start += done
                wait = 0.0
                break
            rendered: dict[tuple[Any, ...], bytearray] = {}
            for follow in followers.of(session.id):
                if not follow.ready or follow.version == session.version:
                    continue
                if now < follow.next_frame:
                    wait = min(wait, follow.next_frame - now)
                    continue
                key = follow.view.key
                if key not in rendered:
                    rendered[key] = self.encode(session, follow.view, host)
                follow.version = session.version
                fps = min(follow.view.fps, self.settings.max_fps)
                # the budget stretches every interval alike, but none past SLOWEST (or the
                # view's own, if slower): a wall's tiles at 3/s stay above 1/s
                stretched = min(self.budget.scale / fps, max(1.0 / fps, SLOWEST))
                follow.next_frame = now + stretched
                seq = followers.sending(follow)
                frame = set_seq(rendered[key], seq)
                out.setdefault(follow.outbox.channel, []).append((follow.outbox, session.id, frame))
        for frames in out.values():
            frames[0][0].deliver(frames)
        self.budget.spent(time.thread_time() - started)
        return wait

    def encode(
        self, session: Session, view: Any, host: dict[int, torch.Tensor] | None = None
    ) -> bytearray:
        """One frame of ``session``; ``host`` caches stacks' parameters for this pass."""
        m = session.model
        if not isinstance(m, Model):  # a kind that writes its own frame body
            shown = m.snapshot()
            return encode_body(
                kind=shown.kind,
                state_code=session.state.code,
                epoch=shown.epoch,
                rate=session.rate if session.state == State.RUNNING else 0.0,
                train_loss=shown.train_loss,
                test_loss=shown.test_loss,
                body=m.frame(min(view.grid, GENERATIVE_GRID)),
            )
        params = None
        stack = m.stack
        if host is not None and isinstance(stack, Stack):  # on the CPU too: one cat a pass
            i = stack.position(m)
            if i is not None:
                if id(stack) not in host:
                    host[id(stack)] = stack.host_params()
                params = host[id(stack)][i]
        measured = m.accuracy
        if (
            measured is not None
            and (measured[0] == m.epoch or session.state == State.RUNNING)
            and time.monotonic() - measured[3] <= METRICS_EVERY
        ):
            # measured by the stack for all its models, as stale as Session.metrics allows
            # while it trains; once it stops, only a measurement of its last epoch
            right: tuple[float | None, float | None] = tuple(  # type: ignore[assignment]
                None if math.isnan(a) else a for a in measured[1:3]
            )
        else:  # at most once a second while training (Session.metrics)
            metrics = session.metrics()
            right = (metrics["train_accuracy"], metrics["test_accuracy"])
        shown = m.snapshot()  # what the kind shows (the MLP: its network and losses)
        assert shown.net is not None
        return encode(
            net=shown.net,
            features=shown.features,
            state_code=session.state.code,
            epoch=shown.epoch,
            rate=session.rate if session.state == State.RUNNING else 0.0,
            train_loss=shown.train_loss,
            test_loss=shown.test_loss,
            view=view,
            train_accuracy=right[0],
            test_accuracy=right[1],
            params=params,
            kind=shown.kind,
        )
