"""A GAN's iterations for a stack of S models of one group key (a lone model is a stack
of one): D's updates on real and generated batches, then G's through D, each model with
its own learning rates and sampling stream (kinds/gan.py has the model and the losses'
formulas)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch

from server.engine import dense
from server.engine.kinds.gan_math import (
    d_fake_grad,
    d_loss,
    d_real_grad,
    divergence_of,
    g_logit_grad,
    g_loss,
)
from server.engine.kinds.generative import rates, stack_of


class Gan(Protocol):
    """What a GAN's iterations read and write of each model (kinds/gan.Gan)."""

    options: dict[str, Any]
    nets: dict[str, dense.Net]
    rng: torch.Generator
    real: torch.Tensor
    real_density: torch.Tensor
    eval_noise: torch.Tensor
    dtype: torch.dtype
    epoch: int
    cursor: int
    partial: list[float]
    updates: dict[str, int]
    train_loss: float
    test_loss: float
    stack: object | None

    def _noise(self, count: int, rng: torch.Generator, stack: int = 1) -> torch.Tensor: ...

    def measure(self, divergence: tuple[float, float] | None = None) -> None: ...

    def tensors_identity(self) -> tuple[object, ...]: ...


DIVERGENCE_EVERY = 10  # iterations between divergence estimates


def plan(options: dict[str, Any]) -> list[tuple[str, bool]]:
    """An iteration's slots in order: (part, whether it updates): D's updates, then G's; a
    part with 0 steps has one slot that only measures its loss."""
    d, g = options["d_steps"], options["g_steps"]
    return [("d", i < d) for i in range(max(d, 1))] + [("g", j < g) for j in range(max(g, 1))]


def train_together(
    models: Sequence[Gan], iterations: int, stop: Callable[[], bool] | None = None
) -> np.ndarray:
    """Up to ``iterations`` iterations of every model at once (one group key: one shape,
    at one slot of the iteration), asking ``stop()`` after every update, so a turn may end
    mid-iteration (the next call goes on from there, with the same numbers); returns the
    losses after each iteration completed, (done, S, 2): D's, G's."""
    stack = stack_of(models)
    slots = plan(models[0].options)
    out: list[np.ndarray] = []
    while len(out) < iterations:
        cursor = models[0].cursor
        part, update = slots[cursor]
        values = slot(models, stack, part, update).tolist()
        for m, value in zip(models, values, strict=True):
            m.partial[0 if part == "d" else 1] = value
            m.cursor = (cursor + 1) % len(slots)
        if cursor + 1 == len(slots):  # the iteration is complete
            for m in models:
                m.epoch += 1
                m.train_loss, m.test_loss = m.partial
            out.append(np.array([m.partial for m in models], dtype=np.float64))
            due = [i for i, m in enumerate(models) if m.epoch % DIVERGENCE_EVERY == 0]
            if due:  # (a stack's models may stand at different iterations)
                _measure_all([models[i] for i in due], stack, due)
            if not np.isfinite(out[-1]).all():
                break
        if stop is not None and stop():
            break
    return np.stack(out) if out else np.zeros((0, len(models), 2))


def stage(models: Sequence[Gan], stack: Any, part: str, steps: int) -> torch.Tensor:
    """``steps`` updates of every model's D (``part`` "d") or G, outside the iteration's
    slots (Step D, Step G); the loss of the last update (S,), or the loss with no update
    when ``steps`` is 0."""
    value = slot(models, stack, part, steps > 0)
    for _ in range(steps - 1):
        value = slot(models, stack, part, True)
    return value


def slot(models: Sequence[Gan], stack: Any, part: str, update: bool) -> torch.Tensor:
    """One update of every model's D (``part`` "d") or G (or, not ``update``, only its
    loss), on fresh noise and, for D, a fresh batch of real points; that loss (S,)."""
    g, d = stack.nets["g"], stack.nets["d"]
    first = models[0]
    batch, loss = first.options["batch_size"], first.options["loss"]
    noise = torch.cat([m._noise(batch, m.rng) for m in models])  # (S, B, k)
    fake, g_cache = dense.forward(g, noise)
    if part == "d":
        n = stack.real.shape[1]
        index = torch.stack([torch.randint(n, (batch,), generator=m.rng) for m in models])
        real = stack.real[stack.rows, index]  # (S, B, 2)
        logits, cache = dense.forward(d, torch.cat([real, fake], dim=1))  # (S, 2B, 1)
        real_l, fake_l = logits[:, :batch], logits[:, batch:]
        value = d_loss(loss, real_l, fake_l)
        if update:
            grad = torch.cat([d_real_grad(loss, real_l), d_fake_grad(loss, fake_l)], 1)
            grads, _ = dense.backward(d, cache, grad / batch)
            dense.step(d, grads, rates(models, "d_learning_rate", first.dtype))
    else:
        logits, d_cache = dense.forward(d, fake)
        value = g_loss(loss, logits)
        if update:
            _, dx = dense.backward(d, d_cache, g_logit_grad(loss, logits) / batch, False)
            grads, _ = dense.backward(g, g_cache, dx)
            dense.step(g, grads, rates(models, "g_learning_rate", first.dtype))
    if update:
        for m in models:
            m.updates[part] += 1
    return value


def _measure_all(models: Sequence[Gan], stack: Any, rows: list[int]) -> None:
    """The divergences of ``models`` (the stack's ``rows``) from one pass of G over the
    whole stack (the eval noise is the same fixed draw for every model of a shape)."""
    noise = models[0].eval_noise.expand(stack.nets["g"].flat.shape[0], -1, -1)
    fake = dense.forward(stack.nets["g"], noise)[0]  # (S, EVAL_SAMPLES, 2)
    for m, row in zip(models, rows, strict=True):
        m.measure(divergence_of(m.real_density, fake[row]))
