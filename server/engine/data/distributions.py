"""The real distributions a GAN learns (GAN Lab's four), seeded, on the playground's
plane: points in about [-6, 6]², labels all +1 (a GAN's and an autoencoder's points have
no class; the page draws them in one colour).

Every generator takes ``(n, noise, rng)``, ``noise`` a fraction (the config's percent /
100) that widens the spread, and returns points (n, 2) float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from server.engine.data.split import Split, make_split

SAMPLES = 500


def ring(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """A ring of radius 3.5 around the origin."""
    angle = rng.uniform(0, 2 * math.pi, n)
    radius = 3.5 + rng.normal(0, 0.15 + noise, n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def line(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """A segment from (-4, -2.5) to (4, 2.5)."""
    t = rng.uniform(-1, 1, n)
    spread = rng.normal(0, 0.1 + noise, (n, 2))
    return np.stack([4 * t, 2.5 * t], axis=1) + spread


def two_gaussians(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Two round clusters at (-2.5, -1.5) and (2.5, 1.5)."""
    which = rng.integers(0, 2, n)
    centres = np.array([[-2.5, -1.5], [2.5, 1.5]])[which]
    return centres + rng.normal(0, 0.7 + noise, (n, 2))


def three_blobs(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Three small disjoint blobs on a circle of radius 3.5."""
    which = rng.integers(0, 3, n)
    angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
    centres = 3.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)[which]
    return centres + rng.normal(0, 0.4 + noise, (n, 2))


@dataclass(frozen=True)
class Distribution:
    title: str
    generate: Callable[[int, float, np.random.Generator], np.ndarray]


DISTRIBUTIONS: dict[str, Distribution] = {
    "ring": Distribution("Ring", ring),
    "line": Distribution("Line", line),
    "two_gaussians": Distribution("Two Gaussians", two_gaussians),
    "three_blobs": Distribution("Three blobs", three_blobs),
}


def generate(name: str, noise: int, train_ratio: int, seed: int, n: int = SAMPLES) -> Split:
    """``n`` points of distribution ``name`` (noise in percent), split train/test."""
    rng = np.random.default_rng(seed)
    points = np.clip(DISTRIBUTIONS[name].generate(n, noise / 100, rng), -6, 6)
    return make_split(points, np.ones(n), train_ratio)
