"""Input features computed from a point (x1, x2), in TensorFlow Playground's order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True, slots=True)
class Feature:
    """One input feature: its name on the wire, how the page labels it, its formula, and
    the same formula as the exported PyTorch script writes it (on (N,) tensors x and y)."""

    name: str
    label: str
    formula: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    code: str

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.formula(x, y)


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("x1", "X₁", lambda x, y: x, "x"),
        Feature("x2", "X₂", lambda x, y: y, "y"),
        Feature("x1_squared", "X₁²", lambda x, y: x * x, "x * x"),
        Feature("x2_squared", "X₂²", lambda x, y: y * y, "y * y"),
        Feature("x1_x2", "X₁X₂", lambda x, y: x * y, "x * y"),
        Feature("sin_x1", "sin(X₁)", lambda x, y: torch.sin(x), "torch.sin(x)"),
        Feature("sin_x2", "sin(X₂)", lambda x, y: torch.sin(y), "torch.sin(y)"),
    )
}

LABELS: dict[str, str] = {name: f.label for name, f in FEATURES.items()}  # (a view of the above)


def canonical(features: Sequence[str]) -> list[str]:
    """The chosen features without repeats, in FEATURES order."""
    chosen = set(features)
    return [name for name in FEATURES if name in chosen]


def make_inputs(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """(N, 2) points -> (N, F) network inputs for ``features`` (in FEATURES order)."""
    x, y = points[:, 0], points[:, 1]
    return torch.stack([FEATURES[name](x, y) for name in canonical(features)], dim=1)
