"""TensorFlow Playground's data generators, seeded, as numpy arrays.

Every generator takes ``(n, noise, rng, classes=2)`` with ``noise`` a fraction (TFP's
percent / 100) and returns ``points`` (n, 2) float64 and ``labels`` (n,) float64.
Classification labels are +1/-1 with two classes (TFP's convention) and the class index
0..k-1 with k > 2; regression targets lie in about [-1, 1]. TFP's generators ignore
``classes`` (they make two classes, or a regression target).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.engine.data import tfp as tfp_datasets

# re-exported: their home is data/split.py
from server.engine.data.split import Split as Split
from server.engine.data.split import make_split as make_split
from server.engine.data.split import shuffle_indices as shuffle_indices
from server.engine.tfp_seed import SeedStream

CLASSIFY_SAMPLES = 500
REGRESS_SAMPLES = 1200

MAX_CLASSES = 6

Generator = Callable[..., tuple[np.ndarray, np.ndarray]]  # (n, noise, rng, classes=2)


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return low + rng.random(n) * (high - low)


def _normal(rng: np.random.Generator, mean: float, variance: float, n: int) -> np.ndarray:
    # TFP's polar Box-Muller: draw (v1, v2) in the unit disc, keep v1's normal deviate.
    out = np.empty(n)
    for i in range(n):
        while True:
            v1, v2 = 2 * rng.random() - 1, 2 * rng.random() - 1
            s = v1 * v1 + v2 * v2
            if 0 < s <= 1:
                break
        out[i] = math.sqrt(-2 * math.log(s) / s) * v1
    return mean + math.sqrt(variance) * out


def circle(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Blue points inside a disc of radius 2.5, orange points in a ring from 3.5 to 5."""
    radius = 5.0
    parts = []
    for r_low, r_high in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        m = n // 2
        r = _uniform(rng, r_low, r_high, m)
        angle = _uniform(rng, 0, 2 * math.pi, m)
        x, y = r * np.sin(angle), r * np.cos(angle)
        nx = _uniform(rng, -radius, radius, m) * noise
        ny = _uniform(rng, -radius, radius, m) * noise
        label = np.where(np.hypot(x + nx, y + ny) < radius * 0.5, 1.0, -1.0)
        parts.append((np.stack([x, y], 1), label))
    return _concat(parts)


