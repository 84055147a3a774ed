"""Model.train in slices: an epoch cut into any number of calls is the same arithmetic as
an epoch trained in one go, to the last bit (the worker shares its time this way)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import torch

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.training import Hyper

CONFIGS = [
    # dataset, hidden, activation, batch, regularization, rate, optimizer, classes, loss
    ("circle", [4, 2], "tanh", 10, "none", 0.0, "sgd", 2, "mse"),
    ("spiral", [6, 6], "relu", 7, "l1", 0.003, "sgd", 2, "mse"),  # carry + dead links
    ("xor", [3], "sigmoid", 30, "l2", 0.03, "momentum", 2, "mse"),
    ("plane", [5], "linear", 1, "l2", 0.001, "adam", 2, "mse"),
    ("multi_gauss", [8, 8, 8, 8, 8, 8], "tanh", 1, "none", 0.0, "sgd", 2, "mse"),
    ("arms", [5, 4], "tanh", 9, "l2", 0.001, "adam", 3, "cross_entropy"),
]


def make(config: tuple, seed: int = 3) -> Model:  # type: ignore[type-arg]
    dataset, hidden, activation, batch, reg, rate, optimizer, classes, loss = config
    hyper = Hyper(0.03, batch, reg, rate, optimizer)
    return Model(
        problem=datasets.DATASETS[dataset].problem,
        features=["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"],
        hidden=hidden,
        activation=activation,
        hyper=hyper,
        generator=torch.Generator().manual_seed(seed),
        split=datasets.generate(dataset, 15, 50, seed, classes),
        classes=classes,
        loss=loss,
    )


def after(slots: int) -> Callable[[], bool]:
    """A stop() that ends a call after ``slots`` minibatch slots."""
    left = [slots]

    def stop() -> bool:
        left[0] -= 1
        return left[0] <= 0

    return stop


def same(a: Model, b: Model) -> bool:
    tensors = zip(
        [*a.net.weights, *a.net.biases, *a.acc.weights, *a.acc.biases],
        [*b.net.weights, *b.net.biases, *b.acc.weights, *b.acc.biases],
        strict=True,
    )
    alive = all(torch.equal(x, y) for x, y in zip(a.net.alive, b.net.alive, strict=True))
    return alive and all(torch.equal(x, y) for x, y in tensors) and a.acc.count == b.acc.count


@pytest.mark.parametrize("config", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_sliced_epochs_equal_whole_epochs_bit_for_bit(config: tuple) -> None:  # type: ignore[type-arg]
    whole, sliced = make(config), make(config)
    rng = random.Random(7)
    expected = [whole.train_epoch() for _ in range(6)]
    got = []
    while len(got) < 6:
        got += sliced.train(6 - len(got), after(rng.randint(1, 40)))
    assert [(r.epoch, r.train_loss, r.test_loss) for r in got] == [
        (r.epoch, r.train_loss, r.test_loss) for r in expected
    ]
    assert same(whole, sliced)
    assert sliced.cursor == 0 and sliced.epoch == whole.epoch == 6


def test_a_call_stopped_mid_epoch_reports_no_epoch_and_goes_on_from_there() -> None:
    model = make(CONFIGS[1])  # 250 training points, batch 7: 36 slots an epoch
    loss = model.train_loss
    assert model.train(1, after(10)) == []
    assert model.cursor == 70 and model.epoch == 0 and model.train_loss == loss
    assert 0.27 < model.fraction < 0.29
    (result,) = model.train(1)  # finishes the epoch it is in
    assert result.epoch == 1 and model.cursor == 0


def test_new_points_start_the_epoch_over() -> None:
    model = make(CONFIGS[0])
    model.train(1, after(3))
    assert model.cursor == 30
    model.set_data(datasets.generate("xor", 0, 50, 1))
    assert model.cursor == 0


def test_a_batch_size_changed_mid_epoch_updates_from_the_next_boundary() -> None:
    """Paused mid-epoch (cursor 30 at batch 10), then batch 7: the epoch goes on updating
    after every 7th point of the epoch (35, 42, ...), as TFP counts them."""
    model = make(CONFIGS[0])
    model.train(1, after(3))
    assert model.cursor == 30
    model.set_hyper(Hyper(0.03, 7))
    model.train(1, after(1))
    assert model.cursor == 35 and model.acc.count == 0  # 30..34 joined the batch, updated
    model.train(1, after(1))
    assert model.cursor == 42 and model.acc.count == 0
