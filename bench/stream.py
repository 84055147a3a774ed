"""Live streaming under load: N websocket clients on loopback, one session each at max speed.

Run: ``python -m bench.stream`` (about 3 minutes), ``--quick`` for a smoke check,
``--no-kernel`` for a server that trains with torch only (the compiled kernel's baseline).

The server runs as a subprocess on a free 127.0.0.1 port. Each client is an asyncio task
(``websockets``, no compression) that creates its own session over REST, sends
``speed max`` and ``play``, and then, for every binary frame: decodes it (header, layer
sizes, weights and biases, output grid, neuron maps, length checked) and acks it. The
server caps each viewer at ``max_fps`` (60), so an eager client is a client acking at
60 frames/s whenever the server keeps up.

Figures per client over the timed window (after a warm-up): frames/s; epochs/s (epoch
delta between its first and last frame in the window, from the frame headers, over the
time between them); bytes/s; frame age at arrival. Server RSS (VmRSS, /proc/PID/status)
and CPU (utime + stime delta of /proc/PID/stat over the wall time; 100 % = one core).

Frame age. A frame carries no send time, so by default the server subprocess is started
through ``serve_stamped`` below: the unmodified server with two wrappers that record when
each session's last training slice returned (time.monotonic, i.e. CLOCK_MONOTONIC, which
the client process shares on Linux) and append it, in units of 0.1 ms, as a u32 after the
frame's last byte (protocol v2 has no spare header field that wide; the decoder below
takes 4 bytes beyond the layout as the stamp and otherwise checks the length exactly).
Age = arrival time - the time the frame's epoch was trained:
how old the picture is when the client gets it. The stamping costs one clock read per
slice. ``--no-stamp`` runs plain ``python -m server`` instead; the age column then reads
"-" and only the round trip is left. The round trip ("rtt") is ack sent -> next frame
received: the server renders a viewer's next frame only after reading its ack, so it is
the client's wait per frame (fps cap wait + the worker's current pass + render + send).

Last, the slow-reader run: 50 clients that decode, ack and then sleep 0.5 s (they read
the socket twice a second) for 60 s while their sessions train at max speed; server RSS is
sampled every 5 s and max - min is reported. Flow control (one frame in flight per
viewer) should keep it flat. A slow reader's frames are about 0.5 s old by design: the
frame is rendered right after its ack and waits in the socket while the reader sleeps.
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import contextlib
import json
import math
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import connect

HEADER = struct.Struct("<BBBBHHIfddIBBHff")  # docs/protocol.md, version 2, 48 bytes
MLP_KIND = 0  # the header's kind byte (offset 37) for an MLP
STAMP = struct.Struct("<I")  # serve_stamped appends the training time after the frame
STAMP_UNIT = 1e-4  # seconds per stamp tick (0.1 ms); wraps after ~5 days
ALL_FEATURES = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
NETS = {
    "default": {"features": ["x1", "x2"], "hidden": [4, 2]},
    "largest": {"features": ALL_FEATURES, "hidden": [8] * 6},
}
NET_LABEL = {"default": "default 2-4-2-1", "largest": "largest 7-8x6-1"}
# Targets from the issue (2-core CPU): (net, N) -> (min epochs/s, min frames/s, max median age ms)
# one session at max speed: the default net on the compiled kernel (#15), the largest
TARGETS = {("default", 1): (1500.0, 30.0, 50.0), ("largest", 1): (100.0, 30.0, None)}
SERVER_ENV: dict[str, str] = {}  # the server's own settings (--no-kernel)
RSS_FLAT_MB = 20.0
# every bench client is 127.0.0.1: lift the per-address limits (they are not what is measured)
ONE_ADDRESS = {
    "PLAYGROUND_MAX_SESSIONS_PER_CLIENT": "100000",
    "PLAYGROUND_CREATE_RATE": "100000",
    "PLAYGROUND_CONNECT_RATE": "100000",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the server, optionally stamped ---------------------------------------------------------
def serve_stamped(argv: list[str]) -> None:
    """The real server (server.cli.main) with a training-time stamp in each frame."""
    from server.runtime import streaming
    from server.sessions import session as sessions

    train = sessions.Session.train
    encode = streaming.Framer.encode

    def train_epochs_stamped(self: Any, *args: Any, **kwargs: Any) -> Any:
        done = train(self, *args, **kwargs)
        if done:
            self.bench_trained_at = time.monotonic()
        return done

    def stamped(self: Any, session: Any, *args: Any, **kwargs: Any) -> bytearray:
        frame = encode(self, session, *args, **kwargs)
        trained = getattr(session, "bench_trained_at", None)
        if trained is not None:
            frame += STAMP.pack(int(trained / STAMP_UNIT) & 0xFFFFFFFF)
        return frame

    sessions.Session.train = train_epochs_stamped  # type: ignore[method-assign]
    streaming.Framer.encode = stamped  # type: ignore[method-assign]
    from server.cli import main

    main(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m server`` (or the stamped variant) on a free loopback port."""

    def __init__(self, stamped: bool = False, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        args = ["--port", str(self.port), "--log-level", "warning"]
        if stamped:
            cmd = [sys.executable, "-c", f"import bench.stream as b; b.serve_stamped({args!r})"]
        else:
            cmd = [sys.executable, "-m", "server", *args]
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PLAYGROUND_")}
        environ["PLAYGROUND_DEVICE"] = "cpu"
        # a database of its own: in the user's data directory one run restored the last
        # run's sessions (300 more to train and checkpoint, and a 429 at max_sessions)
        self.data = tempfile.TemporaryDirectory(prefix="bench-")
        environ["PLAYGROUND_DATA_DIR"] = self.data.name
        environ.update(ONE_ADDRESS, **(env or {}))  # a bench's own settings last
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=environ)

    async def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/api/health", timeout=2)).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        self.stop()
        self.log.seek(0)
        tail = self.log.read()[-3000:].decode(errors="replace")
        raise RuntimeError(f"server did not become healthy within {timeout:g} s:\n{tail}")

    def wait_ready_blocking(self, timeout: float = 60.0) -> None:
        """wait_ready for a bench without an event loop of its own."""
        asyncio.run(self.wait_ready(timeout))

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return math.nan

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.data.cleanup()


