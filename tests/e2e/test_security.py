"""The pages work under their Content-Security-Policy: the playground trains over its
websocket and /docs runs a request, with no violation and no console error. Screenshots
at two window sizes land in test-artifacts/e2e/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, Playground

pytestmark = pytest.mark.e2e

# Collects every CSP violation the page reports, from before its first script runs.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
));
"""
EPOCH_AT_LEAST = (
    "(n) => Number(document.querySelector('[data-epoch]').textContent.replaceAll(',', '')) >= n"
)
SIZES = [(1024, 768), (1920, 1080)]
INJECT_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injected = true";
  document.body.append(script);
}"""


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__violations"))


def test_the_playground_trains_under_its_policy(playground: Playground) -> None:
    playground.page.add_init_script(WATCH_VIOLATIONS)
    with playground.page.expect_response(f"{playground.base}/") as loaded:
        page = playground.open("seed=1&speed=300")  # connected: the websocket passed
    assert "script-src 'self'" in loaded.value.headers["content-security-policy"]
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(EPOCH_AT_LEAST, arg=100, timeout=30_000)
    # plotly.js drew the loss chart (it adds <style> rules: style-src allows inline)
    expect(page.locator("[data-loss-chart] .scatterlayer .trace")).to_have_count(2)
    page.get_by_role("button", name="Pause").click()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.mouse.move(0, 0)
        page.screenshot(path=ARTIFACTS / f"csp-playground-{width}x{height}.png")
    assert violations(page) == []
    assert playground.errors == []
    # and the policy holds: a script injected into the page does not run, and is reported
    page.evaluate(INJECT_SCRIPT)
    page.wait_for_function("() => window.__violations.length > 0")
    assert violations(page)[0].startswith("script-src-elem blocked inline")
    assert page.evaluate("window.injected") is None


def test_the_api_docs_run_a_request_under_their_policy(playground: Playground) -> None:
    page = playground.page
    page.add_init_script(WATCH_VIOLATIONS)
    response = page.goto(f"{playground.base}/docs")  # its inline script runs by the nonce
    assert response is not None and "'nonce-" in response.headers["content-security-policy"]
    health = page.locator("#operations-server-health_api_health_get")
    health.get_by_role("button", name="GET /api/health Health").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    answer = health.locator(".live-responses-table tr.response .response-col_status")
    expect(answer).to_have_text("200")  # the fetch passed connect-src
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=ARTIFACTS / f"csp-docs-{width}x{height}.png")
    assert violations(page) == []
    assert playground.errors == []


OPEN_SOCKET = """(url) => new Promise((done) => {
  const events = [];
  const ws = new WebSocket(url);
  ws.onopen = () => { events.push("open"); ws.close(); };
  ws.onerror = () => events.push("error");
  ws.onclose = (e) => { events.push(`close ${e.code}`); done(events); };
})"""


def test_a_page_of_another_origin_cannot_open_the_websocket(playground: Playground) -> None:
    session = httpx.post(f"{playground.base}/api/sessions", json={"config": {}}).json()["id"]
    ws_url = playground.base.replace("http://", "ws://") + f"/ws/sessions/{session}"
    page = playground.page
    page.goto("about:blank")  # an opaque origin: the handshake says Origin: null
    # refused before accept: an HTTP 403 to the handshake, which a browser reports as 1006
    assert page.evaluate(OPEN_SOCKET, ws_url) == ["error", "close 1006"]
