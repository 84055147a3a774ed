"""Output and neuron maps over [-6, 6]²: orientation, sizes and quantization."""

from __future__ import annotations

import torch

from server.engine.network import Network, build
from server.engine.render import GRID, MAP, grid_points, quantize, render


def linear_net(weight: list[float]) -> Network:
    """Features (x1, x2) -> one linear output: weight · (x1, x2) + 0."""
    return Network(
        [torch.tensor([weight], dtype=torch.float64)],
        [torch.zeros(1, dtype=torch.float64)],
        [torch.ones(1, 2, dtype=torch.bool)],
        "tanh",
        "linear",
    )


def test_grid_points_rows_top_down_columns_left_right() -> None:
    points = grid_points(3, torch.float64, "cpu")
    # row 0 is y = +6, column 0 is x = -6
    assert points.tolist() == [
        [-6.0, 6.0], [0.0, 6.0], [6.0, 6.0],
        [-6.0, 0.0], [0.0, 0.0], [6.0, 0.0],
        [-6.0, -6.0], [0.0, -6.0], [6.0, -6.0],
    ]  # fmt: skip


def test_output_grid_orientation_for_x1() -> None:
    maps = render(linear_net([1.0, 0.0]), ["x1", "x2"])
    out = maps.output
    assert out.shape == (GRID, GRID) == (100, 100)
    assert out[0, 0].item() == -6.0  # left
    assert out[0, -1].item() == 6.0  # right
    assert torch.equal(out[0], out[-1])  # x1 does not change down a column
    assert bool((out[:, 1:] > out[:, :-1]).all())  # and rises to the right
    q = quantize(out)
    assert q[0, 0].item() == 0  # -6 clipped to -1
    assert q[0, -1].item() == 255
    assert q[0, 50].item() == round((6 / 99 + 1) * 127.5)  # x = -6 + 50·12/99 = 6/99


def test_output_grid_orientation_for_x2() -> None:
    out = render(linear_net([0.0, 1.0]), ["x1", "x2"]).output
    assert out[0, 0].item() == 6.0  # top row is y = +6
    assert out[-1, 0].item() == -6.0  # bottom row is y = -6
    assert torch.equal(out[:, 0], out[:, -1])
    q = quantize(out)
    assert q[0].tolist() == [255] * GRID
    assert q[-1].tolist() == [0] * GRID


def test_neuron_maps_one_per_hidden_neuron() -> None:
    net = build([2, 4, 2, 1], "tanh", "tanh", torch.Generator().manual_seed(0))
    maps = render(net, ["x1", "x2"])
    assert maps.neurons.shape == (4 + 2, MAP, MAP) == (6, 25, 25)
    big = build([7, 8, 8, 8, 8, 8, 8, 1], "relu", "tanh", torch.Generator().manual_seed(0))
    features = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
    assert render(big, features).neurons.shape == (48, 25, 25)


def test_no_hidden_layer_has_no_neuron_maps() -> None:
    maps = render(linear_net([1.0, 0.0]), ["x1", "x2"])
    assert maps.neurons.shape == (0, MAP, MAP)


def test_neuron_maps_share_the_orientation_layer_by_layer() -> None:
    # hidden layer 1 = (x1, x2) through linear neurons, layer 2 = x1 − x2, output ignores it
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    net = Network(
        [t([[1.0, 0.0], [0.0, 1.0]]), t([[1.0, -1.0]]), t([[0.0]])],
        [t([0.0, 0.0]), t([0.0]), t([0.0])],
        [
            torch.ones(2, 2, dtype=torch.bool),
            torch.ones(1, 2, dtype=torch.bool),
            torch.ones(1, 1, dtype=torch.bool),
        ],
        "linear",
        "tanh",
    )
    x1, x2, diff = render(net, ["x1", "x2"], grid=10, map_size=5).neurons
    assert x1[0].tolist() == [-6.0, -3.0, 0.0, 3.0, 6.0]  # top row, left to right
    assert x2[:, 0].tolist() == [6.0, 3.0, 0.0, -3.0, -6.0]  # first column, top to bottom
    assert diff[0, 0].item() == -12.0  # x1 − x2 at (-6, +6)
    assert diff[-1, -1].item() == 12.0  # at (+6, -6)


def test_quantize() -> None:
    values = torch.tensor([-1.0, 1.0, 0.0, float("nan"), -5.0, 5.0, 0.5, -0.5])
    q = quantize(values)
    assert q.dtype == torch.uint8
    # (v + 1) · 127.5: 0 -> 127.5 -> 128; 0.5 -> 191.25 -> 191; -0.5 -> 63.75 -> 64
    assert q.tolist() == [0, 255, 128, 128, 0, 255, 191, 64]


def test_quantize_float64_and_grids_keep_shape() -> None:
    q = quantize(torch.zeros(3, 4, dtype=torch.float64))
    assert q.shape == (3, 4)
    assert q.unique().tolist() == [128]
