"""A session's states and the one table of moves between them. Every state write goes
through ``State.to`` (``Session.transition``), so no code path can skip the table."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Equal to its name as a string (``State.RUNNING == "running"``), which is what REST
    and websocket messages carry; ``code`` is its number in a frame's header."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    DIVERGED = "diverged"
    FAILED = "failed"
    CLOSED = "closed"

    @property
    def code(self) -> int:
        return list(State).index(self)

    @property
    def stopped(self) -> bool:
        """Diverged or failed: only a reset (or a rebuild) trains it again."""
        return self in (State.DIVERGED, State.FAILED)

    def allows(self, new: State) -> bool:
        return new == self or new in TRANSITIONS[self]


# what may follow each state; any state may close (a deletion, expiry, shutdown)
_I, _R, _P, _D, _F, _C = State
TRANSITIONS: dict[State, frozenset[State]] = {
    _I: frozenset({_R, _P, _F, _C}),
    _R: frozenset({_P, _D, _F, _I, _C}),
    _P: frozenset({_R, _D, _F, _I, _C}),
    _D: frozenset({_I, _P, _F, _C}),
    _F: frozenset({_I, _C}),
    _C: frozenset(),
}
