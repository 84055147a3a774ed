"""Losses: their values and the output-layer error each feeds back (no autograd).

``mse`` is TFP's mean of 0.5·(output − target)² (tanh or linear output). ``cross_entropy``
is binary cross-entropy on a sigmoid output for two classes (targets (label + 1) / 2, so
labels ±1 stay as they are) and cross-entropy on a softmax over k outputs for k > 2
classes (labels are class indices 0..k−1). The output activation tells which applies:
sigmoid and softmax outputs only ever come with cross-entropy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from server.engine.network import ACTIVATIONS, Network

LOSSES: dict[str, str] = {
    "mse": "mean of 0.5·(output − target)² (TensorFlow Playground's)",
    "cross_entropy": "binary cross-entropy on a sigmoid (2 classes), softmax cross-entropy (k)",
}


def output_activation(problem: str, loss: str, classes: int) -> str:
    """The output layer's activation for a problem, loss and class count."""
    if problem == "regression":
        return "linear"
    if loss == "mse":
        return "tanh"
    return "sigmoid" if classes == 2 else "softmax"


def output_size(problem: str, classes: int) -> int:
    """Output neurons: k for k > 2 classes, else one."""
    return classes if problem == "classification" and classes > 2 else 1


def output_delta(
    net: Network, z: torch.Tensor, a: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """dLoss/dz of the output layer, ([S,] B, out), for ([S,] B) targets (one per point)."""
    kind = net.output_activation
    if kind == "sigmoid":  # d BCE / dz = p − y with y = (label + 1) / 2
        return a - ((targets + 1) / 2).unsqueeze(-1)
    if kind == "softmax":  # d CE / dz = p − onehot(label)
        return a - F.one_hot(targets.long(), a.shape[-1]).to(a.dtype)
    return (a - targets.unsqueeze(-1)) * ACTIVATIONS[kind][1](z, a)


def losses(net: Network, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean loss over the points: a scalar, or (S,) for a stack."""
    kind = net.output_activation
    if kind == "sigmoid":
        z = net.forward(inputs)[-1][0][..., 0]  # ([S,] N) logits
        y = (targets + 1) / 2
        return F.binary_cross_entropy_with_logits(z, y, reduction="none").mean(-1)
    if kind == "softmax":
        z = net.forward(inputs)[-1][0]  # ([S,] N, k)
        picked = torch.log_softmax(z, dim=-1).gather(-1, targets.long().unsqueeze(-1))
        return -picked[..., 0].mean(-1)
    out = net.predict(inputs)
    return (0.5 * (out - targets) ** 2).mean(-1)


def loss(net: Network, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """The loss of one network as a float (NaN when there are no points)."""
    if targets.shape[-1] == 0:
        return float("nan")
    return float(losses(net, inputs, targets))
