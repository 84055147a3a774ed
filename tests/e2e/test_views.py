"""Views and options: problem types, regenerate, palettes, presenter mode, zero hidden
layers, and the pure modules the page is built from (checked in the browser itself)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import Playground

pytestmark = pytest.mark.e2e


def test_problem_type_switches_the_datasets(playground: Playground) -> None:
    page = playground.open()
    page.get_by_label("Problem type").select_option("regression")
    expect(page.get_by_role("radio", name="Plane")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("radio", name="Circle")).to_be_hidden()
    playground.wait_config({"problem": "regression"})
    page.get_by_role("radio", name="Multi Gaussian").click()
    playground.wait_config({"dataset": "multi_gauss"})
    # back to classification: the last classification dataset comes back
    page.get_by_label("Problem type").select_option("classification")
    expect(page.get_by_role("radio", name="Circle")).to_have_attribute("aria-checked", "true")
    assert "dataset=circle" in page.url
    assert playground.errors == []


def test_regenerate_draws_new_points_with_a_new_seed(playground: Playground) -> None:
    page = playground.open("seed=11")
    points = "() => document.querySelector('[data-heatmap-points]').toDataURL()"
    playground.wait_points_drawn()  # the session's points are on the plot
    before = page.evaluate(points)
    page.get_by_role("button", name="Regenerate").click()
    playground.wait_session(lambda s: s["config"]["seed"] != 11)
    page.wait_for_function(f"(before) => ({points})() !== before", arg=before)
    seed = playground.session()["config"]["seed"]
    assert f"seed={seed}" in page.url


def test_palette_and_presenter_toggles(playground: Playground) -> None:
    page = playground.open()
    output = playground.heatmap()
    palette = page.get_by_role("button", name="Colour-blind palette")
    palette.click()
    expect(palette).to_have_attribute("aria-pressed", "true")
    playground.wait_heatmap_change(output)
    assert "palette=colorblind" in page.url
    width = page.locator(".heatmap-plot").bounding_box()["width"]
    presenter = page.get_by_role("button", name="Presenter mode")
    presenter.click()
    expect(presenter).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_class("presenter")
    assert page.locator(".heatmap-plot").bounding_box()["width"] > width
    assert "presenter=true" in page.url


def test_zero_hidden_layers(playground: Playground) -> None:
    page = playground.open("hidden=")
    expect(page.get_by_role("heading", name="0 hidden layers")).to_be_visible()
    expect(page.get_by_role("button", name="Remove a hidden layer")).to_be_disabled()
    expect(page.get_by_role("img", name="Neuron")).to_have_count(0)
    expect(page.locator(".link")).to_have_count(2)
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    assert playground.session()["config"]["hidden"] == []


def test_loss_series_stays_small_after_100k_epochs(playground: Playground) -> None:
    page = playground.open()
    result = page.evaluate(
        """async (url) => {
          const { LossSeries, MAX_POINTS } = await import(url);
          const s = new LossSeries();
          for (let e = 0; e <= 200000; e += 3) s.add(e, 1 / (e + 1), 2 / (e + 1));
          const gaps = s.epoch.slice(1).map((e, i) => e - s.epoch[i]);
          return { n: s.epoch.length, max: MAX_POINTS, first: s.epoch[0], last: s.epoch.at(-1),
                   widest: Math.max(...gaps), sorted: gaps.every((g) => g > 0) };
        }""",
        playground.module_url("LossSeries"),
    )
    assert result["n"] <= result["max"]
    assert (result["first"], result["last"]) == (0, 199998)
    assert result["sorted"]
    assert result["widest"] <= 4 * 200_000 / result["max"]  # spread evenly, no big holes


def test_hash_and_frame_modules(playground: Playground) -> None:
    page = playground.open()
    result = page.evaluate(
        """async ([hashUrl, frameUrl, statusUrl, options]) => {
          const { parseHash, formatHash } = await import(hashUrl);
          const { decodeFrame } = await import(frameUrl);
          const { formatEpoch } = await import(statusUrl);
          const hash = '#dataset=plane&hidden=8,1&features=x2,x1,x2&learning_rate=0.00001';
          const parsed = parseHash(hash, options);
          const again = parseHash(formatHash(parsed), options);
          // a hand-made frame: 2 inputs -> 1 output, grid 2x2, no maps
          const buffer = new ArrayBuffer(48 + 8 + 16 + 8 + 4);
          const v = new DataView(buffer);
          v.setUint8(0, 2); v.setUint8(1, 2); v.setUint8(2, 2); v.setUint16(4, 2, true);
          v.setUint32(8, 1234, true); v.setFloat64(16, 0.25, true); v.setFloat64(24, NaN, true);
          v.setUint32(32, 9, true); v.setFloat32(40, 0.5, true); v.setFloat32(44, NaN, true);
          v.setUint16(48, 2, true); v.setUint16(50, 1, true);
          v.setFloat64(56, -0.5, true); v.setFloat64(64, 0.75, true); v.setFloat64(72, 0.1, true);
          new Uint8Array(buffer, 80, 4).set([0, 128, 255, 7]);
          const f = decodeFrame(buffer);
          return {
            ...parsed.config,
            roundtrip: JSON.stringify(again) === JSON.stringify(parsed),
            frame: [f.state, f.epoch, f.trainLoss, Number.isNaN(f.testLoss), f.seq, f.sizes,
                    [...f.weights[0]], [...f.biases[0]], [...f.grid], f.maps,
                    f.trainAccuracy, Number.isNaN(f.testAccuracy), f.classes],
            epochs: [formatEpoch(0), formatEpoch(1234), formatEpoch(1234567)],
          };
        }""",
        [
            playground.module_url("parseHash"),
            playground.module_url("decodeFrame"),
            playground.module_url("formatEpoch"),
            playground.options(),
        ],
    )
    assert result["problem"] == "regression"  # implied by the dataset
    assert result["hidden"] == [8, 1]
    assert result["features"] == ["x1", "x2"]
    assert result["learning_rate"] == 0.00001
    assert result["roundtrip"]
    weights, biases, grid = [-0.5, 0.75], [0.1], [0, 128, 255, 7]
    frame = ["paused", 1234, 0.25, True, 9, [2, 1], weights, biases, grid, None, 0.5, True, 0]
    assert result["frame"] == frame
    assert result["epochs"] == ["000,000", "001,234", "1,234,567"]
