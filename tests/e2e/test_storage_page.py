"""The page remembers its session: a reload finds it again (epoch, chart, points), and a
session that is truly gone says so in a lasting banner that offers its last saved copy."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import Playground
from .page_js import CHART_EPOCHS, STORED_SESSION

pytestmark = pytest.mark.e2e


def counter(epoch: int) -> str:
    """The page's epoch counter: six digits at least, grouped by thousands."""
    return re.sub(r"\B(?=(\d{3})+(?!\d))", ",", str(epoch).zfill(6))


def chart(playground: Playground) -> dict[str, Any]:
    return dict(playground.page.evaluate(CHART_EPOCHS))


def test_a_reload_mid_training_reattaches_to_the_same_session(playground: Playground) -> None:
    page = playground.open("dataset=spiral&hidden=4,2&seed=0.71")
    page.get_by_role("button", name="Play").click()
    playground.wait_session(lambda s: s["epoch"] > 50)
    session_id = playground.session_id()
    assert page.evaluate(STORED_SESSION) == session_id
    playground.wait_points_drawn()
    points = playground.points_drawn()
    before = playground.epoch()

    page.reload()
    playground.wait_connected()
    assert playground.session_id() == session_id  # no new session
    # training went on where it was
    page.wait_for_function(
        f"() => +document.querySelector('[data-epoch]').textContent.replace(/,/g, '') > {before}"
    )
    # the chart has its history at once: from epoch 0 up to where the reload found it,
    # not just the frames since
    page.wait_for_function(f"() => (({CHART_EPOCHS})()).first === 0", timeout=5_000)
    drawn = chart(playground)
    assert drawn["count"] > 1 and drawn["last"] >= before, drawn
    playground.wait_points_drawn(f"(n) => n === {points}")
    assert "dataset=spiral" in page.url and "hidden=4,2" in page.url
    assert playground.session()["state"] == "running"
    assert not playground.errors


def test_its_setup_wins_over_the_address_on_a_reload(playground: Playground) -> None:
    """A reload goes back to the session even when the address says otherwise (an old
    address the page had not rewritten yet): the session's setup, written back into it."""
    page = playground.open("dataset=xor&seed=0.72")
    page.get_by_role("radio", name="Circle").click()
    playground.wait_config({"dataset": "circle"})
    session_id = playground.session_id()
    page.evaluate("() => history.replaceState(null, '', '#dataset=gauss&seed=0.72')")
    page.reload()
    playground.wait_connected()
    assert playground.session_id() == session_id
    expect(page.get_by_role("radio", name="Circle")).to_have_attribute("aria-checked", "true")
    assert "dataset=circle" in page.url


def test_a_new_link_in_the_same_tab_gets_a_session_of_its_own(playground: Playground) -> None:
    playground.open("dataset=xor&seed=0.73")
    first = playground.session_id()
    page = playground.page
    page.goto("about:blank")
    playground.open("dataset=gauss&seed=0.73")
    assert playground.session_id() != first
    assert playground.session()["config"]["dataset"] == "gauss"


def test_a_deleted_session_shows_a_lasting_banner_and_its_last_copy(
    playground: Playground,
) -> None:
    page = playground.open("dataset=circle&seed=0.74")
    page.get_by_role("button", name="Play").click()
    playground.wait_session(lambda s: s["epoch"] > 30)
    page.get_by_role("button", name="Pause").click()
    old = playground.wait_session(lambda s: s["state"] == "paused")
    httpx.delete(f"{playground.api}/sessions/{old['id']}", timeout=10).raise_for_status()

    banner = page.locator("[data-gone]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("This session was deleted.")
    expect(page.get_by_role("status")).to_have_text("No session")
    expect(page.get_by_role("button", name="Step one epoch")).to_be_disabled()
    offer = re.compile(r"^Open the last saved copy \(epoch [\d,]+\)$")
    copy = banner.get_by_role("button", name=offer)
    label = copy.inner_text()
    epoch = int(re.findall(r"[\d,]+", label)[0].replace(",", ""))
    assert 0 < epoch <= old["epoch"]
    # nothing else takes it away: the page does not start over by itself
    expect(banner.get_by_role("button", name="Start fresh")).to_be_visible()
    assert page.evaluate(STORED_SESSION) is None

    copy.click()
    expect(banner).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("Connected")
    new_id = re.compile(rf"^/api/sessions/(?!{re.escape(old['id'])}/)[^/]+/export/model\.json$")
    expect(page.locator('[data-export="model.json"]')).to_have_attribute("href", new_id)
    state = playground.session()
    assert state["epoch"] == epoch and state["state"] == "paused"
    assert state["config"] == old["config"]
    expect(page.locator("[data-epoch]")).to_have_text(counter(epoch))
    assert page.evaluate(STORED_SESSION) == state["id"]


def test_a_gone_session_without_a_copy_offers_a_fresh_start(playground: Playground) -> None:
    """A tab whose stored session the server never knew (a mistyped id, a wiped database)."""
    page = playground.open("dataset=xor&seed=0.75")
    page.evaluate("() => sessionStorage.setItem('playground.session', 'no-such-session')")
    page.reload()
    banner = page.locator("[data-gone]")
    expect(banner).to_contain_text("kept no copy")
    expect(banner.get_by_role("button", name=re.compile("Open the last saved copy"))).to_be_hidden()
    expect(banner.get_by_role("button", name="My experiments")).to_be_visible()
    banner.get_by_role("button", name="Start fresh").click()
    playground.wait_connected()
    expect(banner).to_be_hidden()
    assert playground.session()["config"]["dataset"] == "xor"  # the page's own setup
