"""TensorFlow Playground's data generators: sizes, labels, seeding, noise and the split."""

from __future__ import annotations

import math

import numpy as np
import pytest

from server.engine.data import datasets
from server.engine.data.datasets import DATASETS, generate, shuffle_indices

CLASSIFY = [name for name, spec in DATASETS.items() if spec.problem == "classification"]
REGRESS = [name for name, spec in DATASETS.items() if spec.problem == "regression"]


def everything(name: str, noise: int = 0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """All N points and labels of a dataset (ratio 100: everything is training data)."""
    split = generate(name, noise, train_ratio=100, seed=seed)
    assert len(split.test_x) == len(split.test_y) == 0
    return split.train_x, split.train_y


def test_registry_lists_tfp_datasets() -> None:
    assert set(CLASSIFY) == {"circle", "xor", "gauss", "spiral"} | {
        "moons",
        "checkerboard",
        "arms",
        "clouds",
        "rings",
    }
    assert set(REGRESS) == {"plane", "multi_gauss"}
    assert all(spec.title for spec in DATASETS.values())


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("noise", [0, 25, 50])
def test_every_dataset_generates(name: str, noise: int) -> None:
    x, y = everything(name, noise, seed=1)
    n = 500 if DATASETS[name].problem == "classification" else 1200
    assert x.shape == (n, 2)
    assert y.shape == (n,)
    assert x.dtype == y.dtype == np.float64
    assert np.isfinite(x).all()
    assert np.isfinite(y).all()


@pytest.mark.parametrize("name", CLASSIFY)
def test_classification_labels_are_plus_minus_one(name: str) -> None:
    _, y = everything(name, noise=30, seed=2)
    assert set(np.unique(y)) == {-1.0, 1.0}


def test_regression_targets_lie_in_about_minus_one_to_one() -> None:
    _, plane = everything("plane", seed=2)
    _, bumps = everything("multi_gauss", seed=2)
    # plane: (x + y) / 10 with x, y in [-6, 6) -> within ±1.2, and it reaches past ±1
    assert np.abs(plane).max() <= 1.2
    assert np.abs(plane).max() > 1.0
    # multi_gauss: sign · clamp(1 − dist/2, 0, 1) -> within ±1, both signs present
    assert np.abs(bumps).max() <= 1.0
    assert bumps.min() < -0.75
    assert bumps.max() > 0.75


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_gives_identical_data(name: str) -> None:
    a = generate(name, noise=20, train_ratio=50, seed=5)
    b = generate(name, noise=20, train_ratio=50, seed=5)
    for field in ("train_x", "train_y", "test_x", "test_y"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


@pytest.mark.parametrize("name", DATASETS)
def test_different_seed_gives_different_data(name: str) -> None:
    a = generate(name, noise=20, train_ratio=50, seed=5)
    b = generate(name, noise=20, train_ratio=50, seed=6)
    assert not np.array_equal(a.train_x, b.train_x)


@pytest.mark.parametrize("name", DATASETS)
def test_generate_shuffles_the_generated_points_once(name: str) -> None:
    # generate = the generator's points, then one shuffle from the same stream.
    spec = DATASETS[name]
    rng = np.random.default_rng(9)
    points, labels = spec.generate(datasets.sample_count(spec.problem), 0.1, rng)
    order = shuffle_indices(len(points), rng)
    x, y = everything(name, noise=10, seed=9)
    assert np.array_equal(x, points[order])
    assert np.array_equal(y, labels[order])
    assert not np.array_equal(order, np.arange(len(order)))


@pytest.mark.parametrize("ratio", [10, 33, 50, 77, 90, 100])
@pytest.mark.parametrize("name", ["circle", "plane"])
def test_train_split_is_floor_of_n_times_ratio(name: str, ratio: int) -> None:
    # 500 · 33 / 100 = 165; 1200 · 77 / 100 = 924 ...
    n = 500 if name == "circle" else 1200
    split = generate(name, noise=0, train_ratio=ratio, seed=0)
    x, y = everything(name, seed=0)
    cut = math.floor(n * ratio / 100)
    assert len(split.train_x) == len(split.train_y) == cut
    assert len(split.test_x) == len(split.test_y) == n - cut
    # the first `cut` shuffled points train, the rest test, order kept
    assert np.array_equal(np.concatenate([split.train_x, split.test_x]), x)
    assert np.array_equal(np.concatenate([split.train_y, split.test_y]), y)


@pytest.mark.parametrize("n", [0, 1, 2, 10, 500])
def test_shuffle_indices_is_a_permutation(n: int) -> None:
    order = shuffle_indices(n, np.random.default_rng(n))
    assert sorted(order.tolist()) == list(range(n))


def test_shuffle_indices_depends_on_seed() -> None:
    a = shuffle_indices(100, np.random.default_rng(1))
    b = shuffle_indices(100, np.random.default_rng(2))
    assert not np.array_equal(a, b)


# -- noise, dataset by dataset --------------------------------------------------------------


def _mislabelled(x: np.ndarray, y: np.ndarray, rule: np.ndarray) -> float:
    """Fraction of points whose label disagrees with the noise-free rule."""
    return float(np.mean(np.where(rule, 1.0, -1.0) != y))


def test_circle_noise_flips_labels_near_the_boundary() -> None:
    x, y = everything("circle", noise=0)
    assert _mislabelled(x, y, np.hypot(x[:, 0], x[:, 1]) < 2.5) == 0.0
    x, y = everything("circle", noise=50)
    assert _mislabelled(x, y, np.hypot(x[:, 0], x[:, 1]) < 2.5) > 0.05
    # the points themselves stay in the disc (r < 2.5) and the ring (3.5 <= r < 5)
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.all((r < 2.5) | ((r >= 3.5 - 1e-12) & (r < 5)))


def test_xor_noise_flips_labels() -> None:
    x, y = everything("xor", noise=0)
    assert _mislabelled(x, y, x[:, 0] * x[:, 1] >= 0) == 0.0
    assert np.abs(x).min() >= 0.3  # the padding around the axes
    x, y = everything("xor", noise=50)
    assert _mislabelled(x, y, x[:, 0] * x[:, 1] >= 0) > 0.05


def test_gauss_noise_widens_the_clouds() -> None:
    def spread(noise: int) -> float:
        x, y = everything("gauss", noise=noise)
        centred = x - np.where(y[:, None] > 0, 2.0, -2.0)  # clouds around (2,2), (-2,-2)
        return float(centred.std())

    # variance 0.5 at noise 0 and 4 at noise 50 (TFP's linear scale)
    assert spread(0) == pytest.approx(math.sqrt(0.5), rel=0.1)
    assert spread(50) == pytest.approx(2.0, rel=0.1)


def test_spiral_noise_moves_points_off_the_arms() -> None:
    def offset(noise: float) -> float:
        x, y = datasets.spiral(500, noise, np.random.default_rng(0))
        i = np.arange(250)
        r, t = i / 250 * 5, 1.75 * i / 250 * 2 * math.pi
        arms = np.concatenate(
            [np.stack([r * np.sin(t + d), r * np.cos(t + d)], 1) for d in (0.0, math.pi)]
        )
        assert np.array_equal(y, np.repeat([1.0, -1.0], 250))
        return float(np.abs(x - arms).max())

    assert offset(0.0) < 1e-12
    assert 0.4 < offset(0.5) <= 0.5  # uniform in [-1, 1] · noise per coordinate


def test_plane_noise_spreads_targets() -> None:
    x, y = everything("plane", noise=0)
    assert np.allclose(y, (x[:, 0] + x[:, 1]) / 10, rtol=0, atol=1e-15)
    x, y = everything("plane", noise=50)
    error = np.abs(y - (x[:, 0] + x[:, 1]) / 10)
    assert 0.4 < error.max() <= 0.6  # |noise| <= 2 · 6 · 0.5, divided by 10


def test_multi_gauss_noise_spreads_targets() -> None:
    def clean(x: np.ndarray) -> np.ndarray:
        best = np.zeros(len(x))
        for cx, cy, sign in datasets._GAUSSIANS:
            bump = sign * np.clip(1 - np.hypot(x[:, 0] - cx, x[:, 1] - cy) / 2, 0, 1)
            best = np.where(np.abs(bump) > np.abs(best), bump, best)
        return best

    x, y = everything("multi_gauss", noise=0)
    assert np.array_equal(y, clean(x))
    x, y = everything("multi_gauss", noise=50)
    assert np.abs(y - clean(x)).mean() > 0.1


# -- more classes: issue #5's datasets ------------------------------------------------------


@pytest.mark.parametrize("name", ["moons", "checkerboard", "arms", "clouds", "rings"])
def test_new_datasets_at_two_classes_use_plus_minus_one(name: str) -> None:
    split = datasets.generate(name, 20, 100, 3)
    assert split.train_x.shape == (500, 2) and set(np.unique(split.train_y)) == {-1.0, 1.0}
    assert np.abs(split.train_x).max() < 8


@pytest.mark.parametrize("name", ["arms", "clouds", "rings"])
@pytest.mark.parametrize("classes", [3, 6])
def test_k_class_datasets_label_class_indices(name: str, classes: int) -> None:
    split = datasets.generate(name, 10, 100, 4, classes)
    labels, counts = np.unique(split.train_y, return_counts=True)
    assert split.train_x.shape == (500, 2)
    assert labels.tolist() == list(range(classes)) and counts.min() > 500 / classes / 3
    again = datasets.generate(name, 10, 100, 4, classes)
    assert np.array_equal(split.train_x, again.train_x)  # seeded


def test_arms_noise_free_points_lie_on_their_arm() -> None:
    x, y = datasets.arms(300, 0.0, np.random.default_rng(0), 3)
    i = np.arange(100)
    for c in range(3):
        r, angle = i / 100 * 5, 1.75 * i / 100 * 2 * math.pi + 2 * math.pi * c / 3
        arm = np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
        assert np.allclose(x[y == c], arm, atol=1e-12)


def test_class_ranges() -> None:
    ranges = {name: spec.classes for name, spec in datasets.DATASETS.items()}
    assert ranges["circle"] == ranges["moons"] == ranges["plane"] == (2, 2)
    assert ranges["arms"] == ranges["clouds"] == ranges["rings"] == (2, 6)
    with pytest.raises(AssertionError):
        datasets.generate("circle", classes=3)
