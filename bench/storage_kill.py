"""bench.storage, part 3: what a SIGKILL at a random moment loses (see bench/storage.py)."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.storage_live import client, create, each, get, med, say, server
from tests.helpers.live import LiveServer

POLLERS = 4  # reads in flight while waiting for a kill (more would slow training down)


History = list[tuple[int, float]]  # (epoch, time of the reply), one session's reads in order


def when(history: History, epoch: int) -> float:
    """When the session was at ``epoch``: linear between the reads around it; past the last
    read at the session's mean rate; before the first (its play reply) at that reply."""
    for (e0, t0), (e1, t1) in itertools.pairwise(history):
        if e0 <= epoch <= e1:
            return t0 if e1 == e0 else t0 + (t1 - t0) * (epoch - e0) / (e1 - e0)
    (ef, tf), (el, tl) = history[0], history[-1]
    if epoch < ef:
        return tf
    rate = (el - ef) / max(tl - tf, 1e-9)
    return tl + (epoch - el) / max(rate, 1e-9)


async def play_then_kill(
    s: LiveServer, ids: list[str], delay: float
) -> tuple[dict[str, History], float]:
    """Play every session and read its epoch over and over (POLLERS reads in flight);
    SIGKILL the server ``delay`` seconds after the first play."""
    reads: dict[str, History] = {}
    turn = itertools.cycle(ids)

    async def reader(http: httpx.AsyncClient) -> None:
        for sid in turn:
            state = await get(http, sid)
            reads[sid].append((state["epoch"], state["at"]))

    async def play(http: httpx.AsyncClient, sid: str) -> None:
        r = await http.post(f"/api/sessions/{sid}/play")
        r.raise_for_status()
        reads[sid] = [(r.json()["epoch"], time.monotonic())]

    async with client(s) as http:
        start = time.monotonic()
        await each(ids, lambda sid: play(http, sid))
        readers = [asyncio.create_task(reader(http)) for _ in range(POLLERS)]
        await asyncio.sleep(max(0.0, start + delay - time.monotonic()))
        s.stop()  # SIGKILL
        killed = time.monotonic()
        await asyncio.gather(*readers, return_exceptions=True)
    return reads, killed


@dataclass
class Kill:
    delay: float
    lost: list[float]  # seconds of training, per session: kill - when it was at its restored epoch
    epochs: list[int]  # epochs lost: last read - restored
    lag: list[float]  # kill - its last read
    missing: int  # not back, or not paused


async def kills(args: argparse.Namespace, root: Path) -> list[Kill]:
    data = root / "kill"
    rng = random.Random(args.seed)
    s = server("--data-dir", str(data), *args.interval)
    out = []
    try:
        ids = await create(s, args.kill_sessions)
        for k in range(args.kills):
            delay = rng.uniform(args.kill_after / 2, args.kill_after * 1.5)
            reads, killed = await play_then_kill(s, ids, delay)
            s = server("--data-dir", str(data), *args.interval)
            async with client(s) as http:
                back = await each(ids, lambda sid: http.get(f"/api/sessions/{sid}"))
            kill = Kill(delay, [], [], [], 0)
            for sid, r in zip(ids, back, strict=True):
                history = reads[sid]
                if r.status_code != 200 or r.json()["state"] != "paused":
                    kill.missing += 1
                    continue
                epoch = r.json()["epoch"]
                kill.lost.append(max(0.0, killed - when(history, epoch)))
                kill.epochs.append(history[-1][0] - epoch)
                kill.lag.append(killed - history[-1][1])
            out.append(kill)
            say(
                f"  kill {k + 1}, {delay:.1f} s after play: lost median {med(kill.lost):.2f} s, "
                f"max {max(kill.lost, default=float('nan')):.2f} s (epochs median "
                f"{med(kill.epochs):.0f}, max {max(kill.epochs, default=0)}); last read "
                f"{med(kill.lag):.2f} s before the kill (median); {kill.missing} not back"
            )
    finally:
        s.stop()
    return out
