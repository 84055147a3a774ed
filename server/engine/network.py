"""A fully connected network stored as plain tensors, in torch.nn.Linear layout.

Layer ``l`` maps ``sizes[l]`` inputs to ``sizes[l + 1]`` outputs with ``weights[l]`` of
shape (out, in) and ``biases[l]`` of shape (out,): hidden layers first, the output last.

Every tensor may carry a leading session dimension S — weights (S, out, in), biases
(S, out), inputs (S, N, in) — so that many networks of one shape train as one
(engine/batched.py); the arithmetic per network is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np
import torch


@dataclass(frozen=True, slots=True)
class Activation:
    """A layer's activation: f(z), f'(z) given z and a = f(z) (None for softmax, whose
    derivative is folded into the cross-entropy delta, engine/objectives.py), the page's
    title, and the torch module the exported script writes."""

    name: str
    title: str
    f: Callable[[torch.Tensor], torch.Tensor]
    derivative: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None
    torch_code: str


# TFP's definitions, relu'(0) = 0; any of them may be a hidden layer's
ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("tanh", "Tanh", torch.tanh, lambda z, a: 1 - a * a, "nn.Tanh()"),
        Activation("relu", "ReLU", torch.relu, lambda z, a: (z > 0).to(z.dtype), "nn.ReLU()"),
        Activation("sigmoid", "Sigmoid", torch.sigmoid, lambda z, a: a * (1 - a), "nn.Sigmoid()"),
        Activation(
            "linear", "Linear", lambda z: z, lambda z, a: torch.ones_like(z), "nn.Identity()"
        ),
    )
}
SOFTMAX = Activation(
    "softmax", "Softmax", lambda z: torch.softmax(z, dim=-1), None, "nn.Softmax(dim=-1)"
)  # over the last dimension: the layer's neurons
# what an output layer may use (engine/objectives.py picks one per loss and class count)
OUTPUT_ACTIVATIONS: dict[str, Activation] = {
    name: ACTIVATIONS[name] for name in ("tanh", "linear", "sigmoid")
} | {"softmax": SOFTMAX}


def activation(name: str) -> Activation:
    """The entry of any activation, hidden or output."""
    return ACTIVATIONS.get(name) or OUTPUT_ACTIVATIONS[name]


def activate(name: str, z: torch.Tensor) -> torch.Tensor:
    """f(z) for any activation, softmax over the last dimension (the layer's neurons)."""
    return activation(name).f(z)


def derivative(name: str, z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """f'(z) of an elementwise activation, given z and a = f(z)."""
    d = activation(name).derivative
    assert d is not None, f"{name} has no elementwise derivative"
    return d(z, a)


INIT_BIAS = 0.1
INIT_RANGE = 0.5  # weights uniform in [-0.5, 0.5)


@dataclass
class Network:
    """Weights, biases and the L1 'dead link' mask of one network."""

    weights: list[torch.Tensor]  # [(out, in)] per layer
    biases: list[torch.Tensor]  # [(out,)] per layer
    alive: list[torch.Tensor]  # [(out, in)] bool, False for links L1 has killed
    activation: str  # hidden layers
    # "tanh" (classification, mse), "linear" (regression), "sigmoid" (2 classes,
    # cross-entropy) or "softmax" (k > 2 classes: k output neurons)
    output_activation: str
    # per hidden layer: its own activation, or None for ``activation`` (missing = None)
    layer_activations: list[str | None] = field(default_factory=list)

    @cached_property
    def sizes(self) -> list[int]:
        """Neurons per layer, inputs first: e.g. [2, 4, 2, 1] (fixed for a network's life:
        new weights keep their shapes; a new shape is a new network)."""
        return [self.weights[0].shape[-1]] + [w.shape[-2] for w in self.weights]

    def layer_activation(self, layer: int) -> str:
        """The activation of layer ``layer`` (0 = first hidden; the last is the output)."""
        if layer == len(self.weights) - 1:
            return self.output_activation
        if layer < len(self.layer_activations):
            return self.layer_activations[layer] or self.activation
        return self.activation

    @cached_property
    def hidden_activations(self) -> tuple[str, ...]:
        """Every hidden layer's activation, resolved."""
        return tuple(self.layer_activation(layer) for layer in range(len(self.weights) - 1))

    @cached_property
    def entries(self) -> tuple[Activation, ...]:
        """Every layer's activation entry, resolved once: the training loop reads them for
        every minibatch."""
        return tuple(activation(self.layer_activation(layer)) for layer in range(len(self.weights)))

    def forward(self, inputs: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """([S,] N, in) inputs -> [(z, a)] per layer, each ([S,] N, out)."""
        out = []
        a = inputs
        entries = self.entries
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if w.dim() == 2:
                z = torch.addmm(b, a, w.T)  # (N, out)
            else:
                z = torch.baddbmm(b.unsqueeze(-2), a, w.mT)  # (S, N, out)
            a = entries[layer].f(z)
            out.append((z, a))
        return out

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        """([S,] N, in) -> ([S,] N) the single output as shown: a sigmoid's p as 2p − 1,
        so every two-class output reads in [-1, 1] (use ``forward`` for k outputs)."""
        out = self.forward(inputs)[-1][1][..., 0]
        return 2 * out - 1 if self.output_activation == "sigmoid" else out

    def dead_links(self) -> list[tuple[int, int, int]]:
        """(layer, neuron, input) of every link L1 regularization has killed."""
        return [
            (layer, int(j), int(i))
            for layer, mask in enumerate(self.alive)
            for j, i in (~mask).nonzero().tolist()
        ]

    def to(self, device: torch.device | str, dtype: torch.dtype) -> Network:
        return Network(
            [w.to(device, dtype) for w in self.weights],
            [b.to(device, dtype) for b in self.biases],
            [m.to(device) for m in self.alive],
            self.activation,
            self.output_activation,
            list(self.layer_activations),
        )


class Uniform(Protocol):
    """A stream of draws in [0, 1) (engine/tfp_seed.SeedStream: TFP's Math.random)."""

    def uniform(self, count: int) -> np.ndarray: ...


def build(
    sizes: Sequence[int],
    activation: str,
    output_activation: str,
    generator: torch.Generator | Uniform,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    layer_activations: Sequence[str | None] = (),
    init_zero: bool = False,
) -> Network:
    """TFP's initialisation: weights uniform in [-0.5, 0.5), biases 0.1, drawn layer by
    layer, neuron by neuron, input by input (TFP's order; (out, in) row-major). With
    ``init_zero`` (TFP's initZero) weights and biases are 0, and the draws are still made,
    as TFP makes them, so the stream goes on the same."""
    weights, biases, alive = [], [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        if isinstance(generator, torch.Generator):
            u = torch.rand(n_out, n_in, generator=generator, dtype=torch.float64)
        else:
            u = torch.from_numpy(generator.uniform(n_out * n_in)).reshape(n_out, n_in)
        w = torch.zeros_like(u) if init_zero else u - INIT_RANGE
        weights.append(w.to(device, dtype))
        bias = 0.0 if init_zero else INIT_BIAS
        biases.append(torch.full((n_out,), bias, dtype=dtype, device=device))
        alive.append(torch.ones(n_out, n_in, dtype=torch.bool, device=device))
    return Network(weights, biases, alive, activation, output_activation, list(layer_activations))


def check_layers(
    net: Network, layers: Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]]
) -> str | None:
    """Why ``layers`` (weight, bias) pairs don't fit ``net``'s shapes, or None if they do."""
    if len(layers) != len(net.weights):
        return f"expected {len(net.weights)} layers, got {len(layers)}"
    for index, ((weight, bias), w) in enumerate(zip(layers, net.weights, strict=True)):
        out, inp = w.shape
        if len(weight) != out or any(len(row) != inp for row in weight):
            return f"layers[{index}].weight must be {out}x{inp} (out x in)"
        if len(bias) != out:
            return f"layers[{index}].bias must have {out} values"
    return None


def set_layers(
    net: Network, layers: Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]]
) -> None:
    """Replace every weight and bias (shapes checked by check_layers); revives dead links."""
    for index, (weight, bias) in enumerate(layers):
        w = net.weights[index]
        net.weights[index] = torch.tensor(weight, dtype=w.dtype, device=w.device)
        net.biases[index] = torch.tensor(bias, dtype=w.dtype, device=w.device)
        net.alive[index] = torch.ones_like(net.alive[index])
