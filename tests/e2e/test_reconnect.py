"""The page survives the server going away: it reconnects by itself to the same session
(restored by the restarted server) and carries on."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import WebSocketRoute, expect

from .conftest import Playground, Server, click_plot
from .page_js import CHART_EPOCHS

pytestmark = pytest.mark.e2e


def test_a_server_restart_brings_the_page_back_where_it_was(
    playground: Playground, spare_server: Server
) -> None:
    """Train in the browser with a point of one's own, restart the server process: the
    page reconnects to the same session, at the same epoch, with the same weights, points
    and chart, paused; it trains on from there."""
    page = playground.open("dataset=xor&hidden=3&seed=5", base=spare_server.url)
    version = playground.session()["data_version"]
    click_plot(page, 4.5, -4.5)  # a point of one's own
    playground.wait_session(lambda s: s["data_version"] != version and s["custom_data"])
    page.get_by_role("button", name="Play").click()
    playground.wait_session(lambda s: s["epoch"] > 100)
    page.get_by_role("button", name="Pause").click()
    before = playground.wait_session(lambda s: s["state"] == "paused")
    session_id = before["id"]
    api = f"{spare_server.url}/api/sessions/{session_id}"
    params, data = httpx.get(f"{api}/params").json(), httpx.get(f"{api}/data").json()
    expect(page.locator("[data-epoch]")).to_have_text(counter(before["epoch"]))
    playground.wait_points_drawn()
    dots = playground.points_drawn()

    spare_server.stop()  # SIGTERM: the server checkpoints every session as it stops
    status = page.get_by_role("status")
    expect(status).to_contain_text("retrying")
    expect(page.get_by_role("button", name="Step one epoch")).to_be_disabled()
    spare_server.start()
    expect(status).to_have_text("Connected", timeout=30_000)

    assert playground.session_id() == session_id  # the same session, not a new one
    after = playground.session()
    assert after["state"] == "paused" and after["epoch"] == before["epoch"]
    assert httpx.get(f"{api}/params").json() == params
    assert httpx.get(f"{api}/data").json() == data
    assert any(abs(x - 4.5) < 0.3 and abs(y + 4.5) < 0.3 for x, y, _ in data["train"])
    expect(page.locator("[data-epoch]")).to_have_text(counter(before["epoch"]))
    page.wait_for_function(f"() => (({CHART_EPOCHS})()).first === 0")  # the whole chart
    drawn = page.evaluate(CHART_EPOCHS)
    assert drawn["count"] > 1 and drawn["last"] == before["epoch"], drawn
    playground.wait_points_drawn(f"(n) => n === {dots}")
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text(counter(before["epoch"] + 1))
    # the browser's own words for the tries while the server was down, and nothing else
    assert all("ERR_CONNECTION_REFUSED" in e for e in playground.errors), playground.errors


def counter(epoch: int) -> str:
    """The page's epoch counter: six digits at least, grouped by thousands."""
    return f"{epoch:07,}"


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
