"""An independent port of what TensorFlow Playground's page draws from its seed, for tests.

Written line by line from seedrandom 2.4.4 (``Math.seedrandom``), TFP's src/dataset.ts,
``shuffle`` and ``nn.buildNetwork``, in plain Python lists and one function per JS function,
without sharing any code with the engine (server/engine/tfp_seed.py, tfp_datasets.py) that
tests compare against it. tests/fixtures/tfp_runs.json, recorded from TFP's own code in
Node (tests/tfp_oracle/), checks this port in turn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

Example = tuple[float, float, float]  # x, y, label


class MathRandom:
    """``Math.seedrandom(seed)`` then ``Math.random``, keeping ARC4's (S, i, j) as the JS
    object does and reading it one ``g(count)`` call at a time."""

    def __init__(self, seed: str) -> None:
        key: list[int] = []
        smear = 0
        text = seed + ""
        units = [int.from_bytes(text.encode("utf-16-le")[k : k + 2], "little")
                 for k in range(0, len(text.encode("utf-16-le")), 2)]  # fmt: skip
        for j, code in enumerate(units):  # mixkey
            old = key[255 & j] if (255 & j) < len(key) else 0
            smear ^= old * 19
            value = 255 & (smear + code)
            if (255 & j) < len(key):
                key[255 & j] = value
            else:
                key.append(value)
        if not key:
            key = [0]
        s = list(range(256))  # ARC4(key)
        j = 0
        for i in range(256):
            t = s[i]
            j = 255 & (j + key[i % len(key)] + t)
            s[i] = s[j]
            s[j] = t
        self.S, self.i, self.j = s, 0, 0
        self.g(256)

    def g(self, count: int) -> int:
        r, i, j, s = 0, self.i, self.j, self.S
        while count:
            count -= 1
            i = 255 & (i + 1)
            t = s[i]
            j = 255 & (j + t)
            s[i] = s[j]
            s[j] = t
            r = r * 256 + s[255 & (s[i] + t)]
        self.i, self.j = i, j
        return r

    def __call__(self) -> float:
        n, d, x = self.g(6), 256.0**6, 0
        while n < 2.0**52:
            n = (n + x) * 256
            d *= 256
            x = self.g(1)
        while n >= 2.0**53:
            n /= 2
            d /= 2
            x >>= 1
        return (n + x) / d


def to_fixed5(value: float) -> str:
    """``toFixed(5)`` from the exact binary value, ties up (ECMA-262 Number.prototype.toFixed)."""
    exact = Fraction(value) * 10**5
    n = math.floor(exact)
    if exact - n >= Fraction(1, 2):
        n += 1
    return f"{n // 10**5}.{n % 10**5:05d}"


def rand_uniform(random: Callable[[], float], a: float, b: float) -> float:
    return random() * (b - a) + a


def normal_random(random: Callable[[], float], mean: float, variance: float) -> float:
    v1 = v2 = s = 2.0
    first = True
    while first or s > 1:  # do { … } while (s > 1)
        first = False
        v1 = 2 * random() - 1
        v2 = 2 * random() - 1
        s = v1 * v1 + v2 * v2
    result = math.sqrt(-2 * math.log(s) / s) * v1
    return mean + math.sqrt(variance) * result


def d3_linear(
    d0: float, d1: float, r0: float, r1: float, clamp: bool = False
) -> Callable[[float], float]:
    span = d1 - d0

    def scale(x: float) -> float:
        t = (x - d0) / span
        if clamp:
            t = max(0, min(1, t))
        return r0 * (1 - t) + r1 * t

    return scale


def dist(ax: float, ay: float, bx: float, by: float) -> float:
    dx = ax - bx
    dy = ay - by
    return math.sqrt(dx * dx + dy * dy)


def classify_two_gauss(random: Callable[[], float], num: int, noise: float) -> list[Example]:
    points: list[Example] = []
    variance = d3_linear(0, 0.5, 0.5, 4)(noise)

    def gen(cx: float, cy: float, label: float) -> None:
        i = 0
        while i < num / 2:
            x = normal_random(random, cx, variance)
            y = normal_random(random, cy, variance)
            points.append((x, y, label))
            i += 1

    gen(2, 2, 1)
    gen(-2, -2, -1)
    return points


def regress_plane(random: Callable[[], float], num: int, noise: float) -> list[Example]:
    radius = 6
    label_scale = d3_linear(-10, 10, -1, 1)
    points: list[Example] = []
    for _ in range(num):
        x = rand_uniform(random, -radius, radius)
        y = rand_uniform(random, -radius, radius)
        noise_x = rand_uniform(random, -radius, radius) * noise
        noise_y = rand_uniform(random, -radius, radius) * noise
        points.append((x, y, label_scale((x + noise_x) + (y + noise_y))))
    return points


def regress_gaussian(random: Callable[[], float], num: int, noise: float) -> list[Example]:
    label_scale = d3_linear(0, 2, 1, 0, clamp=True)
    gaussians = [
        (-4, 2.5, 1),
        (0, 2.5, -1),
        (4, 2.5, 1),
        (-4, -2.5, -1),
        (0, -2.5, 1),
        (4, -2.5, -1),
    ]

    def get_label(x: float, y: float) -> float:
        label = 0.0
        for cx, cy, sign in gaussians:
            new_label = sign * label_scale(dist(x, y, cx, cy))
            if abs(new_label) > abs(label):
                label = new_label
        return label

    points: list[Example] = []
    radius = 6
    for _ in range(num):
        x = rand_uniform(random, -radius, radius)
        y = rand_uniform(random, -radius, radius)
        noise_x = rand_uniform(random, -radius, radius) * noise
        noise_y = rand_uniform(random, -radius, radius) * noise
        points.append((x, y, get_label(x + noise_x, y + noise_y)))
    return points


def classify_spiral(random: Callable[[], float], num: int, noise: float) -> list[Example]:
    points: list[Example] = []
    n = num / 2

    def gen(delta_t: float, label: float) -> None:
        i = 0
        while i < n:
            r = i / n * 5
            t = 1.75 * i / n * 2 * math.pi + delta_t
            x = r * math.sin(t) + rand_uniform(random, -1, 1) * noise
            y = r * math.cos(t) + rand_uniform(random, -1, 1) * noise
            points.append((x, y, label))
            i += 1

    gen(0, 1)
    gen(math.pi, -1)
    return points


def classify_circle(random: Callable[[], float], num: int, noise: float) -> list[Example]:
    points: list[Example] = []
    radius = 5

    def label_of(x: float, y: float) -> float:
        return 1 if dist(x, y, 0, 0) < radius * 0.5 else -1

    for r_low, r_high in ((0, radius * 0.5), (radius * 0.7, radius)):
        i = 0
        while i < num / 2:
            r = rand_uniform(random, r_low, r_high)
            angle = rand_uniform(random, 0, 2 * math.pi)
            x = r * math.sin(angle)
            y = r * math.cos(angle)
            noise_x = rand_uniform(random, -radius, radius) * noise
            noise_y = rand_uniform(random, -radius, radius) * noise
            points.append((x, y, label_of(x + noise_x, y + noise_y)))
            i += 1
    return points


def classify_xor(random: Callable[[], float], num: int, noise: float) -> list[Example]:
    points: list[Example] = []
    for _ in range(num):
        x = rand_uniform(random, -5, 5)
        padding = 0.3
        x += padding if x > 0 else -padding
        y = rand_uniform(random, -5, 5)
        y += padding if y > 0 else -padding
        noise_x = rand_uniform(random, -5, 5) * noise
        noise_y = rand_uniform(random, -5, 5) * noise
        points.append((x, y, 1 if (x + noise_x) * (y + noise_y) >= 0 else -1))
    return points


DATASETS = {"circle": classify_circle, "xor": classify_xor, "gauss": classify_two_gauss,
            "spiral": classify_spiral}  # fmt: skip
REG_DATASETS = {"reg-plane": regress_plane, "reg-gauss": regress_gaussian}


def shuffle(random: Callable[[], float], array: list) -> None:
    counter = len(array)
    while counter > 0:
        index = math.floor(random() * counter)
        counter -= 1
        array[counter], array[index] = array[index], array[counter]


def build_network(
    random: Callable[[], float], shape: list[int], init_zero: bool = False
) -> list[list[tuple[float, list[float]]]]:
    """buildNetwork's draws: per layer after the inputs, per node, a weight per input node
    (``Math.random() - 0.5``, drawn even with initZero); -> [layer][node] = (bias, weights)."""
    layers = []
    for layer in range(1, len(shape)):
        nodes = []
        for _ in range(shape[layer]):
            weights = []
            for _ in range(shape[layer - 1]):
                w = random() - 0.5
                weights.append(0.0 if init_zero else w)
            nodes.append((0.0 if init_zero else 0.1, weights))
        layers.append(nodes)
    return layers


def open_link(
    seed: str, generator: str, noise_percent: int, perc_train: int, regression: bool = False
) -> tuple[MathRandom, list[Example], list[Example]]:
    """TFP's page opening a link: seedrandom(seed), the points, the shuffle, the split.
    The returned stream stands where buildNetwork draws from."""
    random = MathRandom(seed)
    make = (REG_DATASETS if regression else DATASETS)[generator]
    data = make(random, 1200 if regression else 500, noise_percent / 100)
    shuffle(random, data)
    split = math.floor(len(data) * perc_train / 100)
    return random, data[:split], data[split:]
