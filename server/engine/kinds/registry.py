"""Every model kind by its config name: one entry each."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np
import torch

from server.engine import batched
from server.engine.kinds import autoencoder, gan_training
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.base import Kind, KindEntry
from server.engine.kinds.gan import Gan
from server.engine.kinds.generative import AUTOENCODER_CODE, GAN_CODE
from server.engine.kinds.mlp import MLP_CODE, Model

KINDS: dict[str, KindEntry] = {
    entry.name: entry
    for entry in (
        KindEntry("mlp", MLP_CODE, Model.from_options),
        KindEntry("gan", GAN_CODE, Gan.from_options),
        KindEntry("autoencoder", AUTOENCODER_CODE, Autoencoder.from_options),
    )
}
AnyModel = Model | Gan | Autoencoder  # what a session trains

_: type[Kind] = Model  # mypy holds every kind to the protocol
_gan: type[Kind] = Gan
_autoencoder: type[Kind] = Autoencoder


def group_key(model: AnyModel) -> Hashable:
    """Models with equal keys can train together (each kind's group_key)."""
    return (type(model).__name__, model.group_key())


def train_together(
    models: Sequence[AnyModel],
    epochs: int,
    stop: Callable[[], bool] | None = None,
    now: float | None = None,
) -> np.ndarray:
    """Train models of one group key at once, each kind its own way (the MLP's stack:
    engine/batched.py); the losses after each epoch completed, (done, S, 2) float64."""
    first = models[0]
    if isinstance(first, Model):
        mlps = [m for m in models if isinstance(m, Model)]
        return batched.train_together(mlps, epochs, stop, now).to("cpu", torch.float64).numpy()
    if isinstance(first, Gan):
        return gan_training.train_together([m for m in models if isinstance(m, Gan)], epochs, stop)
    return autoencoder.train_together(
        [m for m in models if isinstance(m, Autoencoder)], epochs, stop
    )
