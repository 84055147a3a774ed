"""Losses: their values and the output-layer error each feeds back (no autograd).

``mse`` is TFP's mean of 0.5·(output − target)² (tanh or linear output). ``cross_entropy``
is binary cross-entropy on a sigmoid output for two classes (targets (label + 1) / 2, so
labels ±1 stay as they are) and cross-entropy on a softmax over k outputs for k > 2
classes (labels are class indices 0..k−1). The output activation tells which applies:
sigmoid and softmax outputs only ever come with cross-entropy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from server.engine.network import Network, derivative

Delta = Callable[[Network, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
Mean = Callable[[Network, torch.Tensor, torch.Tensor], torch.Tensor]


def _mse_delta(net: Network, z: torch.Tensor, a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (a - y.unsqueeze(-1)) * derivative(net.output_activation, z, a)


def _mse(net: Network, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (0.5 * (net.predict(inputs) - targets) ** 2).mean(-1)


def _ce_delta(net: Network, z: torch.Tensor, a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if net.output_activation == "softmax":  # d CE / dz = p − onehot(label)
        return a - F.one_hot(y.long(), a.shape[-1]).to(a.dtype)
    return a - ((y + 1) / 2).unsqueeze(-1)  # d BCE / dz = p − y with y = (label + 1) / 2


def _ce(net: Network, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if net.output_activation == "softmax":
        z = net.forward(inputs)[-1][0]  # ([S,] N, k)
        picked = torch.log_softmax(z, dim=-1).gather(-1, targets.long().unsqueeze(-1))
        return -picked[..., 0].mean(-1)
    z = net.forward(inputs)[-1][0][..., 0]  # ([S,] N) logits
    y = (targets + 1) / 2
    return F.binary_cross_entropy_with_logits(z, y, reduction="none").mean(-1)


@dataclass(frozen=True, slots=True)
class Loss:
    """A loss: the output activation it trains for a class count (classification; a
    regression's output is linear, and its loss mse), the output activations it pairs
    with, dLoss/dz of the output layer, its mean over points, and how the page names it."""

    name: str
    title: str
    description: str
    output: Callable[[int], str]
    outputs: tuple[str, ...]
    delta: Delta
    mean: Mean


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "mse",
            "0.5·MSE",
            "mean of 0.5·(output − target)² (TensorFlow Playground's)",
            lambda classes: "tanh",
            ("tanh", "linear"),
            _mse_delta,
            _mse,
        ),
        Loss(
            "cross_entropy",
            "Cross-entropy",
            "binary cross-entropy on a sigmoid (2 classes), softmax cross-entropy (k)",
            lambda classes: "sigmoid" if classes == 2 else "softmax",
            ("sigmoid", "softmax"),
            _ce_delta,
            _ce,
        ),
    )
}


def output_activation(problem: str, loss: str, classes: int) -> str:
    """The output layer's activation for a problem, loss and class count."""
    return "linear" if problem == "regression" else LOSSES[loss].output(classes)


def output_size(problem: str, classes: int) -> int:
    """Output neurons: k for k > 2 classes, else one."""
    return classes if problem == "classification" and classes > 2 else 1


def loss_of(net: Network) -> Loss:
    """The loss a network trains with, told by its output activation."""
    return next(loss for loss in LOSSES.values() if net.output_activation in loss.outputs)


def output_delta(
    net: Network, z: torch.Tensor, a: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """dLoss/dz of the output layer, ([S,] B, out), for ([S,] B) targets (one per point)."""
    return loss_of(net).delta(net, z, a, targets)


def losses(net: Network, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean loss over the points: a scalar, or (S,) for a stack."""
    return loss_of(net).mean(net, inputs, targets)


def loss(net: Network, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """The loss of one network as a float (NaN when there are no points)."""
    if targets.shape[-1] == 0:
        return float("nan")
    return float(losses(net, inputs, targets))
