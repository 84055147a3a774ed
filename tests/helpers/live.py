"""A real server (`python -m server`) in a subprocess on a free port, for tests of what
only a real socket shows: disconnects, signals, slow readers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 60.0  # the server imports torch: a few seconds on a 2-core VM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


UVICORN = ["-m", "uvicorn", "--factory", "server.app:create_app", "--log-level", "warning"]


class LiveServer:
    """`python -m server ARGS` (or, with ``command``, e.g. UVICORN, that module) on a free
    port. ``wait``: return once /api/health answers (else the caller waits, or watches the
    process fail at start)."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
        wait: bool = True,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, *(command or ["-m", "server"]), "--port", str(self.port), *args],
            cwd=ROOT,
            env={**os.environ, "PLAYGROUND_LOG_LEVEL": "warning", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait(timeout=30)
                printed = self.output()  # before stop() closes the pipe
                self.stop()
                raise RuntimeError(f"the server did not start: {printed}")
            time.sleep(0.1)  # polling for the port to open, not synchronizing a result

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def output(self) -> str:
        """What it printed, once it has ended ("" while it runs)."""
        if self.process.poll() is None:
            return ""
        assert self.process.stdout is not None
        return self.process.stdout.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
