"""What a GAN or an autoencoder session does beyond an MLP's (Session delegates here): a
config change (configure.generative_change says whether it keeps the nets, rebuilds them
or makes new points) and a GAN's stages alone."""

from __future__ import annotations

from typing import Protocol

import torch

from server.engine.data.split import Split
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.gan import Gan
from server.engine.kinds.registry import AnyModel
from server.errors import Conflict
from server.formats.points import classes_of, labels_error
from server.protocol.rest import Config
from server.sessions.configure import generative_change
from server.sessions.seeds import SeedState
from server.sessions.state import STOPPED, State


class Session(Protocol):
    """What these functions read and call of a session (sessions/session.Session)."""

    config: Config
    model: AnyModel
    seeds: SeedState
    init_generator: torch.Generator
    custom_data: bool
    data_version: int

    @property
    def state(self) -> State: ...

    def changed(self, frame_only: bool = False) -> None: ...

    def build(self, config: Config, split: Split) -> AnyModel: ...

    def rebuilt(self) -> None: ...

    def require_training_points(self, action: str) -> None: ...

    def transition(self, new: State, action: str, message: str | None = None) -> None: ...

    def fail(self, exc: Exception) -> None: ...


def apply_config(session: Session, config: Config, changed: set[str]) -> None:
    """A config change of a generative session, or of any session's kind."""
    what = "data" if "kind" in changed else generative_change(config, changed)
    if what in ("keep", "inert"):
        session.config = config
        if what == "keep":
            assert isinstance(session.model, (Gan, Autoencoder))
            session.model.set_options(getattr(config, config.kind).model_dump())
        session.changed()
        return
    split = session.model.split
    if what == "data" and "kind" in changed and session.custom_data and _fits(config, split):
        what = "rebuild"  # a kind of another model on the person's own points: they stay
    if what == "data":
        session.seeds.reseed(config.seed)
        split = session.seeds.points(config)
        session.seeds.start_weights(config, session.init_generator, reseeded="seed" in changed)
        session.custom_data = False
        session.data_version += 1
    session.config = config
    session.model = session.build(config, split)
    session.rebuilt()


def _fits(config: Config, split: Split) -> bool:
    """Whether the points' labels suit the config (an MLP's classes, or any for the
    generative kinds, whose points are all real)."""
    if config.kind != "mlp":
        return True
    return not any(
        labels_error(y, config.problem, classes_of(config)) for y in (split.train_y, split.test_y)
    )


def step_part(session: Session, part: str) -> None:
    """A GAN's discriminator stage alone (``part`` "d") or its generator's ("g")."""
    if not isinstance(session.model, Gan):
        raise Conflict(f"cannot step {part}: only a gan session has a discriminator and a "
                       f"generator (this one is {session.config.kind})", "part")  # fmt: skip
    if session.state in STOPPED:
        raise Conflict(f"cannot step: the session is {session.state} (reset it first)", "type")
    session.require_training_points("step")
    session.transition(State.PAUSED, "step")
    try:
        session.model.step_part(part)
    except Exception as exc:
        session.fail(exc)
        raise
    session.changed()
