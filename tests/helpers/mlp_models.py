"""An MLP model from a one-line config (the shape the parity tables use), issue #5's
options (optimizer, loss, classes, per-layer activations) as keywords."""

from __future__ import annotations

import torch

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.training import Hyper


def make(
    hidden: list[int],
    activation: str,
    batch: int,
    reg: str,
    lr: float,
    rate: float,
    dataset: str,
    seed: int,
    *,
    optimizer: str = "sgd",
    loss: str = "mse",
    classes: int = 2,
    layers: list[str | None] | None = None,
    device: str = "cpu",
    **settings: float,
) -> Model:
    if classes > 2:
        loss = "cross_entropy"
    return Model(
        problem=datasets.DATASETS[dataset].problem,
        features=["x1", "x2", "x1_squared", "sin_x2"],
        hidden=hidden,
        activation=activation,
        hyper=Hyper(lr, batch, reg, rate, optimizer, **settings),
        generator=torch.Generator().manual_seed(seed),
        split=datasets.generate(dataset, 10, 30, seed, classes),
        classes=classes,
        loss=loss,
        layer_activations=layers or [],
        device=device,
    )
