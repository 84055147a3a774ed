"""runtime/worker.py: the worker trains sessions in groups (stacks) and alone, each session
keeping its own epochs, history and divergence."""

from __future__ import annotations

import math
import time

import torch

from server.config import Settings
from server.protocol.rest import Config
from server.runtime.worker import Worker
from server.sessions.session import Session


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
