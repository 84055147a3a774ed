"""Network storage, TFP's initialisation, activations, forward pass and layer checks."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from server.engine.network import (
    ACTIVATIONS,
    INIT_BIAS,
    INIT_RANGE,
    Network,
    build,
    check_layers,
    set_layers,
)
from tests.helpers.mlp_models import make


def net_of(sizes: list[int], seed: int = 0, activation: str = "tanh") -> Network:
    return build(sizes, activation, "tanh", torch.Generator().manual_seed(seed))


def test_build_shapes_in_linear_layout() -> None:
    net = net_of([3, 4, 2, 1])
    assert [tuple(w.shape) for w in net.weights] == [(4, 3), (2, 4), (1, 2)]
    assert [tuple(b.shape) for b in net.biases] == [(4,), (2,), (1,)]
    assert [tuple(m.shape) for m in net.alive] == [(4, 3), (2, 4), (1, 2)]
    assert all(m.dtype == torch.bool and m.all() for m in net.alive)
    assert net.sizes == [3, 4, 2, 1]
    assert net.weights[0].dtype == torch.float64
    assert [net.layer_activation(i) for i in range(3)] == ["tanh", "tanh", "tanh"]


def test_no_hidden_layer_is_one_linear_map() -> None:
    net = build([7, 1], "relu", "linear", torch.Generator().manual_seed(0))
    assert net.sizes == [7, 1]
    assert net.layer_activation(0) == "linear"  # the output's, not the hidden one


def test_init_ranges() -> None:
    net = net_of([7, 8, 8, 8, 8, 8, 8, 1])  # the largest TFP net: 7 + 6x8 + 1
    w = torch.cat([w.reshape(-1) for w in net.weights])
    assert (INIT_RANGE, INIT_BIAS) == (0.5, 0.1)
    assert bool((w >= -0.5).all()) and bool((w < 0.5).all())
    assert float(w.min()) < -0.45 and float(w.max()) > 0.45  # uses the whole range
    assert abs(float(w.mean())) < 0.05
    assert all(bool((b == 0.1).all()) for b in net.biases)


def test_init_is_seeded() -> None:
    a, b, c = net_of([2, 4, 1], seed=1), net_of([2, 4, 1], seed=1), net_of([2, 4, 1], seed=2)
    assert all(torch.equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    assert not torch.equal(a.weights[0], c.weights[0])


def test_build_in_float32_draws_the_same_numbers() -> None:
    wide = build([2, 3, 1], "tanh", "tanh", torch.Generator().manual_seed(4))
    narrow = build([2, 3, 1], "tanh", "tanh", torch.Generator().manual_seed(4), torch.float32)
    assert narrow.weights[0].dtype == narrow.biases[0].dtype == torch.float32
    assert torch.equal(narrow.weights[0], wide.weights[0].float())


Scalar = Callable[[float], float]
Z = torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0], dtype=torch.float64)


@pytest.mark.parametrize(
    ("name", "f", "df"),
    [
        ("tanh", math.tanh, lambda z: 1 - math.tanh(z) ** 2),
        ("relu", lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
        (
            "sigmoid",
            lambda z: 1 / (1 + math.exp(-z)),
            lambda z: math.exp(-z) / (1 + math.exp(-z)) ** 2,
        ),
        ("linear", lambda z: z, lambda z: 1.0),
    ],
)
def test_activation_values_and_derivatives(name: str, f: Scalar, df: Scalar) -> None:
    fn, der = ACTIVATIONS[name].f, ACTIVATIONS[name].derivative
    assert der is not None
    a = fn(Z)
    assert a.tolist() == pytest.approx([f(z) for z in Z.tolist()], rel=1e-15, abs=1e-15)
    assert der(Z, a).tolist() == pytest.approx([df(z) for z in Z.tolist()], rel=1e-14, abs=1e-15)


def test_activation_derivatives_agree_with_autograd_away_from_kinks() -> None:
    z = torch.linspace(-4, 4, 81, dtype=torch.float64)
    z = z[z != 0].requires_grad_()
    for name, entry in ACTIVATIONS.items():
        fn, der = entry.f, entry.derivative
        assert der is not None
        (grad,) = torch.autograd.grad(fn(z).sum(), z)
        assert torch.allclose(der(z, fn(z)), grad, rtol=0, atol=1e-15), name


def test_relu_derivative_at_zero_is_zero() -> None:
    fn, der = ACTIVATIONS["relu"].f, ACTIVATIONS["relu"].derivative
    assert der is not None
    zero = torch.zeros(1, dtype=torch.float64)
    assert der(zero, fn(zero)).item() == 0.0


def test_forward_by_hand() -> None:
    # 2 -> 2 relu -> 1 tanh.  x = (1, 2)
    # hidden z = (1·1 + 2·(−1) + 0.5, 0.5·1 + 0.5·2 − 1) = (−0.5, 0.5), a = (0, 0.5)
    # output z = 2·0 + 3·0.5 − 1 = 0.5, a = tanh(0.5)
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    net = Network(
        [t([[1.0, -1.0], [0.5, 0.5]]), t([[2.0, 3.0]])],
        [t([0.5, -1.0]), t([-1.0])],
        [torch.ones(2, 2, dtype=torch.bool), torch.ones(1, 2, dtype=torch.bool)],
        "relu",
        "tanh",
    )
    (z1, a1), (z2, a2) = net.forward(t([[1.0, 2.0]]))
    assert z1.tolist() == [[-0.5, 0.5]]
    assert a1.tolist() == [[0.0, 0.5]]
    assert z2.tolist() == [[0.5]]
    assert a2.tolist() == [[pytest.approx(math.tanh(0.5), rel=1e-15)]]
    assert net.predict(t([[1.0, 2.0], [0.0, 0.0]])).shape == (2,)


def test_dead_links_lists_killed_links() -> None:
    net = net_of([3, 4, 1])
    assert net.dead_links() == []
    net.alive[0][2, 1] = False
    net.alive[1][0, 3] = False
    assert net.dead_links() == [(0, 2, 1), (1, 0, 3)]


def test_to_converts_dtype_and_keeps_masks() -> None:
    net = net_of([2, 3, 1])
    net.alive[0][1, 0] = False
    small = net.to("cpu", torch.float32)
    assert small.weights[0].dtype == small.biases[1].dtype == torch.float32
    assert small.dead_links() == [(0, 1, 0)]
    assert (small.activation, small.output_activation) == ("tanh", "tanh")


GOOD = [([[0.0, 0.0]] * 3, [0.0] * 3), ([[0.0, 0.0, 0.0]], [0.0])]  # 2 -> 3 -> 1


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (GOOD, None),
        (GOOD[:1], "expected 2 layers, got 1"),
        (GOOD + GOOD[1:], "expected 2 layers, got 3"),
        ([([[0.0, 0.0]] * 2, [0.0] * 3), GOOD[1]], "layers[0].weight must be 3x2 (out x in)"),
        (
            [([[0.0, 0.0], [0.0], [0.0, 0.0]], [0.0] * 3), GOOD[1]],
            "layers[0].weight must be 3x2 (out x in)",
        ),
        ([GOOD[0], ([[0.0, 0.0]], [0.0])], "layers[1].weight must be 1x3 (out x in)"),
        ([GOOD[0], ([[0.0, 0.0, 0.0]], [0.0, 0.0])], "layers[1].bias must have 1 values"),
    ],
)
def test_check_layers_messages(layers: list, message: str | None) -> None:
    assert check_layers(net_of([2, 3, 1]), layers) == message


def test_set_layers_replaces_values_and_revives_links() -> None:
    net = net_of([2, 3, 1])
    net.alive[1][0, 2] = False
    set_layers(
        net, [([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0.1, 0.2, 0.3]), ([[7.0, 8.0, 9.0]], [-1.0])]
    )
    assert net.weights[0].tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert net.biases[1].tolist() == [-1.0]
    assert net.weights[1].dtype == torch.float64
    assert net.dead_links() == []


def test_layer_activations_override_the_global_one() -> None:
    model = make([3, 2, 2], "tanh", 10, "none", 0.1, 0.0, "circle", 1, layers=["relu", None])
    assert model.net.hidden_activations == ("relu", "tanh", "tanh")
    assert [model.net.layer_activation(i) for i in range(4)] == ["relu", "tanh", "tanh", "tanh"]
    (_, a0), *_ = model.net.forward(model.train_inputs)
    assert a0.min() >= 0  # relu
