"""bench/gan.py's quality half: what the GAN and the autoencoder learn, in this process.

Sessions are built as the server builds them (server.sessions.session.Session from a
Config with a seed: the same points and initial weights as a live session of that seed)
and trained with ``Model.train`` on one torch thread with autograd off, as the worker does.

- The balanced GAN (the defaults) on the ring: JS divergence in bits (``metrics()["js"]``,
  engine/kinds/gan.py's grid estimate) every 250 iterations up to 3,000; the first
  iteration where JS < 0.1 (target: within 3,000).
- The "mode_collapse" preset (server/protocol/generative.py's PRESETS) on three blobs, and
  the balanced preset there as a control: JS, and the 2,000 generated points (G on its
  fixed evaluation noise) counted per blob (nearest of the three centres, within
  BLOB_RADIUS); a blob "holds" the points when it has >= 10 % of them. Collapse: fewer than
  three, at the end and at every 500th iteration (the preset's G hops between blobs).
- A linear autoencoder (no hidden layers, bottleneck 1) on moons against numpy's SVD of
  the centred training points: |cos| between the decoded line (the manifold the page
  draws, end to end) and the first principal axis; its training MSE (plane units²) over
  PCA's rank-1 residual (the smallest singular value² / (2 N)), which no rank-1 linear
  map can beat.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from bench import stream
from server.config import Settings
from server.engine import dense
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.gan import EVAL_SAMPLES, Gan
from server.engine.kinds.generative import SCALE
from server.protocol.generative import PRESETS
from server.protocol.rest import Config
from server.sessions.session import Session

EVERY, ITERATIONS, JS_TARGET = 250, 3000, 0.1
COLLAPSE_ITERATIONS, COLLAPSE_EVERY, QUICK_COLLAPSE = 3000, 500, 1500
BLOB_ANGLES = np.pi / 2 + 2 * np.pi * np.arange(3) / 3  # engine/data/distributions.three_blobs
BLOB_CENTRES = 3.5 * np.stack([np.cos(BLOB_ANGLES), np.sin(BLOB_ANGLES)], axis=1)  # (3, 2)
BLOB_RADIUS = 1.5  # plane units: the blobs' σ is 0.4
HOLDS = 0.1  # a blob holds the generated points when it has this share of them
AE_EPOCHS = 500
LINEAR_AE = {"encoder": [], "decoder": [], "encoder_activation": "linear",
             "decoder_activation": "linear", "bottleneck": 1}  # fmt: skip


def build(config: dict[str, Any]) -> Any:
    torch.set_num_threads(1)  # as the worker trains
    torch.set_grad_enabled(False)
    cpu = torch.device("cpu")
    return Session("bench", Config(**config), Settings(device="cpu"), cpu).model


# -- the GAN --------------------------------------------------------------------------------
def js_curve(seed: int) -> tuple[list[tuple[int, float]], float]:
    """The balanced GAN's JS every EVERY iterations; and its iterations/s here."""
    gan = build({"kind": "gan", "seed": seed})
    assert isinstance(gan, Gan)
    curve, spent = [], 0.0
    while gan.epoch < ITERATIONS:
        t = time.perf_counter()
        gan.train(EVERY)
        spent += time.perf_counter() - t
        curve.append((gan.epoch, float(gan.metrics()["js"] or math.nan)))  # type: ignore[arg-type]
    return curve, ITERATIONS / spent


def blob_counts(gan: Gan) -> list[int]:
    """Generated points (G on its EVAL_SAMPLES fixed noise values) per blob."""
    points = dense.forward(gan.nets["g"], gan.eval_noise)[0][0].numpy() * SCALE  # (2000, 2)
    distance = np.linalg.norm(points[:, None, :] - BLOB_CENTRES[None], axis=2)  # (2000, 3)
    nearest, inside = distance.argmin(1), distance.min(1) < BLOB_RADIUS
    return [int(((nearest == k) & inside).sum()) for k in range(len(BLOB_CENTRES))]


def held(counts: list[int]) -> int:
    return sum(c >= HOLDS * EVAL_SAMPLES for c in counts)


def collapse(seed: int, preset: str, iterations: int) -> tuple[float, list[int], list[int]]:
    """JS at the end, the points per blob at the end, blobs held every COLLAPSE_EVERY."""
    options = {**PRESETS[preset], "source": "three_blobs"}
    gan = build({"kind": "gan", "seed": seed, "gan": options})
    assert isinstance(gan, Gan)
    along = []
    while gan.epoch < iterations:
        gan.train(COLLAPSE_EVERY)
        along.append(held(blob_counts(gan)))
    return float(gan.metrics()["js"] or math.nan), blob_counts(gan), along  # type: ignore[arg-type]