# -- clients --------------------------------------------------------------------------------
def decode(frame: bytes) -> tuple[int, int]:
    """Every field of a frame, as a viewer would; returns (epoch, stamp)."""
    (version, _state, n, flags, grid, msize, epoch, _rate, _train, _test, _seq, classes,
     kind, _reserved, _train_acc, _test_acc) = HEADER.unpack_from(frame)  # fmt: skip
    if version != 2:
        raise ValueError(f"frame version {version}")
    if kind != MLP_KIND:  # the layout below is the MLP's
        raise ValueError(f"frame of kind {kind}: this decoder reads MLP frames only")
    sizes = struct.unpack_from(f"<{n}H", frame, HEADER.size)
    offset = HEADER.size + 2 * n + (-2 * n) % 8
    n_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    n_biases = sum(sizes[1:])
    params = np.frombuffer(frame, "<f8", n_weights + n_biases, offset)
    offset += params.nbytes
    # k classes: G·G winning classes, then G·G confidences; else G·G output values
    output = np.frombuffer(frame, np.uint8, grid * grid * (2 if classes else 1), offset)
    offset += output.nbytes
    hidden = sum(sizes[1:-1])
    if flags & 1:
        maps = np.frombuffer(frame, np.uint8, hidden * msize * msize, offset).reshape(
            hidden, msize, msize
        )
        offset += maps.nbytes
    stamp = 0
    if len(frame) == offset + STAMP.size:
        (stamp,) = STAMP.unpack_from(frame, offset)
    elif offset != len(frame):
        raise ValueError(f"frame is {len(frame)} bytes, layout says {offset}")
    if not math.isfinite(float(params.sum())):
        raise ValueError("non-finite parameters")
    return epoch, stamp


