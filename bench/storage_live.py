"""bench.storage's servers and requests: real servers (tests/helpers/live.py) with the
per-client limits lifted, sessions created in a few shapes at speed "max", and many
requests at once."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.helpers.live import LiveServer

# no viewer watches, and one address creates every session
LIFTED = {
    "idle-pause": 100_000,
    "max-sessions": 5_000,
    "max-sessions-per-client": 100_000,
    "create-rate": 100_000,
    "connect-rate": 100_000,
}
OPEN = [arg for name, value in LIFTED.items() for arg in (f"--{name}", str(value))]
SHAPES: list[dict[str, Any]] = [
    {"hidden": [4, 2]},
    {"hidden": [3]},
    {"hidden": [6, 3], "activation": "relu"},
    {"hidden": [5, 5, 2], "batch_size": 5},
]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PARALLEL = 32  # requests in flight at once


def server(*args: str, wait: bool = True) -> LiveServer:
    """``python -m server`` with OPEN and ``args`` (tests/helpers/live.py)."""
    return LiveServer(*OPEN, *args, wait=wait)


def client(s: LiveServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=s.url, trust_env=False, timeout=120)


async def each(ids: list[str], fn: Any) -> list[Any]:
    """fn(id) for every id, PARALLEL at a time."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(sid: str) -> Any:
        async with gate:
            return await fn(sid)

    return await asyncio.gather(*(one(sid) for sid in ids))


async def create(s: LiveServer, n: int) -> list[str]:
    """n sessions in SHAPES round-robin, at speed max (checked)."""
    async with client(s) as http:

        async def make(i: str) -> str:
            r = await http.post("/api/sessions", json={"config": SHAPES[int(i) % len(SHAPES)]})
            r.raise_for_status()
            return str(r.json()["id"])

        ids = await each([str(i) for i in range(n)], make)

        async def fast(sid: str) -> None:
            """Send speed max; close once a state message says it took (closing at once
            may drop the message unread)."""
            async with connect(f"{s.ws_url}/ws/sessions/{sid}", proxy=None) as ws:
                await ws.send(json.dumps({"type": "speed", "speed": "max"}))
                async with asyncio.timeout(30):
                    while True:
                        message = await ws.recv()
                        if isinstance(message, str):
                            state = json.loads(message).get("session") or {}
                            if state.get("speed") == "max":
                                return

        await each(ids, fast)
        speeds = await each(ids, lambda sid: get(http, sid))
        slow = [sid for sid, state in zip(ids, speeds, strict=True) if state["speed"] != "max"]
        assert not slow, f"{len(slow)} sessions did not take speed max"
    return ids


async def get(http: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    r = await http.get(f"/api/sessions/{sid}")
    r.raise_for_status()
    return {**r.json(), "at": time.monotonic()}


async def act(s: LiveServer, ids: list[str], action: str) -> None:
    async with client(s) as http:

        async def one(sid: str) -> None:
            r = await http.post(f"/api/sessions/{sid}/{action}")
            if r.status_code != 409:  # already paused, diverged: nothing to do
                r.raise_for_status()

        await each(ids, one)


def cpu_seconds(s: LiveServer) -> float:
    """The server process's user + system CPU so far (/proc: fields 14 and 15)."""
    with open(f"/proc/{s.process.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def med(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def say(text: str) -> None:
    print(text, flush=True)
