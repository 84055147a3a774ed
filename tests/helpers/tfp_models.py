"""The engine's MLP model built the way the TFP rule and parity tests build it, and the
TFP reference network started from the same weights."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.training import Hyper
from tests.helpers.tfp_reference import TFPNetwork


def tfp_model(
    split: datasets.Split,
    features: Sequence[str],
    hidden: Sequence[int],
    activation: str,
    hyper: Hyper,
    problem: str = "classification",
    seed: int = 0,
) -> Model:
    return Model(
        problem=problem,
        features=features,
        hidden=hidden,
        activation=activation,
        hyper=hyper,
        generator=torch.Generator().manual_seed(seed),
        split=split,
    )


# TFP's output activations (nn.ts via playground.ts), for the reference: not the engine's
OUTPUT_ACTIVATION = {"classification": "tanh", "regression": "linear"}


def reference_for(model: Model) -> TFPNetwork:
    return TFPNetwork(
        [w.tolist() for w in model.net.weights],
        [b.tolist() for b in model.net.biases],
        model.activation,
        OUTPUT_ACTIVATION[model.problem],
        model.hyper.regularization,
    )


def max_diff(tensors: Sequence[torch.Tensor], lists: Sequence[object]) -> float:
    return max(
        float((t - torch.tensor(v, dtype=torch.float64)).abs().max())
        for t, v in zip(tensors, lists, strict=True)
    )
