"""runtime/paths.py and the worker: a lone CPU session trains on the compiled kernel; a
group trains each alone on the kernel or as one stack, whichever measured faster; the
numbers are the torch engine's either way."""

from __future__ import annotations

import time

import pytest
import torch
from fastapi.testclient import TestClient

pytest.importorskip("numba")

from server.config import Settings
from server.engine import compiled
from server.protocol.rest import Config
from server.runtime.paths import PROBE_EVERY, Paths, size_class
from server.runtime.turns import MIN_TURN, TICK
from server.runtime.worker import Worker
from server.sessions.session import Session
from tests.engine.test_kernel import assert_same

DEFAULT = Config(seed=5)


def running(worker: Worker, name: str, config: Config = DEFAULT) -> Session:
    s = Session(name, config, Settings(), torch.device("cpu"))
    s.speed = "max"
    s.play()
    worker.sessions[s.id] = s
    return s


def test_a_lone_session_trains_on_the_kernel_as_torch_would() -> None:
    worker = Worker(Settings(device="cpu"))
    mine = running(worker, "s")
    for _ in range(5):
        worker._train(time.monotonic())
    assert mine.model.bound is not None and mine.model.stack is None
    theirs = Session("t", DEFAULT, Settings(), torch.device("cpu"))
    assert mine.model.cursor == 0  # short epochs: turns end between epochs
    theirs.model.train(mine.model.epoch)
    assert_same(mine, theirs)
    assert list(mine.history.epoch) == list(range(mine.model.epoch + 1))


def test_with_the_kernel_off_torch_trains_alone() -> None:
    worker = Worker(Settings(device="cpu", kernel=False))
    s = running(worker, "s")
    worker._train(time.monotonic())
    assert s.model.bound is None and s.model.epoch > 0


def test_a_group_goes_the_way_measured_faster() -> None:
    model = Session("s", DEFAULT, Settings(), torch.device("cpu")).model
    paths, now = Paths(True), 100.0
    assert not paths.alone(model, 4, now)  # the stack not measured yet: stacked first
    paths.measured(model, 1, True, 0.0002)  # a lone session's epoch on the kernel: 0.2 ms
    assert not paths.alone(model, 4, now)  # the stack is measured first (it is together)
    paths.measured(model, 4, False, 0.0004)  # a stack of 4: 0.4 ms an epoch
    assert not paths.alone(model, 4, now + 1)  # 4 x 0.2 ms alone > 0.4 ms stacked
    for _ in range(20):
        paths.measured(model, 5, False, 0.002)  # the stacks of 4-7 grow slow: 2 ms
    assert paths.alone(model, 4, now + 2)
    assert size_class(4) == size_class(7) != size_class(8)
    assert not paths.alone(model, 4, now + PROBE_EVERY + 1)  # the loser's turn, now and then
    assert paths.alone(model, 4, now + PROBE_EVERY + 2)
    too_many = int(TICK / MIN_TURN) + 1  # their lone turns would not fit one pass
    paths.measured(model, too_many, False, 1.0)
    assert not paths.alone(model, too_many, now + 3)


def test_a_group_with_epochs_longer_than_a_kernel_call_stays_stacked() -> None:
    """Lone turns would end at different places in the epoch: never one group again."""
    model = Session("s", DEFAULT, Settings(), torch.device("cpu")).model
    paths = Paths(True)
    for _ in range(20):
        paths.measured(model, 1, True, 2 * compiled.CHUNK)
        paths.measured(model, 4, False, 1.0)  # however slow the stack
    assert not paths.alone(model, 4, 0.0)


def test_no_kernel_for_a_group_when_it_is_off_or_not_ready() -> None:
    model = Session("s", DEFAULT, Settings(), torch.device("cpu")).model
    assert not Paths(False).alone(model, 4, 0.0)
    ready, compiled._state["ready"] = compiled._state["ready"], False
    try:
        assert not Paths(True).alone(model, 4, 0.0) and not Paths(True).kernel_for(model)
    finally:
        compiled._state["ready"] = ready


def test_a_group_sent_alone_is_planned_as_lone_turns_that_stay_valid() -> None:
    worker = Worker(Settings(device="cpu"))
    a, b = running(worker, "a"), running(worker, "b")
    shape = a.model.shape_key()
    worker.paths.kernel[shape] = 1e-5  # measured on lone sessions: fast
    work = worker._plan(time.monotonic())  # the stack is measured first
    assert [(len(w.sessions), w.alone) for w in work] == [(2, False)]
    worker._train(time.monotonic())
    assert a.model.stack is not None and a.model.stack is b.model.stack
    worker.paths.stack = {k: 1.0 for k in worker.paths.stack}  # as if stacks were very slow
    work = worker._plan(time.monotonic())
    assert [(w.sessions, w.alone) for w in work] == [([a], True), ([b], True)]
    assert worker._still(work[0], time.monotonic()) is not None
    worker._train(time.monotonic())
    assert a.model.bound is not None and b.model.bound is not None
    assert a.model.group_key() == b.model.group_key()  # still one place in the epoch
    worker.paths.kernel[shape] = 1.0  # now the kernel is the slow one
    work = worker._plan(time.monotonic())
    assert [(len(w.sessions), w.alone) for w in work] == [(2, False)]


BIG = {"features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"],
       "hidden": [64] * 6, "batch_size": 1, "train_ratio": 90}  # fmt: skip


@pytest.mark.parametrize("settings", [Settings(max_neurons=64, max_points=2_000)], ids=["big"])
def test_a_step_on_the_kernel_is_trained_in_turns_and_others_are_answered(
    client: TestClient, session: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An epoch of ~0.1 s on the kernel is many kernel calls and several turns; a read of
    another session is answered in between."""
    calls: list[int] = []
    train = compiled.Bound.train

    def counted(self, model, epochs, stop):  # type: ignore[no-untyped-def]
        calls.append(epochs)
        return train(self, model, epochs, stop)

    monkeypatch.setattr(compiled.Bound, "train", counted)
    heavy = client.post("/api/sessions", json={"config": BIG}).json()["id"]
    rows = [[x / 100 - 9, 0.5, 1.0 if x % 2 else -1.0] for x in range(1900)]
    assert client.put(f"/api/sessions/{heavy}/data", json={"train": rows, "test": rows[:10]})
    reply = client.post(f"/api/sessions/{heavy}/step")
    assert reply.status_code == 200 and reply.json()["epoch"] == 1
    assert len(calls) >= 3  # turns of the same epoch, with jobs between them
    assert client.get(f"/api/sessions/{session}").json()["id"] == session
