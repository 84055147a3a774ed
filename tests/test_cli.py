"""`playground` as a process: what only a real server shows (a client that hangs up, a
SIGTERM with work in flight)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.helpers.live import LiveServer

# 450 minibatch updates an epoch: a 2,000-epoch request runs for minutes
HEAVY = {"hidden": [8, 8, 8, 8, 8, 8], "batch_size": 1, "train_ratio": 90}


def test_a_train_whose_client_hangs_up_stops_and_frees_the_session() -> None:
    with LiveServer() as server:
        sid = httpx.post(f"{server.url}/api/sessions", json={"config": HEAVY}).json()["id"]
        with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the socket
            httpx.post(f"{server.url}/api/sessions/{sid}/train", json={"epochs": 2000}, timeout=1)
        deadline = time.monotonic() + 10
        while httpx.get(f"{server.url}/api/health").json()["requests"]:
            assert time.monotonic() < deadline, "the abandoned request kept training"
            time.sleep(0.05)  # polling the server's own count, not waiting for a result
        r = httpx.post(f"{server.url}/api/sessions/{sid}/train", json={"epochs": 1})
        assert r.status_code == 200 and r.json()["cut_short"] is None  # free at once


def test_sigterm_cuts_trains_short_closes_viewers_with_1012_and_exits() -> None:
    with LiveServer() as server:
        sid = httpx.post(f"{server.url}/api/sessions", json={"config": HEAVY}).json()["id"]
        reply: dict = {}

        def train() -> None:
            r = httpx.post(
                f"{server.url}/api/sessions/{sid}/train", json={"epochs": 2000}, timeout=60
            )
            reply.update(r.json())

        async def watch_then_terminate() -> int | None:
            async with connect(f"{server.ws_url}/ws/sessions/{sid}") as ws:
                assert json.loads(await ws.recv())["type"] == "state"
                while httpx.get(f"{server.url}/api/health").json()["requests"] == 0:
                    await asyncio.sleep(0.05)  # polling until the request is under way
                started = time.monotonic()
                server.terminate()
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await ws.recv()
                assert time.monotonic() - started < 5
                return closed.value.rcvd.code if closed.value.rcvd else None

        training = threading.Thread(target=train)
        training.start()
        # (a thread of its own: the browser tests' Playwright keeps a loop in this one)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            code = pool.submit(asyncio.run, watch_then_terminate()).result(timeout=60)
        training.join(timeout=10)
        assert not training.is_alive(), "the train request outlived the shutdown"
        assert reply["cut_short"] == "the server is shutting down"
        assert len(reply["history"]) < 2000
        assert code == 1012  # "service restart": the page reconnects
        # uvicorn re-raises the signal once it has shut down, so supervisors see it
        assert server.process.wait(timeout=10) in (0, -15)


def test_a_viewer_that_stops_acking_is_closed_and_its_session_let_go() -> None:
    """It reads, but never acks: after viewer_timeout the server closes it with 4408 and
    counts no viewer, so the session pauses and expires as if nobody watched."""
    with LiveServer("--viewer-timeout", "1") as server:
        sid = httpx.post(f"{server.url}/api/sessions", json={}).json()["id"]

        async def never_ack() -> tuple[int | None, str]:
            async with connect(f"{server.ws_url}/ws/sessions/{sid}") as ws:
                await ws.send('{"type": "play"}')
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(ws.recv(), 30)
                rcvd = closed.value.rcvd
                return (rcvd.code, rcvd.reason) if rcvd else (None, "")

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            code, reason = pool.submit(asyncio.run, never_ack()).result(timeout=60)
        assert code == 4408 and "no ack" in reason
        deadline = time.monotonic() + 10
        while httpx.get(f"{server.url}/api/health").json()["viewers"]:
            assert time.monotonic() < deadline, "the closed viewer is still counted"
            time.sleep(0.05)  # polling the server's own count
