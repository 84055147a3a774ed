"""TensorFlow Playground's training rules, exactly, on plain tensors without autograd.

One epoch passes over the training points in order. Gradients of 0.5·(out − target)²
accumulate point by point; after every ``batch_size``-th point of the epoch the weights
step by lr · (sum / count). Points left over at the end of an epoch are not flushed:
they carry into the first update of the next epoch. Weights then take the regularization
step, with the derivative taken at the weight before the update; biases never do. Under
L1 a weight whose two steps have opposite signs becomes 0 and its link is dead for good.

Beyond TFP, with defaults that keep the rules above: the loss (engine/objectives.py:
cross-entropy through the output layer's error) and the optimizer that turns the mean
gradient into a step (engine/optimizers.py: momentum, adam).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from server.engine import optimizers
from server.engine.network import Network
from server.engine.objectives import loss as loss
from server.engine.objectives import losses as losses
from server.engine.objectives import output_delta
from server.engine.optimizers import OptState


@dataclass(frozen=True, slots=True)
class Regularization:
    """A weight penalty: R'(w), taken at the weight before the step (None: no penalty),
    whether a weight it pushes across 0 dies (L1's dead links), and the page's title."""

    name: str
    title: str
    derivative: Callable[[torch.Tensor], torch.Tensor] | None
    kills: bool = False


REGULARIZATIONS: dict[str, Regularization] = {
    r.name: r
    for r in (
        Regularization("none", "None", None),
        Regularization("l1", "L1", torch.sign, kills=True),  # d|w|/dw, 0 at 0
        Regularization("l2", "L2", lambda w: w),  # d(w²/2)/dw
    )
}


@dataclass
class Hyper:
    """Per-step settings that can change without rebuilding the network.

    For a stack of S networks (engine/batched.py) the rates and the optimizer's settings
    are (S, 1) tensors."""

    learning_rate: float | torch.Tensor = 0.03
    batch_size: int = 10
    regularization: str = "none"
    regularization_rate: float | torch.Tensor = 0.0
    optimizer: str = "sgd"  # engine/optimizers.py
    momentum: float | torch.Tensor = 0.9
    beta1: float | torch.Tensor = 0.9
    beta2: float | torch.Tensor = 0.999
    epsilon: float | torch.Tensor = 1e-8

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Hyper:
        """The step settings among a config's fields (missing ones keep the defaults)."""
        return cls(**{name: options[name] for name in HYPER_FIELDS if name in options})

    def optimizer_settings(self) -> tuple[object, ...]:
        """What, when it changes, makes the optimizer's state start over."""
        if self.optimizer == "sgd":
            return (self.optimizer,)
        values = [getattr(self, name) for name in optimizers.SETTINGS]
        return (self.optimizer, *(v.tolist() if isinstance(v, torch.Tensor) else v for v in values))


HYPER_FIELDS = tuple(Hyper.__dataclass_fields__)


def _per_weight(rate: float | torch.Tensor) -> float | torch.Tensor:
    """A rate shaped for (S, out, in) weights when it is per network."""
    return rate.unsqueeze(-1) if isinstance(rate, torch.Tensor) else rate


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


def accumulate(net: Network, acc: Accumulator, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """Add the summed gradients of ([S,] B, in) inputs and ([S,] B) targets to ``acc``."""
    layers = net.forward(inputs)
    z, a = layers[-1]
    delta = output_delta(net, z, a, targets)  # ([S,] B, out)
    entries = net.entries
    for layer in range(len(net.weights) - 1, -1, -1):
        below = layers[layer - 1][1] if layer > 0 else inputs  # ([S,] B, in)
        if delta.dim() == 2:
            acc.weights[layer].addmm_(delta.T, below)  # (out, in)
        else:
            acc.weights[layer].baddbmm_(delta.mT, below)  # (S, out, in)
        acc.biases[layer].add_(delta.sum(-2))
        if layer > 0:
            z, a = layers[layer - 1]
            deriv = entries[layer - 1].derivative  # a hidden layer's: elementwise
            assert deriv is not None
            delta = (delta @ net.weights[layer]) * deriv(z, a)  # ([S,] B, in)
    acc.count += targets.shape[-1]


def update(net: Network, acc: Accumulator, hyper: Hyper, opt: OptState | None = None) -> None:
    """One TFP update from the accumulated gradients, then clear them. ``opt`` holds the
    optimizer's state (needed unless the optimizer is sgd)."""
    if acc.count == 0:
        return
    lr, n = hyper.learning_rate, acc.count
    lr_w, rate_w = _per_weight(lr), _per_weight(hyper.regularization_rate)
    penalty = REGULARIZATIONS[hyper.regularization]
    reg = penalty.derivative
    settings: dict[str, float | torch.Tensor] = {}
    if hyper.optimizer != "sgd":
        assert opt is not None, f"{hyper.optimizer} needs its OptState"
        opt.steps.add_(1)
        settings = {name: getattr(hyper, name) for name in ("learning_rate", *optimizers.SETTINGS)}
    layers = len(net.weights)
    for layer, w in enumerate(net.weights):
        alive = net.alive[layer]
        b = net.biases[layer]
        if hyper.optimizer == "sgd" and reg is None:  # TFP's default, the common case
            b.sub_(acc.biases[layer] * lr / n)
            # the same subtraction in place: a dead link's masked gradient is 0, so it
            # keeps its weight without the where() below (two ops fewer per layer)
            w.sub_((lr_w / n) * (acc.weights[layer] * alive))
            acc.weights[layer].zero_()
            acc.biases[layer].zero_()
            continue
        if hyper.optimizer == "sgd":  # TFP's arithmetic, operation for operation
            b.sub_(acc.biases[layer] * lr / n)
            stepped = w - (lr_w / n) * (acc.weights[layer] * alive)
        else:
            assert opt is not None
            grad_b = acc.biases[layer] / n
            grad_w = (acc.weights[layer] * alive) / n
            b.sub_(optimizers.step(hyper.optimizer, settings, opt, layers + layer, grad_b, False))
            stepped = w - optimizers.step(hyper.optimizer, settings, opt, layer, grad_w, True)
        crossed = None
        if reg is not None:
            penalized = stepped - (lr_w * rate_w) * reg(w)
            if penalty.kills:
                crossed = alive & (stepped * penalized < 0)
                penalized = penalized.masked_fill(crossed, 0.0)
            stepped = penalized
        w.copy_(torch.where(alive, stepped, w))
        if crossed is not None:  # kill after the write, so a crossed weight lands on 0
            alive &= ~crossed
        acc.weights[layer].zero_()
        acc.biases[layer].zero_()
    acc.count = 0


def train_chunk(
    net: Network,
    acc: Accumulator,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    hyper: Hyper,
    opt: OptState | None,
    start: int,
) -> int:
    """The points of one minibatch slot from ``start``, up to the next multiple of the
    batch size: accumulate them, and update if the slot ends a full batch (after every
    batch_size-th point of the epoch, as TFP; a batch size changed mid-epoch takes effect
    from the next boundary). Returns where the next slot starts; ``targets.shape[-1]``
    when this one ended the epoch. An epoch is these slots from 0 in turn, so training it
    slot by slot over several calls (a worker that shares its time) is the same
    arithmetic, in the same order, as in one go."""
    size, count = hyper.batch_size, targets.shape[-1]
    end = min((start // size + 1) * size, count)
    accumulate(net, acc, inputs[..., start:end, :], targets[..., start:end])
    if end % size == 0:
        update(net, acc, hyper, opt)
    return end


def train_epoch(
    net: Network,
    acc: Accumulator,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    hyper: Hyper,
    opt: OptState | None = None,
) -> None:
    """One pass over ([S,] N, in) training inputs in order, updating after each full batch.
    Targets are ([S,] N): ±1 labels, class indices (k > 2) or regression values."""
    start, count = 0, targets.shape[-1]
    while start < count:
        start = train_chunk(net, acc, inputs, targets, hyper, opt, start)
