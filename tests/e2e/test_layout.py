"""Projector layouts: at 1024x768 and 1920x1080, normal and presenter mode, nothing is cut
(no clipped label or value, no horizontal scrollbar), the main parts of the page lie inside
the window and do not overlap, and presenter mode shows the whole network and the whole
output plot without scrolling. Screenshots land in test-artifacts/e2e/layout-*.png."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, Playground

pytestmark = pytest.mark.e2e

SIZES = [(1024, 768), (1920, 1080)]
BIG_NET = "features=x1,x2,x1_squared,x2_squared,x1_x2,sin_x1,sin_x2&hidden=8,8,8,8,8,8"

# Text that is cut: a select too narrow for its chosen value, an element that hides
# overflowing text, text that leaves the window sideways, a page wider than the window.
TRUNCATED = """() => {
  const found = [];
  const doc = document.documentElement;
  const vw = doc.clientWidth;
  const ctx = document.createElement("canvas").getContext("2d");
  const name = (el) => el.outerHTML.slice(0, 100);
  // (a closed <details> keeps boxes for its content, which checkVisibility sees through)
  const shown = (el) =>
    el.getClientRects().length > 0 && el.checkVisibility({ visibilityProperty: true });
  // hidden or clipped overflow cuts text; a region that scrolls shows all of it
  const cuts = (overflow) => overflow === "hidden" || overflow === "clip";
  if (doc.scrollWidth > vw) found.push(`the page is ${doc.scrollWidth} px wide in ${vw} px`);
  for (const el of document.body.querySelectorAll("*")) {
    // Plotly draws its own chart; hidden helpers and floating cards are not laid out here
    const apart = ".sr-only, .skip-link, [data-loss-chart], [data-tooltip], [data-hovercard], svg";
    if (!shown(el) || el.closest(apart)) continue;
    const cs = getComputedStyle(el);
    if (el.tagName === "SELECT") {
      const text = el.selectedOptions[0]?.textContent ?? "";
      ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      const need = ctx.measureText(text).width;
      const cut = `"${text}" needs ${need.toFixed(1)} px, has ${room.toFixed(1)}: ${name(el)}`;
      if (need > room + 0.5) found.push(cut);
      continue;
    }
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const holdsText = text || el.querySelector("span, p, label, b, kbd, a, button");
    if (holdsText && cuts(cs.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      found.push(`cut sideways (${el.scrollWidth} > ${el.clientWidth} px): ${name(el)}`);
    }
    if (holdsText && cuts(cs.overflowY) && el.scrollHeight > el.clientHeight + 1) {
      found.push(`cut at the bottom (${el.scrollHeight} > ${el.clientHeight} px): ${name(el)}`);
    }
    if (!text) continue;
    for (const node of el.childNodes) {
      if (node.nodeType !== 3 || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const r = range.getBoundingClientRect();
      if (r.width && (r.left < -0.5 || r.right > vw + 0.5)) {
        const words = node.textContent.trim().slice(0, 30);
        found.push(`"${words}" at x ${r.left.toFixed(0)}..${r.right.toFixed(0)}, outside 0..${vw}`);
      }
    }
  }
  return found;
}"""

# The page's main parts, as viewport boxes [left, top, right, bottom]; the output plot
# with its axes' numbers.
PARTS = {
    "masthead controls": ".masthead-tools",
    "play, step and reset": ".timeline",
    "training controls": ".topbar-inner > .control:not(.control-epoch)",
    "data column": ".column-data",
    "dataset thumbnails": "[data-datasets]",
    "network": "[data-network] > svg.links",
    "output plot": "[data-heatmap-plot]",
    "loss chart": "[data-loss-chart]",
}
BOXES = """(parts) => Object.fromEntries(Object.entries(parts).map(([name, selector]) => {
  const els = [...document.querySelectorAll(selector)].filter((el) => el.getClientRects().length);
  if (name === "output plot") els.push(document.querySelector("[data-heatmap-axes]"));
  const rects = els.map((el) => el.getBoundingClientRect());
  const side = (f, key) => f(...rects.map((r) => r[key]));
  const box = [side(Math.min, "left"), side(Math.min, "top"),
               side(Math.max, "right"), side(Math.max, "bottom")];
  return [name, rects.length ? box : null];
}))"""
# pairs that contain one another by design
NESTED = {frozenset({"data column", "dataset thumbnails"})}
# what presenter mode shows on one screen, without scrolling
ONE_SCREEN = ["masthead controls", "play, step and reset", "training controls", "network",
              "output plot", "loss chart", "dataset thumbnails"]  # fmt: skip


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def open_at(playground: Playground, width: int, height: int, hash_: str) -> Page:
    page = playground.page
    page.set_viewport_size({"width": width, "height": height})
    playground.open(hash_)
    # the loss chart is drawn (Plotly loads deferred) and the network has its frame
    expect(page.locator("[data-loss-chart] .main-svg").first).to_be_attached()
    expect(page.locator("[data-network]")).not_to_have_class("network stale")
    return page


def check_layout(page: Page, width: int, height: int, presenter: bool, shot: str) -> None:
    page.screenshot(path=ARTIFACTS / f"layout-{shot}.png")
    assert page.evaluate(TRUNCATED) == []
    boxes = page.evaluate(BOXES, PARTS)
    assert all(boxes.values()), boxes
    names = list(boxes)
    for i, a in enumerate(names):
        left, _, right, _ = boxes[a]
        assert left >= 0 and right <= width, f"{a} {boxes[a]} leaves the {width} px window"
        for b in names[i + 1 :]:
            if frozenset({a, b}) not in NESTED:
                assert not overlap(boxes[a], boxes[b]), f"{a} {boxes[a]} overlaps {b} {boxes[b]}"
    inside = ONE_SCREEN if presenter else ["masthead controls", "play, step and reset"]
    for name in inside:
        _, top, _, bottom = boxes[name]
        assert top >= 0 and bottom <= height, f"{name} {boxes[name]} is not inside {height} px"
    assert page.evaluate("window.scrollY") == 0


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_layout_fits_the_window(
    playground: Playground, size: tuple[int, int], presenter: bool
) -> None:
    width, height = size
    page = open_at(playground, width, height, "presenter=true" if presenter else "")
    expect(page.locator("html")).to_have_class("presenter" if presenter else "")
    mode = "presenter" if presenter else "normal"
    check_layout(page, width, height, presenter, f"{width}x{height}-{mode}")
    assert playground.errors == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_presenter_mode_fits_the_largest_network(
    playground: Playground, size: tuple[int, int]
) -> None:
    width, height = size
    page = open_at(playground, width, height, f"{BIG_NET}&presenter=true")
    expect(page.get_by_role("img", name="Neuron")).to_have_count(48)
    check_layout(page, width, height, True, f"{width}x{height}-presenter-largest")


def test_presenter_toggle_refits_and_back(playground: Playground) -> None:
    """The button does what the link does, and leaving presenter mode gives the plot back
    its normal size."""
    page = open_at(playground, 1024, 768, "")
    normal = page.locator("[data-heatmap-plot]").bounding_box()
    page.get_by_role("button", name="Presenter mode").click()
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=true" in page.url
    page.wait_for_function(
        "() => document.querySelector('[data-heatmap-axes]').getBoundingClientRect().bottom"
        " <= window.innerHeight && document.querySelector('[data-network] > svg')"
        ".getBoundingClientRect().bottom <= window.innerHeight"
    )
    check_layout(page, 1024, 768, True, "1024x768-presenter-toggled")
    page.get_by_role("button", name="Presenter mode").click()
    expect(page.locator("html")).not_to_have_class("presenter")
    page.wait_for_function(
        "(w) => document.querySelector('[data-heatmap-plot]').getBoundingClientRect().width === w",
        arg=normal["width"],
    )


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_an_epoch_in_the_millions_widens_its_control(
    playground: Playground, size: tuple[int, int], presenter: bool
) -> None:
    """At 6,000 epochs/s (the compiled kernel) a lone learner passes 999,999 in three
    minutes: the count widens its control instead of running into the learning rate."""
    width, height = size
    page = open_at(playground, width, height, "presenter=true" if presenter else "")
    api = f"{playground.base}/api/sessions/{playground.session_id()}"
    model = httpx.get(f"{api}/export/model.json").json()
    model["epoch"] = 12_345_678
    assert httpx.post(f"{api}/import", json=model).status_code == 200
    expect(page.locator("[data-epoch]")).to_have_text("12,345,678")
    # where the digits themselves end (a box may be narrower than the text it overflows)
    digits_end = page.evaluate(
        "() => { const r = document.createRange();"
        " r.selectNodeContents(document.querySelector('[data-epoch]'));"
        " return r.getBoundingClientRect().right; }"
    )
    after = page.locator(".control-epoch + .control").bounding_box()
    assert after is not None and digits_end <= after["x"], (digits_end, after)
    mode = "presenter" if presenter else "normal"
    check_layout(page, width, height, presenter, f"{width}x{height}-{mode}-epoch-millions")
