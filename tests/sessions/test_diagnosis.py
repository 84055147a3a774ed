"""diagnosis.py: what a diverged network says about itself, on hand-built models."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.training import Hyper
from server.sessions.diagnosis import divergence_message


def model(
    hidden: list[int], activation: str = "tanh", dataset: str = "circle", **hyper: object
) -> Model:
    split = datasets.generate(dataset, noise=0, train_ratio=50, seed=0)
    return Model(
        problem=datasets.DATASETS[dataset].problem,
        features=["x1", "x2"],
        hidden=hidden,
        activation=activation,
        hyper=Hyper(**hyper),  # type: ignore[arg-type]
        generator=torch.Generator().manual_seed(0),
        split=split,
    )


def test_names_the_layers_that_blew_up_and_the_learning_rate() -> None:
    m = model([4, 2], learning_rate=10)
    m.net.weights[1][0, 1] = math.nan
    m.net.biases[2][0] = math.inf
    assert divergence_message(m, 57, math.nan) == (
        "the loss became nan at epoch 57: the weights and biases of hidden layer 2 and the "
        "output layer are no longer finite numbers; the learning rate, 10, is probably too "
        "high (try 1); reset to start again"
    )


def test_one_layer_and_no_hidden_layers() -> None:
    m = model([], learning_rate=0.3)
    m.net.weights[0][0, 0] = -math.inf
    message = divergence_message(m, 3, math.inf)
    assert message.startswith(
        "the loss became inf at epoch 3: the weights of the output layer are no longer finite"
    )
    assert "the learning rate, 0.3, is probably too high (try 0.03)" in message


def test_finite_weights_name_the_largest() -> None:
    m = model([4, 2], learning_rate=3)
    m.net.biases[0][2] = -4e200
    m.net.weights[2][0, 0] = 1e199
    assert "every weight is still finite, the largest a bias of hidden layer 1 (4e+200)" in (
        divergence_message(m, 9, math.inf)
    )


def test_l2_past_its_limit_blames_the_regularization_rate() -> None:
    m = model([4], learning_rate=3, regularization="l2", regularization_rate=1)
    m.net.weights[0][:] = math.nan
    assert divergence_message(m, 2, math.nan) == (
        "the loss became nan at epoch 2: the weights of hidden layer 1 are no longer finite "
        "numbers; L2's penalty step overshoots: learning rate × regularization rate = 3 × 1 = "
        "3 > 2 makes every weight grow each update (try a regularization rate below 0.667); "
        "reset to start again"
    )


@pytest.mark.parametrize(("regularization", "rate"), [("l2", 0.1), ("l1", 3)])
def test_regularization_within_its_limit_leaves_the_learning_rate_to_blame(
    regularization: str, rate: float
) -> None:
    m = model([4], learning_rate=10, regularization=regularization, regularization_rate=rate)
    m.net.weights[0][0, 0] = math.nan
    message = divergence_message(m, 2, math.nan)
    assert "the learning rate, 10, is probably too high (try 1)" in message
    assert "regularization" not in message


def test_momentum_and_adam_are_named() -> None:
    m = model([4], learning_rate=1, optimizer="momentum", momentum=0.9)
    m.net.weights[0][0, 0] = math.nan
    assert (
        "the learning rate, 1, is probably too high with momentum 0.9, which makes steps up to "
        "10× larger (try 0.1, or less momentum)"
    ) in divergence_message(m, 4, math.nan)
    m = model([4], learning_rate=3, optimizer="adam")
    m.net.weights[0][0, 0] = math.nan
    assert "too high for adam, which moves every weight by up to about the learning rate" in (
        divergence_message(m, 4, math.nan)
    )


def train_until_diverged(m: Model, epochs: int) -> tuple[int, float]:
    for _ in range(epochs):
        result = m.train_epoch()
        if not np.isfinite(result.train_loss):
            return result.epoch, result.train_loss
    raise AssertionError(f"no divergence in {epochs} epochs")


def test_a_real_l2_divergence_is_blamed_on_the_regularization_rate() -> None:
    # a learning rate that trains fine alone: only the penalty step (factor 1 - 3·1 = -2) grows
    m = model([4, 2], learning_rate=3, regularization="l2", regularization_rate=1)
    epoch, loss = train_until_diverged(m, 200)
    message = divergence_message(m, epoch, loss)
    assert "the weights and biases of every layer are no longer finite numbers" in message
    assert "(try a regularization rate below 0.667)" in message


def test_a_real_learning_rate_divergence_is_blamed_on_the_learning_rate() -> None:
    m = model([8, 8, 8], activation="linear", dataset="plane", learning_rate=10)
    epoch, loss = train_until_diverged(m, 500)
    message = divergence_message(m, epoch, loss)
    assert message.startswith(f"the loss became {loss:g} at epoch {epoch}: ")
    assert message.endswith(
        "the learning rate, 10, is probably too high (try 1); reset to start again"
    )
