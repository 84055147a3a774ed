"""The network's output and every hidden neuron's output over a grid on [-6, 6]².

Grids are (G, G) with x along columns (left = -6) and y along rows (top = +6), as the
output plot shows them. ``quantize`` maps [-1, 1] to uint8 0..255 (values outside clip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .features import make_inputs
from .network import Network

DOMAIN = 6.0
GRID = 100  # output map, points per side
MAP = 25  # neuron maps, points per side


def grid_points(size: int, dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    """(size*size, 2) points, row-major, rows from y = +6 down to -6, x from -6 to +6."""
    axis = torch.linspace(-DOMAIN, DOMAIN, size, dtype=dtype, device=device)
    y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


@dataclass
class Maps:
    output: torch.Tensor  # (G, G)
    neurons: torch.Tensor  # (hidden neurons, M, M), layer after layer


def render(net: Network, features: Sequence[str], grid: int = GRID, map_size: int = MAP) -> Maps:
    """Evaluate the output on a grid×grid and every hidden neuron on a map×map grid."""
    dtype, device = net.weights[0].dtype, net.weights[0].device
    out = net.predict(make_inputs(grid_points(grid, dtype, device), features))
    hidden = net.forward(make_inputs(grid_points(map_size, dtype, device), features))[:-1]
    if hidden:
        neurons = torch.cat([a for _, a in hidden], dim=1).T  # (neurons, M*M)
    else:
        neurons = torch.empty(0, map_size * map_size, dtype=dtype, device=device)
    return Maps(out.reshape(grid, grid), neurons.reshape(-1, map_size, map_size))


def quantize(values: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> uint8 [0, 255] (NaN -> 128, the neutral grey)."""
    scaled = ((values.clamp(-1, 1) + 1) * 127.5).round()
    return torch.nan_to_num(scaled, nan=128.0).to(torch.uint8)