# -- the autoencoder ------------------------------------------------------------------------
def pca_check(seed: int, epochs: int) -> dict[str, float]:
    ae = build({"kind": "autoencoder", "dataset": "moons", "seed": seed,
                "autoencoder": LINEAR_AE})  # fmt: skip
    assert isinstance(ae, Autoencoder)
    x = ae.train_x.numpy() * SCALE  # (N, 2) plane units
    centred = x - x.mean(0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    residual = float((singular[1:] ** 2).sum() / x.size)
    t = time.perf_counter()
    ae.train(epochs)
    rate = epochs / (time.perf_counter() - t)
    curve = ae.views()["manifold"].numpy()  # (M, 2) the decoded line
    direction = curve[-1] - curve[0]
    cos = abs(float(direction @ axes[0])) / float(np.linalg.norm(direction))
    return {"cos": cos, "mse": ae.train_loss, "residual": residual, "rate": rate,
            "total": float((centred**2).sum() / x.size)}  # fmt: skip


# -- printing -------------------------------------------------------------------------------
def report(seeds: list[int], kinds: list[str], quick: bool = False) -> None:
    """Every table of the kinds named (``quick``: the collapse runs are cut short)."""
    if "gan" in kinds:
        print_js(seeds)
        print_collapse(seeds, QUICK_COLLAPSE if quick else COLLAPSE_ITERATIONS)
    if "autoencoder" in kinds:
        print_pca(seeds)


def print_js(seeds: list[int]) -> None:
    print(
        f"\nGAN quality in process, balanced preset on the ring: JS (bits) every {EVERY} "
        f"iterations, first iteration with JS < {JS_TARGET:g}"
    )
    steps = list(range(EVERY, ITERATIONS + 1, EVERY))
    head = f"{'seed':>4} " + " ".join(f"{s:>5}" for s in steps) + "  first JS<0.1  it/s  target"
    print(head)
    print("-" * len(head))
    for seed in seeds:
        curve, rate = js_curve(seed)
        first = next((i for i, js in curve if js < JS_TARGET), None)
        ok = first is not None and first <= ITERATIONS
        print(
            f"{seed:>4} " + " ".join(f"{js:>5.3f}" for _, js in curve)
            + f"  {stream.fmt(first or math.nan):>12} {rate:>5.0f}  "
            f"{'PASS' if ok else 'MISS'} (JS < {JS_TARGET:g} within {ITERATIONS:,})"
        )  # fmt: skip


def print_collapse(seeds: list[int], iterations: int) -> None:
    print(
        f"\nMode collapse on three blobs, {iterations:,} iterations: JS at the end, "
        f"{EVAL_SAMPLES:,} generated points per blob, blobs with >= {HOLDS:.0%} of them "
        f"(at the end; along: every {COLLAPSE_EVERY})"
    )
    head = (
        f"{'preset':<22} {'seed':>4} {'JS':>6} {'points per blob':>16} {'held':>4}  along   verdict"
    )
    print(head)
    print("-" * len(head))
    for preset, name in (("mode_collapse", "mode_collapse"), ("balanced", "balanced (control)")):
        for seed in seeds:
            js, counts, along = collapse(seed, preset, iterations)
            n = held(counts)
            verdict = "collapsed" if n < len(BLOB_CENTRES) else "all three blobs"
            print(
                f"{name:<22} {seed:>4} {js:>6.3f} {'/'.join(map(str, counts)):>16} {n:>4}  "
                f"{''.join(map(str, along)):<6}  {verdict}"
            )


def print_pca(seeds: list[int]) -> None:
    print(
        f"\nLinear autoencoder (no hidden layers, bottleneck 1) on moons, {AE_EPOCHS} epochs, "
        "against numpy's SVD of the training points (plane units²)"
    )
    head = (
        f"{'seed':>4} {'|cos| to PC1':>12} {'MSE':>7} {'PCA rank-1':>10} {'MSE/PCA':>8} "
        f"{'variance':>8} {'ep/s':>5}"
    )
    print(head)
    print("-" * len(head))
    for seed in seeds:
        r = pca_check(seed, AE_EPOCHS)
        print(
            f"{seed:>4} {r['cos']:>12.6f} {r['mse']:>7.4f} {r['residual']:>10.4f} "
            f"{r['mse'] / r['residual']:>8.4f} {r['total']:>8.4f} {r['rate']:>5.0f}"
        )
