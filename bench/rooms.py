"""A classroom under load (issue #14): one room of simulated students, with the teacher's wall.

Run: ``python -m bench.rooms`` (about 3 minutes), ``--quick`` for a smoke check (about 40 s).

The server runs as a subprocess (bench.stream's ``Server``: ``python -m server`` on a free
loopback port, a fresh data directory, connect_rate and join_rate lifted: every client
here is 127.0.0.1). The teacher creates a playground session and starts a class from it
(``POST /api/rooms {session}``); S students join over REST and each opens
``/ws/sessions/{id}`` right after joining, as a class does. Every student sends the page's
view (static/js/net/session.js VIEW: render "client", fps 30), the speed and play, then
decodes every frame (bench.stream.decode) and acks its seq (offset 32). The wall is one
``/ws/rooms/CODE`` socket (hello with the teacher key, fps 3) that decodes every tile
(8-byte prefix + frame) and acks its seq (offset 40 of the tile). All clients share this
one asyncio process.

Parts (``--parts``, default 1,2; ``--students`` gives their class sizes, default 60,200):
  1  S students at 60 epochs/s. A window without the wall (the baseline), then one with
     the wall open; then ``--pushes`` pushes: the teacher PATCHes its session's
     learning_rate and POSTs /push, and for every student the time from the POST to
     their socket's first ``state`` showing the new learning_rate is taken (a push pauses
     and resets the students: each sends play on seeing it, and the class trains 2 s
     before the next push).
  2  S students at "max", baseline and wall windows as above.

Figures over each timed window (after a warm-up): per student epochs/s (epoch of the
last frame before the window end - that of the last before its start, over the window:
bench.sessions.SessionStats) and frames/s; per student tiles/s on the wall; the wall's
bytes/s (websocket payload: tiles, prefix included, and its JSON); the server's and this
process's CPU (100 % = one core). Joins: time per POST /join and the state messages
the students already connected got while the others joined. Targets (issue #14) are
printed beside the figures; nothing here asserts on speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import struct
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench import stream
from bench.sessions import SessionStats

VIEW = {"type": "view", "grid": 100, "maps": True, "map_size": 25, "fps": 30, "render": "client"}
WALL_FPS = 3.0
SEQ = struct.Struct("<I")  # a frame's seq, at offset 32 (docs/protocol.md)
TILE = struct.Struct("<II")  # the wall's prefix: member number, 0
RATES = [0.01, 0.003, 0.1, 0.3, 0.001, 0.03]  # learning rates pushed in turn
# part -> (speed, min epochs/s, min frames/s, min wall tiles/student/s); push p95 ms
TARGETS: dict[int, tuple[str | float, float, float, float]] = {
    1: (60.0, 55.0, 20.0, 2.0),
    2: ("max", 20.0, 0.0, 1.0),
}
TARGET_PUSH_P95_MS = 300.0
fmt, med, pct = stream.fmt, stream.med, stream.pct


@dataclass
class Phase:
    """One timed window's figures, filled by the clients while it runs."""

    window: stream.Window
    students: list[SessionStats]
    tiles: Counter[int] = field(default_factory=Counter)  # member number -> tiles
    wall_bytes: int = 0
    seconds: float = 0.0
    cpu: tuple[float, float] = (0.0, 0.0)  # server, client % of one core

    def eps(self) -> list[float]:
        return [s.rate(self.seconds) for s in self.students]

    def fps(self) -> list[float]:
        return [s.fps(self.seconds) for s in self.students]

    def tiles_per_student(self) -> list[float]:  # members are numbered from 1
        return [self.tiles[k] / self.seconds for k in range(1, len(self.students) + 1)]


@dataclass
class Meter:
    """What the clients report into: the current phase, and the push being timed."""

    phase: Phase
    expect: float | None = None  # learning rate of the push under way
    t0: float = 0.0
    seen: list[float | None] = field(default_factory=list)  # per student, s after the POST
    all_seen: asyncio.Event = field(default_factory=asyncio.Event)
    states: Counter[int] = field(default_factory=Counter)  # state messages per student
    wall_error: str | None = None

    def state(self, i: int, session: dict[str, Any], now: float) -> bool:
        """A student's state message; True if it shows the push under way (first time)."""
        self.states[i] += 1
        if self.expect is None or self.seen[i] is not None:
            return False
        if session["config"]["learning_rate"] != self.expect:
            return False
        self.seen[i] = now - self.t0
        if all(s is not None for s in self.seen):
            self.all_seen.set()
        return True


