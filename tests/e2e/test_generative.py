"""GANs and autoencoders in the browser (docs/generative.md): pick GAN, draw your own
distribution, watch the generator learn it, step D and G alone and in slow motion, export
the generator; the autoencoder finds the curve of the moons; the settings live in the URL
and fit the page at both sizes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import ARTIFACTS, Playground, Server
from .test_room_wall import TILE, open_wall

pytestmark = pytest.mark.e2e

# the page drew a frame of this kind on its generative plot
PAINTED = """(kind) => {
  const caption = document.querySelector('[data-generative-caption]').textContent;
  return document.documentElement.dataset.kind === kind && caption.length > 0;
}"""
# how many pixels of each tile's canvas are coloured (not white or grey)
COLOURED_TILES = """() => [...document.querySelectorAll('[data-tile] canvas')].map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let coloured = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 2]) coloured++;
  return coloured;
})"""
JS = "Number(document.querySelector('[data-divergence=\"js\"]').textContent)"


def open_kind(playground: Playground, hash_: str, kind: str) -> Page:
    page = playground.page
    page.goto(f"{playground.base}/#{hash_}")
    expect(page.get_by_role("status")).to_have_text("Connected")
    page.wait_for_function(PAINTED, arg=kind)
    return page


def generative(playground: Playground) -> dict[str, Any]:
    reply = httpx.get(f"{playground.api}/sessions/{playground.session_id()}/generative", timeout=10)
    reply.raise_for_status()
    return dict(reply.json())


def drag(page: Page, points: list[tuple[float, float]]) -> None:
    """Press, move through ``points`` (plane units) and release on the generative plot."""
    box = page.locator("[data-generative-canvas]").bounding_box()
    assert box is not None

    def pixel(x: float, y: float) -> tuple[float, float]:
        return box["x"] + (x + 6) / 12 * box["width"], box["y"] + (6 - y) / 12 * box["height"]

    page.mouse.move(*pixel(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*pixel(*point), steps=4)
    page.mouse.up()


def test_draw_a_distribution_watch_the_gan_learn_it_step_d_and_g_export_g(
    playground: Playground,
) -> None:
    page = playground.open("seed=3")
    page.get_by_label("Model to train").select_option("gan")
    playground.wait_config({"kind": "gan"})
    page.wait_for_function(PAINTED, arg="gan")
    expect(page.get_by_role("button", name="Step D")).to_be_visible()
    expect(page.locator("#epoch-label")).to_have_text("Iteration")
    # draw a horizontal stroke at y = 3: the first point replaces the ring
    drag(page, [(-4 + 0.5 * i, 3.0) for i in range(17)])
    state = playground.wait_session(lambda s: s["custom_data"] and s["data_version"] > 2)
    drawn = generative(playground)["real"]
    assert len(drawn) >= 15 and all(abs(y - 3) < 0.01 for _, y in drawn)
    assert state["state"] == "idle"
    # train: the generated points gather on the stroke and JS falls
    page.get_by_label("Speed").select_option("max")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => {JS} < 0.5", timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    stopped = playground.wait_session(lambda s: s["state"] == "paused")
    fake = generative(playground)["fake"]
    near = sum(abs(y - 3) < 1 and -5 < x < 5 for x, y in fake) / len(fake)
    assert near > 0.8, f"only {near:.0%} of the generated points are near the stroke"
    # step D alone: D's updates grow, G's and the iteration stay
    updates = stopped["metrics"]["updates"]
    page.get_by_role("button", name="Step D").click()
    after_d = playground.wait_session(lambda s: s["metrics"]["updates"]["d"] > updates["d"])
    assert after_d["metrics"]["updates"]["g"] == updates["g"]
    assert after_d["epoch"] == stopped["epoch"]
    page.get_by_role("button", name="Step G").click()
    after_g = playground.wait_session(lambda s: s["metrics"]["updates"]["g"] > updates["g"])
    assert after_g["metrics"]["updates"]["d"] == after_d["metrics"]["updates"]["d"]
    expect(page.locator("[data-generative-caption]")).to_contain_text(
        f"G updates {after_g['metrics']['updates']['g']}"
    )
    # slow motion: D's stage, then G's, and again, until pressed once more
    sent_before = len(playground.sent)
    slow = page.get_by_role("button", name="Slow motion")
    slow.click()
    expect(slow).to_have_attribute("aria-pressed", "true")
    playground.wait_sent(lambda sent: [m["type"] for m in sent[sent_before:]].count("step_g") >= 2,
                         timeout_s=30)  # fmt: skip
    slow.click()
    expect(slow).to_have_attribute("aria-pressed", "false")
    stages = [m["type"] for m in playground.sent[sent_before:] if m["type"].startswith("step_")]
    assert stages[:4] == ["step_d", "step_g", "step_d", "step_g"]
    # export the generator: a PyTorch script with both nets
    page.get_by_text("Export", exact=True).click()
    href = page.locator('[data-export="model.py"]').get_attribute("href")
    assert href and href.endswith("/export/model.py")
    script = page.request.get(f"{playground.base}{href}").text()
    assert "generator = nn.Sequential(nn.Linear(2, 16), nn.ReLU()" in script
    assert "discriminator = nn.Sequential" in script
    page.keyboard.press("Escape")
    page.screenshot(path=ARTIFACTS / "gan-drawn-stroke.png", full_page=True)
    assert playground.errors == []


def test_the_autoencoder_finds_the_curve_of_the_moons(playground: Playground) -> None:
    page = open_kind(playground, "kind=autoencoder&dataset=moons&seed=1", "autoencoder")
    expect(page.get_by_label("Bottleneck")).to_have_value("1")
    expect(page.locator("#train-loss-label")).to_have_text("Training error")
    start = float(page.locator('[data-loss="train"]').inner_text())
    page.get_by_label("Speed").select_option("max")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-loss=\"train\"]').textContent) < 0.1",
        timeout=60_000,
    )
    page.get_by_role("button", name="Pause").click()
    view = generative(playground)
    assert start > 1 and view["train_loss"] < 0.1
    # every point's reconstruction lies on the decoded curve, close to the point
    far = [p for p, r in zip(view["points"], view["recon"], strict=True)
           if (p[0] - r[0]) ** 2 + (p[1] - r[1]) ** 2 > 1]  # fmt: skip
    assert len(far) < len(view["points"]) * 0.05
    page.get_by_label("Colour by code").check()
    page.screenshot(path=ARTIFACTS / "autoencoder-moons.png", full_page=True)
    assert playground.errors == []


def test_the_settings_come_from_and_go_to_the_address_bar(playground: Playground) -> None:
    link = "kind=gan&gan.d_steps=3&gan.loss=minimax&gan.g_hidden=8,8&gan.noise_dim=1&seed=2"
    link += "&gan.g_learning_rate=0.005"  # a rate the menu does not list
    page = open_kind(playground, link, "gan")
    config = playground.wait_config({"kind": "gan"})
    assert config["gan"]["d_steps"] == 3 and config["gan"]["loss"] == "minimax"
    assert config["gan"]["g_hidden"] == [8, 8] and config["gan"]["noise_dim"] == 1
    assert config["gan"]["g_learning_rate"] == 0.005
    expect(page.get_by_label("Generator learning rate")).to_have_value("0.005")
    page.get_by_role("group", name="Training").get_by_label("Loss").select_option("least_squares")
    playground.wait_config({"gan": {**config["gan"], "loss": "least_squares"}})
    assert "gan.loss=least_squares" in page.url and "gan.d_steps=3" in page.url
    # a value out of range is named in the page's notice; the default is used
    page.goto(f"{playground.base}/#kind=gan&gan.d_steps=99&seed=2")  # typed into the address bar
    expect(page.locator("[data-notice]")).to_contain_text(
        "gan.d_steps=99 (a whole number from 0 to 10)"
    )
    assert playground.wait_config({"kind": "gan"})["gan"]["d_steps"] == 2


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)], ids=["1024", "1920"])
@pytest.mark.parametrize("kind", ["gan", "autoencoder"])
def test_the_generative_page_fits_both_sizes(
    playground: Playground, kind: str, size: tuple[int, int]
) -> None:
    page = playground.page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_kind(playground, f"kind={kind}&dataset=moons&seed=4", kind)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    plot = page.locator("[data-generative-canvas]").bounding_box()
    settings = page.locator("[data-generative-settings]").bounding_box()
    assert plot is not None and settings is not None
    assert plot["width"] > 300 and plot["x"] + plot["width"] <= settings["x"]  # side by side
    for control in page.locator("[data-generative-settings] select").all():
        box = control.bounding_box()
        assert box is not None and box["width"] >= 60  # values readable, not squeezed
    page.screenshot(path=ARTIFACTS / f"generative-{kind}-{size[0]}.png", full_page=True)
    assert playground.errors == []


def test_a_class_of_gans_on_the_wall_and_a_students_page(browser: Browser, server: Server) -> None:
    room = httpx.post(f"{server.url}/api/rooms", json={"config": {"kind": "gan", "seed": 5}},
                      timeout=10).json()  # fmt: skip
    try:
        for _ in range(3):
            member = httpx.post(f"{server.url}/api/rooms/{room['code']}/join", json={}, timeout=10)
            httpx.post(
                f"{server.url}/api/sessions/{member.json()['session']['id']}/play", timeout=10
            )
        wall = open_wall(browser, server.url, room, (1280, 900))
        expect(wall.locator(TILE)).to_have_count(3)
        expect(wall.locator("[data-tile-stats]", has_text="JS")).to_have_count(3)
        painted = wall.evaluate(COLOURED_TILES)
        assert len(painted) == 3 and all(n > 100 for n in painted)  # D's map and samples
        wall.screenshot(path=ARTIFACTS / "wall-gans.png")
        student = browser.new_page()
        student.goto(f"{server.url}/join/{room['code']}")
        student.get_by_role("button", name="Join").click()
        student.wait_for_function(PAINTED, arg="gan")
        expect(student.get_by_role("button", name="Step D")).to_be_visible()
        student.close()
        wall.context.close()
    finally:
        httpx.delete(f"{server.url}/api/rooms/{room['code']}",
                     headers={"X-Teacher-Key": room["key"]}, timeout=10)  # fmt: skip


def test_every_setting_shows_and_play_ends_slow_motion(playground: Playground) -> None:
    page = open_kind(playground, "kind=gan&seed=6", "gan")
    fields = page.locator("[data-generative-field]")
    assert fields.count() == 15
    for i in range(fields.count()):
        expect(fields.nth(i)).to_be_visible()  # none hidden by the MLP's rules
    expect(page.get_by_label("Generator optimizer")).to_have_value("adam")
    assert page.get_by_label("Generator optimizer").locator("option:checked").inner_text() == "Adam"
    expect(page.locator("[data-speed] option[value='60']")).to_have_text("60 iterations/s")
    expect(page.locator('[data-export="model.json"]')).to_be_hidden()  # the MLP's format
    slow = page.get_by_role("button", name="Slow motion")
    slow.click()
    playground.wait_sent(lambda sent: any(m["type"] == "step_g" for m in sent))
    page.get_by_role("button", name="Play").click()
    expect(slow).to_have_attribute("aria-pressed", "false")
    running = playground.wait_session(lambda s: s["state"] == "running")
    playground.wait_session(lambda s: s["epoch"] > running["epoch"] + 20)  # live, not staged
    assert playground.session()["state"] == "running"
    page.get_by_label("Model to train").select_option("autoencoder")
    fields = page.locator("[data-generative-field]")
    assert fields.count() == 10
    for i in range(fields.count()):
        expect(fields.nth(i)).to_be_visible()
    assert playground.errors == []
