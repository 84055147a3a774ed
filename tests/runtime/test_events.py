"""The events interface rooms talk through (runtime/events.py), in process: every
subscriber of a topic hears each event once, in order, from any thread; one that fails
or leaves spoils nothing for the others."""

from __future__ import annotations

import threading
from typing import Any

from server.runtime.events import Events, LocalEvents


def test_subscribers_of_a_topic_hear_its_events_in_order_and_no_others() -> None:
    events: Events = LocalEvents()
    heard: dict[str, list[Any]] = {"a": [], "b": []}
    events.subscribe("room:A", lambda m: heard["a"].append(m["n"]))
    events.subscribe("room:B", lambda m: heard["b"].append(m["n"]))
    for n in range(5):
        assert events.publish("room:A", {"type": "push", "n": n}) == 1
    assert events.publish("room:C", {"type": "push", "n": 9}) == 0
    assert heard == {"a": [0, 1, 2, 3, 4], "b": []}


def test_a_closed_subscription_hears_nothing_more_and_its_topic_goes() -> None:
    events = LocalEvents()
    heard: list[int] = []
    sub = events.subscribe("room:A", lambda m: heard.append(m["n"]))
    events.publish("room:A", {"n": 1})
    sub.close()
    sub.close()  # idempotent
    events.publish("room:A", {"n": 2})
    assert heard == [1] and events.topics() == {}


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    events = LocalEvents()
    heard: list[int] = []

    def broken(message: dict[str, Any]) -> None:
        raise RuntimeError("a student's tab went away badly")

    events.subscribe("room:A", broken)
    events.subscribe("room:A", lambda m: heard.append(m["n"]))
    assert events.publish("room:A", {"n": 1}) == 1
    assert heard == [1]


def test_a_subscriber_may_leave_while_an_event_is_delivered() -> None:
    events = LocalEvents()
    heard: list[str] = []
    subs: list[Any] = []

    def first(message: dict[str, Any]) -> None:
        heard.append("first")
        subs[1].close()  # the second leaves during delivery: it hears nothing more

    subs.append(events.subscribe("t", first))
    subs.append(events.subscribe("t", lambda m: heard.append("second")))
    events.publish("t", {})
    events.publish("t", {})
    assert heard == ["first", "first"]


def test_publishing_from_many_threads_delivers_every_event_once() -> None:
    events = LocalEvents()
    heard: list[tuple[int, int]] = []
    lock = threading.Lock()

    def deliver(message: dict[str, Any]) -> None:
        with lock:
            heard.append((message["thread"], message["n"]))

    events.subscribe("room:A", deliver)

    def publish_all(t: int) -> None:
        for n in range(200):
            events.publish("room:A", {"thread": t, "n": n})

    threads = [threading.Thread(target=publish_all, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(heard) == [(t, n) for t in range(8) for n in range(200)]
    for t in range(8):  # each thread's events arrive in the order it published them
        assert [n for tt, n in heard if tt == t] == list(range(200))
