"""TensorFlow Playground's training rules, on cases small enough to check by hand.

Each rule test runs twice: on the engine and on tests/helpers/tfp_reference.py (the oracle the
agreement tests trust), against numbers worked out in the comments. test_training_parity.py
then trains the engine and the reference on the same networks for 50 epochs, to 1e-12.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.network import Network
from server.engine.training import Accumulator, Hyper, loss, train_epoch
from tests.helpers.tfp_models import max_diff as _max_diff
from tests.helpers.tfp_models import reference_for as _reference_for
from tests.helpers.tfp_models import tfp_model as _model
from tests.helpers.tfp_reference import TFPNetwork, make_inputs

Matrix = list[list[float]]


@dataclass
class Snapshot:
    """Parameters after an epoch, in nn.Linear layout, and the loss on that epoch's data."""

    weights: list[Matrix]
    biases: list[list[float]]
    dead: set[tuple[int, int, int]]
    loss: float


Epochs = Sequence[tuple[Matrix, list[float]]]  # (inputs, targets) for each epoch in turn
Runner = Callable[[list[Matrix], list[list[float]], str, str, Epochs, Hyper], list[Snapshot]]


def run_engine(
    weights: list[Matrix], biases: list[list[float]], act: str, out: str, epochs: Epochs, h: Hyper
) -> list[Snapshot]:
    def t(values: object) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float64)

    net = Network(
        [t(w) for w in weights],
        [t(b) for b in biases],
        [torch.ones(len(w), len(w[0]), dtype=torch.bool) for w in weights],
        act,
        out,
    )
    acc = Accumulator.zeros(net)
    snapshots = []
    for inputs, targets in epochs:
        x, y = t(inputs), t(targets)
        train_epoch(net, acc, x, y, h)
        snapshots.append(
            Snapshot(
                [w.tolist() for w in net.weights],
                [b.tolist() for b in net.biases],
                set(net.dead_links()),
                loss(net, x, y),
            )
        )
    return snapshots


def run_reference(
    weights: list[Matrix], biases: list[list[float]], act: str, out: str, epochs: Epochs, h: Hyper
) -> list[Snapshot]:
    ref = TFPNetwork(weights, biases, act, out, h.regularization)
    snapshots = []
    for inputs, targets in epochs:
        ref.train_epoch(inputs, targets, h.learning_rate, h.batch_size, h.regularization_rate)
        snapshots.append(
            Snapshot(ref.weights(), ref.biases(), set(ref.dead_links()), ref.loss(inputs, targets))
        )
    return snapshots


@pytest.fixture(params=[run_engine, run_reference], ids=["engine", "reference"])
def run(request: pytest.FixtureRequest) -> Runner:
    return request.param


def approx(value: object) -> object:
    return pytest.approx(value, abs=1e-12, rel=0)


# -- one rule per test, 1-input or 3-input nets, worked by hand ---------------------------


def test_update_divides_by_points_accumulated(run: Runner) -> None:
    # out = w·x + b (linear), w = 1, b = 0, lr = 0.1, batch 2: one update after both points.
    # point x=1, t=0: out 1, d = out − t = 1, dw = d·x = 1, db = 1
    # point x=2, t=0: out 2, d = 2,          dw = 4,       db = 2
    # w = 1 − 0.1·(1 + 4)/2 = 0.75;  b = 0 − 0.1·(1 + 2)/2 = −0.15
    [s] = run(
        [[[1.0]]],
        [[0.0]],
        "linear",
        "linear",
        [([[1.0], [2.0]], [0.0, 0.0])],
        Hyper(learning_rate=0.1, batch_size=2),
    )
    assert s.weights == [[[approx(0.75)]]]
    assert s.biases == [[approx(-0.15)]]


