"""Storage (issue #13): what checkpoints cost, how fast sessions come back, what a SIGKILL loses.

Run: ``python -m bench.storage`` (about 7 minutes), ``--quick`` for a smoke check (under a
minute: few sessions, short windows, one round of each); ``--parts cost,restore,kill``
picks parts, ``--checkpoint-interval`` sets the storage-on servers' interval.

Every server is a real one (``python -m server`` in a subprocess, tests/helpers/live.py's
LiveServer) on the default SQLite storage in a fresh ``--data-dir``, or ``--no-storage``; its
per-client limits are lifted and ``--idle-pause`` set high, since no viewer watches. Sessions
are created over REST in a few shapes (so the worker batches several groups), set to speed
"max" over a websocket each (REST has no speed), and driven with ``POST …/play`` / ``pause``.
Epochs are read with ``GET /api/sessions/{id}``; a session's rate is its epochs between two
reads over the time between the replies.

1. Checkpoint cost. Two servers, storage on and off, each with S sessions (300). In turn
   (ABBA order, so a drift of the machine's load falls on both), one server plays all its
   sessions while the other's stay paused: warm-up, then the epochs/s summed over all
   sessions over a window. Figure: median on / median off (target >= 0.90). Beside it,
   the same ratio of epochs per second of the server's own CPU time (ep/s / its CPU
   share over the window), which other processes on the machine disturb less; the target
   holds when both ratios meet it.
2. Restore. A server is given R sessions (500), each trained some epochs, every fifth with
   points of its own, and stopped with SIGTERM (it checkpoints everything). Then, in turn, a
   server starts on a copy of that data dir and on an empty one: process start -> the first
   200 from /api/health. Figure: median stored - median empty (target <= 5 s); the first
   restored server is checked: all R sessions back, paused, at their epoch, points kept.
3. SIGKILL loss. A server with N sessions (100) at max speed: all are played and their
   epochs read over and over (each read's reply time kept) until, a seeded random delay
   after the play, the server is SIGKILLed and started again on the same data dir. Per
   session, seconds of training lost = time of the kill - when it was at the epoch it was
   restored at (read off its reads: linear between two reads, so at the rate measured
   there). Repeated K times (5) on the same data dir; median and max over all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import httpx

from bench.storage_kill import kills
from bench.storage_live import SHAPES, act, client, cpu_seconds, create, each, get, med, say, server
from tests.helpers.live import LiveServer

TARGET_RATIO = 0.90  # storage on / off, epochs/s
TARGET_RESTORE_S = 5.0  # extra start time for R stored sessions
TARGET_LOSS_S = 5.0  # seconds of training a SIGKILL may lose
HEALTH_POLL_S = 0.01
SIZES = {  # option: (full run, --quick)
    "sessions": (300, 20),
    "rounds": (3, 1),
    "seconds": (10, 2),
    "warmup": (5, 1),
    "restore": (500, 40),
    "restore_rounds": (3, 1),
    "kill_sessions": (100, 10),
    "kills": (5, 1),
    "kill_after": (8, 3),
}


# -- 1. checkpoint cost ------------------------------------------------------------------------
async def window(
    s: LiveServer, ids: list[str], warmup: float, seconds: float
) -> tuple[float, float]:
    """Play every session, wait, then the epochs/s summed over them for ``seconds``, and
    the server's CPU then (% of one core)."""
    await act(s, ids, "play")
    await asyncio.sleep(warmup)
    async with client(s) as http:
        before = await each(ids, lambda sid: get(http, sid))
        cpu, t = cpu_seconds(s), time.monotonic()
        await asyncio.sleep(seconds)
        cpu, t = cpu_seconds(s) - cpu, time.monotonic() - t
        after = await each(ids, lambda sid: get(http, sid))
    await act(s, ids, "pause")
    pairs = zip(before, after, strict=True)
    total: float = sum((b["epoch"] - a["epoch"]) / (b["at"] - a["at"]) for a, b in pairs)
    return total, 100 * cpu / t


async def cost(args: argparse.Namespace, root: Path) -> dict[bool, list[tuple[float, float]]]:
    on = server("--data-dir", str(root / "cost"), *args.interval)
    off = server("--no-storage")
    rates: dict[bool, list[tuple[float, float]]] = {True: [], False: []}  # (ep/s, CPU %)
    try:
        ids = {True: await create(on, args.sessions), False: await create(off, args.sessions)}
        servers = {True: on, False: off}
        for r in range(args.rounds):
            for storage in (True, False) if r % 2 == 0 else (False, True):
                rate, cpu = await window(servers[storage], ids[storage], args.warmup, args.seconds)
                rates[storage].append((rate, cpu))
                say(
                    f"  cost round {r + 1}: storage {'on ' if storage else 'off'} {rate:8.0f} "
                    f"ep/s, server CPU {cpu:3.0f} %, load average {os.getloadavg()[0]:.1f}"
                )
    finally:
        on.stop()
        off.stop()
    size = sum(f.stat().st_size for f in (root / "cost").iterdir()) / 1e6
    say(f"  (the storage-on server's data dir: {size:.1f} MB)")
    return rates


