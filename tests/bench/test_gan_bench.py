"""bench/gan.py runs end to end in its quick mode and prints every table row.

No timing is asserted (the figures are the bench's to print); what is checked is that
every run and table is there, and that no viewer failed to decode a frame or saw its
session stall. This folder has no __init__.py on purpose: as a package it would be
named ``bench`` (tests/ has none) and shadow the real bench package for other tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    "gan alone",
    "gan x30 batching on",
    "gan x30 batching off",
    "gan x30 batching on / off: aggregate it/s",
    "autoencoder alone",
    "autoencoder x30 batching on",
    "autoencoder x30 batching off",
    "autoencoder x30 batching on / off: aggregate ep/s",
    "first JS<0.1",
    "mode_collapse",
    "balanced (control)",
    "|cos| to PC1",
]


def test_quick_run_prints_every_row() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYGROUND_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench.gan", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    missing = [row for row in ROWS if row not in out]
    assert not missing, f"rows missing: {missing}\n{out}"
    lines = out.splitlines()
    # one table line per live run, each ending with its figures
    assert sum(line.startswith(("gan x30", "autoencoder x30")) for line in lines) == 6
    problems = [line for line in lines if line.strip().startswith("!")]
    assert not problems, "\n".join(problems)
    assert out.count("at the end: JS ") == 1 and out.count("at the end: train MSE ") == 1
