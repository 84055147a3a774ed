"""runtime/schedule.py: how many epochs a running session is due at its speed."""

from __future__ import annotations

import torch

from server.config import Settings
from server.protocol.rest import Config
from server.runtime.schedule import BACKLOG, due
from server.sessions.session import Session


def running(speed: float) -> Session:
    session = Session("s", Config(), Settings(), torch.device("cpu"))
    session.speed = speed
    session.play()
    return session


def test_a_session_on_time_is_due_what_its_speed_gives() -> None:
    s = running(64)  # times and speeds exact in binary: no rounding in the floor
    s.clock_start, s.clock_epochs = 100.0, 0
    assert due(s, 100.0625) == 4  # 1/16 s at 64 epochs/s


def test_a_session_far_behind_owes_a_backlog_of_epochs_not_one() -> None:
    """An overloaded server (a pass of a whole class takes a second) still gives each pass
    BACKLOG seconds of epochs: dropping to one a pass made a class at speed 60 train at 9
    epochs/s where "max" trained at 25."""
    s = running(64)
    s.clock_start, s.clock_epochs = 100.0, 0
    owed = due(s, 101.0)  # a second behind: 64 owed
    assert owed == int(64 * BACKLOG) + 1
    s.clock_epochs += owed  # it trained them; the next pass owes what the speed adds
    assert due(s, 101.0625) == 4


def test_a_paused_session_owes_nothing() -> None:
    s = running(60)
    s.pause()
    assert due(s, 1e9) == 0
