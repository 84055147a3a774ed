"""Issue #5 in the browser: several classes, the loss and optimizer options, accuracy and
per-class details, per-layer activations and the new controls in the URL hash."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import Playground, Server

pytestmark = pytest.mark.e2e

# The classes whose colour is drawn where the network is sure (confidence >= 200/255): a
# pixel counts for class c when its nearest palette colour is c's and the server's boundary
# (GET /api/sessions/{id}/boundary, the same network as the frame drawn) says c.
CLASSES_DRAWN = """(boundary) => {
  const grid = boundary.values.flat();
  const confidence = boundary.confidence.flat().map((p) => Math.round(p * 255));
  const canvas = document.querySelector('[data-heatmap-canvas]');
  if (canvas.width !== boundary.size || canvas.height !== boundary.size) return [];
  const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const palette = [[230,159,0], [0,114,178], [0,158,115], [204,121,167], [213,94,0], [86,180,233]];
  const found = new Set();
  for (let i = 0; i < grid.length; i++) {
    if (confidence[i] < 200) continue;
    const rgb = [px[4 * i], px[4 * i + 1], px[4 * i + 2]];
    let best = -1, bestD = Infinity;
    palette.forEach((p, c) => {
      const d = p.reduce((s, v, j) => s + (v - rgb[j]) ** 2, 0);
      if (d < bestD) { bestD = d; best = c; }
    });
    if (best === grid[i]) found.add(best);
  }
  return [...found].sort();
}"""
# every hidden neuron's map is painted at the size the page asked for (25x25)
NEURON_MAPS_PAINTED = """(n) => {
  const maps = [...document.querySelectorAll('[data-network] .node-hidden canvas')];
  return maps.length === n && maps.every((c) => {
    if (c.width !== 25 || c.height !== 25) return false;
    const px = c.getContext('2d').getImageData(0, 0, 25, 25).data;
    return px.some((v, i) => i % 4 === 3 && v !== 0);
  });
}"""
EPOCH = "Number(document.querySelector('[data-epoch]').textContent.replaceAll(',', ''))"

PERCENT = re.compile(r"^\d+\.\d%$")


def last_view(sent: list[dict]) -> dict:
    """The view the page last asked its session's websocket for (docs/protocol.md)."""
    view: dict = {}
    for message in sent:
        if message["type"] == "view":
            view = {**view, **message}
    return view


def test_three_classes_draw_three_colours_and_show_accuracy(playground: Playground) -> None:
    page = playground.open(
        "dataset=clouds&classes=3&seed=2&optimizer=adam&learning_rate=0.03&speed=1000&details=true"
    )
    config = playground.session()["config"]
    assert (config["classes"], config["loss"]) == (3, "cross_entropy")  # the page sent it
    # three output neurons, one class colour each in the legend, and the server renders
    expect(page.get_by_role("img", name="Output node for class")).to_have_count(3)
    expect(page.locator("[data-legend-swatches] li")).to_have_count(3)
    playground.wait_sent(lambda sent: last_view(sent).get("render") == "server")
    page.get_by_role("button", name="Play").click()
    # accuracy beside the losses
    accuracy = page.locator('[data-metric="test"]')
    expect(accuracy).to_have_text(PERCENT)
    page.wait_for_function(
        "() => parseFloat(document.querySelector('[data-metric=\"test\"]').textContent) > 80",
        timeout=30_000,
    )
    page.get_by_role("button", name="Pause").click()
    stopped = playground.wait_session(lambda s: s["state"] == "paused")["epoch"]
    page.wait_for_function(f"(n) => {EPOCH} === n", arg=stopped)  # the last frame is drawn
    # each class's colour is drawn where the network is sure of that class
    boundary = httpx.get(f"{playground.api}/sessions/{playground.session_id()}/boundary?size=100")
    assert page.evaluate(CLASSES_DRAWN, boundary.json()) == [0, 1, 2]
    # the hidden neurons have maps from the server
    page.wait_for_function(NEURON_MAPS_PAINTED, arg=6)
    # each class's numbers in the details
    expect(page.locator('[data-confusion="test"] tbody tr')).to_have_count(3)
    expect(page.locator('[data-confusion="train"] tbody tr')).to_have_count(3)
    expect(page.locator('[data-class-accuracy="test-2"]')).to_have_text(PERCENT)
    # hovering an output neuron's class region keeps the picture; a neuron shows its map
    page.get_by_role("img", name="Neuron 1 of layer 1").hover()
    expect(page.locator("[data-heatmap-caption]")).to_have_text("Showing neuron 1 of layer 1")
    page.mouse.move(0, 0)
    assert playground.errors == []