@dataclass
class ClientStats:
    frames: int = 0
    bytes: int = 0
    first: tuple[float, int] | None = None  # (arrival, epoch) of the first frame in the window
    last: tuple[float, int] | None = None
    ages: list[float] = field(default_factory=list)  # ms
    rtts: list[float] = field(default_factory=list)  # ms
    frame_bytes: int = 0
    error: str | None = None

    def fps(self, seconds: float) -> float:
        return self.frames / seconds

    def took(self, frame: builtins.bytes, now: float, acked: float | None) -> int:
        """Count a frame that arrived at ``now`` inside the window (``acked``: when the
        previous one was acked, or None); returns its epoch."""
        epoch, stamp = decode(frame)
        self.frames += 1
        self.bytes += len(frame)
        self.frame_bytes = len(frame)
        self.first = self.first or (now, epoch)
        self.last = (now, epoch)
        if stamp:
            tick = (int(now / STAMP_UNIT) - stamp) & 0xFFFFFFFF
            self.ages.append(tick * STAMP_UNIT * 1000)
        if acked is not None:
            self.rtts.append((now - acked) * 1000)
        return epoch

    def epochs_per_s(self) -> float:
        if self.first is None or self.last is None or self.last[0] <= self.first[0]:
            return 0.0
        return (self.last[1] - self.first[1]) / (self.last[0] - self.first[0])


def report_problems(
    clients: Sequence[ClientStats], rates: list[float], what: str, indent: str
) -> None:
    """Under a table row: clients that saw no progress, and the first client error."""
    starved = sum(1 for e in rates if e == 0)
    errors = [c.error for c in clients if c.error]
    if starved:
        print(f"{indent}! {starved} of {len(clients)} {what} saw no epoch progress in the window")
    if errors:
        print(f"{indent}! {len(errors)} client errors, first: {errors[0]}")


@dataclass
class Window:
    start: float = math.inf
    end: float = math.inf

    def __contains__(self, t: float) -> bool:
        return self.start <= t < self.end


async def create_session(http: httpx.AsyncClient, net: str) -> str:
    r = await http.post("/api/sessions", json={"config": NETS[net]})
    r.raise_for_status()
    return r.json()["id"]


async def client(
    base: str,
    session_id: str,
    window: Window,
    stats: ClientStats,
    pause: float,
    ready: asyncio.Event,
) -> None:
    url = base.replace("http://", "ws://") + f"/ws/sessions/{session_id}"
    try:
        async with connect(url, compression=None, max_size=None, proxy=None, open_timeout=30) as ws:
            await ws.send(json.dumps({"type": "speed", "speed": "max"}))
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
                if now in window:
                    stats.took(message, now, acked)
                await ws.send('{"type":"ack"}')
                acked = time.monotonic()
                if pause:
                    await asyncio.sleep(pause)
                    acked = None  # the next frame was rendered long before we read it
    except Exception as exc:  # reported in the table, never hidden
        stats.error = f"{type(exc).__name__}: {exc}"
        ready.set()


# -- scenarios ------------------------------------------------------------------------------
@dataclass
class Result:
    label: str
    net: str
    n: int
    seconds: float
    clients: list[ClientStats]
    rss_mb: float
    rss_samples: list[tuple[float, float]]
    server_cpu: float  # percent of one core
    client_cpu: float


