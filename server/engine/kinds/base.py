"""What every model kind offers the layers above it (the MLP is the first; a GAN, an
autoencoder and a CNN come as one module each, behind this protocol).

A kind builds itself from plain options (the config's fields as a mapping: the engine
knows no pydantic model) and its data, trains by epochs, reports its losses and
metrics, says which models it can be stacked with (``group_key``; None: never), and
gives a snapshot for a frame, whose header carries the kind's code (protocol/frames.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from server.engine.data.split import Split
from server.engine.network import Network, Uniform


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    train_loss: float
    test_loss: float


@dataclass(frozen=True)
class Snapshot:
    """What a frame shows of a model now: the kind's code, the network (the MLP's; None
    for a kind that encodes its own frame body), its inputs' names, the epoch and both
    losses."""

    kind: int
    net: Network | None
    features: list[str]
    epoch: int
    train_loss: float
    test_loss: float


class Kind(Protocol):
    """A trainable model of one kind, as sessions, the worker and frames use it."""

    epoch: int
    train_loss: float
    test_loss: float

    def train_epoch(self) -> EpochResult: ...

    def train(
        self, epochs: int, stop: Callable[[], bool] | None = None
    ) -> Sequence[EpochResult]: ...

    def metrics(self) -> dict[str, object]: ...

    def group_key(self) -> Hashable | None: ...

    def snapshot(self) -> Snapshot: ...


class Build(Protocol):
    """How a kind is made: from the config's fields, its points, and where its initial
    weights are drawn from."""

    def __call__(
        self,
        options: Mapping[str, Any],
        split: Split,
        generator: torch.Generator | Uniform,
        dtype: torch.dtype = ...,
        device: torch.device | str = ...,
    ) -> Kind: ...


@dataclass(frozen=True)
class KindEntry:
    """A registry entry: the kind's name (the config's ``kind``), its code in a frame's
    header, and its builder."""

    name: str
    code: int
    build: Build
