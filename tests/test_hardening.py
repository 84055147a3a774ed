"""Inputs and sequences that once broke things (found in review); each stays fixed."""

from __future__ import annotations

import json
import math
import time

import pytest
import torch
from fastapi.testclient import TestClient

from server.config import Settings
from server.protocol.rest import Config
from server.runtime.worker import Worker
from server.sessions.session import Session


def next_error(ws) -> dict:  # type: ignore[no-untyped-def]
    """Skip frames and states until an error message."""
    while True:
        text = ws.receive().get("text")
        if text and json.loads(text)["type"] == "error":
            return json.loads(text)


def test_batched_sessions_record_their_own_epochs() -> None:
    worker = Worker(Settings())
    a, b = (Session(name, Config(), Settings(), torch.device("cpu")) for name in "ab")
    a.train(7)  # a is ahead; both then train in one group
    for s in (a, b):
        s.speed = "max"
        s.play()
        worker.sessions[s.id] = s
    for _ in range(3):
        worker._train(time.monotonic())
    for s in (a, b):
        epochs = list(s.history.epoch)
        assert epochs == list(range(epochs[0], s.model.epoch + 1)) and epochs[0] == 0


def test_a_lone_session_trains_as_a_stack_of_one_like_alone() -> None:
    """On a GPU a session with no group still trains through engine.batched (no per-epoch
    host sync); the result is the one it gets alone."""
    stacked, plain = Worker(Settings(device="cpu")), Worker(Settings(device="cpu"))
    stacked.stack_alone, plain.stack_alone = True, False
    config = Config(hidden=[5, 3], batch_size=7)
    for worker in (stacked, plain):
        s = Session("s", config, Settings(), torch.device("cpu"))
        s.speed = "max"
        s.play()
        worker.sessions[s.id] = s
        worker._train_group([s], 12)
    a, b = stacked.sessions["s"], plain.sessions["s"]
    assert a.model.stack is not None and b.model.stack is None
    assert a.model.epoch == b.model.epoch == 12
    assert list(a.history.epoch) == list(b.history.epoch) == list(range(13))
    for x, y in zip(a.model.net.weights, b.model.net.weights, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=1e-12)
    assert abs(a.model.train_loss - b.model.train_loss) < 1e-12


