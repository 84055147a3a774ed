"""Turns: how the worker (worker.py) shares its time, and what a turn trains.

The worker shares its time by sessions: every pass gives each piece of work (a group of
sessions trained together, a lone session, a REST request) a turn of up to TICK seconds
split in proportion to the sessions it holds, after paced work takes only what it needs.
A turn ends after the minibatch slot that crosses its deadline, mid-epoch if need be, so
no step runs longer than a slot (well under a millisecond here), whatever the network,
batch size or point count; between turns the worker runs waiting jobs (REST and websocket
actions), so they wait for one turn at most."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from server.engine.kinds.mlp import Model
from server.engine.kinds.registry import AnyModel
from server.errors import Conflict, InvalidInput, PlaygroundError
from server.sessions.session import Session
from server.sessions.state import STOPPED, State

log = logging.getLogger(__name__)
TICK = 0.015  # seconds of training per pass over all work (a frame can follow every pass)
MIN_TURN = 0.0005  # seconds: the shortest turn (one slot at least is always trained)
GUESS = 0.002  # seconds per epoch assumed for work not measured yet
CUT_DISCONNECTED = "the client disconnected"
PACED_MARGIN = 2.0  # paced work's turn: this many times what its epochs cost lately
# a REST request's estimated cost (estimate_seconds): seconds per minibatch slot and layer,
# and per point and weight for the losses after each epoch (measured on a 2-core CPU)
SLOT_SECONDS = 40e-6
LOSS_SECONDS = 5e-9


def estimate_seconds(model: AnyModel, epochs: int) -> float:
    """About how long ``epochs`` epochs of ``model`` take the worker alone (its minibatch
    slots, then both losses after each epoch), for refusing absurd requests up front
    (a generative kind estimates its own)."""
    if not isinstance(model, Model):
        return model.seconds(epochs)
    n_train, n_test = model.train_y.shape[-1], model.test_y.shape[-1]
    slots = -(-n_train // model.hyper.batch_size)
    layers = len(model.net.weights)
    weights = sum(w.numel() for w in model.net.weights)
    per_epoch = slots * SLOT_SECONDS * layers + (n_train + n_test) * weights * LOSS_SECONDS
    return epochs * per_epoch


class TrainJob:
    """A REST request for N epochs: trained in turns like everything else, so nobody
    waits; ``cut`` says why it ended early (cancelled, server shutting down)."""

    def __init__(self, session: Session, epochs: int) -> None:
        self.session = session
        self.remaining = epochs
        self.history: list[tuple[int, float, float]] = []
        self.cut: str | None = None
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def finish(self, cut: str | None = None) -> None:
        """On the worker thread: the request ends here (``cut``: why, if early)."""
        if self.session.pending is self:
            self.session.pending = None
            self.session.last_active = time.monotonic()  # its TTL counts from the reply
            self.session.changed()  # viewers get the new epoch and losses as JSON too
        if self.cut is None and self.remaining > 0:
            self.cut = cut
        if not self.future.done():
            self.future.set_result((self.history, self.session.state.value))


@dataclass
class Work:
    """What one turn trains: sessions of one group key, or one REST request."""

    key: Hashable
    sessions: list[Session]
    wants: int  # epochs at most this turn
    request: TrainJob | None = None
    alone: bool = False  # one of a group sent to train each alone (runtime/paths.py)

    @property
    def cost_key(self) -> Hashable:
        """Under what its cost per epoch is remembered (the group key changes with every
        turn that ends mid-epoch; the sessions it holds do not)."""
        return (self.sessions[0].id, len(self.sessions), self.request is not None)


def shares(work: list[Work], costs: dict[Hashable, float]) -> list[float]:
    """Seconds of a pass for each piece of work: TICK shared in proportion to the sessions
    each holds (a session whose epoch costs 100x more gets 100x fewer epochs, not more
    time), after work that needs less than its share (a set speed) takes only what it
    needs: ``costs`` (seconds per epoch, by Work.cost_key) times the epochs it wants."""
    # (paced work stops at its epochs; the margin keeps a turn from ending just short
    # of the epoch it wanted, which would leave that epoch to the next pass)
    need = [w.wants * costs.get(w.cost_key, GUESS) * PACED_MARGIN for w in work]
    turns = [0.0] * len(work)
    free, left = set(range(len(work))), TICK
    while free:
        per_session = left / sum(len(work[i].sessions) for i in free)
        fewer = [i for i in free if need[i] < per_session * len(work[i].sessions)]
        if not fewer:
            for i in free:
                turns[i] = per_session * len(work[i].sessions)
            break
        for i in fewer:
            turns[i] = need[i]
            left -= need[i]
            free.discard(i)
    return [max(MIN_TURN, t) for t in turns]


def check_cost(session: Session, epochs: int, allowed: float) -> None:
    """Refuse a request whose estimated training time is absurd (say how absurd)."""
    seconds = estimate_seconds(session.model, epochs)
    if seconds > allowed:
        each = seconds / epochs
        most = max(1, int(allowed / each))
        raise InvalidInput(
            f"{epochs:,} epochs of this network would take about {duration(seconds)} "
            f"of training ({duration(each)} an epoch: {session.model.train_y.shape[-1]:,} "
            f"points in batches of {_batch(session)}); the server allows "
            f"{duration(allowed)} per request (max_train_seconds): ask for at most "
            f"{most:,} epochs",
            "epochs",
        )


def _batch(session: Session) -> int:
    kind = session.config.kind
    return session.config.batch_size if kind == "mlp" else getattr(session.config, kind).batch_size


def duration(seconds: float) -> str:
    """1.5 ms, 2.3 s, 12 min, 7.0 h."""
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def start_request(session: Session, epochs: int, action: str, allowed: float) -> TrainJob:
    """On the worker thread: start training ``epochs`` epochs in turns."""
    if session.pending is not None:
        raise Conflict("this session is already training a request", "epochs")
    if session.state in STOPPED:
        raise Conflict(f"cannot {action}: the session is {session.state} (reset it first)")
    session.require_training_points(action)
    check_cost(session, epochs, allowed)
    if session.state == State.IDLE or (action == "step" and session.state == State.RUNNING):
        session.transition(State.PAUSED, action)  # a step pauses live training, as TFP
    job = TrainJob(session, epochs)
    session.pending = job
    return job


def train_request(job: TrainJob, stop: Callable[[], bool], kernel: bool = False) -> int:
    """A turn of a REST request for N epochs (on the compiled kernel if ``kernel``); the
    epochs it completed."""
    session = job.session
    try:
        done = session.train(job.remaining, stop, kernel)
    except PlaygroundError as exc:  # e.g. every point removed meanwhile: say so
        job.finish(exc.message)
        return 0
    except Exception as exc:
        log.exception("session %s failed", session.id)
        job.finish(f"the session failed: {type(exc).__name__}")
        return 0
    job.history += done
    job.remaining -= len(done)
    if job.remaining <= 0 or (session.state in STOPPED or session.state == State.CLOSED):
        job.finish()
    return len(done)


async def wait_request(
    job: TrainJob,
    submit: Callable[[Callable[[], None]], object],
    disconnected: Callable[[], Awaitable[object]] | None = None,
) -> tuple[list[tuple[int, float, float]], str]:
    """Wait for a started request: (history, state) when it ends. ``disconnected``
    returns when the client has gone: the request then ends within a turn (``submit``
    hands the cut to the worker) and the session is free at once."""
    finished = asyncio.wrap_future(job.future)
    gone = asyncio.ensure_future(disconnected()) if disconnected is not None else None
    try:
        await asyncio.wait({finished} | ({gone} if gone else set()),
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
    finally:  # the client left, or this request was cancelled: the session is freed
        if not finished.done():
            submit(lambda: job.finish(CUT_DISCONNECTED))
        if gone is not None:
            gone.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await gone
    history, state = await finished
    return history, state
