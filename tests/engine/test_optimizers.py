"""The optimizers (sgd, momentum, adam), one or two steps worked by hand, and how a
change of optimizer or of its settings treats the optimizer's state."""

from __future__ import annotations

import math

import pytest
import torch

from server.engine.training import Accumulator, Hyper, train_epoch
from tests.helpers.mlp_models import make
from tests.helpers.tiny_nets import net_1x1, run, t


def test_momentum_by_hand() -> None:
    # linear 1 -> 1, w = 1, b = 0, lr 0.1, μ 0.9, batch 1, two points x = 1, t = 0.
    # point 1: out 1, g = 1:   v = 1,           w = 1 − 0.1·1 = 0.9,     b = −0.1
    # point 2: out 0.8, g = 0.8: v = 0.9 + 0.8 = 1.7, w = 0.9 − 0.17 = 0.73, b = −0.27
    net = net_1x1("linear")
    opt = run(net, [1, 1], [0, 0], Hyper(0.1, 1, optimizer="momentum", momentum=0.9))
    assert net.weights[0].item() == pytest.approx(0.73, abs=1e-15)
    assert net.biases[0].item() == pytest.approx(-0.27, abs=1e-15)
    assert opt.slots["velocity"][0].item() == pytest.approx(1.7, abs=1e-15)


def test_adam_by_hand() -> None:
    # linear 1 -> 1, w = 1, b = 0, lr 0.1, β1 0.9, β2 0.999, ε 1e-8, batch 1, x = 1, t = 0.
    # step 1: g = 1: m = 0.1, v = 0.001, m̂ = v̂ = 1 -> step 0.1 / (1 + 1e-8) for w and b
    # step 2: out = w + b, g = out: m = 0.09 + 0.1·g, v = 0.000999 + 0.001·g²,
    #         step = 0.1 · (m / 0.19) / (sqrt(v / 0.001999) + 1e-8)
    net = net_1x1("linear")
    opt = run(net, [1], [0], Hyper(0.1, 1, optimizer="adam"))
    first = 0.1 / (1 + 1e-8)
    assert net.weights[0].item() == pytest.approx(1 - first, abs=1e-15)
    assert net.biases[0].item() == pytest.approx(-first, abs=1e-15)
    g = (1 - first) - first
    m, v = 0.09 + 0.1 * g, 0.000999 + 0.001 * g * g
    second = 0.1 * (m / 0.19) / (math.sqrt(v / 0.001999) + 1e-8)  # about 0.0988
    train_epoch(
        net, Accumulator.zeros(net), t([[1.0]]), t([0.0]), Hyper(0.1, 1, optimizer="adam"), opt
    )
    assert opt.steps.item() == 2
    assert net.weights[0].item() == pytest.approx(1 - first - second, abs=1e-15)
    assert net.biases[0].item() == pytest.approx(-first - second, abs=1e-15)


def test_regularization_follows_the_optimizer_step() -> None:
    # momentum's first step equals sgd's: w = 1, x = 1, t = 3, lr 0.5, L2 0.2: g = −2,
    # w1 = 1 + 1 = 2, w2 = w1 − 0.5·0.2·w_before = 1.9; the bias takes no penalty: 1.
    net = net_1x1("linear")
    run(net, [1], [3], Hyper(0.5, 1, "l2", 0.2, optimizer="momentum"))
    assert net.weights[0].item() == pytest.approx(1.9, abs=1e-15)
    assert net.biases[0].item() == pytest.approx(1.0, abs=1e-15)


def test_optimizer_change_starts_its_state_over_learning_rate_keeps_it() -> None:
    model = make([3], "tanh", 10, "none", 0.03, 0.0, "circle", 1, optimizer="momentum")
    model.train_epoch()
    velocity = model.opt.slots["velocity"][0].clone()
    model.set_hyper(Hyper(0.1, 10, optimizer="momentum"))
    assert torch.equal(model.opt.slots["velocity"][0], velocity)
    model.set_hyper(Hyper(0.1, 10, optimizer="momentum", momentum=0.5))
    assert not model.opt.slots["velocity"][0].any()
    weights = model.net.weights[0].clone()
    model.set_hyper(Hyper(0.1, 10, optimizer="adam"))
    assert set(model.opt.slots) == {"m", "v"} and model.opt.steps.item() == 0
    assert torch.equal(model.net.weights[0], weights)