async def student(url: str, i: int, speed: str | float, meter: Meter, ready: asyncio.Event) -> None:
    """A student's page: view, speed, play; decode and ack every frame; play after a push."""
    stats: SessionStats | None = None
    try:
        async with connect(url, compression=None, max_size=None, proxy=None) as ws:
            for first in (VIEW, {"type": "speed", "speed": speed}, {"type": "play"}):
                await ws.send(json.dumps(first))
            ready.set()
            acked = None
            while True:
                message: str | bytes = await ws.recv()
                now = time.monotonic()
                if isinstance(message, str):
                    m = json.loads(message)
                    if m["type"] == "error":
                        raise RuntimeError(message)
                    if m["type"] == "state" and meter.state(i, m["session"], now):
                        await ws.send('{"type":"play"}')
                    continue
                phase = meter.phase
                stats = phase.students[i]
                if now < phase.window.start:
                    stats.at_start = stream.decode(message)[0]
                elif now in phase.window:
                    stats.took(message, now, acked)
                await ws.send(f'{{"type":"ack","seq":{SEQ.unpack_from(message, 32)[0]}}}')
                acked = time.monotonic()
    except Exception as exc:  # shown under the table, never hidden
        if stats is not None:
            stats.error = f"{type(exc).__name__}: {exc}"
        print(f"  student {i}: {type(exc).__name__}: {exc}", file=sys.stderr)
        ready.set()


async def wall(ws: ClientConnection, meter: Meter) -> None:
    """The teacher's wall: decode and ack every tile (the room's JSON is counted too)."""
    try:
        async with ws:
            while True:
                await wall_message(ws, await ws.recv(), meter)
    except Exception as exc:  # shown under the table, never hidden
        meter.wall_error = f"{type(exc).__name__}: {exc}"


async def wall_message(ws: ClientConnection, message: str | bytes, meter: Meter) -> None:
    phase = meter.phase
    inside = time.monotonic() in phase.window
    if isinstance(message, str):
        if json.loads(message)["type"] == "error":
            raise RuntimeError(message)
        phase.wall_bytes += len(message.encode()) if inside else 0
        return
    number, _ = TILE.unpack_from(message)
    if inside:
        stream.decode(message[TILE.size :])
        phase.tiles[number] += 1
        phase.wall_bytes += len(message)
    await ws.send(f'{{"type":"ack","seq":{SEQ.unpack_from(message, TILE.size + 32)[0]}}}')


async def measure(meter: Meter, server: stream.Server, n: int, seconds: float, warmup: float):
    """A new phase: ``warmup`` s, then a ``seconds`` window."""
    t0 = time.monotonic() + warmup
    phase = Phase(stream.Window(t0, t0 + seconds), [SessionStats() for _ in range(n)])
    meter.phase = phase
    await asyncio.sleep(warmup)
    cpu0, cli0, t0 = server.cpu_seconds(), sum(os.times()[:2]), time.monotonic()
    await asyncio.sleep(seconds)
    wall_s = time.monotonic() - t0
    phase.cpu = (
        (server.cpu_seconds() - cpu0) / wall_s * 100,
        (sum(os.times()[:2]) - cli0) / wall_s * 100,
    )
    phase.seconds = wall_s
    return phase


