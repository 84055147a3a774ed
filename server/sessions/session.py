"""Live sessions: their state machine, limits and expiry.

Everything here runs on the worker thread (see worker.py), which is the only thread that
touches torch or a session; the async methods of SessionManager hand work to it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from server.config import Settings
from server.engine.data import datasets
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.gan import Gan
from server.engine.kinds.mlp import Model
from server.engine.kinds.registry import KINDS, AnyModel
from server.errors import Conflict
from server.protocol.rest import DEFAULT_SPEED, Config, ConfigPatch
from server.sessions import generative
from server.sessions.configure import KEEPS_WEIGHTS, NEW_DATA, next_config
from server.sessions.diagnosis import divergence_message
from server.sessions.history import LossHistory, finite
from server.sessions.rules import hyper_of
from server.sessions.seeds import SeedState
from server.sessions.state import STOPPED, State, allows

METRICS_EVERY = 1.0  # seconds: how stale accuracy may be while training runs


class Session:
    """One network with its data, training state and live-training schedule."""

    def __init__(self, session_id: str, config: Config, settings: Settings, device: torch.device):
        self.id = session_id
        self.settings = settings
        self.device = device
        self.dtype = getattr(torch, settings.dtype)
        self._state = State.IDLE
        self.message: str | None = None
        self.speed: float | str = DEFAULT_SPEED
        self.history = LossHistory()
        self.version = 0  # bumps whenever what a frame shows changes
        self.data_version = 1
        self.custom_data = False
        self.last_active = time.monotonic()
        self.unwatched_since: float | None = time.monotonic()
        self.dirty = False  # its state (the JSON viewers get) changed since last posted
        self.edits = 0  # bumps on every change but training progress (runtime/keeper.py)
        self._metrics: tuple[float, dict[str, Any]] | None = None  # (when, metrics)
        # live schedule (worker.py): epochs trained since `clock_start` at `speed`
        self.clock_start = 0.0
        self.clock_epochs = 0
        self.rate = 0.0  # achieved epochs/s
        self.rate_since: tuple[float, int] | None = None  # (time, epoch) the rate counts from
        self.pending: Any = None  # a REST train request in progress (worker.TrainJob)
        self.owner = ""  # the address that created it (per-client limits)
        # in a classroom room (runtime/rooms.py): what its student sees of the room, and
        # the controls the teacher locked, each with why (sessions/locks.py)
        self.room: dict[str, Any] | None = None
        self.locks: dict[str, str] = {}
        self.config = config
        # the initial weights' stream: torch's for integer seeds; for a TFP seed string,
        # TFP's Math.random stream, which draws the points first (seeds.py)
        self.init_generator = torch.Generator()
        self.seeds = SeedState(config.seed)
        split = self.seeds.points(config)
        self.seeds.start_weights(config, self.init_generator)
        self.model = self.build(config, split)
        self.history.add(0, self.model.train_loss, self.model.test_loss)

    # -- construction -------------------------------------------------------------------
    def generate(self, config: Config) -> datasets.Split:
        """The config's points, without touching this session's streams."""
        if config.kind != "mlp":
            return SeedState(config.seed).points(config)
        return datasets.generate(
            config.dataset, config.noise, config.train_ratio, config.seed, config.classes
        )

    @property
    def mlp(self) -> Model:
        """The model when it is an MLP; a Conflict naming the kind when it is not (the
        network's weights, boundary and TFP exports are the MLP's)."""
        if not isinstance(self.model, Model):
            raise Conflict(f"this is a {self.config.kind} session: that is for mlp sessions "
                           "(see /api/sessions/{id}/generative)", "kind")  # fmt: skip
        return self.model

    def build(self, config: Config, split: datasets.Split) -> AnyModel:
        if config.same_init:  # every fresh network starts from the seed's first weights
            self.seeds.start_weights(config, self.init_generator)
        built = KINDS[config.kind].build(
            config.model_dump(),
            split,
            self.seeds.weights_source(self.init_generator),
            self.dtype,
            self.device,
        )
        assert isinstance(built, (Model, Gan, Autoencoder))
        return built

    def fresh_weights(self) -> None:
        """New initial weights: the seed's stream goes on, or with same_init starts over."""
        if self.config.same_init:
            self.seeds.start_weights(self.config, self.init_generator)
        self.model.reset()

    # -- state machine ------------------------------------------------------------------
    @property
    def state(self) -> State:
        """Read-only: every write goes through ``transition`` and the table."""
        return self._state

    def transition(self, new: State, action: str, message: str | None = None) -> None:
        """Move to ``new`` if the table allows it (a Conflict naming ``action`` if not);
        ``message`` says why (a divergence, a failure), and clears on a normal move."""
        if new == self._state and message is None:
            return
        if not allows(self._state, new):
            hint = " (reset it first)" if self._state in STOPPED else ""
            raise Conflict(f"cannot {action}: the session is {self._state}{hint}", "type")
        self._state, self.message = new, message
        if new == State.RUNNING:
            self.clock_start, self.clock_epochs = time.monotonic(), 0
        self.changed()

    def changed(self, frame_only: bool = False) -> None:
        """Something a viewer shows changed: a new frame is due, and unless ``frame_only``
        the state too (the runtime posts it to the session's viewers after this job)."""
        self.version += 1
        if not frame_only:
            self._metrics = None  # anything but training progress: recompute at once
            self.dirty = True
            self.edits += 1

    def close(self, why: str | None = None) -> None:
        """End it; ``why`` ("deleted", "removed from the class") is its state's message."""
        self.transition(State.CLOSED, "close", why)
        if self.pending is not None:
            self.pending.finish("the session was deleted")

    # -- actions (REST and websocket share these; edits of points and weights: edits.py) --
    def play(self) -> None:
        self.require_training_points("play")
        self.transition(State.RUNNING, "play")

    def pause(self) -> None:
        if self.state == State.RUNNING:
            self.transition(State.PAUSED, "pause")

    def set_speed(self, speed: float | str) -> None:
        self.speed = speed
        self.clock_start, self.clock_epochs = time.monotonic(), 0
        self.changed()

    def step(self) -> None:
        if self.state in STOPPED:
            raise Conflict(f"cannot step: the session is {self.state} (reset it first)", "type")
        self.require_training_points("step")
        self.transition(State.PAUSED, "step")
        self.train(1)
        self.changed()

    def step_part(self, part: str) -> None:
        """A GAN's discriminator stage alone (``part`` "d") or its generator's ("g")."""
        generative.step_part(self, part)

    def reset(self) -> None:
        """New initial weights (the seed's stream goes on, or with same_init the seed's
        first weights again), epoch 0, same data."""
        self.fresh_weights()
        self.rebuilt()

    def regenerate(self) -> None:
        """New seed and new points; the weights are kept (as TFP). A TFP seed's successor
        is drawn from its stream as TFP's page draws it (``Math.random().toFixed(5)``)."""
        if isinstance(self.config.seed, str):
            seed: int | str = self.seeds.next_seed()
        else:
            seed = int(np.random.default_rng([self.config.seed, self.data_version]).integers(2**31))
        self.config = self.config.model_copy(update={"seed": seed})
        self.seeds.reseed(seed)
        self.custom_data = False
        self.model.set_data(self.seeds.points(self.config))
        self.data_version += 1
        self.changed()

    def apply_config(self, patch: ConfigPatch) -> None:
        """Change part of the config (configure.next_config). KEEPS_WEIGHTS fields keep the
        weights (as TFP); new data fields make new points (under a TFP seed, drawing its
        next seed first); anything else rebuilds the network on the same points."""
        config, named, changed = next_config(self.config, patch, self.settings)
        if not changed:
            return
        if config.kind != "mlp" or "kind" in changed:
            generative.apply_config(self, config, changed)
            return
        if changed <= KEEPS_WEIGHTS:
            self.config = config
            self.mlp.set_hyper(hyper_of(config))
            self.changed()
            return
        if changed & NEW_DATA:
            if isinstance(config.seed, str) and "seed" not in named:
                # as TFP's page: new data under a TFP seed draws the next seed first
                config = config.model_copy(update={"seed": self.seeds.next_seed()})
            self.seeds.reseed(config.seed)
            split = self.seeds.points(config, thumbnails="problem" in changed)
            self.seeds.start_weights(config, self.init_generator, reseeded="seed" in changed)
            self.custom_data = False
            self.data_version += 1
        else:
            split = self.model.split  # generated or the caller's own points
        self.config = config
        self.model = self.build(config, split)
        self.rebuilt()

    def rebuilt(self) -> None:
        """After new weights: epoch 0, a fresh loss history, and paused (as TFP). A REST
        training request in progress ends here, with the epochs it trained so far."""
        if self.pending is not None:
            self.pending.finish("the session was rebuilt (new data, network or weights)")
        self.history.clear()
        self.history.add(self.model.epoch, self.model.train_loss, self.model.test_loss)
        self.transition(State.IDLE, "rebuild")
        self.changed()

    def require_training_points(self, action: str) -> None:
        if not self.model.train_y.shape[-1]:
            raise Conflict(
                f"cannot {action}: no training points (add some, upload data or regenerate)",
                "train",
            )

    # -- training -----------------------------------------------------------------------
    def train(
        self, count: int, stop: Callable[[], bool] | None = None, kernel: bool = False
    ) -> list[tuple[int, float, float]]:
        """Train up to ``count`` epochs, one minibatch slot at a time; ``stop()``, asked
        after each slot, may end it mid-epoch (the next call goes on from there). Returns
        the epochs completed; stops on divergence. ``kernel``: on the compiled CPU kernel
        where it can (Model.train)."""
        if self.state in STOPPED or self.state == State.CLOSED:
            raise Conflict(f"cannot train: the session is {self.state}", "epochs")
        self.require_training_points("train")
        before = (self.model.epoch, self.model.cursor)
        try:
            results = self.model.train(count, stop, kernel)
        except Exception as exc:
            self.fail(exc)
            raise
        done = [(r.epoch, r.train_loss, r.test_loss) for r in results]
        if not done:
            if (self.model.epoch, self.model.cursor) != before:
                self.changed(frame_only=True)  # the weights moved within the epoch
            return done
        kept = self.record(done[0][0], np.array([d[1:] for d in done], dtype=np.float64))
        return done[:kept]

    def record(self, first: int, losses: np.ndarray) -> int:
        """Keep the losses of epochs ``first``, ``first`` + 1, ... just trained (here or in
        a batch), (count, 2): train, test. Stops on divergence; returns how many were kept
        (up to and including the first non-finite train loss). A batch trains on past a
        divergence: the model then shows the epoch and losses it diverged at."""
        train, test = losses[:, 0], losses[:, 1]
        bad = ~np.isfinite(train)
        kept = len(train)
        diverged = bool(bad.any()) and self.model.train_y.shape[-1] > 0
        if diverged:
            kept = int(bad.argmax()) + 1
            m = self.model
            m.epoch = first + kept - 1
            m.train_loss, m.test_loss = float(train[kept - 1]), float(test[kept - 1])
            m.accuracy = None
        self.history.extend(first, train[:kept], test[:kept])
        if diverged:
            m = self.model
            why = (divergence_message(m, m.epoch, m.train_loss) if isinstance(m, Model) else
                   f"the losses are no longer finite numbers at iteration {m.epoch:,}: lower the "
                   "learning rates, then reset")  # fmt: skip
            self.transition(State.DIVERGED, "train", why)
        elif kept:
            self.changed(frame_only=True)
        return kept

    def fail(self, exc: Exception) -> None:
        """An error inside this session: it stops; the worker and the others go on."""
        self.transition(State.FAILED, "train", f"{type(exc).__name__}: {exc}")

    # -- views --------------------------------------------------------------------------
    def public(self) -> dict[str, Any]:
        m = self.model
        return {
            "id": self.id,
            "config": self.config.model_dump(),
            "state": self.state.value,
            "epoch": m.epoch,
            "train_loss": finite(m.train_loss),
            "test_loss": finite(m.test_loss),
            "speed": self.speed,
            "rate": round(self.rate, 1),
            "message": self.message,
            "dead_links": len(m.net.dead_links()) if isinstance(m, Model) else 0,
            "data_version": self.data_version,
            "custom_data": self.custom_data,
            "metrics": self.metrics(),
            "room": self.room,
        }

    def metrics(self) -> dict[str, Any]:
        """Accuracy / confusion or R²: computed when asked, never per epoch. While training
        runs they are refreshed at most every METRICS_EVERY seconds (a forward pass over
        all points costs about as much as drawing a frame); any other change refreshes them
        at once."""
        now = time.monotonic()
        if self._metrics is None or now - self._metrics[0] > METRICS_EVERY:
            self._metrics = (now, self.model.metrics())
        return self._metrics[1]


def new_id() -> str:
    return secrets.token_urlsafe(16)
