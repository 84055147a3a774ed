"""A bounded loss history: every epoch until it fills, then every 2nd, 4th, ... epoch."""

from __future__ import annotations

import math
from array import array
from typing import Any

import numpy as np


def finite(value: float) -> float | None:
    """A number as JSON carries it: NaN and infinities are null."""
    return value if math.isfinite(value) else None


class LossHistory:
    """Keeps at most ``capacity`` points, spread evenly over all epochs so far."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        self.stride = 1
        self.epoch = array("q")
        self.train = array("d")
        self.test = array("d")

    def add(self, epoch: int, train: float, test: float) -> None:
        if epoch % self.stride:
            return
        self.epoch.append(epoch)
        self.train.append(train)
        self.test.append(test)
        if len(self.epoch) >= self.capacity:
            self._thin()

    def extend(self, first: int, train: np.ndarray, test: np.ndarray) -> None:
        """``add`` for epochs first, first + 1, ... with float64 losses ``train``, ``test``.

        As a few numpy slices, not a Python call per epoch: a worker pass records dozens
        of epochs for each of up to a thousand sessions."""
        n, i = len(train), 0
        while True:
            start = i + (-(first + i)) % self.stride  # the next epoch this stride keeps
            if start >= n:
                return
            take = min(-(-(n - start) // self.stride), self.capacity - len(self.epoch))
            stop = start + take * self.stride
            kept = np.arange(first + start, first + stop, self.stride, dtype=np.int64)
            self.epoch.frombytes(kept.tobytes())
            self.train.frombytes(np.ascontiguousarray(train[start : stop : self.stride]).tobytes())
            self.test.frombytes(np.ascontiguousarray(test[start : stop : self.stride]).tobytes())
            if len(self.epoch) >= self.capacity:
                self._thin()
            i = stop

    def _thin(self) -> None:
        """Full: keep every other point (every 2·stride-th epoch) from now on."""
        self.stride *= 2
        keep = [i for i, e in enumerate(self.epoch) if e % self.stride == 0]
        self.epoch = array("q", (self.epoch[i] for i in keep))
        self.train = array("d", (self.train[i] for i in keep))
        self.test = array("d", (self.test[i] for i in keep))

    def load(self, epochs: list[int], train: list[float | None], test: list[float | None],
             stride: int = 1) -> None:  # fmt: skip
        """Start from a saved history (a model file's): None is a loss that was not finite."""
        nan = float("nan")
        self.clear()
        self.stride = stride
        self.epoch = array("q", epochs[-self.capacity :])
        self.train = array("d", (nan if v is None else v for v in train[-self.capacity :]))
        self.test = array("d", (nan if v is None else v for v in test[-self.capacity :]))
        while len(self.epoch) >= self.capacity:
            self._thin()

    def as_dict(self) -> dict[str, list[Any]]:
        def clean(values: array[float]) -> list[float | None]:
            return [finite(v) for v in values]

        return {
            "epoch": list(self.epoch),
            "train_loss": clean(self.train),
            "test_loss": clean(self.test),
        }
