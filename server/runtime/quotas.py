"""Per-client limits: a token bucket per address, refilled at a rate per minute (used on
the event loop only: the edge asks before it hands work to the worker), and the checks
that a new session fits the server's and its address's limits."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from server.config import Settings
from server.errors import TooMany, TooManySessions

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


def admit_create(creates: RateLimit, client: str, rate: float) -> None:
    """TooMany (429, with Retry-After) if ``client`` created its ``rate`` a minute."""
    if not creates.allow(client):
        wait = max(1, math.ceil(creates.retry_after(client)))
        raise TooMany(
            f"this address created {rate:g} sessions in the last minute (the server's "
            f"create_rate); try again in {wait} s",
            "create_rate",
            retry_after=wait,
        )


def admit_hold(owners: Iterable[str], client: str | None, settings: Settings) -> None:
    """A new session must fit max_sessions and the address's max_sessions_per_client
    (``owners``: the address of every live session; ``client`` None: max_sessions only)."""
    owners = list(owners)
    if len(owners) >= settings.max_sessions:
        raise TooManySessions(
            f"the server holds its limit of {settings.max_sessions} sessions; "
            "delete one or try again later"
        )
    cap = settings.max_sessions_per_client
    if client is not None and owners.count(client) >= cap:
        raise TooMany(
            f"this address holds {cap} live sessions, its limit "
            "(the server's max_sessions_per_client); delete one first",
            "max_sessions_per_client",
        )
