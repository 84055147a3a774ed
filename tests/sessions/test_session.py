"""Session lifecycle: the state machine, failures that stay in one session, pause and expiry."""

from __future__ import annotations

import time

import pytest
import torch
from fastapi.testclient import TestClient

from server.app import create_app
from server.cli import parse
from server.config import Settings
from server.engine.training import Accumulator
from server.errors import Conflict
from server.protocol.rest import Config, ConfigPatch
from server.sessions.session import Session
from server.sessions.state import State


def make_session(**config: object) -> Session:
    return Session("s", Config(**config), Settings(), torch.device("cpu"))


def test_state_machine_transitions() -> None:
    s = make_session()
    assert s.state == "idle"
    s.play()
    assert s.state == "running"
    s.pause()
    assert s.state == "paused"
    s.step()
    assert s.state == "paused" and s.model.epoch == 1
    s.transition(State.DIVERGED, "train", "the loss is not a number")
    with pytest.raises(Conflict, match="cannot play: the session is diverged \\(reset it first\\)"):
        s.play()
    s.reset()
    assert s.state == "idle" and s.model.epoch == 0


def test_rebuild_while_running_pauses_like_tfp() -> None:
    s = make_session()
    s.play()
    s.apply_config(ConfigPatch(learning_rate=0.1))
    assert s.state == "running"  # a learning-rate change keeps going
    s.apply_config(ConfigPatch(hidden=[2]))
    assert s.state == "idle" and s.model.epoch == 0


@pytest.mark.parametrize("stack_alone", [False, True], ids=["cpu-way", "gpu-way"])
def test_a_failing_session_does_not_stop_the_others(client: TestClient, stack_alone: bool) -> None:
    manager = client.app.state.manager
    manager.worker.stack_alone = stack_alone  # a lone session trains as a stack (GPU) or not
    bad, good = (client.post("/api/sessions", json={}).json()["id"] for _ in range(2))

    def explode(*args: object) -> None:
        raise RuntimeError("boom")

    def break_it() -> None:
        model = manager.sessions[bad].model
        # fail whichever way it trains: alone (Model.train), or in a group or a stack of
        # one (its gradient sums no longer fit its network), after which the worker retries
        # each session alone to find the culprit
        model.train = explode
        model.acc = Accumulator([w[..., :1].clone() for w in model.acc.weights], model.acc.biases)

    manager.worker.submit(break_it).result(timeout=10)
    client.post(f"/api/sessions/{bad}/play")
    client.post(f"/api/sessions/{good}/play")
    for _ in range(10_000):
        states = {sid: client.get(f"/api/sessions/{sid}").json() for sid in (bad, good)}
        if states[bad]["state"] == "failed" and states[good]["epoch"] > 3:
            break
    assert states[bad]["state"] == "failed" and "RuntimeError: boom" in states[bad]["message"]
    assert states[good]["state"] == "running" and states[good]["epoch"] > 3
    r = client.post(f"/api/sessions/{bad}/train", json={"epochs": 1})
    assert r.status_code == 409
    assert client.get("/api/health").json()["status"] == "ok"


def test_unwatched_sessions_pause_then_expire(client: TestClient, settings: Settings) -> None:
    manager = client.app.state.manager
    sid = client.post("/api/sessions", json={}).json()["id"]
    client.post(f"/api/sessions/{sid}/play")
    now = time.monotonic()

    def expire(at: float) -> None:
        manager.worker.submit(lambda: manager._expire(at)).result(timeout=10)

    expire(now + settings.idle_pause / 2)
    assert client.get(f"/api/sessions/{sid}").json()["state"] == "running"
    expire(time.monotonic() + settings.idle_pause + 1)
    assert client.get(f"/api/sessions/{sid}").json()["state"] == "paused"
    expire(time.monotonic() + settings.session_ttl + 1)
    assert client.get(f"/api/sessions/{sid}").status_code == 404


