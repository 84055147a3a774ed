"""Batched training across sessions: S networks trained as one stack vs one after another.

    python -m bench.batched [--device cpu|cuda] [--dtype float64|float32] [--sizes 1,10,100]

For each S, S default-net sessions (circle, 2-4-2-1, batch 10, 250 training points) with
different learning rates train together with engine.batched.train_together; the
baseline trains the same S models one after another with Model.train_epoch in the same
run. Prints epochs/s per session and in all, and the ratio.

Then the cost of one student moving the learning-rate slider: one model's rate changes
and the group trains one epoch. The stack keeps its rates as tensors, so it is kept
(rebuilds avoided, as the stack counts them); the baseline builds a new stack for the
same step (what a rate change cost when the rates were part of the stack's binding).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from server.engine.batched import Stack, train_together
from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.training import Hyper

NETS = {
    "default": (["x1", "x2"], [4, 2]),
    "largest": (["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"], [8] * 6),
}


def models(count: int, net: str, device: str, dtype: torch.dtype) -> list[Model]:
    features, hidden = NETS[net]
    split = datasets.generate("circle", 0, 50, 0)
    return [
        Model(
            problem="classification",
            features=features,
            hidden=hidden,
            activation="tanh",
            hyper=Hyper(0.01 + 0.001 * (i % 20)),
            generator=torch.Generator().manual_seed(i),
            split=split,
            dtype=dtype,
            device=device,
        )
        for i in range(count)
    ]


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def rate(fn, epochs: int, device: str) -> float:  # type: ignore[no-untyped-def]
    fn(1)  # warm up
    sync(device)
    start = time.perf_counter()
    fn(epochs)
    sync(device)
    return epochs / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--sizes", default="1,10,100,300")
    p.add_argument("--net", default="default", choices=list(NETS))
    p.add_argument("--seconds", type=float, default=2.0, help="rough time per measurement")
    p.add_argument("--no-graphs", action="store_true", help="GPU: no CUDA graphs (eager epochs)")
    args = p.parse_args()
    graphs = not args.no_graphs
    torch.set_grad_enabled(False)
    if args.device == "cpu":
        torch.set_num_threads(1)
    dtype = getattr(torch, args.dtype)
    name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU, 1 torch thread"
    if args.device == "cuda":
        name += ", CUDA graphs" if graphs else ", no CUDA graphs"
    print(f"bench.batched: {args.net} net, {args.dtype}, {name}")
    print(
        f"{'S':>6} {'batched ep/s/session':>21} {'aggregate ep/s':>15} "
        f"{'sequential ep/s/session':>24} {'ratio':>7}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        group = models(size, args.net, args.device, dtype)

        def together(n: int, group: list[Model] = group) -> None:
            train_together(group, n, graphs=graphs)

        def one_by_one(n: int, group: list[Model] = group) -> None:
            for _ in range(n):
                for m in group:
                    m.train_epoch()

        probe = rate(together, 2, args.device)
        batched = rate(together, max(2, int(probe * args.seconds)), args.device)
        if size <= 300:
            probe = rate(one_by_one, 1, args.device)
            sequential = rate(one_by_one, max(1, int(probe * args.seconds)), args.device)
            seq_text, ratio = f"{sequential:24.1f}", f"{batched / sequential:6.1f}x"
        else:
            seq_text, ratio = f"{'(skipped)':>24}", f"{'':>7}"
        print(f"{size:6d} {batched:21.1f} {batched * size:15.0f} {seq_text} {ratio}")
    print("\none model's learning rate changes, then the group trains one minibatch slot")
    print("(as a worker's slice does); ms per change:")
    print(
        f"{'S':>6} {'stack kept':>11} {'rebuilds avoided':>17} {'stack rebuilt':>14} {'ratio':>7}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        kept, avoided = rate_change(size, args, dtype, graphs, rebuild=False)
        rebuilt, _ = rate_change(size, args, dtype, graphs, rebuild=True)
        print(f"{size:6d} {kept:11.3f} {avoided:17d} {rebuilt:14.3f} {rebuilt / kept:6.1f}x")


def rate_change(
    size: int, args: argparse.Namespace, dtype: torch.dtype, graphs: bool, rebuild: bool
) -> tuple[float, int]:
    """ms per (one model's learning rate changes, one minibatch slot of the group), and
    the rebuilds the stack avoided."""
    group = models(size, args.net, args.device, dtype)
    train_together(group, 2, graphs=graphs)  # the stack exists and has proved to last
    changes = 0

    def one_slot() -> bool:
        return True

    def change(n: int) -> None:
        nonlocal changes
        for _ in range(n):
            m = group[changes % size]
            m.set_hyper(dataclasses.replace(m.hyper, learning_rate=0.01 + 0.001 * (changes % 7)))
            changes += 1
            if rebuild:
                Stack(group, graphs=graphs).train(1, one_slot)
            else:
                train_together(group, 1, one_slot, graphs=graphs)

    per_second = rate(change, max(5, int(rate(change, 3, args.device) * args.seconds)), args.device)
    stack = group[0].stack
    avoided = stack.rebuilds_avoided if isinstance(stack, Stack) and not rebuild else 0
    return 1000 / per_second, avoided


if __name__ == "__main__":
    main()
