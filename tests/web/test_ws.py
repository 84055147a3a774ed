"""The websocket stream: controls, frames, flow control, errors, several viewers."""

from __future__ import annotations

import json
import struct
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.config import Settings
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


def test_connect_sends_state_then_a_frame(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        assert ws.receive_json()["session"]["id"] == session
        frame = next_frame(ws)
        assert frame["version"] == 2 and frame["sizes"] == [2, 4, 2, 1] and frame["epoch"] == 0
        params = client.get(f"/api/sessions/{session}/params").json()
        assert list(frame["weights"][:2]) == params["layers"][0]["weight"][0]
        assert frame["grid_size"] == 100 and frame["seq"] == 1


def test_play_streams_increasing_epochs_and_pause_stops(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "speed", "speed": "max"})
        ws.send_json({"type": "play"})
        epochs = [next_frame(ws)["epoch"] for _ in range(8)]
        assert epochs == sorted(epochs) and epochs[-1] > epochs[0]
        ws.send_json({"type": "pause"})
        paused = state_where(ws, state="paused")["epoch"]
        ws.send_json({"type": "step"})
        stepped = state_where(ws, epoch=paused + 1)
        assert stepped["state"] == "paused"  # nothing trained while paused: exactly +1


def test_step_is_exactly_one_epoch(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        for expected in (1, 2, 3):
            ws.send_json({"type": "step"})
            assert state_where(ws, epoch=expected)["state"] == "paused"
        assert client.get(f"/api/sessions/{session}").json()["epoch"] == 3


def test_config_and_set_weight_take_effect(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        next_frame(ws)
        ws.send_json({"type": "config", "config": {"hidden": [3]}})
        assert state_where(ws, epoch=0)["config"]["hidden"] == [3]
        frame = next_frame(ws)
        while frame["sizes"] != [2, 3, 1]:
            frame = next_frame(ws)
        ws.send_json({"type": "set_weight", "layer": 1, "neuron": 0, "input": 2, "value": 3.5})
        frame = next_frame(ws)
        while frame["weights"][-1] != 3.5:
            frame = next_frame(ws)
        ws.send_json({"type": "set_weight", "layer": 0, "neuron": 1, "value": -2.0})
        while next_frame(ws)["biases"][1] != -2.0:
            pass
    params = client.get(f"/api/sessions/{session}/params").json()
    assert params["layers"][1]["weight"][0][2] == 3.5 and params["layers"][0]["bias"][1] == -2.0


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("not json", ""),
        ('{"type": "fly"}', "type"),
        ('{"type": "config", "config": {"learning_rate": 50}}', "config.learning_rate"),
        ('{"type": "config", "config": {"hidden": [9]}}', "config.hidden.0"),
        ('{"type": "set_weight", "layer": 7, "neuron": 0, "value": 1}', "layer"),
        ('{"type": "speed", "speed": -3}', "speed"),
        ('{"type": "view", "grid": 5000}', "grid"),
        # strict types: no string for a number, no number for a boolean
        ('{"type": "config", "config": {"same_init": 1}}', "config.same_init"),
        ('{"type": "config", "config": {"noise": "5"}}', "config.noise"),
        ('{"type": "view", "maps": "false"}', "maps"),
        ('{"type": "speed", "speed": "10"}', "speed"),
        ('{"type": "ack", "seq": "3"}', "seq"),
    ],
)
def test_bad_messages_get_errors_and_the_socket_stays(
    client: TestClient, session: str, message: str, field: str
) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_text(message)
        error = next_json(ws, "error")
        assert error["field"].startswith(field) and error["message"]
        ws.send_json({"type": "step"})
        assert state_where(ws, epoch=1)["state"] == "paused"


def test_unknown_session_closes_with_4404(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect("/ws/sessions/nope") as ws,
    ):
        ws.receive_text()
    assert info.value.code == 4404 and "unknown session" in info.value.reason


def test_client_that_never_acks_gets_exactly_one_frame(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "speed", "speed": "max"})
        ws.send_json({"type": "play"})
        frames = 0
        # train far beyond the first frame, then ask for an error reply: the socket is
        # ordered, so any frame sent meanwhile would arrive before that reply.
        for _ in range(1000):
            if client.get(f"/api/sessions/{session}").json()["epoch"] > 200:
                break
        ws.send_text('{"type": "nothing"}')
        while True:
            message = ws.receive()
            if message.get("bytes") is not None:
                frames += 1
            elif '"error"' in message["text"]:
                break
        assert frames == 1


