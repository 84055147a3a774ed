"""A share link, /s/<token>, in another browser: the saved experiment read-only (name,
picture, network, chart, setup) and "Open in my playground", which forks it into a
session of that browser's own."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from .conftest import Playground
from .page_js import STORED_SESSION

pytestmark = pytest.mark.e2e

# The Plotly chart's training line, once drawn: how many epochs it shows.
CHART_POINTS = "() => document.querySelector('[data-shared-chart]')?.data?.[0]?.x?.length ?? 0"


def test_a_share_link_opens_read_only_and_forks_in_another_browser(
    new_playground: Callable[[], Playground],
) -> None:
    owner = new_playground()
    page = owner.open("dataset=xor&hidden=3&seed=0.91")
    page.get_by_role("button", name="Play").click()
    owner.wait_session(lambda s: s["epoch"] > 40)
    page.get_by_role("button", name="Pause").click()
    paused = owner.wait_session(lambda s: s["state"] == "paused")
    page.get_by_role("button", name="Save", exact=True).click()
    save = page.get_by_role("dialog", name="Save this session")
    save.get_by_label("Name").fill("XOR, shared")
    save.get_by_role("button", name="Save", exact=True).click()
    save.get_by_role("button", name="Show my experiments").click()
    experiments = page.get_by_role("dialog", name="My experiments")
    entry = experiments.get_by_role("listitem").filter(has_text="XOR, shared")
    entry.get_by_role("button", name="Share").click()
    link_box = entry.get_by_role("textbox", name="Share link of XOR, shared")
    expect(link_box).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]+$"))
    link = link_box.input_value()

    visitor = new_playground()  # another browser context: no key, no session of the owner's
    view = visitor.page
    view.goto(link)
    expect(view.get_by_role("heading", name="XOR, shared")).to_be_visible()
    counter = re.sub(r"\B(?=(\d{3})+(?!\d))", ",", f"{paused['epoch']:06d}")  # 000,041
    expect(view.locator("[data-shared-summary]")).to_contain_text(f"Epoch {counter}")
    picture = view.get_by_role(
        "img", name="The network's output over the plane, with the data points"
    )
    view.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 400", arg=picture.element_handle()
    )
    view.wait_for_function(f"() => ({CHART_POINTS})() > 1")
    expect(view.get_by_role("img", name="Neuron 3 of layer 1")).to_be_visible()
    expect(view.get_by_role("img", name="Neuron 4 of layer 1")).to_have_count(0)
    setup = view.locator("[data-shared-setup]")
    expect(setup).to_contain_text("Exclusive or")
    expect(setup).to_contain_text("1 (3 neurons)")
    assert not visitor.errors

    view.get_by_role("button", name="Open in my playground").click()
    view.wait_for_url(re.compile(r"/#"))
    visitor.wait_connected()
    forked = visitor.session()
    assert forked["id"] != paused["id"]
    assert forked["epoch"] == paused["epoch"] and forked["state"] == "paused"
    assert forked["config"] == paused["config"]
    assert view.evaluate(STORED_SESSION) == forked["id"]
    expect(view.get_by_role("radio", name="Exclusive or")).to_have_attribute("aria-checked", "true")
    assert owner.session()["id"] == paused["id"]  # the owner's page is still on its own

    entry.get_by_role("button", name="Stop sharing").click()
    expect(entry.get_by_role("button", name="Share")).to_be_visible()
    view.goto(link)
    expect(view.get_by_role("heading", name="This link doesn’t work")).to_be_visible()
    expect(view.get_by_role("link", name="Go to the playground")).to_have_attribute("href", "/")
