"""Per-client rate limits: a token bucket per address, refilled at a rate per minute.

Used on the event loop only (the edge asks before it hands work to the worker)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

MAX_CLIENTS = 10_000  # buckets remembered; the least recently used go first


class RateLimit:
    """``per_minute`` actions per address, with a burst of as many at once (a class
    behind one address opening the page together is one burst)."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def allow(self, client: str) -> bool:
        """Take one token for ``client`` if it has one."""
        now = self.clock()
        tokens, since = self._buckets.pop(client, (self.per_minute, now))
        tokens = min(self.per_minute, tokens + (now - since) * self.per_minute / 60)
        allowed = tokens >= 1
        self._buckets[client] = (tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` has a token again."""
        tokens, _ = self._buckets.get(client, (self.per_minute, 0.0))
        return max(0.0, (1 - tokens) * 60 / self.per_minute)
