"""Why a session diverged, in a sentence a student can act on: which layer's weights blew
up, and the setting that most likely did it (the L2 penalty step, the learning rate, the
optimizer).

Pure: reads a Model's weights and step settings, changes nothing.
"""

from __future__ import annotations

import torch

from server.engine.kinds.mlp import Model

# With L2, each update also multiplies every weight by (1 − learning rate × regularization
# rate): past this product the factor is below −1 and every weight grows, whatever the data.
L2_LIMIT = 2.0
SMALLER = 10  # the learning rate to suggest is this many times smaller


def divergence_message(model: Model, epoch: int, loss: float) -> str:
    """What diverged at ``epoch`` (where the weights blew up) and the likely cause."""
    what, why = where(model), cause(model)
    return f"the loss became {loss:g} at epoch {epoch}: {what}; {why}; reset to start again"


def layer_name(layer: int, layers: int) -> str:
    """Weight matrix ``layer`` of ``layers`` feeds hidden layer layer + 1, or the output."""
    return "the output layer" if layer == layers - 1 else f"hidden layer {layer + 1}"


def where(model: Model) -> str:
    """The layers whose weights or biases are no longer finite; if all are finite, the
    largest value in size and where it is."""
    net = model.net
    layers = len(net.weights)
    broken: list[int] = []
    parts: set[str] = set()
    for layer, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        for part, tensor in (("weights", w), ("biases", b)):
            if not bool(torch.isfinite(tensor).all()):
                parts.add(part)
                if layer not in broken:
                    broken.append(layer)
    if broken:
        names = [layer_name(layer, layers) for layer in broken]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        if len(broken) == layers > 1:
            listed = "every layer"
        kind = " and ".join(part for part in ("weights", "biases") if part in parts)
        return f"the {kind} of {listed} are no longer finite numbers"
    value, layer, part = max(
        (float(tensor.abs().max()), layer, part)
        for layer, (w, b) in enumerate(zip(net.weights, net.biases, strict=True))
        for part, tensor in (("weight", w), ("bias", b))
        if tensor.numel()
    )
    name = layer_name(layer, layers)
    return f"every weight is still finite, the largest a {part} of {name} ({value:.3g})"


def cause(model: Model) -> str:
    """The setting most likely to blame, with its value and what to try instead."""
    h = model.hyper
    lr, rate = float(h.learning_rate), float(h.regularization_rate)
    if h.regularization == "l2" and lr * rate > L2_LIMIT:
        return (
            f"L2's penalty step overshoots: learning rate × regularization rate = {lr:g} × "
            f"{rate:g} = {lr * rate:.3g} > {L2_LIMIT:g} makes every weight grow each update "
            f"(try a regularization rate below {L2_LIMIT / lr:.3g})"
        )
    smaller = f"try {lr / SMALLER:g}"
    mu = float(h.momentum)
    if h.optimizer == "momentum" and mu > 0:
        return (
            f"the learning rate, {lr:g}, is probably too high with momentum {mu:g}, which makes "
            f"steps up to {1 / (1 - mu):.3g}× larger ({smaller}, or less momentum)"
        )
    if h.optimizer == "adam":
        return (
            f"the learning rate, {lr:g}, is probably too high for adam, which moves every "
            f"weight by up to about the learning rate each update ({smaller})"
        )
    return f"the learning rate, {lr:g}, is probably too high ({smaller})"
