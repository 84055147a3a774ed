"""The websocket stream: controls, frames, flow control, errors, several viewers."""

from __future__ import annotations

import math
import threading
import time

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.config import Settings
from tests.helpers.api import THREE, create
from tests.helpers.ws import next_error, next_frame, next_json, state_where


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


def test_unknown_dataset_in_a_patch_is_422_and_a_ws_error(client: TestClient, session: str) -> None:
    r = client.patch(f"/api/sessions/{session}", json={"config": {"dataset": "nope"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "dataset"
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "config", "config": {"dataset": "nope"}})
        message = next_error(ws)
        assert message["field"] == "config.dataset" and "allowed" in message["message"]


def test_binary_websocket_message_gets_an_error_and_the_socket_stays(
    client: TestClient, session: str
) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_bytes(b"\x01\x02")
        while (message := ws.receive())["type"] == "websocket.send" and "error" not in (
            message.get("text") or ""
        ):
            pass
        assert "JSON text" in message["text"]
        ws.send_json({"type": "step"})
        while not ((m := ws.receive()).get("text") and '"epoch": 1' in m["text"]):
            pass


def test_websocket_streams_class_grids_and_metrics(client: TestClient) -> None:
    sid = create(client, **THREE)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        state = ws.receive_json()["session"]
        assert state["config"]["classes"] == 3 and state["metrics"]["classes"] == 3
        ws.send_json({"type": "view", "grid": 20, "map_size": 5})
        frame = next_frame(ws)
        while frame["grid_size"] != 20:
            frame = next_frame(ws)
        assert frame["classes"] == 3 and frame["sizes"] == [2, 6, 3]
        assert set(frame["grid"]) <= {0, 1, 2} and len(frame["confidence"]) == 400
        assert min(frame["confidence"]) >= 85  # the winner of 3 has p >= 1/3
        ws.send_json({"type": "step"})
        stepped = state_where(ws, epoch=1)
        assert 0 <= stepped["metrics"]["train_accuracy"] <= 1
        frame = next_frame(ws)
        while frame["epoch"] != 1:
            frame = next_frame(ws)
        assert frame["train_accuracy"] == pytest.approx(stepped["metrics"]["train_accuracy"])
        ws.send_json({"type": "config", "config": {"classes": 4}})
        assert state_where(ws, epoch=0)["config"]["classes"] == 4
        ws.send_json({"type": "config", "config": {"classes": 4, "loss": "mse"}})
        while True:
            message = ws.receive()
            if message.get("bytes") is not None:
                ws.send_json({"type": "ack"})
            elif '"error"' in message["text"]:
                assert '"config.loss"' in message["text"]
                break


def test_regression_and_two_class_frames(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        frame = next_frame(ws)
        assert frame["classes"] == 0 and frame["confidence"] is None
        assert 0 <= frame["train_accuracy"] <= 1 and len(frame["grid"]) == 100 * 100
    sid = create(client, problem="regression", dataset="plane")["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        frame = next_frame(ws)
        assert math.isnan(frame["train_accuracy"]) and math.isnan(frame["test_accuracy"])


@pytest.mark.parametrize("speed", [0, -1, 1e9, "fast", None])
def test_a_bad_speed_names_the_field_and_every_allowed_value(
    client: TestClient, session: str, speed: object
) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "speed", "speed": speed})
        message = next_error(ws)
        assert message["field"] == "speed"  # not pydantic's union member ("constrained-float")
        assert 'greater than 0 and at most 100000, or "max"' in message["message"]
        ws.send_json({"type": "speed", "speed": "max"})  # the socket stays
        assert state_where(ws, speed="max")["speed"] == "max"
