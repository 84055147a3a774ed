"""Room events (a pushed setup, a pause, a spotlight) through one interface, so a room can
later span several server processes (Redis pub/sub) without its code changing: in-process
here (design.md, "Rooms").

``publish`` may be called from any thread (the worker's, the event loop's); each
subscriber's ``deliver`` is called in publish order, on the publishing thread, and must
hand the message on without blocking (``loop.call_soon_threadsafe`` into a queue). A
subscriber that raises is logged and the others still hear the event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)
Deliver = Callable[[dict[str, Any]], None]


class Subscription(Protocol):
    def close(self) -> None:
        """Hear nothing more (idempotent)."""
        ...


class Events(Protocol):
    def publish(self, topic: str, message: dict[str, Any]) -> int:
        """Hand ``message`` to every subscriber of ``topic``; how many heard it."""
        ...

    def subscribe(self, topic: str, deliver: Deliver) -> Subscription: ...


@dataclass(eq=False)
class _Listener:
    events: LocalEvents
    topic: str
    deliver: Deliver
    open: bool = True

    def close(self) -> None:
        self.events._remove(self)


@dataclass
class LocalEvents:
    """Events within this process."""

    _topics: dict[str, list[_Listener]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, topic: str, message: dict[str, Any]) -> int:
        with self._lock:  # delivered outside the lock: a subscriber may (un)subscribe
            listeners = list(self._topics.get(topic, ()))
        heard = 0
        for listener in listeners:
            if not listener.open:
                continue
            try:
                listener.deliver(message)
                heard += 1
            except Exception:
                log.exception("a subscriber of %s failed on %r", topic, message.get("type"))
        return heard

    def subscribe(self, topic: str, deliver: Deliver) -> Subscription:
        listener = _Listener(self, topic, deliver)
        with self._lock:
            self._topics.setdefault(topic, []).append(listener)
        return listener

    def topics(self) -> dict[str, int]:
        """Subscribers per topic (for health and tests)."""
        with self._lock:
            return {t: len(ls) for t, ls in self._topics.items()}

    def _remove(self, listener: _Listener) -> None:
        with self._lock:
            listener.open = False
            listeners = self._topics.get(listener.topic, [])
            if listener in listeners:
                listeners.remove(listener)
            if not listeners:
                self._topics.pop(listener.topic, None)