def test_unknown_dataset_in_a_patch_is_422_and_a_ws_error(client: TestClient, session: str) -> None:
    r = client.patch(f"/api/sessions/{session}", json={"config": {"dataset": "nope"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "dataset"
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "config", "config": {"dataset": "nope"}})
        message = next_error(ws)
        assert message["field"] == "config.dataset" and "allowed" in message["message"]


def test_import_with_an_absurd_epoch_is_refused_and_changes_nothing(
    client: TestClient, session: str
) -> None:
    model = client.get(f"/api/sessions/{session}/export/model.json").json()
    model["epoch"] = 10**20
    model["config"]["hidden"] = [3]
    r = client.post(f"/api/sessions/{session}/import", json=model)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "epoch"
    assert client.get(f"/api/sessions/{session}").json()["config"]["hidden"] == [4, 2]


def test_chunked_oversized_body_is_refused(client: TestClient, session: str) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"train": ['
        for _ in range(60):
            yield b"[0, 0, 1]," * 10_000
        yield b"[0, 0, 1]]}"

    r = client.put(
        f"/api/sessions/{session}/data",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    assert client.get(f"/api/sessions/{session}").json()["custom_data"] is False


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


def test_a_client_that_never_reads_cannot_grow_the_error_queue() -> None:
    from server.web.viewer import MAX_QUEUED, Viewer

    viewer = Viewer(None)  # type: ignore[arg-type]
    for _ in range(10 * MAX_QUEUED):
        viewer._put_message({"type": "error", "field": "", "message": "bad"})
    viewer._put_message({"type": "state", "session": {}})
    assert len(viewer._messages) == MAX_QUEUED + 1  # errors capped; the newest state still goes


def test_boundary_png_with_far_away_uploaded_points(client: TestClient, session: str) -> None:
    client.put(f"/api/sessions/{session}/data", json={"train": [[1e20, 0, 1], [0, 0, -1]]})
    r = client.get(f"/api/sessions/{session}/boundary.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")


def test_step_on_a_diverged_session_is_refused(client: TestClient, diverging: str) -> None:
    client.post(f"/api/sessions/{diverging}/train", json={"epochs": 500})
    assert client.get(f"/api/sessions/{diverging}").json()["state"] == "diverged"
    r = client.post(f"/api/sessions/{diverging}/step")
    assert r.status_code == 409 and "reset it first" in r.json()["detail"]


def test_turns_leave_paced_work_what_it_needs_and_share_the_rest_by_sessions() -> None:
    """Water-filling in time: work at a set speed takes what its epochs cost, and the time
    it does not use goes to the work at "max", in proportion to the sessions each holds."""
    from server.runtime.turns import GUESS, MIN_TURN, PACED_MARGIN, TICK, Work

    worker = Worker(Settings(device="cpu"))
    sessions = [Session(f"s{i}", Config(seed=i), Settings(), torch.device("cpu")) for i in range(4)]
    work = [
        Work("a", sessions[:2], 10**9),  # two sessions at max
        Work("b", sessions[2:3], 10**9),  # one at max
        Work("paced", sessions[3:], 1),  # wants 1 epoch of 1 ms
    ]
    worker._cost = {w.cost_key: 0.001 for w in work}
    a, b, paced = worker._turns(work)
    assert paced == pytest.approx(0.001 * PACED_MARGIN)  # (it stops after its epoch)
    assert a == pytest.approx(2 * b) and a + b == pytest.approx(TICK - paced)
    worker._cost = {}  # not measured yet: a guess per epoch
    assert worker._turns([Work("paced", sessions[:1], 1)]) == [pytest.approx(GUESS * PACED_MARGIN)]
    work[2].wants = 10  # needs more than a fair share: gets the share, as the others
    assert worker._turns(work)[2] == pytest.approx(TICK / 4)
    tiny = worker._turns([Work(i, sessions[:1], 10**9) for i in range(100)])
    assert min(tiny) == MIN_TURN  # each gets at least a short turn (one slot at least)


def test_a_session_diverging_inside_a_batch_shows_the_epoch_it_diverged_at() -> None:
    worker = Worker(Settings(device="cpu"))
    blows_up = dict(problem="regression", dataset="plane", activation="linear", hidden=[8, 8, 8])
    sessions = [
        Session(
            f"s{i}", Config(**blows_up, learning_rate=10, seed=i), Settings(), torch.device("cpu")
        )
        for i in range(2)
    ]
    for s in sessions:
        s.speed = "max"
        s.play()
    worker._train_group(sessions, 400)
    for s in sessions:
        assert s.state == "diverged"
        last = s.history.epoch[-1]
        assert s.model.epoch == last < 400 and f"at epoch {last}:" in (s.message or "")
        assert not math.isfinite(s.model.train_loss)


def test_a_stopped_sessions_frame_shows_its_own_accuracy_not_the_stacks_last() -> None:
    from server.protocol.frames import HEADER, View

    worker = Worker(Settings(device="cpu"))
    sessions = [Session(f"s{i}", Config(seed=i), Settings(), torch.device("cpu")) for i in range(2)]
    for s in sessions:
        s.speed = "max"
        s.play()
    worker._train_group(sessions, 3)  # the stack measures accuracy at epoch 3
    s = sessions[0]
    s.pause()
    for _ in range(20):
        s.step()  # trains alone, on its views into the stack
    header = HEADER.unpack_from(worker.frames.encode(s, View(render="client")))
    frame_accuracy = header[-2:]
    metrics = s.metrics()
    assert s.model.epoch == 23
    assert frame_accuracy == pytest.approx(
        (metrics["train_accuracy"], metrics["test_accuracy"]), abs=1e-6
    )