async def pushes(
    http: httpx.AsyncClient, meter: Meter, room: dict[str, Any], teacher: str, n: int, count: int
) -> tuple[list[float], list[float], int]:
    """``count`` pushes: (ms to each student's state, ms the POST took, states missed)."""
    delays, posts, missed = [], [], 0
    for k in range(count):
        rate = RATES[k % len(RATES)]
        r = await http.patch(f"/api/sessions/{teacher}", json={"config": {"learning_rate": rate}})
        r.raise_for_status()
        meter.expect, meter.seen, meter.all_seen = rate, [None] * n, asyncio.Event()
        meter.t0 = time.monotonic()
        r = await http.post(
            f"/api/rooms/{room['code']}/push", json={}, headers={"X-Teacher-Key": room["key"]}
        )
        posts.append((time.monotonic() - meter.t0) * 1000)
        r.raise_for_status()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(meter.all_seen.wait(), 10)
        delays += [s * 1000 for s in meter.seen if s is not None]
        missed += sum(s is None for s in meter.seen)
        meter.expect = None
        await asyncio.sleep(2.0)  # the class trains again before the next push
    return delays, posts, missed


async def part(number: int, n: int, args: argparse.Namespace) -> None:
    speed = TARGETS[number][0]
    env = {
        "PLAYGROUND_JOIN_RATE": "100000",
        "PLAYGROUND_MAX_SESSIONS": str(max(500, 2 * n)),
    }
    server = stream.Server(env=env)
    tasks: list[asyncio.Task[None]] = []
    try:
        await server.wait_ready()
        ws_base = server.base.replace("http://", "ws://")
        async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=60) as http:
            r = await http.post("/api/sessions", json={})
            teacher = r.raise_for_status().json()["id"]
            room = (await http.post("/api/rooms", json={"session": teacher})).raise_for_status()
            room_info = room.json()
            code = room_info["code"]
            meter = Meter(Phase(stream.Window(), [SessionStats() for _ in range(n)]))
            readies = [asyncio.Event() for _ in range(n)]
            joins = []
            for i in range(n):  # one after another, each connecting at once, as in a class
                t = time.monotonic()
                j = (await http.post(f"/api/rooms/{code}/join", json={})).raise_for_status()
                joins.append((time.monotonic() - t) * 1000)
                url = f"{ws_base}/ws/sessions/{j.json()['session']['id']}"
                tasks.append(asyncio.create_task(student(url, i, speed, meter, readies[i])))
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in readies)), 120)
            join_states = sum(meter.states.values())
            base = await measure(meter, server, n, args.seconds, args.warmup)
            ws = await connect(f"{ws_base}/ws/rooms/{code}", compression=None, proxy=None)
            await ws.send(json.dumps({"type": "hello", "key": room_info["key"], "fps": WALL_FPS}))
            tasks.append(asyncio.create_task(wall(ws, meter)))
            with_wall = await measure(meter, server, n, args.seconds, args.warmup)
            push = (
                await pushes(http, meter, room_info, teacher, n, args.pushes)
                if number == 1
                else None
            )
        report(number, n, args, joins, join_states, (base, with_wall), push, meter.wall_error)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.stop()


