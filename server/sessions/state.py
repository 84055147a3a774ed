"""The one table of moves between a session's states (the states themselves are on the
wire: protocol/config.py). Every state write goes through ``Session.transition``, which
asks ``allows``, so no code path can skip the table."""

from __future__ import annotations

from server.protocol.config import State

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
STOPPED = frozenset({State.DIVERGED, State.FAILED})  # only a reset or rebuild trains again

__all__ = ["STOPPED", "TRANSITIONS", "State", "allows"]


def allows(old: State, new: State) -> bool:
    return new == old or new in TRANSITIONS[old]
