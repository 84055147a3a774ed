"""Small fully connected nets with a leading stack dimension S, trained by hand-written
backpropagation: the generator, discriminator, encoder and decoder of the generative
kinds (kinds/gan.py, kinds/autoencoder.py).

A lone net is a stack of one; S nets of one shape train as one with the same numbers
per net (each net's batch is its own). Everything runs under ``torch.no_grad`` (the
worker turns autograd off): the backward pass is four lines per layer, and it gives
the gradient with respect to the input too, which a generator's step needs through the
discriminator and the gradient arrows show.

Shapes: weights[l] (S, out, in), biases[l] (S, out), inputs (S, B, in).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from server.engine.network import ACTIVATIONS, derivative

OPTIMIZERS = ("sgd", "adam")
# adam: β1 0.5, the usual GAN setting (measured: 0.9 left the ring's JS at 0.8 after 3,000
# iterations; 0.5 took it under 0.1)
BETA1, BETA2, EPSILON = 0.5, 0.999, 1e-8


class Net:
    """One stack of nets. Every parameter lives in one flat (S, P) tensor (each layer's
    weight (out, in) row-major, then its bias), so an optimizer step is a few operations
    on the whole net; ``weights`` and ``biases`` are views into it. Adam's moments ``m``,
    ``v`` share the layout; ``steps`` (S,) counts its updates."""

    def __init__(
        self,
        sizes: Sequence[int],
        activations: Sequence[str],
        optimizer: str,
        flat: torch.Tensor,
        m: torch.Tensor | None = None,
        v: torch.Tensor | None = None,
        steps: torch.Tensor | None = None,
    ) -> None:
        assert len(activations) == len(sizes) - 1 and optimizer in OPTIMIZERS
        self.sizes = list(sizes)
        self.activations = list(activations)
        self.optimizer = optimizer
        zeros = torch.zeros_like(flat) if optimizer == "adam" else flat.new_zeros((len(flat), 0))
        m = zeros if m is None else m
        v = zeros.clone() if v is None else v
        steps = flat.new_zeros(len(flat)) if steps is None else steps
        self.bind({"p": flat, "m": m, "v": v, "steps": steps})

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every tensor by name (what a stack gathers and a checkpoint stores)."""
        return {"p": self.flat, "m": self.m, "v": self.v, "steps": self.steps}

    def bind(self, tensors: dict[str, torch.Tensor]) -> None:
        """Use these tensors (named as ``tensors()`` names them) from now on."""
        self.flat, self.m, self.v, self.steps = (tensors[k] for k in ("p", "m", "v", "steps"))
        self.weights, self.biases = [], []
        at, stack = 0, self.flat.shape[0]
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            self.weights.append(
                self.flat[:, at : at + fan_out * fan_in].view(stack, fan_out, fan_in)
            )
            at += fan_out * fan_in
            self.biases.append(self.flat[:, at : at + fan_out])
            at += fan_out

    def params(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]


def parameter_count(sizes: Sequence[int]) -> int:
    return sum(o * i + o for i, o in zip(sizes[:-1], sizes[1:], strict=True))


def build(
    sizes: Sequence[int],
    activations: Sequence[str],
    optimizer: str,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    stack: int = 1,
) -> Net:
    """Fresh nets: weights uniform in ±√(6 / (in + out)) (Glorot, drawn from
    ``generator``), biases 0, adam's moments 0. ``activations``: one per layer."""
    flat = torch.zeros((stack, parameter_count(sizes)), dtype=dtype)
    net = Net(sizes, activations, optimizer, flat)
    for w, fan_in, fan_out in zip(net.weights, sizes[:-1], sizes[1:], strict=True):
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        u = torch.rand((stack, fan_out, fan_in), generator=generator, dtype=torch.float64)
        w.copy_((2 * u - 1) * bound)
    return net


def forward(net: Net, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The output (S, B, out) and what backward needs: every layer's input, then each
    layer's pre-activation and activation, in order."""
    cache = []
    a = x
    for w, b, name in zip(net.weights, net.biases, net.activations, strict=True):
        z = torch.baddbmm(b.unsqueeze(1), a, w.transpose(1, 2))  # (S, B, out)
        cache += [a, z]
        a = ACTIVATIONS[name].f(z)
        cache.append(a)
    return a, cache


def backward(
    net: Net, cache: list[torch.Tensor], grad: torch.Tensor, params: bool = True
) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Given d(loss)/d(output) (S, B, out): the parameters' gradient (S, P), summed over
    the batch, in the flat layout (None when not ``params``) and d(loss)/d(input)."""
    n = len(net.weights)
    parts: list[torch.Tensor] = [grad] * (2 * n)
    for layer in range(n - 1, -1, -1):
        x, z, a = cache[3 * layer : 3 * layer + 3]
        name = net.activations[layer]
        if name == "linear":
            dz = grad
        elif name == "relu":  # (one operation where f'(z) times grad is two)
            dz = grad.masked_fill(z <= 0, 0.0)
        else:
            dz = grad * derivative(name, z, a)
        if params:
            parts[2 * layer] = torch.bmm(dz.transpose(1, 2), x).flatten(1)  # (S, out·in)
            parts[2 * layer + 1] = dz.sum(1)  # (S, out)
        grad = torch.bmm(dz, net.weights[layer])  # (S, B, in)
    return (torch.cat(parts, dim=1) if params else None), grad


def step(net: Net, grad: torch.Tensor | None, rate: torch.Tensor) -> None:
    """One update of every net in the stack, in place, from the flat gradient (S, P);
    ``rate``: each net's learning rate (S,). SGD: p −= lr·g; adam: the bias-corrected
    moments."""
    assert grad is not None
    lr = rate.unsqueeze(1)  # (S, 1)
    if net.optimizer == "sgd":
        net.flat.sub_(lr * grad)
        return
    net.steps.add_(1)
    net.m.mul_(BETA1).add_(grad, alpha=1 - BETA1)
    net.v.mul_(BETA2).addcmul_(grad, grad, value=1 - BETA2)
    correct1 = (1 - BETA1**net.steps).unsqueeze(1)
    correct2 = (1 - BETA2**net.steps).unsqueeze(1)
    net.flat.sub_(lr / correct1 * net.m / ((net.v / correct2).sqrt_().add_(EPSILON)))
