"""Reading a websocket in tests: binary frames parsed field by field, JSON messages by type."""

from __future__ import annotations

import json
import struct
from typing import Any

from starlette.testclient import WebSocketTestSession

from server.protocol.frames import HEADER


def parse_frame(data: bytes) -> dict[str, Any]:
    (version, state, n, flags, grid, msize, epoch, _rate, train, test, seq, classes, flags2,
     reserved, train_acc, test_acc) = HEADER.unpack_from(data)  # fmt: skip
    assert HEADER.size == 48 and flags2 == reserved == 0
    sizes = struct.unpack_from(f"<{n}H", data, HEADER.size)
    offset = HEADER.size + -(-2 * n // 8) * 8
    n_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    n_biases = sum(sizes[1:])
    params = struct.unpack_from(f"<{n_weights + n_biases}d", data, offset)
    offset += 8 * (n_weights + n_biases)
    hidden = sum(sizes[1:-1])
    grid_bytes = grid * grid * (2 if classes else 1)  # k classes: winners, then confidences
    expected = offset + grid_bytes + (hidden * msize * msize if flags & 1 else 0)
    assert len(data) == expected
    return {
        "classes": classes,
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "confidence": data[offset + grid * grid : offset + grid_bytes] if classes else None,
        "version": version,
        "state": state,
        "sizes": list(sizes),
        "epoch": epoch,
        "seq": seq,
        "train_loss": train,
        "test_loss": test,
        "weights": params[:n_weights],
        "biases": params[n_weights:],
        "grid": data[offset : offset + grid * grid],
        "grid_size": grid,
    }


def next_frame(ws: WebSocketTestSession) -> dict[str, Any]:
    """Skip JSON messages until a frame comes; ack it."""
    while True:
        message = ws.receive()
        if message.get("bytes") is not None:
            ws.send_json({"type": "ack"})
            return parse_frame(message["bytes"])


def next_json(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """Skip (and ack) frames until a JSON message of this type."""
    while True:
        message = ws.receive()
        if message.get("bytes") is not None:
            ws.send_json({"type": "ack"})
        elif message.get("text") is not None:
            body = json.loads(message["text"])
            if body["type"] == kind:
                return body


def state_where(ws: WebSocketTestSession, **match: Any) -> dict[str, Any]:
    while True:
        body = next_json(ws, "state")["session"]
        if all(body[k] == v for k, v in match.items()):
            return body


def next_error(ws: WebSocketTestSession) -> dict[str, Any]:
    """Skip frames and states until an error message."""
    while True:
        text = ws.receive().get("text")
        if text and json.loads(text)["type"] == "error":
            return json.loads(text)  # type: ignore[no-any-return]
