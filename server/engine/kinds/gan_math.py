"""A GAN's arithmetic that needs no model: each loss and its gradient with respect to D's
logit (kinds/gan.py's module docstring gives the formulas), and the densities and
divergences on the grid."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from server.engine.kinds.generative import SCALE
from server.engine.render import DOMAIN

LOSSES = ("minimax", "non_saturating", "least_squares")
DIVERGENCE_GRID = 16  # cells a side of the grid the densities are estimated on


def d_loss(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """D's loss per model (S,) from its logits on real and generated points (S, B, 1)."""
    if loss == "least_squares":
        return 0.5 * ((real - 1) ** 2).mean((1, 2)) + 0.5 * (fake**2).mean((1, 2))
    return F.softplus(-real).mean((1, 2)) + F.softplus(fake).mean((1, 2))


def g_loss(loss: str, fake: torch.Tensor) -> torch.Tensor:
    if loss == "least_squares":
        return 0.5 * ((fake - 1) ** 2).mean((1, 2))
    if loss == "minimax":
        return -F.softplus(fake).mean((1, 2))  # log(1 − s)
    return F.softplus(-fake).mean((1, 2))  # −log s


def d_real_grad(loss: str, logits: torch.Tensor) -> torch.Tensor:
    """d(D's per-point loss)/d(logit) on real points."""
    return logits - 1 if loss == "least_squares" else torch.sigmoid(logits) - 1


def d_fake_grad(loss: str, logits: torch.Tensor) -> torch.Tensor:
    return logits if loss == "least_squares" else torch.sigmoid(logits)


def g_logit_grad(loss: str, logits: torch.Tensor) -> torch.Tensor:
    """d(G's per-point loss)/d(D's logit on the generated point)."""
    if loss == "least_squares":
        return logits - 1
    if loss == "minimax":
        return -torch.sigmoid(logits)
    return torch.sigmoid(logits) - 1


def divergence_of(p: torch.Tensor, generated: torch.Tensor) -> tuple[float, float]:
    """KL(p ‖ q) and JS(p, q) in bits, q the density of ``generated`` (net units)."""
    q = density(generated)
    m = (p + q) / 2
    kl = float((p * (p / q).log2()).sum())
    js = float(0.5 * (p * (p / m).log2()).sum() + 0.5 * (q * (q / m).log2()).sum())
    return kl, js


def density(points: torch.Tensor) -> torch.Tensor:
    """A smoothed histogram of net-unit points on the divergence grid, summing to 1."""
    cells = DIVERGENCE_GRID
    scaled = ((points.reshape(-1, 2) * SCALE + DOMAIN) / (2 * DOMAIN) * cells).floor()
    inside = ((scaled >= 0) & (scaled < cells)).all(1)
    index = (scaled[inside, 1] * cells + scaled[inside, 0]).long()
    counts = torch.bincount(index, minlength=cells * cells).to(torch.float64)
    counts = counts / max(1.0, float(counts.sum())) + 1e-4  # no empty cell: logs stay finite
    return counts / counts.sum()