def report(
    number: int,
    n: int,
    args: argparse.Namespace,
    joins: list[float],
    join_states: int,
    phases: tuple[Phase, Phase],
    push: tuple[list[float], list[float], int] | None,
    wall_error: str | None,
) -> None:
    speed, min_eps, min_fps, min_tiles = TARGETS[number]
    print(
        f"\nPart {number}: one room of {n} students at speed {speed}, view render client, "
        f"fps 30; wall fps {WALL_FPS:g}; {args.seconds:g} s windows after {args.warmup:g} s"
    )
    print(
        f"  joins: POST /join med {fmt(med(joins))} ms, max {fmt(max(joins))} ms; the students "
        f"already connected got {join_states} state messages while the class joined"
    )
    head = (
        f"  {'':<9} {'ep/s min/med':>13} {'fr/s min/med':>13} {'tiles/st/s min/med':>18} "
        f"{'wall KB/s':>9} {'srv/cli CPU':>12}"
    )
    print(head + "\n  " + "-" * (len(head) - 2))
    for label, p in zip(("no wall", "wall"), phases, strict=True):
        eps, fps, tiles = p.eps(), p.fps(), p.tiles_per_student()
        walled = label == "wall"
        print(
            f"  {label:<9} {fmt(min(eps), 1) + '/' + fmt(med(eps), 1):>13} "
            f"{fmt(min(fps), 1) + '/' + fmt(med(fps), 1):>13} "
            f"{fmt(min(tiles), 2) + '/' + fmt(med(tiles), 2) if walled else '-':>18} "
            f"{fmt(p.wall_bytes / p.seconds / 1000, 1) if walled else '-':>9} "
            f"{fmt(p.cpu[0]) + '/' + fmt(p.cpu[1]) + '%':>12}"
        )
        stream.report_problems(p.students, eps, "students", "    ")
    if wall_error:
        print(f"    ! the wall failed: {wall_error}")
    base, walled_phase = phases
    eps, fps, tiles = walled_phase.eps(), walled_phase.fps(), walled_phase.tiles_per_student()
    ok = min(eps) >= min_eps and min(fps) >= min_fps and min(tiles) >= min_tiles
    print(
        f"  target (wall open): every student >= {min_eps:g} ep/s"
        + (f", >= {min_fps:g} fr/s" if min_fps else "")
        + f"; wall >= {min_tiles:g} tiles/student/s -> {'PASS' if ok else 'MISS'}"
    )
    b_eps, b_fps = base.eps(), base.fps()
    print(
        f"  wall / no wall: ep/s min {ratio(min(eps), min(b_eps))}, med "
        f"{ratio(med(eps), med(b_eps))}; fr/s min {ratio(min(fps), min(b_fps))}, med "
        f"{ratio(med(fps), med(b_fps))}; server CPU {ratio(walled_phase.cpu[0], base.cpu[0])}"
    )
    if push is not None:
        delays, posts, missed = push
        p95 = pct(delays, 95)
        ok = p95 <= TARGET_PUSH_P95_MS and not missed
        print(
            f"  push setup ({args.pushes} pushes x {n} students), POST -> each student's state: "
            f"p50 {fmt(pct(delays, 50))} / p95 {fmt(p95)} / max {fmt(pct(delays, 100))} ms "
            f"(the POST answered in med {fmt(med(posts))} ms)\n"
            f"  target p95 <= {TARGET_PUSH_P95_MS:g} ms -> {'PASS' if ok else 'MISS'}"
            + (f"; {missed} states never came (10 s)" if missed else "")
        )


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "-"


async def run(args: argparse.Namespace) -> None:
    print(
        f"bench.rooms: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.1f} (other processes share these CPUs)"
    )
    t = time.monotonic()
    for number, n in zip(args.parts, args.students, strict=False):
        await part(number, n, args)
    print(f"\n(total {time.monotonic() - t:.0f} s; load average now {os.getloadavg()[0]:.1f})")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.rooms", description=__doc__.split("\n")[0])
    p.add_argument("--parts", default="1,2", help="which parts: 1, 2 or 1,2 (default)")
    p.add_argument(
        "--students", default=None, help="class size of each part (default 60,200; --quick 6,12)"
    )
    p.add_argument("--seconds", type=float, default=None, help="timed window (default 20 s)")
    p.add_argument("--warmup", type=float, default=None, help="before each window (default 3 s)")
    p.add_argument("--pushes", type=int, default=None, help="pushes timed in part 1 (default 5)")
    p.add_argument("--quick", action="store_true", help="smoke run: 6 and 12 students, 3 s")
    args = p.parse_args(argv)
    try:
        args.parts = [int(x) for x in args.parts.split(",") if x]
        sizes = [int(x) for x in (args.students or ("6,12" if args.quick else "60,200")).split(",")]
    except ValueError:
        p.error("--parts and --students take comma-separated whole numbers")
    if any(x not in TARGETS for x in args.parts):
        p.error(f"--parts: from {', '.join(map(str, TARGETS))}")
    if any(not 1 <= n <= 200 for n in sizes):
        p.error("--students: from 1 to 200 each (max_room_students)")
    args.students = [  # part 1 -> the first size, part 2 -> the second (or the only one)
        sizes[min(x - 1, len(sizes) - 1)] if len(sizes) > 1 else sizes[0] for x in args.parts
    ]
    args.seconds = args.seconds or (3.0 if args.quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.pushes = args.pushes or (2 if args.quick else 5)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
