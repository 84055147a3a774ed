"""Binary frames, byte by byte as docs/protocol.md describes them (version 2)."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import torch

from server.engine.kinds.mlp import MLP_CODE
from server.engine.network import Network
from server.engine.render import quantize, quantize_probability, render

VERSION = 2  # the kind byte took a byte that was always 0: MLP frames read as before
# version, state, n, flags, G, M, epoch, rate, train loss, test loss, seq,
# classes, kind, reserved u16 (0), train accuracy, test accuracy
HEADER = struct.Struct("<BBBBHHIfddIBBHff")  # 48 bytes
FLAG_MAPS = 1
SEQ_OFFSET = 32
KIND_OFFSET = 37  # the model kind's code (engine/kinds/registry.py; 0 = mlp)


@dataclass(frozen=True)
class View:
    """What one viewer wants in its frames."""

    grid: int = 100
    maps: bool = True
    map_size: int = 25
    fps: float = 60.0
    render: str = "server"  # "client": no grids in the frame, the viewer draws them

    @property
    def key(self) -> tuple[int, bool, int, str]:
        return (self.grid, self.maps, self.map_size, self.render)


def encode(
    *,
    net: Network,
    features: list[str],
    state_code: int,
    epoch: int,
    rate: float,
    train_loss: float,
    test_loss: float,
    view: View,
    train_accuracy: float | None = None,
    test_accuracy: float | None = None,
    params: torch.Tensor | None = None,
    kind: int = MLP_CODE,
) -> bytearray:
    """One frame with sequence number 0 (set per connection with ``set_seq``), of a
    model of kind ``kind`` (its registry code).
    Accuracies are fractions, None (sent as NaN) for regression or without points;
    ``params`` the flat weights-then-biases when the caller has them on the CPU already."""
    sizes = net.sizes
    classes = sizes[-1] if sizes[-1] > 1 else 0  # k softmax outputs, or one output
    client = view.render == "client"
    maps = None if client else render(net, features, view.grid, view.map_size if view.maps else 0)
    grid = 0 if client else view.grid
    map_size = view.map_size if view.maps and not client else 0
    parts = [
        HEADER.pack(
            VERSION,
            state_code,
            len(sizes),
            FLAG_MAPS if map_size else 0,
            grid,
            map_size,
            epoch & 0xFFFFFFFF,
            rate,
            train_loss if math.isfinite(train_loss) else math.nan,
            test_loss if math.isfinite(test_loss) else math.nan,
            0,
            classes,
            kind,
            0,
            math.nan if train_accuracy is None else train_accuracy,
            math.nan if test_accuracy is None else test_accuracy,
        )
    ]
    size_bytes = struct.pack(f"<{len(sizes)}H", *sizes)
    parts.append(size_bytes + b"\0" * (-len(size_bytes) % 8))
    if params is None:  # else the caller fetched them already (many models at once)
        params = torch.cat([w.reshape(-1) for w in net.weights] + list(net.biases))
    parts.append(params.to("cpu", torch.float64).numpy().astype("<f8").tobytes())
    if maps is not None:
        if maps.confidence is not None:  # k classes: G·G winners, then G·G confidences
            parts.append(maps.output.to(torch.uint8).cpu().numpy().tobytes())
            parts.append(quantize_probability(maps.confidence).cpu().numpy().tobytes())
        else:
            parts.append(quantize(maps.output).cpu().numpy().tobytes())
        if map_size:
            parts.append(quantize(maps.neurons).cpu().numpy().tobytes())
    return bytearray(b"".join(parts))


def encode_body(
    *,
    kind: int,
    state_code: int,
    epoch: int,
    rate: float,
    train_loss: float,
    test_loss: float,
    body: bytes,
) -> bytearray:
    """A frame of a kind that writes its own body (the generative kinds): the header with
    no layers, grid or maps (n, G, M, classes 0; accuracies NaN), then ``body``."""

    def finite(value: float) -> float:
        return value if math.isfinite(value) else math.nan

    header = HEADER.pack(VERSION, state_code, 0, 0, 0, 0, epoch & 0xFFFFFFFF, rate,
                         finite(train_loss), finite(test_loss), 0, 0, kind, 0, math.nan,
                         math.nan)  # fmt: skip
    return bytearray(header + body)


def set_seq(frame: bytearray, seq: int) -> bytes:
    """A copy of ``frame`` carrying this connection's sequence number."""
    out = bytearray(frame)
    struct.pack_into("<I", out, SEQ_OFFSET, seq & 0xFFFFFFFF)
    return bytes(out)