def test_switching_the_optimizer_keeps_the_epoch(playground: Playground) -> None:
    page = playground.open("seed=3")
    for n in (1, 2, 3):
        page.get_by_role("button", name="Step one epoch").click()
        expect(page.locator("[data-epoch]")).to_have_text(f"000,00{n}")
    page.get_by_role("button", name="More options").click()
    expect(page.get_by_label("Momentum")).to_be_hidden()
    page.get_by_label("Optimizer").select_option("adam")
    playground.wait_config({"optimizer": "adam"})
    expect(page.get_by_label("Adam β₁")).to_be_visible()
    expect(page.get_by_label("Adam ε")).to_have_value("1e-8")
    assert playground.session()["epoch"] == 3
    expect(page.locator("[data-epoch]")).to_have_text("000,003")
    page.get_by_label("Adam β₂").select_option("0.99")
    playground.wait_config({"beta2": 0.99})
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,004")
    # more than two classes need cross-entropy: the page switches and locks 0.5·MSE
    page.get_by_role("radio", name="Gaussian clouds").click()
    page.get_by_label("Classes").fill("4")
    playground.wait_config({"classes": 4, "loss": "cross_entropy"})
    expect(page.get_by_label("Loss", exact=True)).to_have_value("cross_entropy")
    assert page.locator('#loss option[value="mse"]').is_disabled()
    assert playground.errors == []


def test_new_controls_round_trip_through_the_url(
    new_playground: Callable[[], Playground], server: Server
) -> None:
    first = new_playground()
    page = first.open(
        "dataset=rings&classes=4&seed=5&hidden=3,2&optimizer=momentum&momentum=0.95"
        "&same_init=true&layer_activations=relu&extras=true"
    )
    expect(page.get_by_label("Classes")).to_have_value("4")
    expect(page.get_by_label("Optimizer")).to_have_value("momentum")
    expect(page.get_by_label("Momentum")).to_have_value("0.95")
    expect(page.get_by_label("Same initial weights on reset")).to_be_checked()
    expect(page.get_by_label("Activation of layer 1")).to_have_value("relu")
    expect(page.get_by_label("Activation of layer 2")).to_have_value("")
    page.get_by_label("Activation of layer 2").select_option("sigmoid")
    page.get_by_label("Activation of layer 1").select_option("")  # back to the global one
    want = {
        "dataset": "rings",
        "classes": 4,
        "loss": "cross_entropy",
        "optimizer": "momentum",
        "momentum": 0.95,
        "same_init": True,
        "layer_activations": [None, "sigmoid"],
    }
    first.wait_config(want)
    assert "layer_activations=,sigmoid" in page.url

    second = new_playground()
    copy = second.open(urlsplit(page.url).fragment)
    expect(copy.get_by_label("Activation of layer 2")).to_have_value("sigmoid")
    expect(copy.get_by_label("Momentum")).to_be_visible()  # the options panel is open too
    second.wait_config(want)
    # removing the layer drops its activation, as the server does
    copy.get_by_role("button", name="Remove a hidden layer").click()
    second.wait_config({"hidden": [3], "layer_activations": []})
    assert first.errors == second.errors == []


def test_bad_values_fall_back_and_new_controls_hide(playground: Playground) -> None:
    page = playground.open(
        "dataset=clouds&classes=9&optimizer=rmsprop&momentum=2&beta2=x&same_init=maybe"
        "&layer_activations=swish&loss=mse&extras=true"
        "&optimizer_hide=true&classes_hide=true&points_hide=true&export_hide=true&accuracy_hide=true"
    )
    config = playground.session()["config"]
    assert config["dataset"] == "clouds"
    assert (config["classes"], config["optimizer"], config["momentum"]) == (2, "sgd", 0.9)
    assert (config["beta2"], config["same_init"], config["layer_activations"]) == (0.999, False, [])
    for label in ("Optimizer", "Classes"):
        expect(page.get_by_label(label)).to_be_hidden()
    expect(page.locator('[data-metric="test"]')).to_be_hidden()
    expect(page.get_by_role("button", name="Clear all points")).to_be_hidden()
    expect(page.get_by_text("Export", exact=True)).to_be_hidden()
    expect(page.get_by_label("Loss", exact=True)).to_be_visible()
    assert "optimizer_hide=true" in page.url
    # with the point tools hidden, a click on the plot adds nothing
    version = playground.session()["data_version"]
    page.locator("[data-heatmap-plot]").click()
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    assert playground.session()["data_version"] == version
