"""Binary frames, byte by byte as docs/protocol.md describes them (version 1)."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import torch

from .engine.render import quantize, render

VERSION = 1
HEADER = struct.Struct("<BBBBHHIfddII")  # 40 bytes
FLAG_MAPS = 1
SEQ_OFFSET = 32


@dataclass(frozen=True)
class View:
    """What one viewer wants in its frames."""

    grid: int = 100
    maps: bool = True
    map_size: int = 25
    fps: float = 60.0

    @property
    def key(self) -> tuple[int, bool, int]:
        return (self.grid, self.maps, self.map_size)


def encode(
    *,
    net,
    features: list[str],
    state_code: int,
    epoch: int,
    rate: float,
    train_loss: float,
    test_loss: float,
    view: View,
) -> bytearray:
    """One frame with sequence number 0 (set per connection with ``set_seq``)."""
    sizes = net.sizes
    maps = render(net, features, view.grid, view.map_size)
    map_size = view.map_size if view.maps else 0
    parts = [
        HEADER.pack(
            VERSION,
            state_code,
            len(sizes),
            FLAG_MAPS if view.maps else 0,
            view.grid,
            map_size,
            epoch & 0xFFFFFFFF,
            rate,
            train_loss if math.isfinite(train_loss) else math.nan,
            test_loss if math.isfinite(test_loss) else math.nan,
            0,
            0,
        )
    ]
    size_bytes = struct.pack(f"<{len(sizes)}H", *sizes)
    parts.append(size_bytes + b"\0" * (-len(size_bytes) % 8))
    params = torch.cat([w.reshape(-1) for w in net.weights] + list(net.biases))
    parts.append(params.to("cpu", torch.float64).numpy().astype("<f8").tobytes())
    parts.append(quantize(maps.output).cpu().numpy().tobytes())
    if view.maps:
        parts.append(quantize(maps.neurons).cpu().numpy().tobytes())
    return bytearray(b"".join(parts))


def set_seq(frame: bytearray, seq: int) -> bytes:
    """A copy of ``frame`` carrying this connection's sequence number."""
    out = bytearray(frame)
    struct.pack_into("<I", out, SEQ_OFFSET, seq & 0xFFFFFFFF)
    return bytes(out)