def test_leftover_points_carry_into_next_epoch(run: Runner) -> None:
    # x = 0 for every point, so only the bias learns: out = b, d = b − t. lr = 0.5, batch 2,
    # targets 1..5: updates after points 2 and 4; point 5 waits for the next epoch.
    # epoch 1: d = −1, −2        -> b = 0 − 0.5·(−3)/2       = 0.75
    #          d = −2.25, −3.25  -> b = 0.75 − 0.5·(−5.5)/2  = 2.125
    #          d5 = 2.125 − 5 = −2.875, carried (no update at the end of the epoch)
    # epoch 2: d = 1.125, 0.125 plus the carried −2.875, three points:
    #          b = 2.125 − 0.5·(−1.625)/3 = 115/48
    #          d = 115/48 − 3 = −29/48, 115/48 − 4 = −77/48
    #          b = 115/48 − 0.5·(−106/48)/2 = 283/96
    points = [[0.0]] * 5
    targets = [1.0, 2.0, 3.0, 4.0, 5.0]
    first, second = run(
        [[[0.3]]],
        [[0.0]],
        "linear",
        "linear",
        [(points, targets)] * 2,
        Hyper(learning_rate=0.5, batch_size=2),
    )
    assert first.biases == [[approx(2.125)]]
    assert second.biases == [[approx(283 / 96)]]
    # Flushing point 5 at the end of epoch 1 would have given 2.125 + 0.5·2.875 = 3.5625.
    assert first.weights == second.weights == [[[0.3]]]  # dw = d·0 = 0; no regularization


def test_losses_after_each_epoch(run: Runner) -> None:
    # Same run as above; loss = mean over points of 0.5·(b − t)².
    # epoch 1, b = 17/8:  (9, 1, −7, −15, −23)/8, squares sum 885/64 -> 885/128/5 = 177/128
    # epoch 2, b = 283/96: (187, 91, −5, −101, −197)/96, squares sum 92285/9216
    #                      -> 92285/9216 / 2 / 5 = 18457/18432
    points = [[0.0]] * 5
    targets = [1.0, 2.0, 3.0, 4.0, 5.0]
    first, second = run(
        [[[0.3]]],
        [[0.0]],
        "linear",
        "linear",
        [(points, targets)] * 2,
        Hyper(learning_rate=0.5, batch_size=2),
    )
    assert first.loss == approx(177 / 128)
    assert second.loss == approx(18457 / 18432)


def test_model_reports_train_and_test_loss_after_each_epoch() -> None:
    # The leftover example through Model: feature x1 (always 0), no hidden layer, linear
    # output (regression); one test point (0, 0) with target 0 -> test loss 0.5·b².
    # epoch 1: 0.5·(17/8)² = 289/128; epoch 2: 0.5·(283/96)² = 80089/18432
    split = datasets.Split(np.zeros((5, 2)), np.arange(1.0, 6.0), np.zeros((1, 2)), np.zeros(1))
    model = Model(
        problem="regression",
        features=["x1"],
        hidden=[],
        activation="tanh",
        hyper=Hyper(learning_rate=0.5, batch_size=2),
        generator=torch.Generator().manual_seed(0),
        split=split,
    )
    model.net.biases[0].zero_()
    model.weights_changed()
    first, second = model.train_epoch(), model.train_epoch()
    assert (first.epoch, second.epoch) == (1, 2)
    assert first.train_loss == approx(177 / 128)
    assert first.test_loss == approx(289 / 128)
    assert second.train_loss == approx(18457 / 18432)
    assert second.test_loss == approx(80089 / 18432)
    assert model.acc.count == 1  # point 5 of epoch 2 is waiting for epoch 3


def test_l2_derivative_at_weight_before_step_and_not_averaged(run: Runner) -> None:
    # w = 1, b = 0, lr = 0.5, L2 rate 0.2, batch 2 of the same point x = 1, t = 3:
    # out 1, d = −2, dw = −2 per point -> mean −2;  w1 = 1 − 0.5·(−2) = 2
    # w2 = w1 − lr·rate·w_before = 2 − 0.1·1 = 1.9
    #   (R' at w1 would give 1.8; averaging the penalty over the 2 points would give 1.95)
    # b = 0 − 0.5·(−4)/2 = 1 (no penalty)
    [s] = run(
        [[[1.0]]],
        [[0.0]],
        "linear",
        "linear",
        [([[1.0], [1.0]], [3.0, 3.0])],
        Hyper(learning_rate=0.5, batch_size=2, regularization="l2", regularization_rate=0.2),
    )
    assert s.weights == [[[approx(1.9)]]]
    assert s.biases == [[approx(1.0)]]


@pytest.mark.parametrize("regularization", ["l1", "l2"])
def test_biases_are_never_regularized(run: Runner, regularization: str) -> None:
    # x = 0 and t = b = 0.5: zero error, so only the penalty moves anything.
    # lr·rate = 0.5·0.2 = 0.1; the weight 1 takes 1 − 0.1·R'(1) = 0.9 (R'(1) = 1 for both);
    # the bias 0.5 stays 0.5 exactly.
    [s] = run(
        [[[1.0]]],
        [[0.5]],
        "linear",
        "linear",
        [([[0.0]], [0.5])],
        Hyper(
            learning_rate=0.5, batch_size=1, regularization=regularization, regularization_rate=0.2
        ),
    )
    assert s.weights == [[[approx(0.9)]]]
    assert s.biases == [[0.5]]


