"""Training and rendering speed of the engine against a plain nn.Module + optim.SGD baseline.

Run: ``python -m bench.engine``. One torch thread, float64, CPU. Prints epochs/s for one
TFP epoch plus the train and test losses (what the server does per epoch), for the engine
and for a baseline of nn.Linear layers trained with autograd and torch.optim.SGD on the
same data, batch size and initial weights, measured in the same run; then the time to
render the 100x100 output grid and every 25x25 neuron map, quantized to uint8.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.render import quantize, render
from server.engine.training import Hyper

REPEATS = 7  # timed repeats per figure; the median is reported
SECONDS = 0.4  # target length of one timed repeat
RENDER_REPEATS = 30
AGREE_EPOCHS = 20  # epochs for the engine-vs-baseline sanity check
ALL_FEATURES = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]


@dataclass(frozen=True)
class Config:
    label: str
    dataset: str
    features: list[str]
    hidden: list[int]
    batch_size: int = 10
    learning_rate: float = 0.03
    activation: str = "tanh"


CONFIGS = [
    Config("default 2-4-2-1, circle", "circle", ["x1", "x2"], [4, 2]),
    Config("largest 7-8x6-1, spiral", "spiral", ALL_FEATURES, [8] * 6),
]


def make_model(config: Config) -> Model:
    split = datasets.generate(config.dataset, noise=0, train_ratio=50, seed=0)
    return Model(
        problem="classification",
        features=config.features,
        hidden=config.hidden,
        activation=config.activation,
        hyper=Hyper(learning_rate=config.learning_rate, batch_size=config.batch_size),
        generator=torch.Generator().manual_seed(0),
        split=split,
    )


class Baseline(nn.Module):
    """The same network as nn.Linear layers, tanh hidden and tanh output."""

    def __init__(self, model: Model) -> None:
        super().__init__()
        linears = []
        for w, b in zip(model.net.weights, model.net.biases, strict=True):
            layer = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
            with torch.no_grad():
                layer.weight.copy_(w)
                layer.bias.copy_(b)
            linears.append(layer)
        self.linears = linears  # typed view of the same layers
        self.layers = nn.ModuleList(linears)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.linears:
            x = torch.tanh(layer(x))  # (N, out)
        return x[:, 0]


def baseline_epoch(
    model: Model, module: Baseline, opt: torch.optim.Optimizer
) -> tuple[float, float]:
    """One epoch of minibatch SGD on mean 0.5·(out − target)², then both losses."""
    x, y, size = model.train_inputs, model.train_y, model.hyper.batch_size
    for start in range(0, len(y), size):
        opt.zero_grad()
        out = module(x[start : start + size])
        (0.5 * (out - y[start : start + size]) ** 2).mean().backward()
        opt.step()
    with torch.no_grad():
        train = float((0.5 * (module(x) - y) ** 2).mean())
        test = float((0.5 * (module(model.test_inputs) - model.test_y) ** 2).mean())
    return train, test


def per_second(step: Callable[[], object]) -> float:
    """Median calls per second over REPEATS timed runs of about SECONDS each."""
    step()  # warm up
    start = time.perf_counter()
    step()
    count = max(1, int(SECONDS / (time.perf_counter() - start)))
    rates = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(count):
            step()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def render_ms(model: Model) -> float:
    """Median ms for the output grid and all neuron maps, quantized."""

    def frame() -> None:
        maps = render(model.net, model.features)
        quantize(maps.output)
        quantize(maps.neurons)

    frame()
    times = []
    for _ in range(RENDER_REPEATS):
        start = time.perf_counter()
        frame()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def agreement(config: Config) -> float:
    """Max |weight difference| after AGREE_EPOCHS from the same start (N divisible by batch)."""
    model = make_model(config)
    module = Baseline(model)
    opt = torch.optim.SGD(module.parameters(), lr=config.learning_rate)
    for _ in range(AGREE_EPOCHS):
        model.train_epoch()
        baseline_epoch(model, module, opt)
    return max(
        float((w - layer.weight.detach()).abs().max())
        for w, layer in zip(model.net.weights, module.linears, strict=True)
    )


def main() -> None:
    torch.set_num_threads(1)
    print("Engine vs baseline: one epoch + train/test loss, float64, 1 torch thread, CPU.")
    print("Baseline: nn.Linear layers + autograd + optim.SGD, same data, batch, initial weights.")
    print(f"Medians of {REPEATS} runs of ~{SECONDS}s; render = 100x100 output + 25x25 neuron")
    print(f"maps + uint8 quantize, median of {RENDER_REPEATS}. torch {torch.__version__}.")
    print()
    header = (
        f"{'net (250 train points, batch 10)':<34}{'engine ep/s':>12}{'baseline ep/s':>15}"
        f"{'ratio':>8}{'render ms':>11}{'max |dw| @20':>14}"
    )
    print(header)
    print("-" * len(header))
    for config in CONFIGS:
        model = make_model(config)
        engine_rate = per_second(model.train_epoch)
        base = make_model(config)
        module = Baseline(base)
        opt = torch.optim.SGD(module.parameters(), lr=config.learning_rate)
        baseline_rate = per_second(partial(baseline_epoch, base, module, opt))
        print(
            f"{config.label:<34}{engine_rate:>12,.0f}{baseline_rate:>15,.0f}"
            f"{engine_rate / baseline_rate:>7.2f}x{render_ms(model):>11.2f}"
            f"{agreement(config):>14.1e}"
        )
    print()
    print("ratio = engine / baseline epochs per second (higher is faster).")
    print("max |dw| @20: engine vs baseline weights after 20 epochs from the same start")
    print("(250 divisible by 10, no regularization: the same maths, so only rounding differs).")


if __name__ == "__main__":
    main()
