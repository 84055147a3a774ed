"""The GAN and the autoencoder (issue #16): live speed over websockets, and quality in process.

Run: ``python -m bench.gan`` (about 2 minutes), ``--quick`` for a smoke check (under a minute:
2 s windows, one seed, the collapse runs cut to 1,500 iterations); ``--no-live`` or
``--no-quality`` for one half, ``--kinds gan`` for one kind.

Live (bench/stream.py's ``Server``: ``python -m server`` as a subprocess on a free loopback
port, its own database, per-address limits lifted). Every session is created over REST
(POST /api/sessions, the kind's default config: a GAN on the ring with the "balanced"
preset, an autoencoder on moons), then one asyncio websocket viewer per session (no
compression) sends ``speed max`` and ``play`` and, for every binary frame, decodes it in
full (the 48-byte header, the kind byte, the body's JSON and every section, the length
checked exactly, the floats checked finite) and acks it, as bench/stream.py's clients do.
The server's default view caps a viewer at 60 frames/s. After a warm-up the figures are
taken over a timed window, per session:

  it/s, ep/s  epoch in the header of the session's last frame before the window end, minus
              that of its last frame before the window start, over the window (bench/
              sessions.py's SessionStats.rate); a GAN's epoch is one iteration (d_steps D
              updates, then g_steps G updates), an autoencoder's one pass over its points
  fr/s        frames received and decoded per second
  srv/cli CPU the server's utime+stime over the window (100 % = one core), and this
              client process's, which shares the machine's two cores with the server

Runs: one session alone; then S (30) at once, with the server's batching on
(PLAYGROUND_BATCHING=1: sessions of one group key train as one stack) and off (every
session alone, the baseline), in the same run; the ratio on/off is printed below.

Quality (bench/gan_quality.py, in this process, no server, one torch thread, seeded):
the balanced GAN's JS divergence every 250 iterations up to 3,000 and the first iteration
with JS < 0.1; the "mode_collapse" preset on three blobs (and, as a control, the balanced
one there): JS and how many blobs hold >= 10 % of 2,000 generated points; a linear
autoencoder (no hidden layers, bottleneck 1) against numpy's SVD: |cos| between the decoded
line and the first principal axis, and its MSE over PCA's rank-1 residual.

Measured on the 2-core machine (two runs, shared with other work; README.md has the table),
GAN defaults with 2 D steps: a GAN alone 709-896 it/s at 41-44 fr/s (1 D step: 1,004-1,081);
30 GANs 37-46 it/s and 14-15 fr/s each (batching off 13-16: 2.8-2.9x); an autoencoder
alone 266-267 ep/s at 32-33 fr/s; 30 of them 32-35 ep/s and 35-36 fr/s each (off: 5-6,
6.1-6.4x). Where the worker's time goes with 30 GANs stacked (a stack sampler in the
server): training about 63 % (a stacked iteration of 30 costs 10-13 ms, mostly float64
bmm; the per-model noise and batch draws about 10 % of it), frames about 30 % (one frame
0.6-1.4 ms, drawn per session, not per stack), divergence estimates 6-7 % (9 ms for 30,
every 10th iteration). With 30 autoencoders stacked, 30 % of an epoch (4.8 of 16 ms) is
each model's own loss refresh over its 500 points, outside the stack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import struct
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import connect

from bench import gan_quality, sessions, stream

KINDS: dict[str, tuple[int, dict[str, Any]]] = {  # name -> (the header's kind byte, config)
    "gan": (1, {"kind": "gan"}),
    "autoencoder": (2, {"kind": "autoencoder", "dataset": "moons"}),
}
UNIT = {"gan": "it/s", "autoencoder": "ep/s"}
# Targets from the issue (2-core CPU), per session: (min it/s or ep/s, min frames/s), one
# session alone and each of 30 at once (batching on); the same for both kinds
ALONE_TARGET, MANY_TARGET = (200.0, 30.0), (30.0, 0.0)
BODY_LENGTH = struct.Struct("<I")
DTYPES = {"f4": np.dtype("<f4"), "u1": np.dtype(np.uint8)}


# -- frames ---------------------------------------------------------------------------------
def decode(frame: bytes, kind: int) -> int:
    """Every field of a generative frame (docs/protocol.md), as a viewer reads it; its epoch."""
    (version, _state, n, _flags, grid, _msize, epoch, _rate, _d, _g, _seq, _classes,
     got, _reserved, _a, _b) = stream.HEADER.unpack_from(frame)  # fmt: skip
    if version != 2 or got != kind or n or grid:
        raise ValueError(f"frame version {version}, kind {got} (want {kind}), {n} layers")
    at = stream.HEADER.size
    (length,) = BODY_LENGTH.unpack_from(frame, at)
    meta = json.loads(frame[at + 4 : at + 4 + length])
    at += 4 + length + (-(4 + length) % 8)
    for section in meta["sections"]:
        dtype = DTYPES[section["dtype"]]
        count = math.prod(section["shape"])
        values = np.frombuffer(frame, dtype, count, at)
        if dtype.kind == "f" and not np.isfinite(values).all():
            raise ValueError(f"non-finite values in section {section['name']}")
        at += values.nbytes + (-values.nbytes % 8)
    if at != len(frame):
        raise ValueError(f"frame is {len(frame)} bytes, its sections say {at}")
    return int(epoch)


@dataclass
class Stats(sessions.SessionStats):
    """bench.sessions' per-session figures, for frames of a generative kind."""

    kind: int = 0

    def took(self, frame: bytes, now: float, acked: float | None) -> int:
        epoch = decode(frame, self.kind)
        self.frames += 1
        self.bytes += len(frame)
        self.frame_bytes = len(frame)
        self.first = self.first or (now, epoch)
        self.last = (now, epoch)
        if acked is not None:
            self.rtts.append((now - acked) * 1000)
        return epoch


