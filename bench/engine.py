"""Training and rendering speed: the compiled kernel, the torch engine, a plain nn.Module +
optim.SGD baseline, and TensorFlow Playground's own engine.

Run: ``python -m bench.engine [--tfp DIR]``. One torch thread, float64, CPU. Prints epochs/s
for one TFP epoch plus the train and test losses (what the server does per epoch): for the
compiled kernel (engine/compiled.py, as the worker runs it: many epochs per call), the
torch engine, and a baseline of nn.Linear layers trained with autograd and
torch.optim.SGD on the same data, batch size and initial weights, all measured in the same
run; then the time to render the 100x100 output grid and every 25x25 neuron map,
quantized to uint8. With ``--tfp DIR`` (a checkout or bare git directory of
tensorflow/playground, or $TFP_DIR) and Node on the PATH, TFP's own engine is built from
its sources and timed in the same run (../shared/tfp-bench/run, the house's harness), and
the kernel's ratio to it printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from torch import nn

from server.engine import compiled
from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.render import quantize, render
from server.engine.training import Hyper

REPEATS = 7  # timed repeats per figure; the median is reported
SECONDS = 0.4  # target length of one timed repeat
RENDER_REPEATS = 30
AGREE_EPOCHS = 20  # epochs for the engine-vs-baseline sanity check
KERNEL_EPOCHS = 100  # epochs per kernel call (the worker's turns train many)
TFP_BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "tfp-bench" / "run"
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


def tfp_rates(tfp: str | None, seconds: int = 3) -> dict[str, float] | str:
    """TFP's engine's epochs/s with both losses, by net ("default", "largest"), or why not."""
    if not tfp:
        return "no --tfp DIR (a tensorflow/playground checkout) given"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Node is not installed"
    if not TFP_BENCH.exists():
        return f"no harness at {TFP_BENCH}"
    try:
        run = subprocess.run(
            [str(TFP_BENCH), tfp, str(seconds)], capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the harness failed: {exc}"
    if run.returncode != 0:
        return f"the harness failed: {run.stderr.strip()[-300:]}"
    rates = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            rates[row["net"].split()[0]] = float(row["epoch_loss_per_s"])
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tfp", default=os.environ.get("TFP_DIR"), help="tensorflow/playground")
    args = parser.parse_args()
    torch.set_num_threads(1)
    compiled.prepare(background=False)
    print("Kernel, engine and baseline: one epoch + train/test loss, float64, 1 thread, CPU.")
    print("Baseline: nn.Linear layers + autograd + optim.SGD, same data, batch, initial weights.")
    print(f"Medians of {REPEATS} runs of ~{SECONDS}s; render = 100x100 output + 25x25 neuron")
    print(f"maps + uint8 quantize, median of {RENDER_REPEATS}. torch {torch.__version__}.")
    print(f"Kernel: {compiled.why_not() or 'ready'}, {KERNEL_EPOCHS} epochs per call.")
    tfp = tfp_rates(args.tfp)
    print(f"TFP's engine (Node): {'measured' if isinstance(tfp, dict) else tfp}.")
    print()
    header = (
        f"{'net (250 train points, batch 10)':<34}{'kernel':>9}{'engine':>9}{'baseline':>10}"
        f"{'TFP':>8}{'k/TFP':>8}{'k/engine':>10}{'render ms':>11}{'max |dw| @20':>14}"
    )
    print(header)
    print("-" * len(header))
    for config in CONFIGS:
        model = make_model(config)
        engine_rate = per_second(model.train_epoch)
        fast = make_model(config)
        kernel_rate = KERNEL_EPOCHS * per_second(partial(fast.train, KERNEL_EPOCHS, kernel=True))
        base = make_model(config)
        module = Baseline(base)
        opt = torch.optim.SGD(module.parameters(), lr=config.learning_rate)
        baseline_rate = per_second(partial(baseline_epoch, base, module, opt))
        theirs = tfp.get(config.label.split()[0]) if isinstance(tfp, dict) else None
        tfp_cells = (
            f"{theirs:>8,.0f}{kernel_rate / theirs:>7.1f}x" if theirs else f"{'-':>8}{'-':>8}"
        )
        print(
            f"{config.label:<34}{kernel_rate:>9,.0f}{engine_rate:>9,.0f}{baseline_rate:>10,.0f}"
            f"{tfp_cells}{kernel_rate / engine_rate:>9.1f}x{render_ms(model):>11.2f}"
            f"{agreement(config):>14.1e}"
        )
    print()
    print("epochs/s, each with both losses (higher is faster); k/TFP, k/engine: the kernel's")
    print("ratios. TFP's engine trains the circle for both nets (the same work per epoch).")
    print("max |dw| @20: engine vs baseline weights after 20 epochs from the same start")
    print("(250 divisible by 10, no regularization: the same maths, so only rounding differs).")


if __name__ == "__main__":
    main()