def test_watched_sessions_do_not_expire(client: TestClient, settings: Settings) -> None:
    manager = client.app.state.manager
    sid = client.post("/api/sessions", json={}).json()["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        ws.receive_json()
        far = time.monotonic() + settings.session_ttl * 10
        manager.worker.submit(lambda: manager._expire(far)).result(timeout=10)
        assert client.get(f"/api/sessions/{sid}").status_code == 200


def test_settings_from_environment_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings.from_env({"PLAYGROUND_PORT": "9000", "PLAYGROUND_DTYPE": "float32"})
    assert s.port == 9000 and s.dtype == "float32"
    with pytest.raises(ValueError, match="PLAYGROUND_MAX_SESSIONS must be a number"):
        Settings.from_env({"PLAYGROUND_MAX_SESSIONS": "many"})
    assert parse(["--port", "8123", "--max-sessions", "3"]).max_sessions == 3
    monkeypatch.setenv("PLAYGROUND_BATCHING", "0")
    assert parse([]).batching is False and parse(["--batching"]).batching is True  # flag wins
    monkeypatch.setenv("PLAYGROUND_BATCHING", "1")
    assert parse(["--no-batching"]).batching is False
    with pytest.raises(SystemExit):
        parse(["--device", "tpu"])


def test_float32_setting_trains(settings: Settings) -> None:
    with TestClient(create_app(settings.replace(dtype="float32"))) as c:
        sid = c.post("/api/sessions", json={}).json()["id"]
        assert (
            c.post(f"/api/sessions/{sid}/train", json={"epochs": 100}).json()["history"][-1][
                "train_loss"
            ]
            < 0.02
        )


def test_frame_budget_stretches_evenly_under_load_and_relaxes() -> None:
    from server.runtime.streaming import FrameBudget

    budget = FrameBudget(share=0.5, window=1.0, clock=lambda: (0.0, 0.0))
    budget.update(0.0, training=True)
    budget.spent(0.8)  # 80 % of a second spent rendering while sessions train
    budget.update(1.0, training=True)
    assert budget.scale == pytest.approx(1.6)  # every interval 1.6x longer: 0.8 -> 0.5 share
    budget.spent(0.1)
    budget.update(2.0, training=True)
    assert budget.scale == pytest.approx(1.6 * 0.7)
    budget.update(3.0, training=False)  # nothing trains: frames may use all the time
    assert budget.scale == 1.0
    budget.spent(100.0)
    budget.update(4.0, training=True)
    assert budget.scale == budget.most


def test_frame_budget_counts_the_event_loops_cpu_but_not_the_workers_training() -> None:
    from server.runtime.streaming import FrameBudget

    cpu = {"process": 0.0, "worker": 0.0}
    budget = FrameBudget(share=0.5, window=1.0, clock=lambda: (cpu["process"], cpu["worker"]))
    budget.update(0.0, training=True)
    cpu["worker"] += 0.9  # the worker trained for 0.9 s of CPU ...
    cpu["process"] += 0.9 + 0.8  # ... while the event loop spent 0.8 s sending frames
    budget.spent(0.2)  # and the worker 0.2 s encoding them
    budget.update(1.0, training=True)
    assert budget.scale == pytest.approx(2.0)  # (0.8 + 0.2) / 0.5
    cpu["worker"] += 1.0  # a second of training alone: frames are cheap again
    cpu["process"] += 1.0
    budget.update(2.0, training=True)
    assert budget.scale == pytest.approx(2.0 * 0.7)


@pytest.mark.parametrize(
    ("kernel", "costly"),
    [(False, [8, 8, 8]), (True, [64, 64, 64, 64])],  # the kernel is ~20x faster: a bigger net
    ids=["torch", "kernel"],
)
def test_under_overload_time_is_shared_by_sessions_not_by_epochs(
    kernel: bool, costly: list[int]
) -> None:
    """Every running session at "max": a cheap lone session and a costly one (a bigger
    network with batch 1: hundreds of updates an epoch) are given the same time each pass,
    so the costly one gets far fewer epochs, never a longer turn: its turns end mid-epoch.
    (What the turns take on the clock is bench.fairness's to measure.)"""
    from server.runtime.turns import TICK
    from server.runtime.worker import Worker

    settings = Settings(batching=False, kernel=kernel, max_neurons=64)
    worker = Worker(settings)
    configs = {
        "cheap": Config(hidden=[2], batch_size=30),
        "costly": Config(hidden=costly, batch_size=1, train_ratio=90),
    }
    for name, config in configs.items():
        s = Session(name, config, settings, torch.device("cpu"))
        s.speed = "max"
        s.play()
        worker.sessions[s.id] = s
    given: dict[str, list[float]] = {name: [] for name in configs}
    mid_epoch = 0
    take_turn = worker._take_turn

    def recorded(piece, seconds):  # type: ignore[no-untyped-def]
        nonlocal mid_epoch
        busy = take_turn(piece, seconds)
        given[piece.sessions[0].id].append(seconds)
        mid_epoch += piece.sessions[0].id == "costly" and piece.sessions[0].model.cursor > 0
        return busy

    worker._take_turn = recorded  # type: ignore[method-assign]
    for _ in range(40):
        worker._train(time.monotonic())
    turns = given["cheap"] + given["costly"]
    assert turns == [TICK / 2] * len(turns) and len(turns) >= 60  # (a pass may overrun)
    cheap, costly = worker.sessions["cheap"].model, worker.sessions["costly"].model
    assert mid_epoch > 20  # an epoch of the costly one spans several turns
    assert cheap.epoch > 5 * (costly.epoch + costly.fraction)
    assert (costly.bound is not None) == kernel  # trained on the path under test