async def viewer(
    base: str, session_id: str, window: stream.Window, stats: Stats, ready: asyncio.Event
) -> None:
    """speed max + play, then decode and ack every frame until the window ends."""
    url = base.replace("http://", "ws://") + f"/ws/sessions/{session_id}"
    try:
        async with connect(url, compression=None, max_size=None, proxy=None, open_timeout=60) as ws:
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
                if now < window.start:
                    stats.at_start = decode(message, stats.kind)
                elif now in window:
                    stats.took(message, now, acked)
                await ws.send('{"type":"ack"}')
                acked = time.monotonic()
    except Exception as exc:  # reported under the table, never hidden
        stats.error = f"{type(exc).__name__}: {exc}"
        ready.set()


# -- one live run ---------------------------------------------------------------------------
@dataclass
class Live:
    kind: str
    s: int
    batching: bool
    seconds: float
    clients: list[Stats]
    server_cpu: float
    client_cpu: float
    quality: str = ""  # the alone session's JS or MSE at the end (GET …/generative)
    log: str = ""

    def eps(self) -> list[float]:
        return [c.rate(self.seconds) for c in self.clients]

    def fps(self) -> list[float]:
        return [c.fps(self.seconds) for c in self.clients]


async def live(kind: str, s: int, batching: bool, seconds: float, warmup: float) -> Live:
    code, config = KINDS[kind]
    server = stream.Server(env={"PLAYGROUND_BATCHING": "1" if batching else "0"})
    try:
        await server.wait_ready()
        ids = await sessions.create_sessions(server.base, [config] * s)
        window = stream.Window()
        stats = [Stats(kind=code) for _ in ids]
        readies = [asyncio.Event() for _ in ids]
        tasks = [
            asyncio.create_task(viewer(server.base, sid, window, st, r))
            for sid, st, r in zip(ids, stats, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        await asyncio.sleep(warmup)
        cpu0, client0, t0 = server.cpu_seconds(), sum(os.times()[:2]), time.monotonic()
        window.start, window.end = t0, t0 + seconds
        await asyncio.sleep(seconds)
        wall = time.monotonic() - t0
        cpu = (server.cpu_seconds() - cpu0) / wall * 100
        client_cpu = (sum(os.times()[:2]) - client0) / wall * 100
        _, pending = await asyncio.wait(tasks, timeout=3)
        for task in pending:  # a viewer blocked in recv (its session stalled): stop it
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=30) as http:
            shown = (await http.get(f"/api/sessions/{ids[0]}/generative")).json()
        metrics = shown["metrics"]
        quality = (
            f"JS {metrics['js']:.3f} bits at iteration {shown['epoch']:,}"
            if kind == "gan"
            else f"train MSE {metrics['train_mse']:.3f} at epoch {shown['epoch']:,}"
        )
        log = ""
        if server.proc.poll() is not None or any(c.error for c in stats):
            server.log.seek(0)
            log = server.log.read()[-1500:].decode(errors="replace").strip()
        return Live(kind, s, batching, seconds, stats, cpu, client_cpu, quality, log)
    finally:
        server.stop()


# -- printing -------------------------------------------------------------------------------
fmt, med = stream.fmt, stream.med


def verdict(r: Live) -> str:
    if not r.batching:
        return ""
    epochs, frames = ALONE_TARGET if r.s == 1 else MANY_TARGET
    ok = min(r.eps()) >= epochs and min(r.fps()) >= frames
    wanted = f">={epochs:g} {UNIT[r.kind]}" + (f", >={frames:g} fr/s" if frames else "")
    return f"{'PASS' if ok else 'MISS'} (each {wanted})"


def label(r: Live) -> str:
    return (
        f"{r.kind} alone"
        if r.s == 1
        else f"{r.kind} x{r.s} batching {'on' if r.batching else 'off'}"
    )


def print_live(runs: list[Live]) -> None:
    head = (
        f"{'run':<28} {'rate min/med':>14} {'agg':>8} {'fr/s min/med':>13} {'frame KB':>8} "
        f"{'srv/cli CPU':>12}  target"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        eps, fps = r.eps(), r.fps()
        unit = UNIT[r.kind]
        frame_kb = max(c.frame_bytes for c in r.clients) / 1000
        print(
            f"{label(r):<28} {fmt(min(eps)) + '/' + fmt(med(eps)) + ' ' + unit:>14} "
            f"{fmt(sum(eps)):>8} {fmt(min(fps), 1) + '/' + fmt(med(fps), 1):>13} "
            f"{fmt(frame_kb, 1):>8} {fmt(r.server_cpu) + '/' + fmt(r.client_cpu) + '%':>12}  "
            f"{verdict(r)}"
        )
        if r.s == 1:
            print(f"    at the end: {r.quality}")
        stream.report_problems(r.clients, eps, "sessions", "    ")
        if r.log:
            print("    ! server log ends:\n      " + r.log.replace("\n", "\n      "))
    by = {(r.kind, r.s, r.batching): r for r in runs}
    for (kind, s, batching), on in by.items():
        off = by.get((kind, s, False))
        if batching and s > 1 and off is not None:
            agg_on, agg_off = sum(on.eps()), sum(off.eps())
            ratio = f"{agg_on / agg_off:.2f}x" if agg_off > 0 else "-"
            low = f"{min(on.eps()) / min(off.eps()):.2f}x" if min(off.eps()) > 0 else "-"
            print(f"{kind} x{s} batching on / off: aggregate {UNIT[kind]} {ratio}, min {low}")


async def run_live(args: argparse.Namespace) -> list[Live]:
    runs = []
    for kind in args.kinds:
        for s, batching in [(1, True), *((args.many, b) for b in (True, False))]:
            t = time.monotonic()
            runs.append(await live(kind, s, batching, args.seconds, args.warmup))
            done = f"  done: {label(runs[-1])} ({time.monotonic() - t:.0f} s)"
            print(done, file=sys.stderr, flush=True)
    return runs


def defaults() -> str:
    """The kinds' defaults as this tree has them (they are what the targets are about)."""
    from server.protocol.generative import AutoencoderOptions, GanOptions

    g, a = GanOptions(), AutoencoderOptions()
    return (
        f"GAN {g.source}, G {g.g_hidden} {g.g_activation}, D {g.d_hidden} {g.d_activation}, "
        f"{g.g_optimizer} {g.g_learning_rate:g}/{g.d_learning_rate:g}, batch {g.batch_size}, "
        f"{g.d_steps} D + {g.g_steps} G steps, {g.loss}; autoencoder {a.encoder} "
        f"{a.encoder_activation} -> {a.bottleneck} -> {a.decoder}, {a.optimizer} "
        f"{a.learning_rate:g}, batch {a.batch_size}"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.gan", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=None, help="timed window (default 8 s)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up before it (default 2 s)")
    p.add_argument("--many", type=int, default=30, help="concurrent sessions (default 30)")
    p.add_argument("--kinds", default="gan,autoencoder", help="gan, autoencoder (default both)")
    p.add_argument("--seeds", default=None, help="quality seeds (default 1,2,3; --quick 1)")
    p.add_argument("--no-live", dest="live", action="store_false", help="quality only")
    p.add_argument("--no-quality", dest="quality", action="store_false", help="live runs only")
    p.add_argument("--quick", action="store_true", help="smoke check: 2 s windows, one seed")
    args = p.parse_args(argv)
    args.seconds = args.seconds or (2.0 if args.quick else 8.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    args.kinds = [k for k in args.kinds.split(",") if k]
    for kind in args.kinds:
        if kind not in KINDS:
            p.error(f"--kinds: unknown kind {kind!r}: {', '.join(KINDS)}")
    if not 2 <= args.many <= 300:
        p.error(f"--many: {args.many} sessions; allowed 2-300")
    seeds = args.seeds or ("1" if args.quick else "1,2,3")
    args.seeds = [int(x) for x in seeds.split(",") if x]
    print(
        f"bench.gan: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, "
        f"{args.seconds:g} s window after {args.warmup:g} s warm-up; "
        f"load average {os.getloadavg()[0]:.1f} (other processes share these CPUs)\n"
    )
    print(f"Measured defaults (server/protocol/generative.py): {defaults()}\n")
    t = time.monotonic()
    if args.live:
        runs = asyncio.run(run_live(args))
        print(
            "Live, per session over the window (rate: it/s for a GAN, ep/s for an autoencoder; "
            "agg: summed over sessions; fr/s: frames decoded per second; CPU: % of one core)"
        )
        print_live(runs)
    if args.quality:
        gan_quality.report(args.seeds, args.kinds, args.quick)
    print(f"\n(total {time.monotonic() - t:.0f} s)")


if __name__ == "__main__":
    main()
