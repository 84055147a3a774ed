"""The network's output and every hidden neuron's output over a grid on [-6, 6]².

Grids are (G, G) with x along columns (left = -6) and y along rows (top = +6), as the
output plot shows them. ``quantize`` maps [-1, 1] to uint8 0..255 (values outside clip).
With k > 2 classes (softmax outputs) the output map holds the winning class index and
``confidence`` its probability.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from server.engine.features import make_inputs
from server.engine.network import Network

DOMAIN = 6  # the plane is [-DOMAIN, DOMAIN]² (an int: schemas say -6 to 6)
GRID = 100  # output map, points per side
MAP = 25  # neuron maps, points per side


def grid_points(size: int, dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    """(size*size, 2) points, row-major, rows from y = +6 down to -6, x from -6 to +6."""
    axis = torch.linspace(-DOMAIN, DOMAIN, size, dtype=dtype, device=device)
    y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


@dataclass
class Maps:
    output: torch.Tensor  # (G, G): the shown output in [-1, 1], or the winning class (k > 2)
    neurons: torch.Tensor  # (hidden neurons, M, M), layer after layer
    confidence: torch.Tensor | None = None  # (G, G) the winner's probability (k > 2 only)


@functools.lru_cache(maxsize=64)
def grid_inputs(
    size: int, dtype: torch.dtype, device: torch.device, features: tuple[str, ...]
) -> torch.Tensor:
    """The features of a size×size grid, made once per shape (read only: never written)."""
    return make_inputs(grid_points(size, dtype, device), list(features))


def render(net: Network, features: Sequence[str], grid: int = GRID, map_size: int = MAP) -> Maps:
    """Evaluate the output on a grid×grid and every hidden neuron on a map×map grid."""
    dtype, device = net.weights[0].dtype, net.weights[0].device
    inputs = grid_inputs(grid, dtype, device, tuple(features))
    confidence = None
    if net.sizes[-1] > 1:
        best, winner = net.forward(inputs)[-1][1].max(dim=-1)  # (G*G,) each
        out, confidence = winner.to(dtype), best.reshape(grid, grid)
    else:
        out = net.predict(inputs)
    hidden = []  # map_size 0: no neuron maps (a wall's tile), no second forward pass
    if map_size:
        hidden = net.forward(grid_inputs(map_size, dtype, device, tuple(features)))[:-1]
    if hidden:
        neurons = torch.cat([a for _, a in hidden], dim=1).T  # (neurons, M*M)
    else:
        neurons = torch.empty(0, map_size * map_size, dtype=dtype, device=device)
    neurons = neurons.reshape(neurons.shape[0], map_size, map_size)
    return Maps(out.reshape(grid, grid), neurons, confidence)


def quantize(values: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> uint8 [0, 255] (NaN -> 128, the neutral grey)."""
    scaled = ((values.clamp(-1, 1) + 1) * 127.5).round()
    return torch.nan_to_num(scaled, nan=128.0).to(torch.uint8)


def quantize_probability(values: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> uint8 [0, 255] (NaN -> 0)."""
    scaled = (values.clamp(0, 1) * 255).round()
    return torch.nan_to_num(scaled, nan=0.0).to(torch.uint8)
