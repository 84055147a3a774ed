"""SessionManager: what no single client can do to the others (limits per address, absurd
requests, requests cut short) and what answers without waiting for the worker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings

HEAVY = {
    "features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"],
    "hidden": [8, 8, 8, 8, 8, 8],
    "batch_size": 1,
    "train_ratio": 90,
}


def in_flight(
    client: TestClient, path: str, body: dict | None = None
) -> tuple[threading.Thread, dict]:
    """POST ``path`` from a thread; returns once the worker has taken it as a request
    (the thread, and the reply it fills in when it ends)."""
    manager = client.app.state.manager  # type: ignore[attr-defined]
    reply: dict = {}
    thread = threading.Thread(target=lambda: reply.update(client.post(path, json=body).json()))
    thread.start()
    while manager.counts()["requests"] == 0 and thread.is_alive():
        time.sleep(0.001)  # polling until the worker has taken the request
    return thread, reply


@pytest.fixture
def limited() -> Iterator[TestClient]:
    settings = Settings(max_sessions_per_client=3, create_rate=100, max_train_seconds=10)
    with TestClient(create_app(settings)) as c:
        yield c


def test_health_answers_while_the_worker_is_busy(client: TestClient, session: str) -> None:
    manager = client.app.state.manager  # type: ignore[attr-defined]
    release = threading.Event()
    manager.worker.submit(lambda: release.wait(30))  # the worker is stuck in a long job
    answer: dict = {}
    asking = threading.Thread(target=lambda: answer.update(client.get("/api/health").json()))
    try:
        asking.start()
        asking.join(timeout=10)
        assert not asking.is_alive(), "/api/health waited for the worker"
    finally:
        release.set()
        asking.join()
    assert answer["status"] == "ok" and answer["sessions"] == 1
    assert answer["running"] == 0 and answer["requests"] == 0 and answer["viewers"] == 0


def test_one_address_cannot_take_every_session(limited: TestClient) -> None:
    for _ in range(3):
        assert limited.post("/api/sessions", json={}).status_code == 201
    r = limited.post("/api/sessions", json={})
    assert r.status_code == 429 and "max_sessions_per_client" in r.json()["detail"]
    other = TestClient(limited.app, client=("10.1.2.3", 4000))  # same server, another address
    other.portal = limited.portal  # (its lifespan is the first client's)
    assert other.post("/api/sessions", json={}).status_code == 201
    assert limited.get("/api/health").json()["sessions"] == 4


def test_creating_faster_than_the_rate_is_refused() -> None:
    with TestClient(create_app(Settings(create_rate=2))) as c:
        assert [c.post("/api/sessions", json={}).status_code for _ in range(2)] == [201, 201]
        r = c.post("/api/sessions", json={})
        assert r.status_code == 429 and "create_rate" in r.json()["detail"]
        wait = int(r.headers["retry-after"])
        assert 1 <= wait <= 30 and f"try again in {wait} s" in r.json()["detail"]


def test_a_request_of_absurd_cost_is_refused_with_the_estimate(limited: TestClient) -> None:
    sid = limited.post("/api/sessions", json={"config": HEAVY}).json()["id"]
    r = limited.post(f"/api/sessions/{sid}/train", json={"epochs": 2000})
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "epochs"]
    assert "450 points in batches of 1" in error["msg"] and "max_train_seconds" in error["msg"]
    assert "ask for at most" in error["msg"]
    assert limited.get(f"/api/sessions/{sid}").json()["epoch"] == 0  # nothing was trained
    r = limited.post(f"/api/sessions/{sid}/train", json={"epochs": 2})
    assert r.status_code == 200 and r.json()["epoch"] == 2 and r.json()["cut_short"] is None


def test_a_train_whose_client_leaves_stops_and_frees_the_session(
    client: TestClient, session: str
) -> None:
    manager = client.app.state.manager  # type: ignore[attr-defined]

    async def leave_soon() -> dict:
        gone = asyncio.Event()

        async def disconnected() -> None:
            await gone.wait()

        training = asyncio.ensure_future(manager.train(session, 2000, disconnected))
        while manager.counts()["requests"] == 0:  # until the worker has taken it
            await asyncio.sleep(0)
        gone.set()
        return await training

    result = client.portal.call(leave_soon)  # type: ignore[union-attr]
    assert result["cut_short"] == "the client disconnected"
    assert len(result["history"]) < 2000
    assert manager.counts()["requests"] == 0
    r = client.post(f"/api/sessions/{session}/train", json={"epochs": 3})
    assert r.status_code == 200 and r.json()["cut_short"] is None  # free at once


def test_shutting_down_cuts_trains_short_and_says_so(client: TestClient, session: str) -> None:
    manager = client.app.state.manager  # type: ignore[attr-defined]
    training, reply = in_flight(client, f"/api/sessions/{session}/train", {"epochs": 2000})
    assert training.is_alive()
    client.portal.call(manager.begin_shutdown)  # type: ignore[union-attr]
    training.join(timeout=30)
    assert not training.is_alive()
    assert reply["cut_short"] == "the server is shutting down" and len(reply["history"]) < 2000
    assert client.get("/api/health").json()["status"] == "stopping"
    r = client.post(f"/api/sessions/{session}/train", json={"epochs": 1})
    assert r.status_code == 409 and "shutting down" in r.json()["detail"]


def test_a_train_ended_by_removing_every_point_says_why(client: TestClient, session: str) -> None:
    training, reply = in_flight(client, f"/api/sessions/{session}/train", {"epochs": 2000})
    client.post(f"/api/sessions/{session}/points/clear")
    training.join(timeout=30)
    assert reply["cut_short"] and "no training points" in reply["cut_short"]


@pytest.mark.parametrize(
    "settings", [Settings(max_sessions=20, kernel=False)], ids=["torch only"]
)  # with the kernel, the worker may find two sessions train faster each alone (test_paths)
def test_a_group_at_max_speed_trains_together(client: TestClient) -> None:
    """Two default sessions at "max" are one stack (they ask for endless epochs; the stack
    must not try to hold them), each far past what a turn alone would give."""
    manager = client.app.state.manager  # type: ignore[attr-defined]
    ids = [client.post("/api/sessions", json={"config": {"seed": i}}).json()["id"] for i in (1, 2)]
    for sid in ids:
        client.post(f"/api/sessions/{sid}/play")
    # both at "max" in one job; then 20 epochs more each (at the default speed a loaded
    # machine may take them 20 epochs past before this, each alone)
    at_max = manager.worker.submit(
        lambda: [
            manager.sessions[s].set_speed("max") or manager.sessions[s].model.epoch for s in ids
        ]
    ).result(5)
    while (
        min(
            client.get(f"/api/sessions/{s}").json()["epoch"] - e
            for s, e in zip(ids, at_max, strict=True)
        )
        < 20
    ):
        pass
    stacks = manager.worker.submit(lambda: [manager.sessions[s].model.stack for s in ids])
    first, second = stacks.result(timeout=5)
    assert first is not None and first is second


@pytest.mark.parametrize(
    "settings", [Settings(max_sessions=20, max_points=2_000, kernel=False)], ids=["torch"]
)  # the compiled kernel's turns: tests/runtime/test_paths.py
def test_a_step_is_trained_in_turns_and_others_are_answered_meanwhile(
    client: TestClient, session: str
) -> None:
    """A step of an epoch that takes seconds (10,000-ish updates) must not hold the worker:
    another session's read is answered while it runs."""
    manager = client.app.state.manager  # type: ignore[attr-defined]
    heavy = client.post("/api/sessions", json={"config": HEAVY}).json()["id"]
    rows = [[x / 100 - 5, 0.5, 1.0 if x % 2 else -1.0] for x in range(1000)]
    assert client.put(
        f"/api/sessions/{heavy}/data", json={"train": rows, "test": rows[:10]}
    ).is_success
    stepping, reply = in_flight(client, f"/api/sessions/{heavy}/step")
    answered = client.get(f"/api/sessions/{session}").json()  # not behind the whole epoch
    requests = manager.counts()["requests"]
    stepping.join(timeout=60)
    assert answered["id"] == session and requests == 1  # the step was still under way
    assert reply["epoch"] == 1 and reply["state"] == "paused"
