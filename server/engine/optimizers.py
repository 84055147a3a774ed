"""The optimizers that turn a mean gradient into a step, TFP-shaped: after each batch the
mean gradient g = sum / count feeds the optimizer, which returns the amount to subtract.

- ``sgd``: lr·g (TensorFlow Playground's update; training.py keeps its exact arithmetic).
- ``momentum``: v = μ·v + g; step lr·v.
- ``adam``: m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², t += 1;
  step lr·m̂ / (√v̂ + ε) with m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t).

The regularization step and L1's zero clip follow in training.update, as for sgd.
Settings may be floats or, for a stack of S networks, (S, 1) tensors; the arithmetic is
written so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from server.engine.network import Network

SETTINGS = ("momentum", "beta1", "beta2", "epsilon")  # besides the learning rate


@dataclass
class OptState:
    """Per-parameter state: ``slots[name]`` lists one tensor per weight matrix, then one
    per bias vector; ``steps`` counts updates (adam's t): () alone, (S, 1) stacked."""

    slots: dict[str, list[torch.Tensor]] = field(default_factory=dict)
    steps: torch.Tensor = field(default_factory=lambda: torch.zeros((), dtype=torch.float64))

    @classmethod
    def zeros(cls, net: Network, optimizer: str) -> OptState:
        params = [*net.weights, *net.biases]
        slots = {
            name: [torch.zeros_like(p) for p in params] for name in OPTIMIZERS[optimizer].slots
        }
        like = net.weights[0]
        return cls(slots, torch.zeros((), dtype=like.dtype, device=like.device))


Get = Callable[[str], "float | torch.Tensor"]  # a setting, shaped for the parameter
Step = Callable[[Get, OptState, int, torch.Tensor, bool], torch.Tensor]


def _shaped(value: float | torch.Tensor, weight: bool) -> float | torch.Tensor:
    """A per-network (S, 1) setting shaped for (S, out, in) weights."""
    return value.unsqueeze(-1) if weight and isinstance(value, torch.Tensor) else value


def _sgd(get: Get, state: OptState, index: int, grad: torch.Tensor, weight: bool) -> torch.Tensor:
    return get("learning_rate") * grad


def _momentum(
    get: Get, state: OptState, index: int, grad: torch.Tensor, weight: bool
) -> torch.Tensor:
    v = state.slots["velocity"][index]
    v.copy_(get("momentum") * v + grad)
    return get("learning_rate") * v


def _adam(get: Get, state: OptState, index: int, grad: torch.Tensor, weight: bool) -> torch.Tensor:
    m, v = state.slots["m"][index], state.slots["v"][index]
    beta1, beta2 = get("beta1"), get("beta2")
    m.copy_(beta1 * m + (1 - beta1) * grad)
    v.copy_(beta2 * v + (1 - beta2) * grad * grad)
    t = _shaped(state.steps, weight)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return get("learning_rate") * m_hat / (torch.sqrt(v_hat) + get("epsilon"))


@dataclass(frozen=True, slots=True)
class Optimizer:
    """An optimizer: the state it keeps per parameter tensor, its step, the page's title."""

    name: str
    title: str
    slots: tuple[str, ...]
    step: Step

    def __iter__(self) -> Iterator[str]:
        """Its slot names (as the registry's plain tuples were iterated before)."""
        return iter(self.slots)


OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer("sgd", "SGD", (), _sgd),
        Optimizer("momentum", "Momentum", ("velocity",), _momentum),
        Optimizer("adam", "Adam", ("m", "v"), _adam),
    )
}


def step(
    optimizer: str,
    settings: dict[str, float | torch.Tensor],
    state: OptState,
    index: int,
    grad: torch.Tensor,
    weight: bool,
) -> torch.Tensor:
    """The amount to subtract from parameter ``index`` (weights first, then biases) given
    its mean gradient; updates ``state``. ``settings`` holds learning_rate and SETTINGS."""

    def get(name: str) -> float | torch.Tensor:
        return _shaped(settings[name], weight)

    return OPTIMIZERS[optimizer].step(get, state, index, grad, weight)
