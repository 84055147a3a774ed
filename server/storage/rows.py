"""One stored session as the database holds it: JSON, the loss chart and the points packed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stored:
    """A session's stored form (a checkpoint's or an experiment's payload).

    ``body`` is the Checkpoint JSON (protocol/stored.py); ``history`` the chart as three
    packed arrays (int64 epochs, float64 train and test losses); ``points`` the session's
    own points as packed float64 rows (x1, x2, label), train then test, or None when they
    are generated from the config."""

    format: int
    body: bytes
    history: bytes
    points: bytes | None
    epoch: int

    @property
    def size(self) -> int:
        return len(self.body) + len(self.history) + len(self.points or b"")