def test_l1_zero_clip_kills_link_for_good(run: Runner) -> None:
    # 3 inputs -> linear output, w = (0.05, 0.05, 1), b = 0, lr = 0.5, L1 rate 0.2
    # (lr·rate = 0.1), batch 1.
    # epoch 1, x = (1, 0, 0), t = −0.09: out 0.05, d = 0.14, b = 0 − 0.5·0.14 = −0.07
    #   w0: w1 = 0.05 − 0.5·0.14 = −0.02, w2 = −0.02 − 0.1·sign(0.05) = −0.12
    #       (w1, w2 same sign: kept, alive; the crossing is judged on w1, not on w)
    #   w1: no gradient, w1 = 0.05, w2 = 0.05 − 0.1 = −0.05 -> opposite signs -> 0, dead
    #   w2: 1 − 0.1 = 0.9
    # epoch 2, x = (0, 1, 0), t = 1: out = −0.07 + 1·0 (dead) = −0.07, d = −1.07
    #   w1 would take 0 + 0.5·1.07 = 0.535 but is dead: stays 0 (and adds 0 to out)
    #   w0: −0.12 − 0.1·sign(−0.12) = −0.02;  w2: 0.9 − 0.1 = 0.8
    #   b = −0.07 + 0.5·1.07 = 0.465; loss = 0.5·(0.465 − 1)² = 0.1431125
    first, second = run(
        [[[0.05, 0.05, 1.0]]],
        [[0.0]],
        "linear",
        "linear",
        [([[1.0, 0.0, 0.0]], [-0.09]), ([[0.0, 1.0, 0.0]], [1.0])],
        Hyper(learning_rate=0.5, batch_size=1, regularization="l1", regularization_rate=0.2),
    )
    assert first.weights == [[[approx(-0.12), 0.0, approx(0.9)]]]
    assert first.biases == [[approx(-0.07)]]
    assert first.dead == {(0, 0, 1)}
    assert second.weights == [[[approx(-0.02), 0.0, approx(0.8)]]]
    assert second.biases == [[approx(0.465)]]
    assert second.dead == {(0, 0, 1)}
    assert second.loss == approx(0.1431125)


def test_relu_derivative_at_zero_is_zero(run: Runner) -> None:
    # 1 -> 1 relu -> 1 linear; hidden w = 1, b = 0; output w = 1, b = 0; lr = 0.5.
    # x = 0: hidden z = 0, a = relu(0) = 0; out = 0; t = 1, d = −1.
    # output: dw = d·a = 0, db = −1 -> b = 0.5
    # hidden: delta = d·w_out·relu'(0) = 0 -> hidden bias stays 0 (relu'(0) = 1 would give 0.5)
    [s] = run(
        [[[1.0]], [[1.0]]],
        [[0.0], [0.0]],
        "relu",
        "linear",
        [([[0.0]], [1.0])],
        Hyper(learning_rate=0.5, batch_size=1),
    )
    assert s.weights == [[[1.0]], [[1.0]]]
    assert s.biases == [[0.0], [approx(0.5)]]


def test_learning_rate_change_keeps_weights_and_carry() -> None:
    split = datasets.generate("circle", noise=0, train_ratio=50, seed=3)  # 250 points
    model = _model(split, ["x1", "x2"], [3], "tanh", Hyper(learning_rate=0.03, batch_size=7))
    ref = _reference_for(model)
    inputs = make_inputs(split.train_x.tolist(), model.features)
    targets = split.train_y.tolist()
    for _ in range(3):
        model.train_epoch()
        ref.train_epoch(inputs, targets, 0.03, 7)
    before = [w.clone() for w in model.net.weights]
    count = model.acc.count
    model.hyper.learning_rate = 0.3
    assert all(torch.equal(a, b) for a, b in zip(before, model.net.weights, strict=True))
    assert model.acc.count == count == 250 % 7  # updates align to the epoch's own index
    model.train_epoch()
    ref.train_epoch(inputs, targets, 0.3, 7)
    assert _max_diff(model.net.weights, ref.weights()) <= 1e-12
