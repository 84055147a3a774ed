"""The page survives the server going away: it reconnects by itself and carries on."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from playwright.sync_api import expect

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
    page.wait_for_function("(old) => window.playground.store.session.id !== old", arg=old_id)
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
    page = playground.open()
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    session_id = playground.session()["id"]
    # drop the socket as a network blip would (any close but "unknown session")
    page.evaluate("window.playground.connection.ws.close(4000, 'test')")
    expect(page.get_by_role("status")).to_have_text("Connected")
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,002")
    assert playground.session()["id"] == session_id


def test_a_hidden_tab_keeps_acking_slowly_and_resumes_when_shown(
    playground: Playground,
) -> None:
    """A hidden tab draws nothing, but it must ack (at one frame a second) or the server's
    viewer_timeout closes it; shown again, it asks for its usual rate."""
    page = playground.open("dataset=xor")
    sent: list[dict] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))),
    )
    playground.wait_connected()
    page.evaluate("() => window.playground.connection.ws.close()")  # reconnect, now watched
    playground.wait_connected()
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
    page.wait_for_function("() => window.playground.connection.view.fps === 30")
    assert [m["fps"] for m in sent[start:] if m["type"] == "view"][-1] == 30