# -- 2. restore --------------------------------------------------------------------------------
async def fill(s: LiveServer, n: int) -> dict[str, tuple[int, bool]]:
    """n sessions, each trained 5-20 epochs, every fifth with 3 points added first."""
    rng = random.Random(13)
    expected: dict[str, tuple[int, bool]] = {}
    async with client(s) as http:

        async def make(i: str) -> None:
            r = await http.post("/api/sessions", json={"config": SHAPES[int(i) % len(SHAPES)]})
            r.raise_for_status()
            sid, own = r.json()["id"], int(i) % 5 == 0
            for _ in range(3 if own else 0):
                point = {"x": rng.uniform(-5, 5), "y": rng.uniform(-5, 5), "label": 1}
                (await http.post(f"/api/sessions/{sid}/points", json=point)).raise_for_status()
            r = await http.post(f"/api/sessions/{sid}/train", json={"epochs": 5 + int(i) % 16})
            r.raise_for_status()
            expected[sid] = (r.json()["epoch"], own)

        await each([str(i) for i in range(n)], make)
    return expected


def timed_start(data_dir: Path) -> tuple[float, LiveServer]:
    """Seconds from the process start to the first 200 from /api/health."""
    t0 = time.monotonic()
    s = server("--data-dir", str(data_dir), wait=False)
    with httpx.Client(trust_env=False, timeout=1) as http:
        while True:
            try:
                if http.get(f"{s.url}/api/health").status_code == 200:
                    return time.monotonic() - t0, s
            except httpx.HTTPError:
                pass
            if s.process.poll() is not None or time.monotonic() - t0 > 120:
                s.wait_ready()  # raises with what it printed
            time.sleep(HEALTH_POLL_S)  # polling for the port to open


async def check_restored(s: LiveServer, expected: dict[str, tuple[int, bool]]) -> list[str]:
    problems = []
    async with client(s) as http:
        health = (await http.get("/api/health")).json()
        if health["sessions"] != len(expected):
            problems.append(f"{health['sessions']} sessions back, not {len(expected)}")

        async def one(sid: str) -> None:
            r = await http.get(f"/api/sessions/{sid}")
            if r.status_code != 200:
                problems.append(f"{sid}: {r.status_code}")
                return
            state, (epoch, own) = r.json(), expected[sid]
            if (state["state"], state["epoch"], state["custom_data"]) != ("paused", epoch, own):
                problems.append(
                    f"{sid}: {state['state']} at epoch {state['epoch']}, custom "
                    f"{state['custom_data']} (wanted paused at {epoch}, custom {own})"
                )

        await each(list(expected), one)
    return problems


async def restore(
    args: argparse.Namespace, root: Path
) -> tuple[list[float], list[float], list[str]]:
    stored = root / "stored"
    s = server("--data-dir", str(stored))
    try:
        expected = await fill(s, args.restore)
    finally:
        s.terminate()  # SIGTERM: everything is checkpointed
        s.process.wait(timeout=120)
        s.stop()
    times: dict[bool, list[float]] = {True: [], False: []}
    problems: list[str] = []
    for r in range(args.restore_rounds):
        for full in (True, False) if r % 2 == 0 else (False, True):
            fresh = root / f"restore-{r}-{'stored' if full else 'empty'}"
            if full:
                shutil.copytree(stored, fresh)
            took, s = timed_start(fresh)
            try:
                if full and r == 0:
                    problems = await check_restored(s, expected)
            finally:
                s.stop()
            times[full].append(took)
            say(f"  restore round {r + 1}: {'stored' if full else 'empty '} {took:.2f} s")
    return times[True], times[False], problems


# -- the report --------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


Row = tuple[str, str, str, bool]  # a line of the summary: figure, measured, target, met


async def part_cost(args: argparse.Namespace, root: Path) -> Row:
    say("\n1. Checkpoint cost (epochs/s summed over all sessions at speed max)")
    rates = await cost(args, root)
    on, off = (med([rate for rate, _ in rates[mode]]) for mode in (True, False))
    say(f"  median: on {on:.0f}, off {off:.0f} ep/s -> on/off {on / off:.3f}")
    # other processes share the CPUs: epochs per second of the server's own CPU time
    # says what a checkpoint costs with less of their noise
    work = {mode: med([100 * rate / max(cpu, 1e-9) for rate, cpu in rates[mode]]) for mode in rates}
    say(
        f"  epochs per server CPU-second, median: on {work[True]:.0f}, off {work[False]:.0f} "
        f"-> on/off {work[True] / work[False]:.3f}"
    )
    ratio = on / off
    measured = f"{ratio:.3f} (per CPU-s {work[True] / work[False]:.3f})"
    met = min(ratio, work[True] / work[False]) >= TARGET_RATIO  # the noise can flatter either
    return "checkpoint cost, on/off ep/s", measured, f">= {TARGET_RATIO:.2f}, both", met


