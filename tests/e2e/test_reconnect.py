"""The page survives the server going away: it reconnects by itself and carries on."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import WebSocketRoute, expect

from .conftest import Playground, Server

pytestmark = pytest.mark.e2e


def test_reconnects_after_a_server_restart(playground: Playground, spare_server: Server) -> None:
    page = playground.open("dataset=xor&hidden=3&seed=5", base=spare_server.url)
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    old_id = playground.session()["id"]

    spare_server.stop()
    status = page.get_by_role("status")
    expect(status).to_contain_text("retrying")
    expect(page.get_by_role("button", name="Step one epoch")).to_be_disabled()

    spare_server.start()
    expect(status).to_have_text("Connected", timeout=30_000)
    # the old session died with the server: a new one with the same setup
    # (the Export menu's links name the new session)
    new_session = re.compile(rf"^/api/sessions/(?!{re.escape(old_id)}/)[^/]+/export/model\.json$")
    expect(page.locator('[data-export="model.json"]')).to_have_attribute("href", new_session)
    session = playground.session()
    remote = httpx.get(f"{spare_server.url}/api/sessions/{session['id']}").json()
    assert remote["config"]["dataset"] == "xor"
    assert remote["config"]["hidden"] == [3]
    assert remote["config"]["seed"] == 5
    expect(page.get_by_role("radio", name="Exclusive or")).to_have_attribute("aria-checked", "true")
    expect(page.locator("[data-epoch]")).to_have_text("000,000")
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")


def test_resumes_the_same_session_after_the_socket_drops(playground: Playground) -> None:
    sockets: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:  # the page's sockets pass through the test
        ws.connect_to_server()
        sockets.append(ws)

    playground.page.route_web_socket(re.compile(r"/ws/sessions/"), through)
    page = playground.open()
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    session_id = playground.session()["id"]
    # drop the socket as a network blip would (any close but "unknown session")
    sockets[-1].close(code=4000, reason="test")
    expect(page.get_by_role("status")).to_have_text("Connected")
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,002")
    assert len(sockets) == 2  # it came back over a new socket, to the same session
    assert playground.session()["id"] == session_id


def test_a_hidden_tab_keeps_acking_slowly_and_resumes_when_shown(
    playground: Playground,
) -> None:
    """A hidden tab draws nothing, but it must ack (at one frame a second) or the server's
    viewer_timeout closes it; shown again, it asks for its usual rate."""
    page = playground.open("dataset=xor")
    sent = playground.sent  # every JSON message the page sent on its websockets
    page.get_by_role("button", name="Play").click()
    start = len(sent)
    set_hidden = """(hidden) => {
        Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    page.evaluate(set_hidden, True)
    deadline = time.monotonic() + 15
    while sum(m["type"] == "ack" for m in sent[start:]) < 3:  # frames keep coming, acked
        assert time.monotonic() < deadline, f"no acks while hidden: {sent[start:]}"
        page.wait_for_timeout(100)  # polling what the page sent
    views = [m for m in sent[start:] if m["type"] == "view"]
    assert views and views[0]["fps"] == 1
    page.evaluate(set_hidden, False)
    playground.wait_sent(
        lambda sent: [m.get("fps") for m in sent[start:] if m["type"] == "view"][-1] == 30
    )
