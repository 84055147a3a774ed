"""Browser tests: Playwright drives Debian's Chromium against a real server on 127.0.0.1.

Skipped only on a developer machine without /usr/bin/chromium; with CI=true they always run.
Screenshots of every test land in test-artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_S = 60.0  # the server imports torch: a few seconds on a 2-core VM
VIEWPORT = {"width": 1280, "height": 900}
HEATMAP_PIXELS = "document.querySelector('[data-heatmap-canvas]').toDataURL()"
TEST_SEED = "0.54321"  # the TFP seed every page gets unless its test names one
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SKIP_REASON = "Debian chromium is not installed at /usr/bin/chromium (CI=true makes it required)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if IN_CI or CHROMIUM.exists():
        return
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`python -m server` in a subprocess, on its own port."""

    def __init__(self, port: int, log_name: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = ARTIFACTS / log_name
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PLAYGROUND_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_healthy()

    def wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"the server exited with {code}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling interval, bounded by the deadline
        raise RuntimeError(f"the server did not answer /api/health within {STARTUP_S:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    s = Server(free_port(), "server.log")
    s.start()
    yield s
    s.stop()


@pytest.fixture
def spare_server() -> Iterator[Server]:
    """A server of the test's own, which it may stop and start again on the same port."""
    s = Server(free_port(), "spare-server.log")
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Playground:
    """One browser page on the playground, with what its console said."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self, hash_: str = "", base: str | None = None, seed: str | None = TEST_SEED) -> Page:
        """Open the page with ``hash_``. A page without a seed makes a random one (as TFP's
        does), so a hash without ``seed=`` gets ``seed`` added; None leaves it out."""
        if seed is not None and not re.search(r"(^|&)seed=", hash_):
            hash_ = f"{hash_}&seed={seed}" if hash_ else f"seed={seed}"
        url = f"{base or self.base}/" + (f"#{hash_}" if hash_ else "")
        self.page.goto(url)
        self.wait_connected()
        return self.page

    def wait_connected(self, timeout: float = 15_000) -> None:
        expect(self.page.get_by_role("status")).to_have_text("Connected", timeout=timeout)
        # and the first frame has been drawn
        self.page.wait_for_function("() => window.playground?.store.frame != null")

    def epoch(self) -> int:
        return int(self.page.locator("[data-epoch]").inner_text().replace(",", ""))

    def loss(self, which: str) -> float:
        return float(self.page.locator(f'[data-loss="{which}"]').inner_text())

    def heatmap(self) -> str:
        """The output plot's pixels, as a data URL."""
        return str(self.page.evaluate(HEATMAP_PIXELS))

    def wait_heatmap_change(self, before: str) -> None:
        self.page.wait_for_function(f"(before) => ({HEATMAP_PIXELS}) !== before", arg=before)

    def session(self) -> dict:
        return dict(self.page.evaluate("window.playground.store.session"))


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


@pytest.fixture
def new_playground(
    browser: Browser, server: Server, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Playground]]:
    """Makes pages in fresh browser contexts; screenshots each one when the test ends."""
    contexts = []
    pages: list[Playground] = []

    def make() -> Playground:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        pg = Playground(page, server.url)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                pg.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: pg.errors.append(f"page error: {exc}"))
        pages.append(pg)
        return pg

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i, pg in enumerate(pages):
        suffix = f"-{i + 1}" if len(pages) > 1 else ""
        path = ARTIFACTS / f"{_slug(request.node.nodeid)}{suffix}.png"
        # a page that crashed still lets the other screenshots through
        with contextlib.suppress(Exception):
            pg.page.screenshot(path=path, full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def playground(new_playground: Callable[[], Playground]) -> Playground:
    return new_playground()
