"""streaming.Framer: a pass's frames fit a bounded time, and the sessions it could not
reach go first in the next pass."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch

from server.config import Settings
from server.protocol.frames import View
from server.protocol.rest import Config
from server.runtime import streaming
from server.runtime.outbox import Followers
from server.runtime.worker import Worker
from server.sessions.session import Session


@dataclass(eq=False)
class FakeOutbox:
    """An Outbox (runtime/outbox.py) that keeps the frames it is handed."""

    got: list[bytes] = field(default_factory=list)
    channel: object = None

    def post(self, message: dict) -> None:  # type: ignore[type-arg]
        pass

    def deliver(self, frames: list) -> None:  # type: ignore[type-arg]
        for outbox, _session, frame in frames:
            outbox.got.append(frame)


def test_a_pass_encodes_for_a_bounded_time_then_goes_on_where_it_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(device="cpu")
    sessions = [Session(f"s{i}", Config(seed=i), settings, torch.device("cpu")) for i in range(10)]
    viewers = [FakeOutbox() for _ in sessions]
    followers = Followers()
    for session, viewer in zip(sessions, viewers, strict=True):
        followers.add(viewer, session.id, View())
    cpu = [0.0]
    monkeypatch.setattr(streaming.time, "thread_time", lambda: cpu[0])
    framer = streaming.Framer(settings, torch.device("cpu"))

    def costly(session: Session, view: View, host: object = None) -> bytearray:
        cpu[0] += 0.004  # each frame costs 4 ms of the worker's time
        return bytearray(48)

    monkeypatch.setattr(framer, "encode", costly)
    wait = framer.send(sessions, followers, now=1.0)
    first = [bool(v.got) for v in viewers]
    assert first == [True] * 3 + [False] * 7 and wait == 0.0  # 12 ms > FRAME_TURN: stop
    framer.send(sessions, followers, now=1.0)
    assert [bool(v.got) for v in viewers] == [True] * 6 + [False] * 4  # from the 4th on


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
