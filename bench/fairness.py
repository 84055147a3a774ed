"""Fairness: can one student, request or client take the server from the others?

Run: ``python -m bench.fairness`` (about 2 minutes; ``--seconds`` per phase).

A canary session (the default net at speed 60, one viewer that decodes and acks every
frame, as the page does) runs throughout, while a prober asks ``/api/health`` every 20 ms.
Phase by phase, something heavy joins beside it:

  baseline   the canary alone
  (a) heavy  the page's largest settings playing at max: all 7 features, 6x8 hidden,
             batch 1, 90 % training points (450 minibatch updates an epoch), one viewer
  (b) +10k   the same session with 10,000 uploaded points (9,000 updates an epoch)
             (a 10,000-epoch REST train on it must be refused: estimated hours)
  (c) REST   three 10,000-epoch REST trains on heavy sessions (each estimated ~20 min:
             accepted), abandoned at the phase's end by closing their connections
  (d) fan    200 viewers on one session training at max
  (e) mute   50 clients that open a websocket to a session of their own, press play (the
             default speed) and never read (raw sockets: no pongs, no acks); the server
             closes them after its viewer_timeout (10 s here) and their sessions are let go

Each phase stands alone beside the canary (the heavy session of (a) and (b) is deleted
before (c); the REST trains end with (c), the 200 viewers with (d)).

Per phase: the canary's epochs/s (from its frame headers) and frames/s, /api/health p50
and p99, server RSS at the phase's start and end, and what the phase left behind (REST
requests still running, viewers). Targets (issue #10, this 2-core machine): the canary
keeps >= 55 epochs/s and >= 25 frames/s in every phase, health p99 <= 100 ms, RSS flat.

The server is ``python -m server`` on a free loopback port with the per-address limits
raised (every client here is 127.0.0.1) and viewer_timeout 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import numpy as np
from websockets.asyncio.client import connect

from bench.stream import ALL_FEATURES, ONE_ADDRESS, Server, decode, pct

CANARY_SPEED = 60
HEAVY = {"features": ALL_FEATURES, "hidden": [8] * 6, "batch_size": 1, "train_ratio": 90}
TARGET_EPOCHS, TARGET_FRAMES, TARGET_P99_MS, RSS_FLAT_MB = 55.0, 25.0, 100.0, 20.0
VIEWER_TIMEOUT = 10
SERVER_ENV = {
    "PLAYGROUND_DEVICE": "cpu",
    "PLAYGROUND_LOG_LEVEL": "warning",
    **ONE_ADDRESS,
    "PLAYGROUND_VIEWER_TIMEOUT": str(VIEWER_TIMEOUT),
}


@dataclass
class Viewer:
    """Frames and epochs seen by one acking viewer."""

    frames: list[tuple[float, int]] = field(default_factory=list)  # (arrival, epoch)
    error: str | None = None

    def since(self, start: float, end: float) -> tuple[float, float]:
        seen = [(t, e) for t, e in self.frames if start <= t < end]
        if len(seen) < 2:
            return 0.0, 0.0
        (t0, e0), (t1, e1) = seen[0], seen[-1]
        return (e1 - e0) / (t1 - t0), len(seen) / (end - start)


async def watch(
    base: str, sid: str, viewer: Viewer, speed: object, stop: asyncio.Event, fps: int = 60
) -> None:
    url = base.replace("http://", "ws://") + f"/ws/sessions/{sid}"
    try:
        async with connect(url, compression=None, max_size=None, open_timeout=60) as ws:
            await ws.send(json.dumps({"type": "view", "render": "client", "fps": fps}))
            await ws.send(json.dumps({"type": "speed", "speed": speed}))
            await ws.send(json.dumps({"type": "play"}))
            while not stop.is_set():
                try:
                    message = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                if isinstance(message, bytes):
                    viewer.frames.append((time.monotonic(), decode(message)[0]))
                    await ws.send('{"type":"ack"}')
    except Exception as exc:  # shown in the table
        viewer.error = f"{type(exc).__name__}: {exc}"


async def mute_client(port: int, sid: str) -> socket.socket:
    """A websocket opened by hand that presses play and never reads again."""
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/sessions/{sid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await asyncio.get_running_loop().run_in_executor(None, sock.recv, 4096)  # the 101 reply
    for text in ('{"type":"play"}',):  # at the page's default speed
        payload, mask = text.encode(), os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        sock.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)
    return sock


async def probe(base: str, latencies: list[tuple[float, float]], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while not stop.is_set():
            started = time.monotonic()
            (await http.get("/api/health")).raise_for_status()
            latencies.append((started, (time.monotonic() - started) * 1000))
            await asyncio.sleep(0.02)


@dataclass
class Phase:
    name: str
    start: float = 0.0
    end: float = 0.0
    rss: tuple[float, float] = (0.0, 0.0)
    notes: list[str] = field(default_factory=list)


async def run(seconds: float) -> list[Phase]:
    server = Server(env=SERVER_ENV)
    phases: list[Phase] = []
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        await server.wait_ready()
        http = httpx.AsyncClient(base_url=server.base, timeout=60)

        async def create(config: dict[str, object]) -> str:
            r = await http.post("/api/sessions", json={"config": config})
            r.raise_for_status()
            return str(r.json()["id"])

        canary, latencies = Viewer(), list[tuple[float, float]]()
        canary_id = await create({})
        tasks += [
            asyncio.create_task(watch(server.base, canary_id, canary, CANARY_SPEED, stop)),
            asyncio.create_task(probe(server.base, latencies, stop)),
        ]

        async def phase(name: str, setup: Callable[[Phase], Awaitable[None]]) -> Phase:
            p = Phase(name)
            try:
                await setup(p)
            except Exception as exc:  # an older server may not cope: say so, go on
                p.notes.append(f"setting up failed: {type(exc).__name__}: {exc}")
            await asyncio.sleep(1.0)  # let it settle, then measure
            before = server.rss_mb()
            p.start = time.monotonic()
            await asyncio.sleep(seconds)
            p.end = time.monotonic()
            p.rss = (before, server.rss_mb())
            phases.append(p)
            print(f"  {name}: done", file=sys.stderr, flush=True)
            return p

        async def nothing(p: Phase) -> None:
            await asyncio.sleep(2)  # the canary's stream starts

        await phase("baseline", nothing)

        heavy_id = await create(HEAVY)
        heavy_viewer = Viewer()

        async def heavy(p: Phase) -> None:
            tasks.append(
                asyncio.create_task(watch(server.base, heavy_id, heavy_viewer, "max", stop))
            )

        await phase("(a) heavy playing", heavy)

        async def upload(p: Phase) -> None:
            rng = np.random.default_rng(0)
            points = rng.uniform(-6, 6, (10_000, 2))
            rows = [[float(x), float(y), 1.0 if x * y > 0 else -1.0] for x, y in points]
            r = await http.put(
                f"/api/sessions/{heavy_id}/data", json={"train": rows[:9000], "test": rows[9000:]}
            )
            r.raise_for_status()
            await http.post(f"/api/sessions/{heavy_id}/play")
            r = await http.post(f"/api/sessions/{heavy_id}/train", json={"epochs": 10_000})
            p.notes.append(f"a REST train of 10,000 epochs on these points: {r.status_code}")
            if r.status_code == 422:
                p.notes.append(f'"{r.json()["detail"][0]["msg"]}"')

        await phase("(b) + 10,000 points", upload)
        await http.delete(f"/api/sessions/{heavy_id}")  # each phase stands alone

        trains: list[asyncio.Task[httpx.Response]] = []
        clients: list[httpx.AsyncClient] = []

        async def rest(p: Phase) -> None:
            for _ in range(3):
                sid = await create(HEAVY)
                c = httpx.AsyncClient(base_url=server.base, timeout=None)
                clients.append(c)
                trains.append(
                    asyncio.create_task(
                        c.post(f"/api/sessions/{sid}/train", json={"epochs": 10_000})
                    )
                )
            await asyncio.sleep(0.5)
            p.notes.append(
                f"REST trains running: {(await http.get('/api/health')).json()['requests']}"
            )

        await phase("(c) three REST trains", rest)
        for t in trains:
            t.cancel()
        for c in clients:
            await c.aclose()  # the clients leave: the server must stop their trains
        await asyncio.sleep(1.0)
        running = (await http.get("/api/health")).json().get("requests", "?")
        phases[-1].notes.append(f"1 s after their clients left: {running} running")

        fan_viewers = [Viewer() for _ in range(200)]
        fan_stop = asyncio.Event()
        fan_tasks: list[asyncio.Task[None]] = []

        async def fan(p: Phase) -> None:
            sid = await create({})
            for v in fan_viewers:  # as the page asks: 30 frames/s, drawn by the browser
                watching = watch(server.base, sid, v, "max", fan_stop, fps=30)
                fan_tasks.append(asyncio.create_task(watching))

        fan_phase = await phase("(d) 200 viewers", fan)
        fan_stop.set()
        await asyncio.gather(*fan_tasks, return_exceptions=True)
        fps = [v.since(fan_phase.start, fan_phase.end)[1] for v in fan_viewers]
        fan_phase.notes.append(f"each fan viewer: median {np.median(fps):.1f} frames/s")
        errors = [v.error for v in fan_viewers if v.error]
        if errors:
            fan_phase.notes.append(f"{len(errors)} fan viewer errors, first: {errors[0]}")

        mutes: list[socket.socket] = []

        async def mute(p: Phase) -> None:
            for _ in range(50):
                mutes.append(await mute_client(server.port, await create({})))
            p.notes.append(
                f"viewers after they connect: {(await http.get('/api/health')).json()['viewers']}"
            )

        mute_phase = await phase("(e) 50 never read", mute)
        await asyncio.sleep(max(0.0, VIEWER_TIMEOUT + 3 - seconds))
        health = (await http.get("/api/health")).json()
        viewers, running = health.get("viewers", "?"), health.get("running", "?")
        mute_phase.notes.append(f"{VIEWER_TIMEOUT + 4} s in: {viewers} viewers, {running} running")
        for s in mutes:
            s.close()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await http.aclose()
        for p in phases:
            epochs, frames = canary.since(p.start, p.end)
            lat = [ms for t, ms in latencies if p.start <= t < p.end]
            p.notes.insert(0, f"{epochs:.1f}|{frames:.1f}|{pct(lat, 50):.1f}|{pct(lat, 99):.1f}")
        if canary.error:
            phases[0].notes.append(f"canary error: {canary.error}")
    finally:
        stop.set()
        server.stop()
    return phases


def report(phases: list[Phase]) -> None:
    print()
    columns = ["phase", "canary epochs/s", "canary frames/s", "health p50 ms", "health p99 ms"]
    print("| " + " | ".join([*columns, "RSS MB", "verdict"]) + " |")
    print("|---" * 7 + "|")
    for p in phases:
        epochs, frames, p50, p99 = (float(x) for x in p.notes[0].split("|"))
        grew = p.rss[1] - p.rss[0]
        ok = epochs >= TARGET_EPOCHS and frames >= TARGET_FRAMES and p99 <= TARGET_P99_MS
        ok = ok and grew <= RSS_FLAT_MB
        print(
            f"| {p.name} | {epochs:.1f} | {frames:.1f} | {p50:.1f} | {p99:.1f} "
            f"| {p.rss[0]:.0f} → {p.rss[1]:.0f} | {'ok' if ok else 'MISSED'} |"
        )
    print()
    for p in phases:
        for note in p.notes[1:]:
            print(f"- {p.name}: {note}")
    print(
        f"\nTargets: canary >= {TARGET_EPOCHS:g} epochs/s and >= {TARGET_FRAMES:g} frames/s, "
        f"health p99 <= {TARGET_P99_MS:g} ms, RSS growth <= {RSS_FLAT_MB:g} MB per phase."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fairness", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds per phase")
    args = parser.parse_args(argv)
    report(asyncio.run(run(args.seconds)))


if __name__ == "__main__":
    main()
