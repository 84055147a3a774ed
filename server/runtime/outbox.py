"""Viewers as the runtime sees them: an ``Outbox`` (the web layer's websocket viewer
implements it) and, per (outbox, session), a ``Follow`` holding that pair's frame state.

Flow control is per follow: one frame in flight, released by an ack carrying the frame's
sequence number. Sequence numbers count per outbox, so an outbox that follows several
sessions (a teacher's wall) tells by the number alone which session's frame was drawn.

Threads: follows are added, removed and read on the worker thread; an ack arrives on the
event loop and writes one int (``Follow.acked``), which the worker reads.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from server.protocol.frames import View


class Outbox(Protocol):
    """One viewer's way out. ``post`` and ``deliver`` may be called from any thread."""

    @property
    def channel(self) -> Hashable:
        """Outboxes of one channel (one event loop) take their frames in one ``deliver``."""
        ...

    def post(self, message: dict[str, Any]) -> None:
        """Queue a JSON message (a newer ``state`` replaces an unsent one)."""
        ...

    def deliver(self, frames: list[tuple[Outbox, str, bytes]]) -> None:
        """Hand over (outbox, session id, frame) for outboxes of this one's channel; a
        newer frame of a session replaces its unsent one."""
        ...


@dataclass(eq=False)
class Follow:
    """One outbox following one session."""

    outbox: Outbox
    session_id: str
    view: View
    sent: int = 0  # sequence number of the last frame handed over (0: none yet)
    acked: int = 0  # the last of them the client acked
    version: int = -1  # the session's version in the last frame
    next_frame: float = 0.0  # monotonic time before which no frame is due (fps cap)

    @property
    def ready(self) -> bool:
        """May take a frame: nothing in flight."""
        return self.acked == self.sent


class Followers:
    """Who follows which session, both ways, and each outbox's sequence counter."""

    def __init__(self) -> None:
        self._by_session: dict[str, dict[Outbox, Follow]] = {}
        self._by_outbox: dict[Outbox, dict[str, Follow]] = {}
        self._seq: dict[Outbox, int] = {}
        # per outbox, seq -> the follow whose frame it is, while in flight: an ack finds its
        # follow at once (a wall follows 200 sessions and acks each tile)
        self._inflight: dict[Outbox, dict[int, Follow]] = {}

    # worker thread
    def add(self, outbox: Outbox, session_id: str, view: View) -> Follow:
        follow = Follow(outbox, session_id, view)
        self._by_session.setdefault(session_id, {})[outbox] = follow
        self._by_outbox.setdefault(outbox, {})[session_id] = follow
        self._seq.setdefault(outbox, 0)
        return follow

    def remove(self, outbox: Outbox, session_id: str) -> None:
        self._by_session.get(session_id, {}).pop(outbox, None)
        if not self._by_session.get(session_id, True):
            del self._by_session[session_id]
        gone = self._by_outbox.get(outbox, {}).pop(session_id, None)
        inflight = self._inflight.get(outbox, {})
        if gone is not None and inflight.get(gone.sent) is gone:
            del inflight[gone.sent]
        if not self._by_outbox.get(outbox, True):
            del self._by_outbox[outbox]
            del self._seq[outbox]
            self._inflight.pop(outbox, None)

    def drop_session(self, session_id: str) -> None:
        """The session ended: nobody follows it any more."""
        for outbox in list(self._by_session.get(session_id, ())):
            self.remove(outbox, session_id)

    def of(self, session_id: str) -> list[Follow]:
        return list(self._by_session.get(session_id, {}).values())

    def watched(self, session_id: str) -> bool:
        return session_id in self._by_session

    def next_seq(self, outbox: Outbox) -> int:
        seq = self._seq[outbox] % 0xFFFFFFFF + 1  # 1 .. 2^32 - 1: 0 means "none yet"
        self._seq[outbox] = seq
        return seq

    def sending(self, follow: Follow) -> int:
        """``follow``'s next frame goes out: its sequence number, now in flight."""
        inflight = self._inflight.setdefault(follow.outbox, {})
        if inflight.get(follow.sent) is follow:  # acked as "the newest" (seq None): gone now
            del inflight[follow.sent]
        seq = self.next_seq(follow.outbox)
        follow.sent = seq
        inflight[seq] = follow  # one entry per follow at most
        return seq

    def set_view(self, outbox: Outbox, view: View) -> None:
        """Use ``view`` for every session the outbox follows, from their next frame on."""
        for follow in self._by_outbox.get(outbox, {}).values():
            follow.view = view
            follow.version = -1
            follow.next_frame = 0.0  # a slower view asked before must not hold this one

    def count(self) -> int:
        """Follows in all (any thread: copies of dicts are atomic)."""
        return sum(len(d) for d in tuple(self._by_session.values()))

    # event loop
    def ack(self, outbox: Outbox, seq: int | None) -> bool:
        """The client drew frame ``seq`` (None: its newest of each session). False for an
        older frame's ack: the newest is still in flight."""
        if seq is not None:
            follow = self._inflight.get(outbox, {}).pop(seq, None)
            if follow is None or follow.sent != seq:
                return False
            follow.acked = seq
            return True
        acked = False
        for follow in tuple(self._by_outbox.get(outbox, {}).values()):
            sent = follow.sent  # read once: the worker may hand over a newer frame now
            if sent:
                follow.acked = sent
                acked = True
        return acked
