"""Save and My experiments: a named copy of the page's session, listed, renamed, deleted
and opened again (a new live session at the saved epoch, with the saved points)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

from .conftest import Playground, click_plot
from .page_js import OWNER_KEY, STORED_SESSION

pytestmark = pytest.mark.e2e


def saved(playground: Playground) -> list[dict[str, Any]]:
    """The page's owner's experiments, as the server lists them."""
    key = playground.page.evaluate(OWNER_KEY)
    assert key and re.fullmatch(r"[A-Za-z0-9_-]{43}", key), key
    reply = httpx.get(f"{playground.api}/experiments", headers={"X-Owner-Key": key}, timeout=10)
    reply.raise_for_status()
    return list(reply.json()["experiments"])


def steps(page: Page, n: int) -> None:
    step = page.get_by_role("button", name="Step one epoch")
    for _ in range(n):
        step.click()


def save(page: Page, name: str | None = None) -> None:
    """Save through the dialog (its own name when `name` is None), and close it."""
    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save this session")
    if name is not None:
        dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_contain_text("Saved “")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def panel(page: Page) -> tuple[Locator, Locator]:
    """Open My experiments: the dialog and its entries."""
    page.get_by_role("button", name="My experiments").click()
    dialog = page.get_by_role("dialog", name="My experiments")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Loading…")).to_have_count(0)
    return dialog, dialog.get_by_role("listitem")


def test_save_list_rename_and_delete(playground: Playground) -> None:
    page = playground.open("dataset=spiral&hidden=4,2&seed=0.81")
    steps(page, 3)
    expect(page.locator("[data-epoch]")).to_have_text("000,003")

    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save this session")
    name = dialog.get_by_label("Name")
    expect(name).to_be_focused()
    expect(name).to_have_value("Spiral, 2 layers, epoch 3")
    name.fill("first run")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_contain_text("Saved “first run” at epoch 3.")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_focused()

    steps(page, 1)
    expect(page.locator("[data-epoch]")).to_have_text("000,004")
    page.get_by_role("button", name="Save", exact=True).click()  # by keyboard this time
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("Saved “Spiral, 2 layers, epoch 4” at epoch 4.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert [x["name"] for x in saved(playground)] == ["Spiral, 2 layers, epoch 4", "first run"]

    experiments, items = panel(page)
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Spiral, 2 layers, epoch 4")  # newest first
    expect(items.nth(1)).to_contain_text("first run")
    expect(items.nth(1)).to_contain_text("Epoch 3 · test loss")
    thumbnail = items.nth(1).locator("img")
    expect(thumbnail).to_have_attribute("src", re.compile(r"/thumbnail\.png$"))
    loaded = "(img) => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=thumbnail.element_handle())

    first = items.filter(has_text="first run")
    first.get_by_role("button", name="Rename").click()
    box = first.get_by_role("textbox", name="New name for first run")
    expect(box).to_be_focused()
    box.fill("not this")
    box.press("Escape")  # leaves the name as it was, and the dialog open
    expect(experiments).to_be_visible()
    expect(box).to_have_count(0)
    first.get_by_role("button", name="Rename").click()
    box.fill("renamed run")
    box.press("Enter")
    renamed = items.filter(has_text="renamed run")
    expect(renamed).to_have_count(1)
    expect(renamed.get_by_role("button", name="Rename")).to_be_focused()
    assert {x["name"] for x in saved(playground)} == {"renamed run", "Spiral, 2 layers, epoch 4"}

    newest = items.filter(has_text="Spiral, 2 layers, epoch 4")
    newest.get_by_role("button", name="Delete").click()
    newest.get_by_role("button", name="Keep it").click()  # changed their mind
    expect(items).to_have_count(2)
    newest.get_by_role("button", name="Delete").click()
    newest.get_by_role("button", name="Delete for good").click()
    expect(items).to_have_count(1)
    expect(experiments).to_contain_text("1 of ")
    assert [x["name"] for x in saved(playground)] == ["renamed run"]
    page.keyboard.press("Escape")
    expect(experiments).to_be_hidden()
    assert not playground.errors


def test_opening_an_experiment_restores_its_epoch_and_points(playground: Playground) -> None:
    page = playground.open("dataset=gauss&seed=0.82")
    steps(page, 5)
    expect(page.locator("[data-epoch]")).to_have_text("000,005")
    version = playground.session()["data_version"]
    click_plot(page, 4.5, 4.5)  # a point of one's own, where the dataset has none
    playground.wait_session(lambda s: s["data_version"] != version)
    first = playground.session()
    points = httpx.get(f"{playground.api}/sessions/{first['id']}/data", timeout=10).json()
    playground.wait_points_drawn()
    dots = playground.points_drawn()
    save(page, "with my point")

    page.get_by_role("button", name="Regenerate").click()  # other points, another epoch
    playground.wait_session(lambda s: s["data_version"] != first["data_version"])
    steps(page, 2)
    expect(page.locator("[data-epoch]")).to_have_text("000,007")

    dialog, items = panel(page)
    items.filter(has_text="with my point").get_by_role("button", name="Open").click()
    expect(dialog).to_be_hidden()
    other = re.compile(rf"^/api/sessions/(?!{re.escape(first['id'])}/)[^/]+/export/model\.json$")
    expect(page.locator('[data-export="model.json"]')).to_have_attribute("href", other)
    expect(page.get_by_role("status")).to_have_text("Connected")
    state = playground.session()
    assert state["epoch"] == 5 and state["state"] == "paused"
    assert state["config"] == first["config"]
    expect(page.locator("[data-epoch]")).to_have_text("000,005")
    reopened = httpx.get(f"{playground.api}/sessions/{state['id']}/data", timeout=10).json()
    assert reopened == points
    playground.wait_points_drawn(f"(n) => n === {dots}")
    assert page.evaluate(STORED_SESSION) == state["id"]
    steps(page, 1)  # and it trains on from there
    expect(page.locator("[data-epoch]")).to_have_text("000,006")


def test_a_refused_save_says_why_in_the_dialog(playground: Playground) -> None:
    page = playground.open("seed=0.83")
    limit = "this browser keeps 50 experiments at most"

    def full(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=429, json={"detail": limit})
        else:
            route.continue_()

    page.route("**/api/experiments", full)
    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save this session")
    dialog.get_by_role("button", name="Save", exact=True).click()
    error = dialog.get_by_role("alert")
    expect(error).to_contain_text(f"Could not save: {limit}")
    expect(error).to_contain_text("Delete an experiment you no longer need")
    expect(dialog.get_by_label("Name")).to_be_focused()

    page.unroute("**/api/experiments")
    page.route("**/api/experiments", lambda route: route.abort())
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(error).to_contain_text("the server could not be reached")
    expect(dialog).to_be_visible()
    assert saved(playground) == []
