"""TensorFlow Playground's training rules, exactly, on plain tensors without autograd.

One epoch passes over the training points in order. Gradients of 0.5·(out − target)²
accumulate point by point; after every ``batch_size``-th point of the epoch the weights
step by lr · (sum / count). Points left over at the end of an epoch are not flushed:
they carry into the first update of the next epoch. Weights then take the regularization
step, with the derivative taken at the weight before the update; biases never do. Under
L1 a weight whose two steps have opposite signs becomes 0 and its link is dead for good.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .network import ACTIVATIONS, Network

REGULARIZATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor] | None] = {
    "none": None,
    "l1": torch.sign,  # d|w|/dw, 0 at 0
    "l2": lambda w: w,  # d(w²/2)/dw
}


@dataclass
class Hyper:
    """Per-step settings that can change without rebuilding the network."""

    learning_rate: float = 0.03
    batch_size: int = 10
    regularization: str = "none"
    regularization_rate: float = 0.0


@dataclass
class Accumulator:
    """Gradient sums and the point count carried between updates (and epochs)."""

    weights: list[torch.Tensor] = field(default_factory=list)
    biases: list[torch.Tensor] = field(default_factory=list)
    count: int = 0

    @classmethod
    def zeros(cls, net: Network) -> Accumulator:
        return cls(
            [torch.zeros_like(w) for w in net.weights],
            [torch.zeros_like(b) for b in net.biases],
        )


def loss(net: Network, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean of 0.5·(output − target)² over the points (NaN on no points)."""
    if len(targets) == 0:
        return float("nan")
    out = net.predict(inputs)
    return float((0.5 * (out - targets) ** 2).mean())


def accumulate(net: Network, acc: Accumulator, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """Add the summed gradients of (B, in) inputs and (B,) targets to ``acc``."""
    layers = net.forward(inputs)
    z, a = layers[-1]
    delta = (a - targets[:, None]) * ACTIVATIONS[net.output_activation][1](z, a)  # (B, out)
    for layer in range(len(net.weights) - 1, -1, -1):
        below = layers[layer - 1][1] if layer > 0 else inputs  # (B, in)
        acc.weights[layer].addmm_(delta.T, below)  # (out, in)
        acc.biases[layer].add_(delta.sum(0))
        if layer > 0:
            z, a = layers[layer - 1]
            deriv = ACTIVATIONS[net.layer_activation(layer - 1)][1](z, a)
            delta = (delta @ net.weights[layer]) * deriv  # (B, in)
    acc.count += len(targets)


def update(net: Network, acc: Accumulator, hyper: Hyper) -> None:
    """One TFP update from the accumulated gradients, then clear them."""
    if acc.count == 0:
        return
    lr, n = hyper.learning_rate, acc.count
    reg = REGULARIZATIONS[hyper.regularization]
    for layer, w in enumerate(net.weights):
        alive = net.alive[layer]
        b = net.biases[layer]
        b.sub_(acc.biases[layer] * lr / n)
        stepped = w - (lr / n) * (acc.weights[layer] * alive)
        crossed = None
        if reg is not None:
            penalized = stepped - (lr * hyper.regularization_rate) * reg(w)
            if hyper.regularization == "l1":
                crossed = alive & (stepped * penalized < 0)
                penalized = penalized.masked_fill(crossed, 0.0)
            stepped = penalized
        w.copy_(torch.where(alive, stepped, w))
        if crossed is not None:  # kill after the write, so a crossed weight lands on 0
            alive &= ~crossed
        acc.weights[layer].zero_()
        acc.biases[layer].zero_()
    acc.count = 0


def train_epoch(
    net: Network, acc: Accumulator, inputs: torch.Tensor, targets: torch.Tensor, hyper: Hyper
) -> None:
    """One pass over (N, in) training inputs in order, updating after each full batch."""
    size = hyper.batch_size
    for start in range(0, len(targets), size):
        end = min(start + size, len(targets))
        accumulate(net, acc, inputs[start:end], targets[start:end])
        if end % size == 0:
            update(net, acc, hyper)
