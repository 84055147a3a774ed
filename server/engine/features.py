"""Input features computed from a point (x1, x2), in TensorFlow Playground's order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Feature = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

FEATURES: dict[str, Feature] = {
    "x1": lambda x, y: x,
    "x2": lambda x, y: y,
    "x1_squared": lambda x, y: x * x,
    "x2_squared": lambda x, y: y * y,
    "x1_x2": lambda x, y: x * y,
    "sin_x1": lambda x, y: torch.sin(x),
    "sin_x2": lambda x, y: torch.sin(y),
}

LABELS: dict[str, str] = {
    "x1": "X₁",
    "x2": "X₂",
    "x1_squared": "X₁²",
    "x2_squared": "X₂²",
    "x1_x2": "X₁X₂",
    "sin_x1": "sin(X₁)",
    "sin_x2": "sin(X₂)",
}


def canonical(features: Sequence[str]) -> list[str]:
    """The chosen features without repeats, in FEATURES order."""
    chosen = set(features)
    return [name for name in FEATURES if name in chosen]


def make_inputs(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """(N, 2) points -> (N, F) network inputs for ``features`` (in FEATURES order)."""
    x, y = points[:, 0], points[:, 1]
    return torch.stack([FEATURES[name](x, y) for name in canonical(features)], dim=1)
