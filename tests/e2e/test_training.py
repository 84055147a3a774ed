"""Training from the page: play, pause, step, keyboard, the network's shape, weight edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, Playground

pytestmark = pytest.mark.e2e

EPOCH = "Number(document.querySelector('[data-epoch]').textContent.replaceAll(',', ''))"
EPOCH_AT_LEAST = f"(n) => {EPOCH} >= n"


def test_play_trains_circle_and_pause_stops(playground: Playground) -> None:
    page = playground.open("seed=1&speed=300")
    initial = playground.loss("test")
    assert initial > 0.3  # random weights on circle
    before = playground.heatmap()
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function(EPOCH_AT_LEAST, arg=200, timeout=30_000)
    # the achieved speed shows beside the chosen one (measured over a second of training)
    achieved = re.compile(r"^achieved [\d,]+/s$")
    expect(page.locator("[data-achieved]")).to_have_text(achieved, timeout=10_000)
    # the decision boundary moves while training, and the test loss falls
    playground.wait_heatmap_change(before)
    page.wait_for_function(
        "(limit) => Number(document.querySelector('[data-loss=\"test\"]').textContent) < limit",
        arg=initial / 3,
        timeout=30_000,
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    # the server paused; the epoch counter (the last frame) catches up with its epoch
    stopped = playground.wait_session(lambda s: s["state"] == "paused")["epoch"]
    page.wait_for_function(EPOCH_AT_LEAST, arg=stopped)
    assert playground.epoch() == stopped
    # nothing trained while paused: one step later the session is exactly one epoch on
    page.get_by_role("button", name="Step one epoch").click()
    page.wait_for_function(EPOCH_AT_LEAST, arg=stopped + 1)
    assert playground.session()["epoch"] == stopped + 1
    # the loss chart has both curves
    expect(page.locator("[data-loss-chart] .scatterlayer .trace")).to_have_count(2)
    page.mouse.move(0, 0)
    page.screenshot(path=ARTIFACTS / "trained-circle.png", full_page=True)
    assert playground.errors == []


def test_step_adds_exactly_one_epoch(playground: Playground) -> None:
    page = playground.open()
    epoch = page.locator("[data-epoch]")
    expect(epoch).to_have_text("000,000")
    page.get_by_role("button", name="Step one epoch").click()
    expect(epoch).to_have_text("000,001")
    page.get_by_role("button", name="Step one epoch").click()
    expect(epoch).to_have_text("000,002")
    assert playground.session()["epoch"] == 2
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def test_keyboard_shortcuts(playground: Playground) -> None:
    page = playground.open("speed=120")
    epoch = page.locator("[data-epoch]")
    page.locator("body").press("ArrowRight")
    expect(epoch).to_have_text("000,001")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function(EPOCH_AT_LEAST, arg=5)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    page.keyboard.press("r")
    expect(epoch).to_have_text("000,000")


def test_adding_a_layer_and_a_neuron_redraws_and_resets(playground: Playground) -> None:
    page = playground.open()
    for _ in range(3):
        page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,003")
    neurons = page.get_by_role("img", name="Neuron")
    expect(neurons).to_have_count(6)

    page.get_by_role("button", name="Add a hidden layer").click()
    expect(page.get_by_role("heading", name="3 hidden layers")).to_be_visible()
    expect(neurons).to_have_count(8)
    expect(page.locator("[data-epoch]")).to_have_text("000,000")
    playground.wait_session(lambda s: len(s["config"]["hidden"]) == 3)

    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    page.get_by_role("button", name="Add a neuron to layer 3").click()
    expect(neurons).to_have_count(9)
    expect(page.get_by_text("3 neurons")).to_be_visible()
    expect(page.locator("[data-epoch]")).to_have_text("000,000")
    playground.wait_config({"hidden": [4, 2, 3]})
    # the new neuron's map and links come from the rebuilt network
    expect(page.locator("[data-network]")).not_to_have_class("network stale")
    # 2 inputs x 4 + 4 x 2 + 2 x 3 + 3 x 1 links
    expect(page.locator(".link")).to_have_count(25)
    assert playground.errors == []


def test_editing_a_bias_and_a_weight_changes_the_output(playground: Playground) -> None:
    page = playground.open()
    before = playground.heatmap()

    bias = page.get_by_role("button", name="Bias of the output")
    bias.hover()
    expect(page.locator("[data-hovercard]")).to_contain_text("Bias is 0.1")
    bias.click()
    field = page.get_by_label("New value for bias of the output")
    field.fill("-3")
    field.press("Enter")
    expect(page.locator("[data-hovercard]")).to_be_hidden()
    playground.wait_heatmap_change(before)
    # a frame with the new bias has been drawn: the card over the bias reads it from frames
    page.mouse.move(0, 0)
    bias.hover()
    expect(page.locator("[data-hovercard]")).to_contain_text("Bias is -3")
    page.mouse.move(0, 0)
    after_bias = playground.heatmap()

    # a link, from the keyboard: focus it, Enter opens the editor
    link = page.get_by_role("button", name="Weight from neuron 1 of layer 2 to the output")
    link.focus()
    link.press("Enter")
    field = page.get_by_label("New value for weight from neuron 1 of layer 2 to the output")
    field.fill("4.5")
    field.press("Enter")
    playground.wait_heatmap_change(after_bias)
    # the frame carries the new weight: a straight link has a zero-height box, so hover
    # it by its midpoint
    box = link.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("[data-hovercard]")).to_contain_text("Weight is 4.5")
    assert playground.errors == []


def test_hovering_a_neuron_shows_its_map(playground: Playground) -> None:
    page = playground.open()
    output = playground.heatmap()
    page.get_by_role("img", name="Neuron 1 of layer 1").hover()
    expect(page.locator("[data-heatmap-caption]")).to_have_text("Showing neuron 1 of layer 1")
    assert playground.heatmap() != output
    page.mouse.move(0, 0)
    expect(page.locator("[data-heatmap-caption]")).to_have_text("")
    assert playground.heatmap() == output


def test_readme_screenshot(playground: Playground) -> None:
    """A trained network for docs/screenshot.png (copied by hand from test-artifacts/)."""
    page = playground.open(
        "seed=3&dataset=xor&noise=10&features=x1,x2,x1_x2&hidden=4,2&speed=300&show_test=true"
    )
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(EPOCH_AT_LEAST, arg=600, timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    stopped = playground.wait_session(lambda s: s["state"] == "paused")["epoch"]
    page.wait_for_function(f"(n) => {EPOCH} === n", arg=stopped)  # the last frame is drawn
    page.mouse.move(0, 0)
    # the chart redraws at most 4 times a second: wait for it to show the epoch counter's
    page.wait_for_function(
        "() => { const x = document.querySelector('[data-loss-chart]').data?.[1]?.x;"
        f" return x && x.at(-1) === {EPOCH}; }}"
    )
    path: Path = ARTIFACTS / "readme-screenshot.png"
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 10_000
