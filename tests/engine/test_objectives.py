"""The losses (mean squared error, binary and softmax cross-entropy) worked by hand, and the
output layer a model gets from its loss and class count."""

from __future__ import annotations

import math

import pytest
import torch

from server.engine.network import Network
from server.engine.objectives import loss
from server.engine.render import render
from server.engine.training import Hyper
from tests.helpers.mlp_models import make
from tests.helpers.tiny_nets import net_1x1, run, t


def test_binary_cross_entropy_by_hand() -> None:
    # sigmoid 1 -> 1, w = b = 0, x = 1, label +1 (target 1): p = 0.5, loss ln 2;
    # dL/dz = p − 1 = −0.5; lr 1: w = b = 0.5. Shown output 2p − 1: 0 before.
    net = net_1x1("sigmoid", 0.0)
    assert net.predict(t([[1.0]])).item() == 0.0
    assert loss(net, t([[1.0]]), t([1.0])) == pytest.approx(math.log(2), abs=1e-15)
    run(net, [1], [1], Hyper(1.0, 1))
    assert net.weights[0].item() == net.biases[0].item() == 0.5
    p = 1 / (1 + math.exp(-1.0))
    assert net.predict(t([[1.0]])).item() == pytest.approx(2 * p - 1, abs=1e-15)


def test_softmax_cross_entropy_by_hand() -> None:
    # 1 input -> 3 softmax outputs, all zero: p = 1/3 each; label 2: loss ln 3;
    # dL/dz = p − onehot = (1/3, 1/3, −2/3); x = 1, lr 1: w = b = (−1/3, −1/3, 2/3).
    zeros = Network([t([[0.0]] * 3)], [t([0.0] * 3)], [torch.ones(3, 1, dtype=torch.bool)],
                    "tanh", "softmax")  # fmt: skip
    assert loss(zeros, t([[1.0]]), t([2.0])) == pytest.approx(math.log(3), abs=1e-15)
    run(zeros, [1], [2], Hyper(1.0, 1))
    expected = [-1 / 3, -1 / 3, 2 / 3]
    assert zeros.weights[0][:, 0].tolist() == pytest.approx(expected, abs=1e-15)
    assert zeros.biases[0].tolist() == pytest.approx(expected, abs=1e-15)
    maps = render(zeros, ["x1"], grid=4, map_size=2)
    assert maps.confidence is not None and maps.output.shape == (4, 4)
    assert set(maps.output.flatten().tolist()) <= {0.0, 1.0, 2.0}


def test_model_output_layers_follow_loss_and_classes() -> None:
    two = make([3], "tanh", 10, "none", 0.1, 0.0, "circle", 1, loss="cross_entropy")
    three = make([3], "relu", 10, "none", 0.1, 0.0, "clouds", 1, classes=3)
    assert (two.net.sizes[-1], two.net.output_activation) == (1, "sigmoid")
    assert (three.net.sizes[-1], three.net.output_activation) == (3, "softmax")
    assert three.net.layer_activation(1) == "softmax"
    first = three.train_loss
    for _ in range(30):
        three.train_epoch()
    assert three.train_loss < first / 2 and three.metrics()["train_accuracy"] > 0.9
