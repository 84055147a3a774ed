"""Browser tests: Playwright drives Debian's Chromium against a real server on 127.0.0.1.

Skipped only on a developer machine without /usr/bin/chromium; with CI=true they always run.
Screenshots of every test land in test-artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, WebSocket, expect, sync_playwright

from .page_js import HEATMAP_PIXELS, MODULE_URL, PAGE_OPTIONS, PLOT_PAINTED, POINTS_DRAWN

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
# The page names its session in the Export menu's links: /api/sessions/{id}/export/model.json.
EXPORT_LINK = '[data-export="model.json"]'
SESSION_LINK = re.compile(r"^/api/sessions/([^/]+)/export/model\.json$")
POLL_S = 0.05  # how often a test re-reads the server while it waits for a condition
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


def click_plot(page: Page, x: float, y: float, shift: bool = False) -> None:
    """Click the output plot at data coordinates (x, y) in [-6, 6]² (a point of one's own;
    with ``shift``, a removal)."""
    box = page.locator("[data-heatmap-plot]").bounding_box()
    assert box is not None
    position = {"x": (x + 6) / 12 * box["width"], "y": (6 - y) / 12 * box["height"]}
    page.locator("[data-heatmap-plot]").click(
        position=position, modifiers=["Shift"] if shift else []
    )


SOCKET_SESSION = re.compile(r"/ws/sessions/([^/?#]+)")


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
        # its own database, kept across a stop and start (one server per database)
        self.data_dir = tempfile.mkdtemp(prefix="playground-e2e-")

    def start(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PLAYGROUND_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    self.data_dir,
                ],
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
    """One browser page on the playground, with what its console said and the JSON
    messages it sent over its websockets (a script on the wire sees those too)."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    sessions: set[tuple[str, str]] = field(default_factory=set)  # (server, id) it watched

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
        # and the first frame has been drawn: the output plot is painted
        self.page.wait_for_function(PLOT_PAINTED, timeout=timeout)
        expect(self.page.locator(EXPORT_LINK)).to_have_attribute("href", SESSION_LINK)

    def epoch(self) -> int:
        return int(self.page.locator("[data-epoch]").inner_text().replace(",", ""))

    def loss(self, which: str) -> float:
        return float(self.page.locator(f'[data-loss="{which}"]').inner_text())

    def heatmap(self) -> str:
        """The output plot's pixels, as a data URL."""
        return str(self.page.evaluate(HEATMAP_PIXELS))

    def wait_heatmap_change(self, before: str) -> None:
        self.page.wait_for_function(f"(before) => ({HEATMAP_PIXELS}) !== before", arg=before)

    def points_drawn(self) -> int:
        """How many dots the output plot shows."""
        return int(self.page.evaluate(POINTS_DRAWN))

    def wait_points_drawn(self, check: str = "(n) => n > 0") -> None:
        """Until the number of dots on the output plot passes ``check`` (a JS predicate)."""
        self.page.wait_for_function(f"() => ({check})(({POINTS_DRAWN})())")

    def session_id(self) -> str:
        """The session the page shows, as its Export menu's links name it."""
        href = self.page.locator(EXPORT_LINK).get_attribute("href") or ""
        match = SESSION_LINK.match(href)
        assert match, f"the Export menu links to {href!r}, not to a session"
        return match.group(1)

    @property
    def api(self) -> str:
        """The REST API of the server this page is on."""
        parts = urlsplit(self.page.url)
        return f"{parts.scheme}://{parts.netloc}/api"

    def session(self) -> dict[str, Any]:
        """The page's session as the server has it (GET /api/sessions/{id})."""
        reply = httpx.get(f"{self.api}/sessions/{self.session_id()}", timeout=10)
        reply.raise_for_status()
        return dict(reply.json())

    def wait_session(self, check: Callable[[dict[str, Any]], bool], timeout_s: float = 15) -> dict:
        """The server's state of the page's session once ``check`` holds for it."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.session()
            if check(state):
                return state
            assert time.monotonic() < deadline, f"the session never got there: {state}"
            self.page.wait_for_timeout(POLL_S * 1000)  # polling the server, bounded

    def wait_config(self, want: dict[str, Any], timeout_s: float = 15) -> dict[str, Any]:
        """The session's config once the server has every field of ``want``."""

        def has(state: dict[str, Any]) -> bool:
            return all(json.dumps(state["config"].get(k)) == json.dumps(v) for k, v in want.items())

        return dict(self.wait_session(has, timeout_s)["config"])

    def wait_sent(
        self, check: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 15
    ) -> None:
        """Until ``check`` holds for the messages the page has sent."""
        deadline = time.monotonic() + timeout_s
        while not check(self.sent):
            assert time.monotonic() < deadline, f"the page never sent that: {self.sent[-5:]}"
            self.page.wait_for_timeout(POLL_S * 1000)  # Playwright delivers the events meanwhile

    def module_url(self, export: str) -> str:
        """The URL of the page's module that exports ``export``."""
        url = self.page.evaluate(MODULE_URL, export)
        assert url, f"none of the page's modules exports {export}"
        return str(url)

    def options(self) -> dict[str, Any]:
        """The options the page was rendered with."""
        return dict(self.page.evaluate(PAGE_OPTIONS))


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

        def on_socket(ws: WebSocket) -> None:
            found = SOCKET_SESSION.search(ws.url)
            if found:
                pg.sessions.add((ws.url.split("/ws/")[0].replace("ws", "http", 1), found[1]))

            def on_sent(payload: str | bytes) -> None:
                if isinstance(payload, str):
                    pg.sent.append(json.loads(payload))

            ws.on("framesent", on_sent)

        page.on("console", on_console)
        page.on("websocket", on_socket)
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
    # sessions now outlive their pages (a reload finds them again): a test ends its own,
    # as closing the tab no longer does, so the shared server never fills up with them
    for pg in pages:
        for base, session_id in pg.sessions:
            with contextlib.suppress(httpx.HTTPError):
                httpx.delete(f"{base}/api/sessions/{session_id}", timeout=10)


@pytest.fixture
def playground(new_playground: Callable[[], Playground]) -> Playground:
    return new_playground()
