"""Per-address rate limits: a burst of a minute's worth, then one more as each refills."""

from __future__ import annotations

import pytest

from server.runtime.quotas import MAX_CLIENTS, RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_minutes_worth_at_once_then_one_per_refill() -> None:
    clock = Clock()
    limit = RateLimit(6, clock)  # 6 a minute: one every 10 s
    assert [limit.allow("a") for _ in range(7)] == [True] * 6 + [False]
    assert limit.retry_after("a") == pytest.approx(10)
    clock.now += 9.9
    assert not limit.allow("a")
    clock.now += 0.2
    assert limit.allow("a") and not limit.allow("a")
    assert limit.allow("b")  # every address has its own bucket


def test_a_long_pause_refills_no_more_than_the_burst() -> None:
    clock = Clock()
    limit = RateLimit(3, clock)
    for _ in range(3):
        limit.allow("a")
    clock.now += 3600
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]


def test_memory_is_bounded_however_many_addresses_come() -> None:
    limit = RateLimit(1, Clock())
    for i in range(MAX_CLIENTS + 50):
        limit.allow(f"10.0.{i // 256}.{i % 256}")
    assert len(limit._buckets) == MAX_CLIENTS