def test_divergence_is_reported_and_reset_recovers(client: TestClient, diverging: str) -> None:
    sid = diverging
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.send_json({"type": "speed", "speed": "max"})
        ws.send_json({"type": "play"})
        diverged = state_where(ws, state="diverged")
        assert "learning rate" in diverged["message"]
        ws.send_json({"type": "play"})
        assert "diverged" in next_json(ws, "error")["message"]
        ws.send_json({"type": "reset"})
        assert state_where(ws, state="idle")["epoch"] == 0


def test_two_viewers_see_the_same_session(client: TestClient, session: str) -> None:
    url = f"/ws/sessions/{session}"
    with client.websocket_connect(url) as a, client.websocket_connect(url) as b:
        a.send_json({"type": "step"})
        assert state_where(b, epoch=1)["state"] == "paused"
        b.send_json({"type": "config", "config": {"learning_rate": 0.1}})
        while state_where(a, epoch=1)["config"]["learning_rate"] != 0.1:
            pass
        # REST training shows up live in both
        client.post(f"/api/sessions/{session}/train", json={"epochs": 5})
        for ws in (a, b):
            frame = next_frame(ws)
            while frame["epoch"] != 6:
                frame = next_frame(ws)


def test_delete_closes_viewers(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.receive_json()
        client.delete(f"/api/sessions/{session}")
        message = ws.receive()
        while message["type"] != "websocket.close":
            message = ws.receive()
        assert message["code"] == 4410


def test_view_options_shape_frames(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "view", "grid": 40, "maps": False})
        frame = next_frame(ws)
        while frame["grid_size"] != 40:
            frame = next_frame(ws)


def test_client_render_view_sends_weights_without_grids(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "view", "render": "client"})
        frame = next_frame(ws)
        while frame["grid_size"] != 0:
            frame = next_frame(ws)
        assert frame["grid"] == b"" and len(frame["weights"]) == 2 * 4 + 4 * 2 + 2


def close_code(ws: WebSocketTestSession) -> int:
    """Read (and ack) everything until the server closes; the close code."""
    with pytest.raises(WebSocketDisconnect) as info:
        while True:
            message = ws.receive()
            if message["type"] == "websocket.close":
                raise WebSocketDisconnect(message["code"], message.get("reason"))
            if message.get("bytes") is not None:
                ws.send_json({"type": "ack"})
    return info.value.code


def test_a_viewer_connecting_while_its_session_is_deleted_is_told(
    client: TestClient, session: str
) -> None:
    """The attach is queued first, the delete right behind it: the viewer's first state
    must not overwrite the deletion, which leaves a socket open on a session gone."""
    worker = client.app.state.manager.worker  # type: ignore[attr-defined]
    release = threading.Event()
    worker.submit(lambda: release.wait(30))  # hold the worker while both are queued
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        while worker._jobs.qsize() < 1:  # polling until the attach is queued
            time.sleep(0.001)
        deleting = threading.Thread(target=lambda: client.delete(f"/api/sessions/{session}"))
        deleting.start()
        while worker._jobs.qsize() < 2:  # ... and the delete behind it
            time.sleep(0.001)
        release.set()
        assert close_code(ws) == 4410
        deleting.join()
    with client.websocket_connect(f"/ws/sessions/{session}") as late:
        assert close_code(late) == 4410  # a deleted id is not "unknown"


@pytest.mark.parametrize("sid", ["x" * 10_000, "ünïcødé-✓", "%ff%fe", "a b", "%00"])
def test_odd_session_ids_close_with_4404(client: TestClient, sid: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        assert close_code(ws) == 4404


def test_connecting_faster_than_the_rate_is_refused() -> None:
    with TestClient(create_app(Settings(connect_rate=2))) as c:
        sid = c.post("/api/sessions", json={}).json()["id"]
        for _ in range(2):
            with c.websocket_connect(f"/ws/sessions/{sid}") as ws:
                assert ws.receive_json()["type"] == "state"
        with c.websocket_connect(f"/ws/sessions/{sid}") as ws:
            assert close_code(ws) == 4429


def test_a_slow_view_does_not_hold_back_the_next_one(client: TestClient, session: str) -> None:
    """fps 0.1 then 60: the next frame comes at once, not ten seconds later (a hidden tab
    going back to its usual rate)."""
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        next_frame(ws)
        ws.send_json({"type": "view", "fps": 0.1})
        ws.send_json({"type": "step"})
        next_frame(ws)  # the step's frame: due at once, then none for 10 s
        ws.send_json({"type": "step"})
        ws.send_json({"type": "view", "fps": 60})
        started = time.monotonic()
        assert next_frame(ws)["epoch"] >= 1
        assert time.monotonic() - started < 5  # (10 s if the old interval held)
