"""Train many networks of one shape as one: their tensors stacked on a leading session
dimension S, so one set of torch operations advances all of them.

The arithmetic per network is exactly training.py's (the same functions run on the
stacks), so a network trained in a group ends where it would alone, to rounding.
Rates and optimizer settings travel as (S, 1) tensors; the optimizer's state and the
carried gradients are stacked and written back like the weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch

from .model import Model
from .network import Network
from .optimizers import SETTINGS, OptState
from .training import Accumulator, Hyper, losses, train_epoch


def group_key(model: Model) -> Hashable:
    """Models with equal keys can train together."""
    return (
        tuple(model.net.sizes),  # the output size carries the class count
        model.net.hidden_activations,
        model.net.output_activation,  # with the sizes: the loss
        model.loss,
        model.hyper.optimizer,
        tuple(model.opt.slots),
        model.hyper.batch_size,
        model.hyper.regularization,
        model.train_y.shape[-1],
        model.test_y.shape[-1],
        model.acc.count,
        model.dtype,
        model.device,
    )


def train_together(models: Sequence[Model], epochs: int) -> torch.Tensor:
    """Train every model ``epochs`` epochs at once (all must share a group_key).

    Returns the losses after each epoch, (epochs, S, 2): train, test. The models'
    weights, dead links, carried gradients and epoch counters are updated in place."""
    first = models[0]
    layers = range(len(first.net.weights))

    def stack(get: object) -> list[torch.Tensor]:
        return [torch.stack([get(m, layer) for m in models]) for layer in layers]  # type: ignore[operator]

    net = Network(
        stack(lambda m, layer: m.net.weights[layer]),  # (S, out, in)
        stack(lambda m, layer: m.net.biases[layer]),  # (S, out)
        stack(lambda m, layer: m.net.alive[layer]),
        first.activation,
        first.net.output_activation,
        list(first.net.layer_activations),
    )
    acc = Accumulator(
        stack(lambda m, layer: m.acc.weights[layer]),
        stack(lambda m, layer: m.acc.biases[layer]),
        first.acc.count,
    )

    params = len(first.net.weights) + len(first.net.biases)
    opt = OptState(
        {
            name: [torch.stack([m.opt.slots[name][i] for m in models]) for i in range(params)]
            for name in first.opt.slots
        },
        torch.stack([m.opt.steps.reshape(1) for m in models]),  # (S, 1)
    )

    def rates(name: str) -> torch.Tensor:
        values = [float(getattr(m.hyper, name)) for m in models]
        return torch.tensor(values, dtype=first.dtype, device=first.device).unsqueeze(-1)  # (S, 1)

    hyper = Hyper(
        rates("learning_rate"),
        first.hyper.batch_size,
        first.hyper.regularization,
        rates("regularization_rate"),
        first.hyper.optimizer,
        **{name: rates(name) for name in SETTINGS},
    )
    train_x = torch.stack([m.train_inputs for m in models])  # (S, N, F)
    train_y = torch.stack([m.train_y for m in models])  # (S, N)
    test_x = torch.stack([m.test_inputs for m in models])
    test_y = torch.stack([m.test_y for m in models])
    out = torch.empty(epochs, len(models), 2, dtype=first.dtype, device=first.device)
    for epoch in range(epochs):
        train_epoch(net, acc, train_x, train_y, hyper, opt)
        out[epoch, :, 0] = losses(net, train_x, train_y)
        out[epoch, :, 1] = losses(net, test_x, test_y)
    for i, m in enumerate(models):
        for layer in layers:
            m.net.weights[layer].copy_(net.weights[layer][i])
            m.net.biases[layer].copy_(net.biases[layer][i])
            m.net.alive[layer].copy_(net.alive[layer][i])
            m.acc.weights[layer].copy_(acc.weights[layer][i])
            m.acc.biases[layer].copy_(acc.biases[layer][i])
        m.acc.count = acc.count
        for name, tensors in opt.slots.items():
            for mine, stacked in zip(m.opt.slots[name], tensors, strict=True):
                mine.copy_(stacked[i])
        m.opt.steps.copy_(opt.steps[i, 0])
    final = out[-1].tolist()  # one transfer for the whole group
    for m, (train, test) in zip(models, final, strict=True):
        m.epoch += epochs
        m.train_loss, m.test_loss = train, test
    return out
