"""The live schedule: how many epochs a running session is due at its speed, when the
next one falls due, and the speed it achieved. Pure functions of a session's clock fields
(set by Session when it starts running or changes speed) and the time the worker passes."""

from __future__ import annotations

import math
from collections.abc import Iterable

from server.sessions.session import Session
from server.sessions.state import State

MAX_DUE = 10**9  # a session at "max" wants as many epochs as time allows
RATE_WINDOW = 1.0  # seconds over which achieved speed is measured
BACKLOG = 0.25  # a paced session owes at most this many seconds of epochs


def due(session: Session, now: float) -> int:
    """How many epochs a running session should train now to keep its speed."""
    if session.state != State.RUNNING or session.pending is not None:
        return 0
    if session.speed == "max":
        return MAX_DUE
    speed = float(session.speed)
    owed = math.floor((now - session.clock_start) * speed) - session.clock_epochs
    most = math.floor(speed * BACKLOG) + 1
    if owed > most:  # too far behind: owe BACKLOG seconds' worth, no more (an overloaded
        # server still gives each pass a backlog's epochs, not one: measured 9 epochs/s
        # at speed 60 for 200 students where "max" gave 25)
        session.clock_start, session.clock_epochs = now - most / speed, 0
        owed = most
    return owed


def measure(session: Session, now: float) -> None:
    """Achieved epochs/s over about the last second."""
    if session.state != State.RUNNING:
        session.rate, session.rate_since = 0.0, None
        return
    if session.rate_since is None:
        session.rate_since = (now, session.model.epoch)
        return
    since, epoch = session.rate_since
    if now - since >= RATE_WINDOW:
        session.rate = (session.model.epoch - epoch) / (now - since)
        session.rate_since = (now, session.model.epoch)


def next_due(sessions: Iterable[Session], now: float) -> float:
    wait = math.inf
    for session in sessions:
        if session.state == State.RUNNING and session.speed != "max":
            speed = float(session.speed)
            due_at = session.clock_start + (session.clock_epochs + 1) / speed
            wait = min(wait, due_at - now)
    return wait
