"""Is a config fit for a 1e-12 parity test? Only if its training does not amplify rounding."""

from __future__ import annotations

import torch

from server.engine.kinds.mlp import Model


def nudged_drift(a: Model, b: Model, epochs: int = 50) -> float:
    """Train two identical models ``epochs`` epochs alone, ``b`` with one weight matrix
    nudged by a relative 1e-15 first; how far apart their weights and losses end up.

    A stable config keeps this near 1e-15. A chaotic one (a relu kink, tanh far out) grows
    it to order 1: such a config can only match batched and alone where both round bit
    for bit alike."""
    b.net.weights[0].mul_(1 + 1e-15)
    for _ in range(epochs):
        ra, rb = a.train_epoch(), b.train_epoch()
    pairs = zip(a.net.weights, b.net.weights, strict=True)
    apart = max(torch.max(torch.abs(x - y)).item() for x, y in pairs)
    return max(apart, abs(ra.train_loss - rb.train_loss))
