"""Networks trained together in a stack end where they end alone."""

from __future__ import annotations

import itertools

import torch

from server.engine import datasets
from server.engine.batched import group_key, train_together
from server.engine.model import Model
from server.engine.training import Hyper

MIX = [
    # hidden, activation, batch, regularization, learning rate, rate, dataset, seed
    ([4, 2], "tanh", 10, "none", 0.03, 0.0, "circle", 1),
    # (tanh on xor with x1² inputs up to ~30 is chaotic: a 1e-16 difference grows ~10x
    # per epoch, alone or batched, so it cannot be compared at 1e-12 after 50 epochs)
    ([4, 2], "tanh", 10, "none", 0.1, 0.0, "gauss", 2),
    ([4, 2], "tanh", 10, "none", 0.01, 0.0, "spiral", 3),
    ([8, 8, 8], "relu", 7, "l1", 0.1, 0.01, "circle", 4),
    ([8, 8, 8], "relu", 7, "l1", 0.03, 0.003, "gauss", 5),
    ([3], "sigmoid", 30, "l2", 0.1, 0.03, "xor", 6),
    ([3], "sigmoid", 30, "l2", 0.3, 0.1, "circle", 7),
    ([5, 5], "linear", 1, "l2", 0.01, 0.001, "plane", 8),
    ([5, 5], "linear", 1, "l2", 0.003, 0.003, "multi_gauss", 9),
]


def make(hidden, activation, batch, reg, lr, rate, dataset, seed) -> Model:  # type: ignore[no-untyped-def]
    return Model(
        problem=datasets.DATASETS[dataset].problem,
        features=["x1", "x2", "x1_squared", "sin_x2"],
        hidden=hidden,
        activation=activation,
        hyper=Hyper(lr, batch, reg, rate),
        generator=torch.Generator().manual_seed(seed),
        split=datasets.generate(dataset, 10, 30, seed),
    )


def test_a_mix_of_configs_trains_the_same_alone_and_batched() -> None:
    alone = [make(*config) for config in MIX]
    together = [make(*config) for config in MIX]
    alone_losses = [[m.train_epoch() for _ in range(50)] for m in alone]
    groups: dict = {}
    for m in together:
        groups.setdefault(group_key(m), []).append(m)
    assert sorted(len(g) for g in groups.values()) == [2, 2, 2, 3]
    batched_losses = {}
    for group in groups.values():
        out = train_together(group, 50)
        for i, m in enumerate(group):
            batched_losses[id(m)] = out[:, i].tolist()
    for a, b, history in zip(alone, together, alone_losses, strict=True):
        assert b.epoch == a.epoch == 50
        for r, (train, test) in zip(history, batched_losses[id(b)], strict=True):
            assert abs(r.train_loss - train) <= 1e-12 and abs(r.test_loss - test) <= 1e-12
        for wa, wb in itertools.chain(
            zip(a.net.weights, b.net.weights), zip(a.net.biases, b.net.biases)
        ):
            assert torch.max(torch.abs(wa - wb)) <= 1e-12
        assert a.net.dead_links() == b.net.dead_links()
    assert any(m.net.dead_links() for m in together)  # L1 really killed links


def test_carry_continues_across_calls() -> None:
    """Leftover points (batch 28 over 150 points: 10) carry across separate calls."""
    alone, *pair = (make([3], "tanh", 28, "none", 0.1, 0.0, "circle", 3) for _ in range(3))
    for _ in range(7):
        alone.train_epoch()
    train_together(pair, 3)
    train_together(pair, 4)
    for m in pair:
        assert m.acc.count == alone.acc.count == 10
        assert torch.max(torch.abs(m.net.weights[0] - alone.net.weights[0])) <= 1e-12
