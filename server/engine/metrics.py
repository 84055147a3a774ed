"""How well a network does, beyond its loss: accuracy, per-class accuracy and the
confusion matrix for classification, R² for regression. Pure torch, one network.

Classes: with two classes the labels are ±1 and class 0 is label −1, class 1 label +1
(a shown output ≥ 0 predicts +1, as TFP colours it); with k > 2 classes the labels are
the class indices and the prediction is the softmax's most probable class.
"""

from __future__ import annotations

import math

import torch

from server.engine.network import Network

Points = tuple[torch.Tensor, torch.Tensor]  # inputs (N, F), labels or targets (N,)


def true_classes(labels: torch.Tensor, classes: int) -> torch.Tensor:
    """(N,) labels -> (N,) class indices."""
    return (labels > 0).long() if classes == 2 else labels.long()


def predicted_classes(net: Network, inputs: torch.Tensor) -> torch.Tensor:
    """(N, F) inputs -> (N,) the class the network picks."""
    if net.sizes[-1] > 1:
        return net.forward(inputs)[-1][1].argmax(dim=-1)
    return (net.predict(inputs) >= 0).long()


def confusion(truth: torch.Tensor, predicted: torch.Tensor, classes: int) -> torch.Tensor:
    """(k, k) counts: row = true class, column = predicted class."""
    flat = torch.bincount(truth * classes + predicted, minlength=classes * classes)
    return flat[: classes * classes].reshape(classes, classes)


def accuracy(matrix: torch.Tensor) -> float | None:
    """The fraction on the diagonal (None without points)."""
    total = int(matrix.sum())
    return int(matrix.trace()) / total if total else None


def class_accuracy(matrix: torch.Tensor) -> list[float | None]:
    """Per true class, the fraction predicted right (None for a class without points)."""
    right, count = matrix.diagonal().tolist(), matrix.sum(dim=1).tolist()
    return [r / c if c else None for r, c in zip(right, count, strict=True)]


def r_squared(predicted: torch.Tensor, targets: torch.Tensor) -> float | None:
    """1 − SS_res / SS_tot (None without points, for constant targets or a non-finite fit)."""
    if targets.numel() == 0:
        return None
    total = float(((targets - targets.mean()) ** 2).sum())
    value = 1 - float(((targets - predicted) ** 2).sum()) / total if total > 0 else math.nan
    return value if math.isfinite(value) else None


def accuracies(
    net: Network, classes: int, inputs: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """Fraction right, one network or a stack: ([S,] N, F), ([S,] N) -> () or (S,) (NaN
    without points)."""
    right = predicted_classes(net, inputs) == true_classes(labels, classes)
    return right.to(inputs.dtype).mean(-1)


def evaluate(
    net: Network, problem: str, classes: int, train: Points, test: Points
) -> dict[str, object]:
    """Every metric on the training and the test points, as plain numbers and lists."""
    out: dict[str, object] = {"problem": problem}
    if problem == "regression":
        out.update(classes=0, labels=[])
        for part, (inputs, targets) in (("train", train), ("test", test)):
            out[f"{part}_accuracy"] = None
            out[f"{part}_class_accuracy"] = []
            out[f"{part}_confusion"] = []
            out[f"{part}_r2"] = r_squared(net.predict(inputs), targets)
        return out
    out.update(classes=classes, labels=[-1.0, 1.0] if classes == 2 else list(range(classes)))
    for part, (inputs, labels) in (("train", train), ("test", test)):
        truth = true_classes(labels, classes)
        matrix = confusion(truth, predicted_classes(net, inputs), classes)
        out[f"{part}_accuracy"] = accuracy(matrix)
        out[f"{part}_class_accuracy"] = class_accuracy(matrix)
        out[f"{part}_confusion"] = matrix.tolist()
        out[f"{part}_r2"] = None
    return out
