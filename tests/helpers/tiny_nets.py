"""Hand-checkable networks: float64 tensors, a 1 -> 1 net, one epoch of training."""

from __future__ import annotations

import torch

from server.engine.network import Network
from server.engine.optimizers import OptState
from server.engine.training import Accumulator, Hyper, train_epoch


def t(values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def net_1x1(output: str, w: float = 1.0, b: float = 0.0) -> Network:
    """One input straight to one output: out = f(w·x + b)."""
    return Network([t([[w]])], [t([b])], [torch.ones(1, 1, dtype=torch.bool)], "tanh", output)


def run(net: Network, xs: list[float], ys: list[float], hyper: Hyper) -> OptState:
    opt = OptState.zeros(net, hyper.optimizer)
    train_epoch(net, Accumulator.zeros(net), t([[x] for x in xs]), t(ys), hyper, opt)
    return opt
