"""TensorFlow Playground's six generators, drawing from one stream in TFP's own order.

With a TFP seed (engine/tfp_seed.py) every ``Math.random()`` TFP's dataset.ts makes must be
made here in the same order — per point: its coordinates, then its noise — and with the
same arithmetic (d3's linear scales compute ``a·(1 − t) + b·t``), so that the points equal
the ones TFP's page shows. engine/datasets.py has the same shapes drawn from numpy, for our
own integer seeds; the extra datasets (moons, …) use those with this stream too.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Random = Callable[[], float]  # Math.random
Points = tuple[np.ndarray, np.ndarray]


def _uniform(random: Random, a: float, b: float) -> float:
    return random() * (b - a) + a


def _normal(random: Random, mean: float, variance: float) -> float:
    while True:  # polar Box-Muller, keeping v1's deviate; TFP accepts s = 0
        v1 = 2 * random() - 1
        v2 = 2 * random() - 1
        s = v1 * v1 + v2 * v2
        if s <= 1:
            break
    return mean + math.sqrt(variance) * (math.sqrt(-2 * math.log(s) / s) * v1)


def _scale(
    x: float, domain: tuple[float, float], out: tuple[float, float], clamp: bool = False
) -> float:
    """d3.scale.linear() (version 3): uninterpolate into t, then a·(1 − t) + b·t."""
    t = (x - domain[0]) / (domain[1] - domain[0])
    if clamp:
        t = max(0.0, min(1.0, t))
    return out[0] * (1 - t) + out[1] * t


def _dist(x: float, y: float, cx: float, cy: float) -> float:
    dx, dy = x - cx, y - cy
    return math.sqrt(dx * dx + dy * dy)


def _arrays(rows: list[tuple[float, float, float]]) -> Points:
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return table[:, :2].copy(), table[:, 2].copy()


def circle(n: int, noise: float, random: Random) -> Points:
    radius = 5.0
    rows = []
    for r_low, r_high in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        i = 0
        while i < n / 2:
            r = _uniform(random, r_low, r_high)
            angle = _uniform(random, 0, 2 * math.pi)
            x, y = r * math.sin(angle), r * math.cos(angle)
            noise_x = _uniform(random, -radius, radius) * noise
            noise_y = _uniform(random, -radius, radius) * noise
            inside = _dist(x + noise_x, y + noise_y, 0, 0) < radius * 0.5
            rows.append((x, y, 1.0 if inside else -1.0))
            i += 1
    return _arrays(rows)


def xor(n: int, noise: float, random: Random) -> Points:
    padding = 0.3
    rows = []
    for _ in range(n):
        x = _uniform(random, -5, 5)
        x += padding if x > 0 else -padding
        y = _uniform(random, -5, 5)
        y += padding if y > 0 else -padding
        noise_x = _uniform(random, -5, 5) * noise
        noise_y = _uniform(random, -5, 5) * noise
        rows.append((x, y, 1.0 if (x + noise_x) * (y + noise_y) >= 0 else -1.0))
    return _arrays(rows)


def gauss(n: int, noise: float, random: Random) -> Points:
    variance = _scale(noise, (0, 0.5), (0.5, 4))
    rows = []
    for center, label in ((2.0, 1.0), (-2.0, -1.0)):
        i = 0
        while i < n / 2:
            x = _normal(random, center, variance)
            y = _normal(random, center, variance)
            rows.append((x, y, label))
            i += 1
    return _arrays(rows)


def spiral(n: int, noise: float, random: Random) -> Points:
    half = n / 2
    rows = []
    for delta, label in ((0.0, 1.0), (math.pi, -1.0)):
        i = 0
        while i < half:
            r = i / half * 5
            t = 1.75 * i / half * 2 * math.pi + delta
            x = r * math.sin(t) + _uniform(random, -1, 1) * noise
            y = r * math.cos(t) + _uniform(random, -1, 1) * noise
            rows.append((x, y, label))
            i += 1
    return _arrays(rows)


def _noisy_grid_points(
    n: int, noise: float, random: Random, label: Callable[[float, float], float]
) -> Points:
    radius = 6.0
    rows = []
    for _ in range(n):
        x = _uniform(random, -radius, radius)
        y = _uniform(random, -radius, radius)
        noise_x = _uniform(random, -radius, radius) * noise
        noise_y = _uniform(random, -radius, radius) * noise
        rows.append((x, y, label(x + noise_x, y + noise_y)))
    return _arrays(rows)


def plane(n: int, noise: float, random: Random) -> Points:
    return _noisy_grid_points(n, noise, random, lambda x, y: _scale(x + y, (-10, 10), (-1, 1)))


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _bumps(x: float, y: float) -> float:
    label = 0.0
    for cx, cy, sign in _GAUSSIANS:
        value = sign * _scale(_dist(x, y, cx, cy), (0, 2), (1, 0), clamp=True)
        if abs(value) > abs(label):
            label = value
    return label


def multi_gauss(n: int, noise: float, random: Random) -> Points:
    return _noisy_grid_points(n, noise, random, _bumps)


# our dataset name -> TFP's generator; in TFP's order of its thumbnails
GENERATORS: dict[str, Callable[[int, float, Random], Points]] = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "plane": plane,
    "multi_gauss": multi_gauss,
}
THUMBNAILS = {
    "classification": ("circle", "xor", "gauss", "spiral"),
    "regression": ("plane", "multi_gauss"),
}
THUMBNAIL_POINTS = 200


def draw_thumbnails(problem: str, random: Random) -> None:
    """The draws TFP's page makes when the problem type changes: it redraws its dataset
    thumbnails (200 noiseless points each) from the stream before it builds the network."""
    for name in THUMBNAILS[problem]:
        GENERATORS[name](THUMBNAIL_POINTS, 0.0, random)


class StreamRng:
    """The slice of numpy's Generator our own generators use (``random(size)``), drawing
    from a TFP stream: datasets TFP does not have still follow a TFP seed."""

    def __init__(self, random: Random) -> None:
        self._random = random

    def random(self, size: int | None = None) -> float | np.ndarray:
        if size is None:
            return self._random()
        return np.array([self._random() for _ in range(size)], dtype=np.float64)