async def scenario(
    net: str,
    n: int,
    seconds: float,
    warmup: float,
    stamped: bool,
    pause: float = 0.0,
    sample_every: float = 1.0,
) -> Result:
    server = Server(stamped, env=SERVER_ENV)
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=30) as http:
            ids = [await create_session(http, net) for _ in range(n)]
        window = Window()
        stats = [ClientStats() for _ in range(n)]
        readies = [asyncio.Event() for _ in range(n)]
        tasks = [
            asyncio.create_task(client(server.base, sid, window, s, pause, r))
            for sid, s, r in zip(ids, stats, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        await asyncio.sleep(warmup)
        cpu0, client0, t0 = server.cpu_seconds(), sum(os.times()[:2]), time.monotonic()
        window.start, window.end = t0, t0 + seconds
        samples = [(0.0, server.rss_mb())]
        while (now := time.monotonic()) < window.end:
            await asyncio.sleep(min(sample_every, window.end - now))
            samples.append((time.monotonic() - t0, server.rss_mb()))
        wall = time.monotonic() - t0
        cpu = (server.cpu_seconds() - cpu0) / wall * 100
        client_cpu = (sum(os.times()[:2]) - client0) / wall * 100
        _, pending = await asyncio.wait(tasks, timeout=2 + 2 * pause)
        for task in pending:  # a client blocked in recv (its session stalled): stop it
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        label = f"{NET_LABEL[net]}, {'2 frames/s readers' if pause else 'max fps'}"
        return Result(label, net, n, seconds, stats, samples[-1][1], samples, cpu, client_cpu)
    finally:
        server.stop()


# -- printing -------------------------------------------------------------------------------
def med(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def fmt(x: float, digits: int = 0) -> str:
    return "-" if not math.isfinite(x) else f"{x:,.{digits}f}"


def verdict(r: Result) -> str:
    target = TARGETS.get((r.net, r.n))
    if target is None:
        return ""
    epochs, fps, age = target
    eps = min(c.epochs_per_s() for c in r.clients)
    fr = min(c.fps(r.seconds) for c in r.clients)
    age_med = med([a for c in r.clients for a in c.ages])
    ok = (
        eps >= epochs
        and fr >= fps
        and (age is None or not math.isfinite(age_med) or age_med <= age)
    )
    text = f">={epochs:g} ep/s, >={fps:g} fr/s" + (f", age med <={age:g} ms" if age else "")
    return f"{'PASS' if ok else 'MISS'} ({text})"


COLUMNS = """\
Columns (per client unless said; min / median over the N clients, over the timed window):
  fr/s      frames received per second
  ep/s      epochs trained per second (epoch delta in the frame headers / time)
  age ms    frame age at arrival, median / p95 of all frames: arrival - when its epoch trained
  rtt ms    ack sent -> next frame received, median
  KB/s      frame bytes per second (median client);  frame KB: size of one frame
  RSS MB    server resident memory at the end
  srv CPU   server process CPU, % of one core;  cli CPU: this (client) process"""


def print_table(results: list[Result]) -> None:
    head = (
        f"{'scenario':<27} {'N':>3} {'fr/s min/med':>13} {'ep/s min/med':>15} "
        f"{'age ms med/p95':>15} {'rtt ms':>7} {'KB/s':>6} {'frame KB':>8} {'RSS MB':>7} "
        f"{'srv CPU':>7} {'cli CPU':>7}  target"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        fps = [c.fps(r.seconds) for c in r.clients]
        eps = [c.epochs_per_s() for c in r.clients]
        ages = [a for c in r.clients for a in c.ages]
        rtts = [x for c in r.clients for x in c.rtts]
        kbs = [c.bytes / r.seconds / 1000 for c in r.clients]
        frame_kb = max(c.frame_bytes for c in r.clients) / 1000
        print(
            f"{r.label:<27} {r.n:>3} {fmt(min(fps), 1) + '/' + fmt(med(fps), 1):>13} "
            f"{fmt(min(eps)) + '/' + fmt(med(eps)):>15} "
            f"{fmt(med(ages), 1) + '/' + fmt(pct(ages, 95), 1):>15} "
            f"{fmt(med(rtts), 1):>7} {fmt(med(kbs)):>6} {fmt(frame_kb, 1):>8} {fmt(r.rss_mb):>7} "
            f"{fmt(r.server_cpu) + '%':>7} {fmt(r.client_cpu) + '%':>7}  {verdict(r)}"
        )
        report_problems(r.clients, eps, "clients", "    ")


def print_slow(r: Result) -> None:
    print(
        f"\nSlow readers: {r.n} clients, {NET_LABEL[r.net]} at max speed, each decodes, acks, then "
        f"sleeps 0.5 s; {r.seconds:g} s"
    )
    samples = ", ".join(f"{t:.0f}s: {m:.1f}" for t, m in r.rss_samples)
    print(f"  server RSS (MB) at t = {samples}")
    rss = [m for _, m in r.rss_samples]
    spread = max(rss) - min(rss)
    print(
        f"  max - min = {spread:.1f} MB   target: flat within {RSS_FLAT_MB:g} MB -> "
        f"{'PASS' if spread <= RSS_FLAT_MB else 'MISS'}"
    )
    fps = [c.fps(r.seconds) for c in r.clients]
    ages = [a for c in r.clients for a in c.ages]
    eps = [c.epochs_per_s() for c in r.clients]
    print(
        f"  per client min/med: {fmt(min(fps), 2)}/{fmt(med(fps), 2)} frames/s, "
        f"{fmt(min(eps))}/{fmt(med(eps))} epochs/s; server CPU {fmt(r.server_cpu)}%\n"
        f"  frame age med {fmt(med(ages))} ms, p95 {fmt(pct(ages, 95))} ms "
        "(~500 ms expected: rendered at the ack, read after the sleep)"
    )
    report_problems(r.clients, eps, "clients", "  ")


async def run(args: argparse.Namespace) -> None:
    print(
        f"bench.stream: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, "
        f"{args.duration:g} s per scenario after {args.warmup:g} s warm-up, "
        f"frame age {'from a stamped server (module doc)' if args.stamp else 'off (--no-stamp)'}; "
        f"load average {os.getloadavg()[0]:.1f} (other processes share these CPUs)\n"
    )
    results = []
    for net in args.nets:
        for n in args.clients:
            r = await scenario(net, n, args.duration, args.warmup, args.stamp)
            results.append(r)
            print(f"  done: {r.label}, N={n}", file=sys.stderr, flush=True)
    print(COLUMNS + "\n")
    print(f"load average now {os.getloadavg()[0]:.1f}")
    print_table(results)
    if args.slow_clients:
        slow = await scenario(
            "default",
            args.slow_clients,
            args.slow_duration,
            args.warmup + 2,
            args.stamp,
            pause=0.5,
            sample_every=args.sample_every,
        )
        print_slow(slow)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.stream", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per scenario (default 10)")
    p.add_argument(
        "--warmup", type=float, default=1.5, help="seconds before timing starts (default 1.5)"
    )
    p.add_argument(
        "--clients", default="1,10,50", help="client counts, comma-separated (default 1,10,50)"
    )
    p.add_argument(
        "--nets", default="default,largest", help="nets: default, largest (default both)"
    )
    p.add_argument(
        "--slow-clients", type=int, default=50, help="slow readers in the last run (0: skip)"
    )
    p.add_argument(
        "--slow-duration", type=float, default=60.0, help="seconds of the slow-reader run"
    )
    p.add_argument(
        "--sample-every", type=float, default=5.0, help="RSS sampling period of the slow run"
    )
    p.add_argument(
        "--quick", action="store_true", help="smoke check: 3 s scenarios, N=1,10, 10 s slow run"
    )
    p.add_argument(
        "--no-stamp", dest="stamp", action="store_false", help="plain server, no frame age"
    )
    p.add_argument(
        "--no-kernel",
        dest="kernel",
        action="store_false",
        help="the server trains with torch only (PLAYGROUND_KERNEL=false), for a baseline",
    )
    args = p.parse_args(argv)
    if not args.kernel:
        SERVER_ENV["PLAYGROUND_KERNEL"] = "false"
    if args.quick:
        args.duration, args.warmup, args.slow_duration, args.sample_every = 3.0, 1.0, 10.0, 2.0
        if args.clients == "1,10,50":
            args.clients = "1,10"
    args.clients = [int(x) for x in args.clients.split(",") if x]
    args.nets = [x for x in args.nets.split(",") if x]
    for net in args.nets:
        if net not in NETS:
            p.error(f"unknown net {net!r}: {', '.join(NETS)}")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
