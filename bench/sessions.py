"""Many sessions at once (issue #6): S websocket clients, one session each, batching on vs off.

Run: ``python -m bench.sessions`` (about 6 minutes), ``--quick`` for a smoke check (about
1 minute), ``--big`` to add S = 1,000.

For each S (default 1, 10, 100, 300) and each mode, the server runs twice as a subprocess,
once with batching on (``PLAYGROUND_BATCHING=1``, sessions with one engine.batched.group_key
train as one stacked computation, server/runtime/worker.py) and once off (``PLAYGROUND_BATCHING=0``,
every session trains alone). The server is started with bench/stream.py's helpers (its
``Server`` and ``serve_stamped``, with ``PLAYGROUND_MAX_SESSIONS`` raised) and frames are
decoded with its ``decode``, so this bench follows any change of the frame layout there.

Modes (every session at speed "max" unless ``--speed`` says otherwise):
  default  S sessions of the default net (2-4-2-1, tanh, batch 10): a classroom running one
           config. The targets below apply to this mode.
  mixed    80 % default net, 20 % spread round-robin over other configs (largest net
           7-8x6-1; default net with batch 1, 5 or 30; relu; sigmoid): one group of
           defaults plus up to six small groups, to show what grouping buys when configs
           differ. (Skipped at S = 1, where it equals the default mode.)

Each session is driven by its own asyncio websocket client in this process (``websockets``,
compression off) that creates nothing itself: the sessions are created over REST first,
then every client connects, sends ``speed`` and ``play``, and for every binary frame
decodes it in full (bench.stream.decode) and acks it. After a warm-up the figures are
taken over a timed window:

  per session epochs/s  epoch of the session's last frame before the window end minus that
                        of its last frame before the window start (frame headers), over the
                        window (see SessionStats); aggregate = sum over sessions
  frames/s              frames delivered (received and decoded) per second
  frame age             arrival time - when the frame's epoch was trained. A frame carries no
                        send time, so the server runs bench.stream.serve_stamped (a training
                        time stamp in the reserved header field), plus, from this module,
                        the same stamp for sessions trained in a batch (serve_stamped only
                        wraps Session.train, which batched groups do not call; they
                        go through Session.record, which is wrapped here). Where no stamp
                        arrives the column reads "-" and the round trip is what is left.
  rtt                   ack sent -> next frame received: what a client waits per frame
                        (fps cap + the worker's current pass + render + send).
  RSS, CPU              server VmRSS at the end of the window; server utime+stime over the
                        window (100 % = one core); the same for this client process, which
                        shares the machine's cores with the server.

Idle sessions: a fresh server, 10 warm-up sessions, then N more created over REST and never
played; RSS delta / N. Churn: rounds of 100 sessions created, watched for a few frames at
max speed and deleted, with the server's RSS after each round (the allocator settles over
the first rounds; a leak keeps growing). Last, in-process costs of the worker's pieces for
100 and 300 default sessions (engine.batched.train_together vs one Model.train_epoch per
session vs the frame render + encode the worker does per viewer), to show where the time
goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import httpx
from websockets.asyncio.client import connect

from bench import stream

DEFAULT_NET: dict[str, Any] = {
    "features": ["x1", "x2"],
    "hidden": [4, 2],
    "activation": "tanh",
    "batch_size": 10,
}
OTHERS: list[tuple[str, dict[str, Any]]] = [
    ("largest", {**DEFAULT_NET, **stream.NETS["largest"]}),
    ("batch 1", {**DEFAULT_NET, "batch_size": 1}),
    ("batch 5", {**DEFAULT_NET, "batch_size": 5}),
    ("batch 30", {**DEFAULT_NET, "batch_size": 30}),
    ("relu", {**DEFAULT_NET, "activation": "relu"}),
    ("sigmoid", {**DEFAULT_NET, "activation": "sigmoid"}),
]
MIXED_OTHER = 0.2
# Targets from the issue, default mode, batching on: on the 2-core CPU, and on a CUDA GPU
# (an H100-class card; the issue names no frame rate there).
# S -> (min epochs/s per session, min frames/s per session)
TARGETS = {100: (30.0, 10.0), 300: (10.0, 5.0)}
GPU_TARGETS = {1000: (60.0, 0.0)}
TARGET_RATIO = (100, 10.0)  # batched aggregate epochs/s >= 10x unbatched at S = 100
TARGET_IDLE_MB = 1.0  # server RSS per idle session


# -- the server -----------------------------------------------------------------------------
def stamp_batched() -> None:
    """In the server process: stamp sessions trained in a batch too (see module doc)."""
    from server.sessions import session as sessions

    record = sessions.Session.record

    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        kept = record(self, *args, **kwargs)
        if kept:
            self.bench_trained_at = time.monotonic()
        return kept

    sessions.Session.record = recorded  # type: ignore[method-assign]


KERNEL = [True]  # the compiled CPU kernel on (--no-kernel: torch only)


def start_server(batching: bool, max_sessions: int, device: str = "cpu") -> stream.Server:
    """bench.stream.Server (stamped), with batching, the session limit and the device set.

    stream.Server drops every PLAYGROUND_* variable and takes no settings, so its Popen
    call is wrapped here to add ours (and to prepend ``stamp_batched`` to its ``-c`` code)."""
    extra = {
        "PLAYGROUND_BATCHING": "1" if batching else "0",
        "PLAYGROUND_MAX_SESSIONS": str(max_sessions),
        "PLAYGROUND_DEVICE": device,
        "PLAYGROUND_KERNEL": "1" if KERNEL[0] else "0",
    }
    real = subprocess.Popen

    def popen(cmd: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["env"] = {**(kwargs.get("env") or os.environ), **extra}
        cmd = list(cmd)
        if len(cmd) >= 3 and cmd[1] == "-c":
            cmd[2] = f"import bench.sessions as _s; _s.stamp_batched(); {cmd[2]}"
        return real(cmd, *args, **kwargs)

    with mock.patch.object(stream.subprocess, "Popen", popen):
        return stream.Server(stamped=True)


async def create_sessions(base: str, configs: list[dict[str, Any]]) -> list[str]:
    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=60) as http:

        async def one(config: dict[str, Any]) -> str:
            async with limit:
                r = await http.post("/api/sessions", json={"config": config})
                r.raise_for_status()
                return r.json()["id"]

        return await asyncio.gather(*(one(c) for c in configs))


# -- clients --------------------------------------------------------------------------------
@dataclass
class SessionStats(stream.ClientStats):
    """bench.stream's per-client figures plus the epoch the viewer knew at the window start.

    Epochs/s = (epoch of the last frame before the window end - epoch of the last frame
    before the window start) / window: the progress the viewer saw over the window. (First
    to last frame inside the window, as bench.stream does, overstates bursty sessions: with
    batching off and many sessions, a session gets a few frames close together during its
    training turn and none for seconds, and a rate over that short span says little.)"""

    at_start: int | None = None

    def rate(self, seconds: float) -> float:
        if self.last is None:
            return 0.0
        if self.at_start is None:  # no frame before the window: from its first frame in it
            return self.epochs_per_s()
        return (self.last[1] - self.at_start) / seconds


async def client(
    base: str,
    session_id: str,
    speed: str | float,
    window: stream.Window,
    stats: SessionStats,
    ready: asyncio.Event,
    connecting: asyncio.Semaphore,
    view: dict[str, Any] | None = None,
) -> None:
    """One viewer: speed + play, then decode and ack every frame (cf. bench.stream.client)."""
    url = base.replace("http://", "ws://") + f"/ws/sessions/{session_id}"
    try:
        async with connecting:
            ws = await connect(url, compression=None, max_size=None, proxy=None, open_timeout=60)
        async with ws:
            if view:
                await ws.send(json.dumps({"type": "view", **view}))
            await ws.send(json.dumps({"type": "speed", "speed": speed}))
            await ws.send(json.dumps({"type": "play"}))
            ready.set()
            acked = None
            while time.monotonic() < window.end:
                message = await ws.recv()
                now = time.monotonic()
                if isinstance(message, str):
                    if json.loads(message).get("type") == "error":
                        raise RuntimeError(message)
                    continue
                if now < window.start:
                    stats.at_start = stream.decode(message)[0]
                if now in window:
                    stats.took(message, now, acked)
                await ws.send('{"type":"ack"}')
                acked = time.monotonic()
    except Exception as exc:  # reported under the table, never hidden
        stats.error = f"{type(exc).__name__}: {exc}"
        ready.set()


# -- one run --------------------------------------------------------------------------------
def configs_for(mode: str, s: int) -> list[tuple[str, dict[str, Any]]]:
    if mode == "default":
        return [("default", DEFAULT_NET)] * s
    others = round(MIXED_OTHER * s)
    return [("default", DEFAULT_NET)] * (s - others) + [
        OTHERS[i % len(OTHERS)] for i in range(others)
    ]


@dataclass
class Run:
    mode: str
    s: int
    batching: bool
    seconds: float
    labels: list[str]
    clients: list[SessionStats]
    rss_mb: float
    server_cpu: float
    client_cpu: float
    setup_s: float
    groups: int = 0
    load: float = math.nan
    device: str = "cpu"  # as the server's /api/health reports it
    notes: list[str] = field(default_factory=list)

    def eps(self) -> list[float]:
        return [c.rate(self.seconds) for c in self.clients]

    def fps(self) -> list[float]:
        return [c.fps(self.seconds) for c in self.clients]


async def run_once(
    mode: str,
    s: int,
    batching: bool,
    seconds: float,
    warmup: float,
    speed: str | float,
    view: dict[str, Any] | None = None,
    device: str = "cpu",
) -> Run:
    t_setup = time.monotonic()
    configs = configs_for(mode, s)
    server = start_server(batching, max_sessions=max(500, 2 * s), device=device)
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base, trust_env=False) as http:
            device = (await http.get("/api/health")).json()["device"]  # what it really uses
        ids = await create_sessions(server.base, [c for _, c in configs])
        window = stream.Window()
        stats = [SessionStats() for _ in ids]
        readies = [asyncio.Event() for _ in ids]
        connecting = asyncio.Semaphore(50)
        tasks = [
            asyncio.create_task(client(server.base, sid, speed, window, st, r, connecting, view))
            for sid, st, r in zip(ids, stats, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
        setup = time.monotonic() - t_setup
        await asyncio.sleep(warmup)
        cpu0, client0, t0 = server.cpu_seconds(), sum(os.times()[:2]), time.monotonic()
        window.start, window.end = t0, t0 + seconds
        await asyncio.sleep(seconds)
        wall = time.monotonic() - t0
        cpu = (server.cpu_seconds() - cpu0) / wall * 100
        client_cpu = (sum(os.times()[:2]) - client0) / wall * 100
        rss = server.rss_mb()
        _, pending = await asyncio.wait(tasks, timeout=3)
        for task in pending:  # a client blocked in recv (its session stalled): stop it
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        groups = len({json.dumps(c, sort_keys=True) for _, c in configs}) if batching else s
        notes = []
        if server.proc.poll() is not None or any(c.error for c in stats):
            server.log.seek(0)
            tail = server.log.read()[-1500:].decode(errors="replace").strip()
            exit_code = server.proc.poll()
            notes.append(
                f"server {'exited ' + str(exit_code) if exit_code is not None else 'alive'}"
                f"; its log ends:\n{tail}"
            )
        return Run(
            mode,
            s,
            batching,
            seconds,
            [label for label, _ in configs],
            stats,
            rss,
            cpu,
            client_cpu,
            setup,
            groups,
            os.getloadavg()[0],
            notes=notes,
            device=device,
        )
    finally:
        server.stop()


async def churn_rss(rounds: int, s: int) -> list[float]:
    """Server RSS after each round of: S sessions created (three shapes in turn, so stacks
    come and go), each watched over a websocket while it trains a few frames, then deleted.
    Flat after the first rounds = nothing of a deleted session stays behind."""
    server = start_server(True, max_sessions=2 * s)
    rss = []
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=60) as http:
            for r in range(rounds):
                config = {**DEFAULT_NET, "hidden": [4, 2 + r % 3]}
                ids = await create_sessions(server.base, [config] * s)
                await asyncio.gather(*(watch(server.base, sid, frames=5) for sid in ids))
                await asyncio.gather(*(http.delete(f"/api/sessions/{sid}") for sid in ids))
                rss.append(server.rss_mb())
        return rss
    finally:
        server.stop()


async def watch(base: str, session_id: str, frames: int) -> None:
    """Play a session at max speed and ack ``frames`` frames."""
    url = base.replace("http://", "ws://") + f"/ws/sessions/{session_id}"
    async with connect(url, compression=None, proxy=None, open_timeout=60) as ws:
        for message in ({"type": "view", "render": "client"}, {"type": "speed", "speed": "max"}):
            await ws.send(json.dumps(message))
        await ws.send(json.dumps({"type": "play"}))
        while frames:
            if isinstance(await ws.recv(), bytes):
                frames -= 1
                await ws.send(json.dumps({"type": "ack"}))


async def idle_rss(n: int) -> tuple[float, float, float, float]:
    """Server RSS: at start, after 10 warm-up sessions, after n more idle ones; MB/session."""
    server = start_server(True, max_sessions=n + 100)
    try:
        await server.wait_ready()
        start = server.rss_mb()
        await create_sessions(server.base, [DEFAULT_NET] * 10)
        await asyncio.sleep(1.0)
        before = server.rss_mb()
        await create_sessions(server.base, [DEFAULT_NET] * n)
        await asyncio.sleep(1.0)
        after = server.rss_mb()
        return start, before, after, (after - before) / n
    finally:
        server.stop()


# -- in-process costs -----------------------------------------------------------------------
def best_ms(fn: Any, repeat: int) -> float:
    """Median wall time of ``fn`` in ms over ``repeat`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def costs(sizes: list[int], repeat: int) -> list[dict[str, float]]:
    """The worker's pieces, timed in this process on one torch thread (as the worker runs)."""
    import torch

    from server.config import Settings
    from server.engine.batched import train_together
    from server.protocol.frames import View
    from server.protocol.rest import Config
    from server.runtime.streaming import Framer
    from server.sessions.session import Session

    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    settings = Settings(device="cpu")
    cpu = torch.device("cpu")
    config = Config(**DEFAULT_NET)
    sessions = [Session(f"s{i}", config, settings, cpu) for i in range(max(sizes))]
    largest = Session("big", Config(**OTHERS[0][1]), settings, cpu)
    batch1 = Session("b1", Config(**OTHERS[1][1]), settings, cpu)
    view = View()
    framer = Framer(settings, cpu)
    out = []
    for s in sizes:
        group = sessions[:s]
        models = [x.model for x in group]
        one_model = best_ms(lambda: models[0].train_epoch(), repeat * 5)  # noqa: B023
        batched = best_ms(lambda: train_together(models, 1), repeat)  # noqa: B023
        alone = best_ms(lambda: [m.train_epoch() for m in models], max(1, repeat // 3))  # noqa: B023
        # the worker's own render + encode of one frame (self is unused there)
        frame = best_ms(lambda: framer.encode(group[0], view), repeat * 5)  # noqa: B023
        out.append(
            {
                "s": s,
                "one_epoch": one_model,
                "batched": batched,
                "alone": alone,
                "frame": frame,
                "frames": frame * s,
                "frame_largest": best_ms(lambda: framer.encode(largest, view), repeat),
                "epoch_largest": best_ms(lambda: largest.model.train_epoch(), repeat),
                "epoch_batch1": best_ms(lambda: batch1.model.train_epoch(), repeat),
            }
        )
    return out


# -- printing -------------------------------------------------------------------------------
med = stream.med
pct = stream.pct
fmt = stream.fmt


def verdict(r: Run) -> str:
    target = (GPU_TARGETS if r.device.startswith("cuda") else TARGETS).get(r.s)
    if r.mode != "default" or not r.batching or target is None:
        return ""
    epochs, frames = target
    ok = min(r.eps()) >= epochs and min(r.fps()) >= frames
    wanted = f">={epochs:g} ep/s" + (f", >={frames:g} fr/s" if frames else "")
    return f"{'PASS' if ok else 'MISS'} (each {wanted})"


COLUMNS = """\
Columns (over the timed window; min / med = minimum / median over the S sessions):
  mode      default: S x default net 2-4-2-1 batch 10; mixed: 80% that, 20% other configs
  batch     server batching on/off (grps: training groups the server forms)
  agg ep/s  epochs/s summed over all sessions; per session: epoch of its last frame before the
            window end - epoch of its last frame before the window start, over the window
  ep/s      per session, min / median
  fr/s tot  frames delivered per second, all clients together; fr/s: per session min / median
  age ms    frame age at arrival, median / p95 over all frames (arrival - when its epoch trained)
  rtt ms    ack sent -> next frame received, median over all frames
  RSS MB    server resident memory at the end of the window
  srv/cli   CPU of the server process / of this client process, % of one core (2 cores = 200%)
  load      1-minute load average at the end of the run (other processes share these CPUs)"""


def print_table(runs: list[Run]) -> None:
    head = (
        f"{'mode':<7} {'S':>4} {'batch':>5} {'grps':>4} {'agg ep/s':>9} {'ep/s min/med':>13} "
        f"{'fr/s tot':>8} {'fr/s min/med':>12} {'age ms med/p95':>14} {'rtt ms':>7} "
        f"{'RSS MB':>6} {'srv/cli CPU':>11} {'load':>4}  target"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        eps, fps = r.eps(), r.fps()
        ages = [a for c in r.clients for a in c.ages]
        rtts = [x for c in r.clients for x in c.rtts]
        print(
            f"{r.mode:<7} {r.s:>4} {'on' if r.batching else 'off':>5} {r.groups:>4} "
            f"{fmt(sum(eps)):>9} {fmt(min(eps), 1) + '/' + fmt(med(eps), 1):>13} "
            f"{fmt(sum(fps)):>8} {fmt(min(fps), 1) + '/' + fmt(med(fps), 1):>12} "
            f"{fmt(med(ages)) + '/' + fmt(pct(ages, 95)):>14} {fmt(med(rtts), 1):>7} "
            f"{fmt(r.rss_mb):>6} {fmt(r.server_cpu) + '/' + fmt(r.client_cpu) + '%':>11} "
            f"{r.load:>4.1f}  {verdict(r)}"
        )
        if r.mode == "mixed":
            parts = []
            for label in ["default"] + [name for name, _ in OTHERS]:
                sel = [i for i, x in enumerate(r.labels) if x == label]
                if sel:
                    e = [eps[i] for i in sel]
                    f = [fps[i] for i in sel]
                    parts.append(
                        f"{label} x{len(sel)}: {fmt(min(e))}/{fmt(med(e))} ep/s "
                        f"{fmt(min(f), 1)}/{fmt(med(f), 1)} fr/s"
                    )
            print("      by config (min/med): " + "; ".join(parts))
        stream.report_problems(r.clients, eps, "sessions", "      ")
        for note in r.notes:
            print("      ! " + note.replace("\n", "\n        "))


def print_ratios(runs: list[Run]) -> None:
    print("\nBatched / unbatched, same mode and S (> 1: batching is better; age: < 1 is better)")
    head = (
        f"{'mode':<7} {'S':>4} {'agg ep/s':>9} {'min ep/s':>9} {'med ep/s':>9} "
        f"{'fr/s tot':>9} {'age med':>8} {'srv CPU':>8}  target"
    )
    print(head)
    print("-" * len(head))
    by = {(r.mode, r.s, r.batching): r for r in runs}
    for (mode, s, batching), on in by.items():
        off = by.get((mode, s, False))
        if not batching or off is None:
            continue

        def ratio(a: float, b: float) -> str:
            return f"{a / b:.2f}x" if b > 0 and math.isfinite(a) and math.isfinite(b) else "-"

        age_on = med([a for c in on.clients for a in c.ages])
        age_off = med([a for c in off.clients for a in c.ages])
        line = (
            f"{mode:<7} {s:>4} {ratio(sum(on.eps()), sum(off.eps())):>9} "
            f"{ratio(min(on.eps()), min(off.eps())):>9} {ratio(med(on.eps()), med(off.eps())):>9} "
            f"{ratio(sum(on.fps()), sum(off.fps())):>9} {ratio(age_on, age_off):>8} "
            f"{ratio(on.server_cpu, off.server_cpu):>8}"
        )
        if mode == "default" and s == TARGET_RATIO[0]:
            ok = sum(off.eps()) > 0 and sum(on.eps()) / sum(off.eps()) >= TARGET_RATIO[1]
            line += f"  {'PASS' if ok else 'MISS'} (agg ep/s >= {TARGET_RATIO[1]:g}x)"
        print(line)


def print_costs(rows: list[dict[str, float]]) -> None:

    print(
        "\nIn-process costs of the worker's pieces (this process, 1 torch thread, default net, "
        "medians; the server was stopped):"
    )
    head = (
        f"{'S':>4} {'1 epoch, 1 model':>16} {'S alone':>9} {'batched':>9} {'speed-up':>8} "
        f"{'1 frame':>8} {'S frames':>9} {'frames/epoch':>12}"
    )
    print(head)
    print("-" * len(head))
    for c in rows:
        print(
            f"{c['s']:>4} {c['one_epoch']:>13.3f} ms {c['alone']:>6.1f} ms {c['batched']:>6.2f} ms "
            f"{c['alone'] / c['batched']:>7.1f}x {c['frame']:>5.2f} ms {c['frames']:>6.1f} ms "
            f"{c['frames'] / c['batched']:>11.1f}x"
        )
    print(
        "  S alone: one Model.train_epoch per session in a loop (batching off); batched: one "
        "engine.batched.train_together(S models, 1 epoch);\n"
        "  1 frame: Framer.encode of a server-drawn frame (engine.render.render 100x100 output "
        f"+ 25x25 neuron maps, quantize, pack) for one default session "
        f"({rows[0]['frame_largest']:.2f} ms for the largest net); what a viewer with "
        "render: server costs. The browser UI and the table above use render: client "
        "(weights only), which skips it;\n"
        "  frames/epoch: drawing one frame for each of the S sessions on the server costs this "
        "many batched epochs of all S.\n"
        f"  Other configs of the mixed mode, one session: an epoch of the largest net "
        f"{rows[0]['epoch_largest']:.1f} ms, of the default net with batch 1 "
        f"{rows[0]['epoch_batch1']:.1f} ms; the worker trains every group at least one whole "
        "epoch per pass."
    )


async def run(args: argparse.Namespace) -> None:
    print(
        f"bench.sessions: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, "
        f"{args.seconds:g} s window after {args.warmup:g} s warm-up, speed {args.speed}, "
        f"view {json.dumps(args.view) if args.view else 'default (the server draws the grids)'}, "
        f"device {args.device}, S = {', '.join(map(str, args.sizes))}; "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    t_all = time.monotonic()
    runs: list[Run] = []
    for s in args.sizes:
        for mode in args.modes:
            if mode == "mixed" and round(MIXED_OTHER * s) == 0:
                continue
            for batching in args.batching:
                t = time.monotonic()
                r = await run_once(
                    mode, s, batching, args.seconds, args.warmup, args.speed, args.view, args.device
                )
                runs.append(r)
                print(
                    f"  done: {mode} S={s} batching {'on' if batching else 'off'} on {r.device} "
                    f"({time.monotonic() - t:.0f} s, setup {r.setup_s:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    print(COLUMNS + "\n")
    print(f"load average now {os.getloadavg()[0]:.1f}")
    print_table(runs)
    print_ratios(runs)
    if args.idle:
        start, before, after, per = await idle_rss(args.idle)
        print(
            f"\nIdle sessions: server RSS {start:.1f} MB at start, {before:.1f} MB with 10 "
            f"sessions, {after:.1f} MB after {args.idle} more idle default-net sessions "
            f"(created over REST, never played)\n"
            f"  -> {per:.3f} MB per idle session   target <= {TARGET_IDLE_MB:g} MB -> "
            f"{'PASS' if per <= TARGET_IDLE_MB else 'MISS'}"
        )
    if args.churn:
        rss = await churn_rss(args.churn, 100)
        late = rss[-5:]
        print(
            f"\nChurn: {args.churn} rounds of 100 sessions created, watched for 5 frames at max "
            f"speed, deleted; server RSS after each round (MB): {' '.join(f'{x:.0f}' for x in rss)}"
            f"\n  -> the last {len(late)} rounds within {max(late) - min(late):.1f} MB"
        )
    if args.costs:
        print_costs(costs(args.costs, args.repeat))
    print(f"\n(total {time.monotonic() - t_all:.0f} s)")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.sessions", description=__doc__.split("\n")[0])
    p.add_argument(
        "--sizes",
        default=None,
        help="session counts S, comma-separated "
        "(default 1,10,100,300; --big adds 1000; --quick 1,10,100)",
    )
    p.add_argument("--seconds", type=float, default=None, help="timed window (default 8 s)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up before it (default 2 s)")
    p.add_argument("--modes", default="default,mixed", help="default, mixed (default both)")
    p.add_argument("--speed", default="max", help='session speed: "max" or epochs/s (default max)')
    p.add_argument(
        "--view",
        type=json.loads,
        default={"render": "client"},
        help='the view message every client sends (default \'{"render": "client"}\': weights '
        "only, the client draws the maps, as the browser UI does; '{}' for server-drawn grids)",
    )
    p.add_argument(
        "--device",
        default="cpu",
        help="the server's PLAYGROUND_DEVICE: cpu (default), cuda or auto",
    )
    p.add_argument(
        "--batching",
        default="on,off",
        help="which server modes to run: on, off or on,off (default; the ratio needs both)",
    )
    p.add_argument(
        "--idle", type=int, default=None, help="idle sessions for RSS (default 300; 0 skips it)"
    )
    p.add_argument(
        "--churn",
        type=int,
        default=None,
        help="rounds of 100 sessions created, watched and deleted, for RSS (default 12; 0 skips)",
    )
    p.add_argument(
        "--no-costs", action="store_true", help="skip the in-process costs of the worker's pieces"
    )
    p.add_argument(
        "--no-kernel",
        dest="kernel",
        action="store_false",
        help="torch only: no compiled kernel (PLAYGROUND_KERNEL=0), for a baseline",
    )
    p.add_argument("--quick", action="store_true", help="smoke check: 3 s windows, S=1,10,100")
    p.add_argument("--big", action="store_true", help="add S=1000 (clients in this process)")
    args = p.parse_args(argv)
    KERNEL[0] = args.kernel
    quick = args.quick
    sizes = args.sizes or ("1,10,100" if quick else "1,10,100,300")
    args.sizes = [int(x) for x in sizes.split(",") if x]
    if args.big and 1000 not in args.sizes:
        args.sizes.append(1000)
    args.seconds = args.seconds or (3.0 if quick else 8.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 2.0)
    args.idle = args.idle if args.idle is not None else (100 if quick else 300)
    args.churn = args.churn if args.churn is not None else (4 if quick else 12)
    args.costs = [] if args.no_costs else [100] if quick else [100, 300]
    args.repeat = 5 if quick else 15
    args.modes = [m for m in args.modes.split(",") if m]
    for mode in args.modes:
        if mode not in ("default", "mixed"):
            p.error(f"unknown mode {mode!r}: default, mixed")
    if args.device not in ("cpu", "cuda", "auto"):
        p.error(f"unknown device {args.device!r}: cpu, cuda, auto")
    modes = {"on": True, "off": False}
    try:
        args.batching = [modes[m] for m in args.batching.split(",") if m]
    except KeyError as exc:
        p.error(f"unknown batching mode {exc}: on, off")
    if args.speed != "max":
        args.speed = float(args.speed)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
