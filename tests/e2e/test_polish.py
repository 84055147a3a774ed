"""Classroom polish: the translucent output map and its PNG export, dataset names on the
thumbnails, the floating message banner, tooltips beside sliders, the weight editor, the
achieved speed offline, the loss chart at epoch 0 and /docs' icon."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, Playground, Server

pytestmark = pytest.mark.e2e

# every pixel's alpha in the output map
ALPHAS = """() => {
  const c = document.querySelector('[data-heatmap-canvas]');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const alphas = new Set();
  for (let i = 3; i < px.length; i += 4) alphas.add(px[i]);
  return [...alphas];
}"""

# Mean absolute difference per channel between two PNGs (data URLs), both drawn at a
# quarter of width x height (so a half-pixel offset of the screenshot's grid does not
# count), and how many pixels of the first are not opaque.
COMPARE = """async ([a, b, fullWidth, fullHeight]) => {
  const width = Math.round(fullWidth / 4), height = Math.round(fullHeight / 4);
  const load = (url) => new Promise((done, fail) => {
    const img = new Image(); img.onload = () => done(img); img.onerror = fail; img.src = url;
  });
  const pixels = (img) => {
    const c = document.createElement('canvas'); c.width = width; c.height = height;
    const ctx = c.getContext('2d'); ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(img, 0, 0, width, height);
    return ctx.getImageData(0, 0, width, height).data;
  };
  const [pa, pb] = (await Promise.all([load(a), load(b)])).map(pixels);
  let diff = 0, clear = 0;
  for (let i = 0; i < pa.length; i += 4) {
    for (let k = 0; k < 3; k++) diff += Math.abs(pa[i + k] - pb[i + k]);
    if (pa[i + 3] !== 255) clear += 1;
  }
  return { diff: diff / (3 * width * height), clear };
}"""


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_output_map_is_translucent_like_tfps(playground: Playground) -> None:
    page = playground.open("seed=4")
    # every pixel of the map has TFP's alpha, 160
    page.wait_for_function(f"() => ({ALPHAS})().length === 1")
    assert page.evaluate(ALPHAS) == [160]
    # over white, so what shows is the colour faded towards white
    assert (
        page.locator("[data-heatmap-plot]").evaluate("(el) => getComputedStyle(el).backgroundColor")
        == "rgb(255, 255, 255)"
    )
    before = playground.heatmap()
    page.get_by_label("Discretize output").check()
    playground.wait_heatmap_change(before)
    assert page.evaluate(ALPHAS) == [160]  # faded once, however often it is drawn
    page.get_by_role("img", name="Neuron 1 of layer 1").hover()
    expect(page.locator("[data-heatmap-caption]")).to_have_text("Showing neuron 1 of layer 1")
    assert page.evaluate(ALPHAS) == [160]
    assert playground.errors == []


def test_many_classes_are_translucent_too(playground: Playground) -> None:
    page = playground.open("dataset=clouds&classes=3&seed=2")
    # the session has had 3 classes since it was made, so the map drawn is a 3-class one
    assert playground.session()["config"]["classes"] == 3
    expect(page.get_by_role("img", name="Output node for class")).to_have_count(3)
    page.wait_for_function(f"() => JSON.stringify(({ALPHAS})()) === '[160]'")


def test_png_export_matches_the_screen(playground: Playground, tmp_path: Path) -> None:
    page = playground.open("seed=6&show_test=true")
    playground.wait_points_drawn()  # the session's points are on the plot
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    page.mouse.move(0, 0)
    plot = page.locator("[data-heatmap-plot]")
    shown = plot.screenshot(path=ARTIFACTS / "polish-plot-on-screen.png")
    page.locator('[data-control="export"] > summary').click()
    with page.expect_download() as download:
        page.get_by_text("output.png (the picture)").click()
    assert download.value.suggested_filename == "output.png"
    saved = tmp_path / "output.png"
    download.value.save_as(saved)
    png = saved.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    box = plot.bounding_box()
    assert box is not None
    width, height = round(box["width"]), round(box["height"])
    same = page.evaluate(COMPARE, [data_url(png), data_url(shown), width, height])
    assert same["clear"] == 0  # a picture over white, as on screen
    assert same["diff"] < 3, same
    # and not the opaque map: drawn without the fade, the picture differs clearly
    opaque = page.evaluate(
        """async () => {
          const c = document.querySelector('[data-heatmap-canvas]');
          const p = document.querySelector('[data-heatmap-points]');
          const out = document.createElement('canvas'); out.width = p.width; out.height = p.height;
          const ctx = out.getContext('2d');
          ctx.drawImage(c, 0, 0, out.width, out.height);
          const px = ctx.getImageData(0, 0, out.width, out.height);
          for (let i = 3; i < px.data.length; i += 4) px.data[i] = 255;
          ctx.putImageData(px, 0, 0);
          ctx.drawImage(p, 0, 0);
          return out.toDataURL();
        }"""
    )
    differs = page.evaluate(COMPARE, [opaque, data_url(png), width, height])
    assert differs["diff"] > 2 * same["diff"] + 3, (differs, same)


def test_thumbnails_are_named_after_the_servers_titles(
    playground: Playground, server: Server
) -> None:
    titles = {d["name"]: d["title"] for d in httpx.get(f"{server.url}/api/datasets").json()}
    page = playground.open()
    for name, title in titles.items():
        button = page.locator(f'[data-dataset="{name}"]')
        expect(button).to_have_attribute("aria-label", title)
    spiral = page.get_by_role("radio", name=titles["spiral"], exact=True)
    spiral.hover()
    expect(page.get_by_role("tooltip")).to_have_text(titles["spiral"])
    # the name is the button's name, not read twice as its description
    assert spiral.get_attribute("aria-description") is None


def play_box(page: Page) -> list[dict]:
    return [
        page.get_by_role("button", name=name).bounding_box()
        for name in ("Reset the network", "Play", "Step one epoch")
    ]


def test_the_banner_floats_and_closes(playground: Playground) -> None:
    page = playground.open("features=x1")
    main_top = page.locator("main").bounding_box()["y"]
    controls = play_box(page)
    # the network's last input cannot be switched off: the page says so
    page.get_by_role("button", name="X₁", exact=True).click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("at least one input feature")
    assert banner.evaluate("(el) => getComputedStyle(el).position") == "fixed"
    assert page.locator("main").bounding_box()["y"] == main_top  # nothing moved down
    box = banner.bounding_box()
    viewport = page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert box["y"] + box["height"] <= viewport["height"]
    for c in controls:
        assert (
            box["x"] >= c["x"] + c["width"]
            or c["x"] >= box["x"] + box["width"]
            or box["y"] >= c["y"] + c["height"]
            or c["y"] >= box["y"] + box["height"]
        ), f"the banner {box} covers a play control {c}"
    page.screenshot(path=ARTIFACTS / "polish-banner.png")
    page.get_by_role("button", name="Close the message").click()
    expect(page.get_by_role("alert")).to_have_count(0)


@pytest.mark.parametrize(
    ("slider", "next_control"),
    [
        ("#train_ratio", '[data-control="noise"]'),
        ("#noise", '[data-control="batch_size"]'),
        ("#batch_size", '[data-action="regenerate"]'),
    ],
)
def test_a_sliders_tooltip_leaves_the_next_control_free(
    playground: Playground, slider: str, next_control: str
) -> None:
    page = playground.open()
    page.locator(slider).focus()
    tip = page.get_by_role("tooltip")
    expect(tip).to_be_visible()
    t = tip.bounding_box()
    n = page.locator(next_control).bounding_box()
    apart = (
        t["y"] >= n["y"] + n["height"]
        or n["y"] >= t["y"] + t["height"]
        or t["x"] >= n["x"] + n["width"]
        or n["x"] >= t["x"] + t["width"]
    )
    assert apart, f"the tooltip {t} covers the next control {n}"


LABEL_AND_VALUE = """() => {
  const card = document.querySelector('[data-hovercard]');
  const label = card.querySelector('[data-hovercard-label]');
  const input = card.querySelector('[data-hovercard-input]');
  const [l, i, c] = [label, input, card].map((el) => el.getBoundingClientRect());
  const ctx = document.createElement('canvas').getContext('2d');
  const cs = getComputedStyle(input);
  ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  const room = input.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return {
    labelCut: label.scrollWidth > label.clientWidth + 1
      || label.scrollHeight > label.clientHeight + 1,
    labelOverInput: l.bottom > i.top + 0.5,
    valueFits: ctx.measureText(input.value).width + 24 <= room,  // 24 px for the spin buttons
    inside: c.left >= 0 && c.top >= 0 && c.right <= innerWidth && c.bottom <= innerHeight,
    value: input.value,
  };
}"""


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)], ids=["1024x768", "1920x1080"])
def test_weight_editor_shows_its_whole_label_and_value(
    playground: Playground, size: tuple[int, int]
) -> None:
    page = playground.page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    playground.open("presenter=true")
    # a long name, and a value with all its digits
    weight = {"layer": 2, "neuron": 0, "input": 0, "value": -0.123456789}
    reply = httpx.patch(f"{playground.api}/sessions/{playground.session_id()}/params", json=weight)
    assert reply.status_code == 200, reply.text
    link = page.get_by_role("button", name="Weight from neuron 1 of layer 2 to the output")
    # a frame with it has been drawn: the hover card reads the value from frames
    box = link.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("[data-hovercard]")).to_contain_text("Weight is -0.123456789")
    page.mouse.move(0, 0)
    expect(page.locator("[data-hovercard]")).to_be_hidden()
    link.focus()
    link.press("Enter")
    editor = page.get_by_label("New value for weight from neuron 1 of layer 2 to the output")
    expect(editor).to_be_focused()
    page.screenshot(path=ARTIFACTS / f"polish-weight-editor-{size[0]}.png")
    got = page.evaluate(LABEL_AND_VALUE)
    assert got["value"] == "-0.123456789"
    assert not got["labelCut"] and not got["labelOverInput"], got
    assert got["valueFits"] and got["inside"], got


def test_no_achieved_speed_while_disconnected(playground: Playground, spare_server: Server) -> None:
    page = playground.open("speed=300", base=spare_server.url)
    page.get_by_role("button", name="Play").click()
    achieved = page.locator("[data-achieved]")
    expect(achieved).to_have_text(re.compile(r"^achieved [\d,]+/s$"), timeout=10_000)
    spare_server.stop()
    expect(page.get_by_role("status")).to_contain_text("retrying")
    expect(achieved).to_have_text("")


def test_loss_chart_reads_at_epoch_zero(playground: Playground) -> None:
    page = playground.open("seed=8")
    chart = page.locator("[data-loss-chart]")
    expect(chart.locator(".main-svg").first).to_be_attached()
    page.wait_for_function(
        "() => document.querySelector('[data-loss-chart]')._fullData?.[0]?.x.length === 1"
    )
    axes = chart.evaluate(
        "(el) => ({ x: el._fullLayout.xaxis.range, y: el._fullLayout.yaxis.range,"
        " ticks: [...el.querySelectorAll('.xtick text, .ytick text')].map((t) => t.textContent),"
        " test: el._fullData[1].y[0] })"
    )
    assert axes["x"] == [0, 1]
    low, high = axes["y"]
    assert low == 0 and high > 0 and low < axes["test"] < high
    assert abs(axes["test"] - (low + high) / 2) <= (high - low) / 4  # around the value
    assert axes["ticks"] and not any("NaN" in t for t in axes["ticks"])
    x_ticks = chart.evaluate(
        "(el) => [...el.querySelectorAll('.xtick text')].map((t) => t.textContent)"
    )
    assert x_ticks == ["0", "1"]  # whole epochs


def test_docs_have_the_apps_favicon(playground: Playground, server: Server) -> None:
    page = playground.page
    icons = []
    page.on("request", lambda r: icons.append(r.url) if "favicon" in r.url else None)
    page.goto(f"{server.url}/docs")
    icon = page.locator('link[rel~="icon"]')
    expect(icon).to_have_attribute("href", "/static/favicon.svg")
    reply = httpx.get(f"{server.url}/static/favicon.svg")
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/svg+xml"
    page.wait_for_function("() => document.querySelector('#swagger-ui .title') !== null")
    assert f"{server.url}/static/favicon.svg" in icons