async def part_restore(args: argparse.Namespace, root: Path) -> Row:
    say(f"\n2. Restore (process start -> /api/health answers), {args.restore} sessions")
    full, empty, problems = await restore(args, root)
    extra = med(full) - med(empty)
    say(f"  median: stored {med(full):.2f} s, empty {med(empty):.2f} s -> +{extra:.2f} s")
    for p in problems[:10]:
        say(f"  ! {p}")
    say(f"  check of the first restore: {len(problems) or 'no'} problems")
    return (
        f"restore {args.restore} sessions, extra",
        f"{extra:.2f} s ({med(full):.2f}-{med(empty):.2f})",
        f"<= {TARGET_RESTORE_S:g} s, all back",
        extra <= TARGET_RESTORE_S and not problems,
    )


async def part_kill(args: argparse.Namespace, root: Path) -> Row:
    say(f"\n3. SIGKILL at a random moment, {args.kill_sessions} sessions at speed max")
    runs = await kills(args, root)
    lost = [x for k in runs for x in k.lost]
    lag = [x for k in runs for x in k.lag]
    missing = sum(k.missing for k in runs)
    worst = max(lost, default=float("inf"))
    say(
        f"  over {len(runs)} kills x {args.kill_sessions} sessions: lost median "
        f"{med(lost):.2f} s, max {worst:.2f} s (the last reads came median {med(lag):.2f} s, "
        f"max {max(lag, default=0):.2f} s before the kill); not back paused: {missing}"
    )
    return (
        "SIGKILL loss, max (median)",
        f"{worst:.2f} s ({med(lost):.2f})",
        f"<= {TARGET_LOSS_S:g} s, all back",
        worst <= TARGET_LOSS_S and not missing,
    )


PARTS = {"cost": part_cost, "restore": part_restore, "kill": part_kill}


async def run(args: argparse.Namespace) -> None:
    t_all = time.monotonic()
    say(
        f"bench.storage: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"cost: {args.sessions} sessions, {args.rounds} rounds of {args.seconds:g} s after "
        f"{args.warmup:g} s; restore: {args.restore} sessions, {args.restore_rounds} rounds; "
        f"SIGKILL: {args.kill_sessions} sessions, {args.kills} kills, seed {args.seed}; "
        f"checkpoint interval {args.checkpoint_interval or 'the default'}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        rows = [await PARTS[part](args, Path(tmp)) for part in args.parts]
    say(f"\n{'figure':<32} {'measured':<24} {'target':<22} verdict")
    say("-" * 88)
    for name, value, target, ok in rows:
        say(f"{name:<32} {value:<24} {target:<22} {verdict(ok)}")
    say(f"\n(total {time.monotonic() - t_all:.0f} s)")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, help="live sessions for the cost (default 300)")
    p.add_argument("--rounds", type=int, help="cost rounds per mode (default 3)")
    p.add_argument("--seconds", type=float, help="cost window (default 10 s)")
    p.add_argument("--warmup", type=float, help="after play, before reading (default 5 s)")
    p.add_argument("--restore", type=int, help="stored sessions to restore (default 500)")
    p.add_argument("--restore-rounds", type=int, help="starts per kind (default 3)")
    p.add_argument("--kill-sessions", type=int, help="sessions training at a kill (default 100)")
    p.add_argument("--kills", type=int, help="SIGKILLs (default 5)")
    p.add_argument("--kill-after", type=float, help="mean delay to a kill (default 8 s)")
    p.add_argument(
        "--checkpoint-interval",
        type=float,
        help="the storage-on servers' --checkpoint-interval (default: the server's, 3 s)",
    )
    p.add_argument("--seed", type=int, default=13, help="of the kill delays (default 13)")
    p.add_argument("--parts", default="cost,restore,kill", help="which (default all three)")
    p.add_argument("--quick", action="store_true", help="smoke check, under a minute")
    args = p.parse_args(argv)
    defaults = {name: sizes[args.quick] for name, sizes in SIZES.items()}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be more than 0, got {getattr(args, name)}")
    args.parts = [part for part in args.parts.split(",") if part]
    for part in args.parts:
        if part not in PARTS:
            p.error(f"--parts: unknown part {part!r}; the parts are {', '.join(PARTS)}")
    interval = args.checkpoint_interval
    args.interval = [] if interval is None else ["--checkpoint-interval", str(interval)]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
