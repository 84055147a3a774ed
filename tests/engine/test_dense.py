"""The generative kinds' hand-written nets (engine/dense.py) against torch's autograd and
torch.optim: the same gradients, the same updates, and a stack of nets trains each net as
if it were alone."""

from __future__ import annotations

import pytest
import torch

from server.engine import dense


def _reference(net: dense.Net, index: int) -> torch.nn.Sequential:
    """Net ``index`` of the stack as an nn.Sequential with the same weights."""
    layers: list[torch.nn.Module] = []
    acts = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid,
            "linear": torch.nn.Identity}  # fmt: skip
    for w, b, name in zip(net.weights, net.biases, net.activations, strict=True):
        linear = torch.nn.Linear(w.shape[2], w.shape[1]).double()
        linear.weight.data.copy_(w[index])
        linear.bias.data.copy_(b[index])
        layers += [linear, acts[name]()]
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_gradients_equal_autograds(activation: str) -> None:
    g = torch.Generator().manual_seed(3)
    net = dense.build([2, 5, 4, 2], [activation, activation, "linear"], "sgd", g, stack=3)
    x = torch.randn((3, 7, 2), generator=g, dtype=torch.float64)
    target = torch.randn((3, 7, 2), generator=g, dtype=torch.float64)
    out, cache = dense.forward(net, x)
    grad, dx = dense.backward(net, cache, out - target)  # d(½‖out − target‖²)/d(out)
    assert grad is not None
    for i in range(3):
        ref = _reference(net, i)
        xi = x[i].clone().requires_grad_(True)
        with torch.enable_grad():
            loss = 0.5 * ((ref(xi) - target[i]) ** 2).sum()
            loss.backward()
        assert torch.allclose(ref(xi).detach(), out[i], atol=1e-12)
        linears = [layer for layer in ref if isinstance(layer, torch.nn.Linear)]
        expected = torch.cat([p.grad.reshape(-1) for layer in linears
                              for p in (layer.weight, layer.bias)])  # fmt: skip
        assert torch.allclose(grad[i], expected, atol=1e-12)
        assert xi.grad is not None
        assert torch.allclose(dx[i], xi.grad, atol=1e-12)


def test_adam_steps_equal_torch_adam_with_beta1_one_half() -> None:
    g = torch.Generator().manual_seed(5)
    net = dense.build([2, 3, 1], ["tanh", "linear"], "adam", g)
    ref = _reference(net, 0)
    opt = torch.optim.Adam(ref.parameters(), lr=0.01, betas=(dense.BETA1, dense.BETA2),
                           eps=dense.EPSILON)  # fmt: skip
    for _ in range(5):
        x = torch.randn((1, 9, 2), generator=g, dtype=torch.float64)
        out, cache = dense.forward(net, x)
        grad, _ = dense.backward(net, cache, torch.ones_like(out))
        dense.step(net, grad, torch.tensor([0.01], dtype=torch.float64))
        opt.zero_grad()
        with torch.enable_grad():
            ref(x[0]).sum().backward()
        opt.step()
    flat = torch.cat([p.detach().reshape(-1) for layer in ref if isinstance(layer, torch.nn.Linear)
                      for p in (layer.weight, layer.bias)])  # fmt: skip
    assert torch.allclose(net.flat[0], flat, atol=1e-12)
    assert net.steps.tolist() == [5.0]


def test_each_net_of_a_stack_learns_at_its_own_rate() -> None:
    g = torch.Generator().manual_seed(1)
    stacked = dense.build([2, 4, 1], ["relu", "linear"], "sgd", g, stack=2)
    alone = [dense.Net(stacked.sizes, stacked.activations, "sgd", stacked.flat[i : i + 1].clone())
             for i in range(2)]  # fmt: skip
    x = torch.randn((2, 6, 2), generator=g, dtype=torch.float64)
    rates = torch.tensor([0.1, 0.5], dtype=torch.float64)
    out, cache = dense.forward(stacked, x)
    dense.step(stacked, dense.backward(stacked, cache, out)[0], rates)
    for i, net in enumerate(alone):
        o, c = dense.forward(net, x[i : i + 1])
        dense.step(net, dense.backward(net, c, o)[0], rates[i : i + 1])
        assert torch.equal(net.flat[0], stacked.flat[i])
    assert not torch.equal(stacked.flat[0], stacked.flat[1])


def test_weights_are_views_of_the_flat_parameters() -> None:
    net = dense.build([2, 3, 1], ["tanh", "linear"], "sgd", torch.Generator().manual_seed(0))
    net.weights[1][0, 0, 2] = 7.0
    net.biases[0][0, 1] = -3.0
    assert net.flat[0, 3 * 2 + 3 + 2].item() == 7.0  # layer 1's weight after layer 0's
    assert net.flat[0, 3 * 2 + 1].item() == -3.0
    assert dense.parameter_count([2, 3, 1]) == net.flat.shape[1] == 13
