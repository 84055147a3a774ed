"""Points split into training and test parts, TFP's way: shuffled once, then cut."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Split:
    """Points and labels split into training and test parts (numpy float64)."""

    train_x: np.ndarray  # (n_train, 2)
    train_y: np.ndarray  # (n_train,)
    test_x: np.ndarray  # (n_test, 2)
    test_y: np.ndarray  # (n_test,)


def shuffle_indices(n: int, rng: Any) -> np.ndarray:
    """TFP's Fisher-Yates shuffle from the end, as a permutation of range(n) (``rng``: a
    numpy Generator or a tfp_datasets.StreamRng)."""
    order = np.arange(n)
    counter = n
    while counter > 0:
        index = int(rng.random() * counter)
        counter -= 1
        order[counter], order[index] = order[index], order[counter]
    return order


def make_split(points: np.ndarray, labels: np.ndarray, train_ratio: int) -> Split:
    """The first floor(N * ratio / 100) points train; the rest test."""
    cut = len(points) * train_ratio // 100
    return Split(points[:cut], labels[:cut], points[cut:], labels[cut:])