def xor(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants: blue where x·y ≥ 0, orange elsewhere, with a gap around the axes."""
    padding = 0.3
    x = _uniform(rng, -5, 5, n)
    y = _uniform(rng, -5, 5, n)
    x = x + np.where(x > 0, padding, -padding)
    y = y + np.where(y > 0, padding, -padding)
    nx = _uniform(rng, -5, 5, n) * noise
    ny = _uniform(rng, -5, 5, n) * noise
    label = np.where((x + nx) * (y + ny) >= 0, 1.0, -1.0)
    return np.stack([x, y], 1), label


def gauss(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds around (2, 2) (blue) and (-2, -2) (orange)."""
    variance = 0.5 + (4 - 0.5) * (noise / 0.5)
    parts = []
    for c, label in ((2.0, 1.0), (-2.0, -1.0)):
        m = n // 2
        x = _normal(rng, c, variance, m)
        y = _normal(rng, c, variance, m)
        parts.append((np.stack([x, y], 1), np.full(m, label)))
    return _concat(parts)


def spiral(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms, blue and orange."""
    m = n // 2
    parts = []
    for delta, label in ((0.0, 1.0), (math.pi, -1.0)):
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * math.pi + delta
        x = r * np.sin(t) + _uniform(rng, -1, 1, m) * noise
        y = r * np.cos(t) + _uniform(rng, -1, 1, m) * noise
        parts.append((np.stack([x, y], 1), np.full(m, label)))
    return _concat(parts)


def plane(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Regression: the target rises linearly with x + y (from -1 at -10 to +1 at +10)."""
    radius = 6.0
    x = _uniform(rng, -radius, radius, n)
    y = _uniform(rng, -radius, radius, n)
    nx = _uniform(rng, -radius, radius, n) * noise
    ny = _uniform(rng, -radius, radius, n) * noise
    label = (x + nx + y + ny) / 10
    return np.stack([x, y], 1), label


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def multi_gauss(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Regression: six Gaussian bumps of alternating sign."""
    radius = 6.0
    x = _uniform(rng, -radius, radius, n)
    y = _uniform(rng, -radius, radius, n)
    nx = _uniform(rng, -radius, radius, n) * noise
    ny = _uniform(rng, -radius, radius, n) * noise
    px, py = x + nx, y + ny
    label = np.zeros(n)
    for cx, cy, sign in _GAUSSIANS:
        # TFP: sign · clamp(1 - dist / 2, 0, 1); the bump of largest magnitude wins.
        bump = sign * np.clip(1 - np.hypot(px - cx, py - cy) / 2, 0, 1)
        label = np.where(np.abs(bump) > np.abs(label), bump, label)
    return np.stack([x, y], 1), label


# -- beyond TFP: two-class moons and checkerboard; k-class arms, clouds and rings ---------


def _label(c: int, classes: int) -> float:
    """Class c's label: +1 / -1 with two classes (the first group is +1, as in TFP), else c."""
    return (1.0 if c == 0 else -1.0) if classes == 2 else float(c)


def _counts(n: int, classes: int) -> list[int]:
    """n points over the classes, the first n % classes classes one point more."""
    return [n // classes + (c < n % classes) for c in range(classes)]


def moons(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles of radius 3: blue above, orange below."""
    parts = []
    for c, m in enumerate(_counts(n, 2)):
        t = _uniform(rng, 0, math.pi, m)
        x = 3 * np.cos(t) + (-1.5 if c == 0 else 1.5)
        y = 3 * np.sin(t) * (1 if c == 0 else -1) + (-0.75 if c == 0 else 0.75)
        x = x + _uniform(rng, -1, 1, m) * noise * 3
        y = y + _uniform(rng, -1, 1, m) * noise * 3
        parts.append((np.stack([x, y], 1), np.full(m, _label(c, 2))))
    return _concat(parts)


def checkerboard(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """A 4×4 board of 2.5-wide squares on [-5, 5]²: blue where the square's row + column is even."""
    x = _uniform(rng, -5, 5, n)
    y = _uniform(rng, -5, 5, n)
    nx = _uniform(rng, -5, 5, n) * noise
    ny = _uniform(rng, -5, 5, n) * noise
    cell = np.floor((x + nx + 5) / 2.5) + np.floor((y + ny + 5) / 2.5)
    return np.stack([x, y], 1), np.where(cell % 2 == 0, 1.0, -1.0)


def arms(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """k spiral arms (TFP's spiral with k arms, evenly turned), one class each."""
    parts = []
    for c, m in enumerate(_counts(n, classes)):
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * math.pi + 2 * math.pi * c / classes
        x = r * np.sin(t) + _uniform(rng, -1, 1, m) * noise
        y = r * np.cos(t) + _uniform(rng, -1, 1, m) * noise
        parts.append((np.stack([x, y], 1), np.full(m, _label(c, classes))))
    return _concat(parts)


def clouds(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian clouds on a circle of radius 3.5 (variance as TFP's gauss)."""
    variance = 0.5 + (4 - 0.5) * (noise / 0.5)
    parts = []
    for c, m in enumerate(_counts(n, classes)):
        angle = math.pi / 4 + 2 * math.pi * c / classes
        x = _normal(rng, 3.5 * math.cos(angle), variance, m)
        y = _normal(rng, 3.5 * math.sin(angle), variance, m)
        parts.append((np.stack([x, y], 1), np.full(m, _label(c, classes))))
    return _concat(parts)


def rings(
    n: int, noise: float, rng: np.random.Generator, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """k concentric rings out to radius 5.5 (a disc in the middle); the class is the ring
    the noisy point falls in, as TFP's circle labels by the noisy radius."""
    width = 5.5 / classes
    parts = []
    for c, m in enumerate(_counts(n, classes)):
        r = _uniform(rng, c * width + (0.15 * width if c else 0), (c + 0.85) * width, m)
        angle = _uniform(rng, 0, 2 * math.pi, m)
        x, y = r * np.sin(angle), r * np.cos(angle)
        nx = _uniform(rng, -5.5, 5.5, m) * noise
        ny = _uniform(rng, -5.5, 5.5, m) * noise
        ring = np.clip(np.floor(np.hypot(x + nx, y + ny) / width), 0, classes - 1).astype(int)
        label = np.array([_label(int(k), classes) for k in ring]) if m else np.zeros(0)
        parts.append((np.stack([x, y], 1), label))
    return _concat(parts)


def _concat(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([p for p, _ in parts]), np.concatenate([lab for _, lab in parts])


@dataclass(frozen=True)
class DatasetSpec:
    problem: str  # "classification" | "regression"
    generate: Generator
    title: str
    classes: tuple[int, int] = (2, 2)  # the class counts it makes, lowest and highest


DATASETS: dict[str, DatasetSpec] = {
    "circle": DatasetSpec("classification", circle, "Circle"),
    "xor": DatasetSpec("classification", xor, "Exclusive or"),
    "gauss": DatasetSpec("classification", gauss, "Gaussian"),
    "spiral": DatasetSpec("classification", spiral, "Spiral"),
    "moons": DatasetSpec("classification", moons, "Two moons"),
    "checkerboard": DatasetSpec("classification", checkerboard, "Checkerboard"),
    "arms": DatasetSpec("classification", arms, "Spiral arms", (2, MAX_CLASSES)),
    "clouds": DatasetSpec("classification", clouds, "Gaussian clouds", (2, MAX_CLASSES)),
    "rings": DatasetSpec("classification", rings, "Rings", (2, MAX_CLASSES)),
    "plane": DatasetSpec("regression", plane, "Plane"),
    "multi_gauss": DatasetSpec("regression", multi_gauss, "Multi Gaussian"),
}

PROBLEMS = ("classification", "regression")


def sample_count(problem: str) -> int:
    """How many points TFP generates for a problem type."""
    return CLASSIFY_SAMPLES if problem == "classification" else REGRESS_SAMPLES


def generate(
    name: str,
    noise: int = 0,
    train_ratio: int = 50,
    seed: int | str = 0,
    classes: int = 2,
    stream: SeedStream | None = None,
) -> Split:
    """Generate dataset ``name`` with noise in percent (and ``classes`` classes where it
    has a choice), shuffle once with the seed, split.

    An integer seed draws from numpy. A string seed is a TFP seed: the points come from
    ``stream`` (a fresh ``SeedStream(seed)`` when not given) in TFP's order, and the
    stream is left where TFP's page builds the network from."""
    spec = DATASETS[name]
    low, high = spec.classes
    assert low <= classes <= high, f"{name} makes {low}..{high} classes"
    n = sample_count(spec.problem)
    if isinstance(seed, str):
        stream = stream or SeedStream(seed)
        tfp = tfp_datasets.GENERATORS.get(name)
        rng: Any = tfp_datasets.StreamRng(stream.random)
        if tfp is not None and classes == 2:
            points, labels = tfp(n, noise / 100, stream.random)
        else:
            points, labels = spec.generate(n, noise / 100, rng, classes)
    else:
        rng = np.random.default_rng(seed)
        if classes == 2:  # TFP's call, unchanged
            points, labels = spec.generate(n, noise / 100, rng)
        else:
            points, labels = spec.generate(n, noise / 100, rng, classes)
    order = shuffle_indices(len(points), rng)
    return make_split(points[order], labels[order], train_ratio)
