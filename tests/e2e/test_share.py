"""The Share menu: the link to this setup, Copy, the QR code of the link (changing with
it), the LAN address on the server's own machine, and the hide checkboxes that build a
guided-demo link without hiding anything on this page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

from .conftest import ARTIFACTS, Playground

pytestmark = pytest.mark.e2e

QR_LOADED = (
    "() => { const img = document.querySelector('[data-share-qr]');"
    " return img && img.complete && img.naturalWidth > 0 && img.getAttribute('src'); }"
)


def open_share(page: Page) -> Locator:
    page.get_by_text("Share", exact=True).click()
    panel = page.locator("[data-share-panel]")
    expect(panel).to_be_visible()
    return panel


def link_of(panel: Locator) -> str:
    return panel.get_by_label("Link to this setup").input_value()


def qr_src(page: Page) -> str:
    return str(page.wait_for_function(QR_LOADED).json_value())


def test_copy_link_copies_the_setup(playground: Playground) -> None:
    playground.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = playground.open("dataset=xor&seed=0.31&noise=10")
    panel = open_share(page)
    link = link_of(panel)
    assert link.startswith(playground.base + "/#")  # 127.0.0.1: the server listens there only
    fragment = urlsplit(link).fragment
    assert "dataset=xor" in fragment and "seed=0.31" in fragment and "noise=10" in fragment
    expect(panel.get_by_text("only listens on this computer")).to_be_visible()
    panel.get_by_role("button", name="Copy link").click()
    expect(panel.get_by_text("Copied", exact=True)).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert playground.errors == []


def test_copy_without_a_clipboard_selects_the_link(playground: Playground) -> None:
    page = playground.open("seed=2")
    page.evaluate("Object.defineProperty(navigator, 'clipboard', { value: undefined })")
    panel = open_share(page)
    panel.get_by_role("button", name="Copy link").click()
    field = panel.get_by_label("Link to this setup")
    expect(field).to_be_focused()
    selected = page.evaluate(
        "() => { const f = document.querySelector('[data-share-link]');"
        " return f.value.slice(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == field.input_value()
    expect(panel.locator("[data-share-copied]")).not_to_be_empty()


def test_the_qr_code_is_the_links_and_follows_it(playground: Playground, server) -> None:
    page = playground.open("seed=0.32")
    panel = open_share(page)
    first = qr_src(page)
    assert parse_qs(urlsplit(first).query)["text"] == [link_of(panel)]
    svg = httpx.get(f"{server.url}{first}")
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.startswith("<svg")
    # a change of the setup changes the link, and the code with it
    page.get_by_role("combobox", name="Learning rate").select_option("0.3")
    expect(panel.get_by_label("Link to this setup")).to_have_value(
        re.compile(r"learning_rate=0\.3")
    )
    page.wait_for_function(f"() => ({QR_LOADED})() && ({QR_LOADED})() !== {json.dumps(first)}")
    second = qr_src(page)
    assert parse_qs(urlsplit(second).query)["text"] == [link_of(panel)]


def test_hide_checkboxes_build_a_guided_demo_link(
    new_playground: Callable[[], Playground],
) -> None:
    teacher = new_playground()
    page = teacher.open("dataset=gauss&seed=0.33")
    panel = open_share(page)
    boxes = panel.get_by_role("group", name="Shown in the shared link")
    for label in ("Learning rate", "# of hidden layers", "Play button", "Optimizer"):
        boxes.get_by_label(label, exact=True).uncheck()
    link = link_of(panel)
    for name in ("learning_rate", "hidden", "play", "optimizer"):
        assert f"{name}_hide=true" in link
    # this page keeps its controls, and its own URL has no _hide
    expect(page.get_by_role("combobox", name="Learning rate")).to_be_visible()
    assert "_hide" not in page.url
    boxes.get_by_label("Play button", exact=True).check()
    link = link_of(panel)
    assert "play_hide" not in link and "learning_rate_hide=true" in link

    student = new_playground()
    seen = student.page
    seen.goto(link)
    student.wait_connected()
    expect(seen.get_by_label("Learning rate")).to_be_hidden()
    expect(seen.get_by_role("button", name="Add a hidden layer")).to_be_hidden()
    expect(seen.get_by_role("button", name="Play")).to_be_visible()
    assert student.session()["config"]["seed"] == "0.33"
    assert student.session()["config"]["dataset"] == "gauss"
    # a link's own hides show unticked, and ticking one takes it out of the shared link
    panel = open_share(seen)
    box = panel.get_by_role("group").get_by_label("Learning rate", exact=True)
    expect(box).not_to_be_checked()
    box.check()
    assert "learning_rate_hide" not in link_of(panel)
    assert teacher.errors == student.errors == []


def test_on_the_servers_machine_the_link_uses_the_lan_address(playground: Playground) -> None:
    page = playground.page

    def lan(route: Route) -> None:
        route.fulfill(json={"lan_urls": ["http://192.168.1.20:8000", "http://10.0.0.7:8000"]})

    page.route("**/api/share", lan)
    playground.open("seed=0.34")
    panel = open_share(page)
    link = link_of(panel)
    assert link.startswith("http://192.168.1.20:8000/#") and "seed=0.34" in link
    expect(
        panel.get_by_text("Students on this network open http://192.168.1.20:8000.")
    ).to_be_visible()


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)], ids=["1024", "1920"])
def test_share_panel_fits_the_window(playground: Playground, size: tuple[int, int]) -> None:
    width, height = size
    page = playground.page
    page.set_viewport_size({"width": width, "height": height})
    playground.open("dataset=spiral&seed=0.35&noise_hide=true")
    panel = open_share(page)
    qr_src(page)
    box = panel.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["y"] + min(box["height"], 300) <= height
    last = panel.locator("label").last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"share-panel-{width}x{height}.png")


@pytest.mark.parametrize("palette", ["default", "colorblind"])
def test_share_panel_and_notes_are_readable(playground: Playground, palette: str) -> None:
    """axe-core finds no serious problem with the panel open, the cos notice and the loss
    label shown (as tests/e2e/test_contrast.py runs it)."""
    from .test_contrast import violations

    page = playground.open(f"palette={palette}&cosX=true&seed=0.36")
    expect(page.locator("[data-notice]")).to_be_visible()
    expect(page.locator("[data-loss-kind]")).to_have_text("Loss: mean squared error")
    open_share(page)
    qr_src(page)
    found = violations(page)
    assert found == [], "\n".join(f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found)
