"""A class's probe findings (#14): the wall asks before it resets a student, says plainly
that a class is closed, refuses a timer out of range beside its field, gives a nickname
room and "Projecting" a state in words, and spotlights over an opaque backdrop; a
student's page shows one notice when removed, no tooltip over a notice, and no shortcut
while the teacher calls "eyes on me"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from .conftest import ARTIFACTS, Playground, Server
from .test_room_wall import SIZES, TILE, classes, make_room, open_wall

__all__ = ["classes"]  # the fixture, used here by name

SHOTS = Path("/tmp/shots/room-notices")
LONG_NAMES = ["Amber Narwhal Of Tideway", "Maximiliana Wolfensteins"]  # 24 characters each


def shot(page: Page, name: str) -> None:
    for folder in (ARTIFACTS, SHOTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}.png")


def teacher(base: str, room: dict[str, Any], method: str, path: str, **kw: Any) -> httpx.Response:
    reply = httpx.request(
        method,
        f"{base}/api/rooms/{room['code']}{path}",
        headers={"X-Teacher-Key": room["key"]},
        timeout=10,
        **kw,
    )
    reply.raise_for_status()
    return reply


def session_of(base: str, session: str) -> dict[str, Any]:
    return dict(httpx.get(f"{base}/api/sessions/{session}", timeout=10).json())


def test_reset_asks_first(browser: Browser, server: Server, classes: list) -> None:
    room = make_room(server.url, 1)
    classes.append(room)
    member = room["members"][0]
    wall = open_wall(browser, server.url, room, (1280, 900))
    resets: list[str] = []
    wall.on("request", lambda r: resets.append(r.url) if r.url.endswith("/reset") else None)
    name = member["nickname"]
    expect(wall.locator(TILE)).to_have_count(1)

    def reset_from_menu() -> Any:
        wall.get_by_role("button", name=f"Actions for {name}").click()
        wall.get_by_role("menuitem", name="Reset").click()
        dialog = wall.get_by_role("dialog", name=f"Reset {name}'s network?")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("epoch 0")
        return dialog

    reset_from_menu().get_by_role("button", name="Cancel").click()
    expect(wall.get_by_role("dialog")).to_have_count(0)
    httpx.post(f"{server.url}/api/sessions/{member['session']['id']}/pause", timeout=10)
    reset_from_menu().get_by_role("button", name="Reset").click()
    expect(wall.get_by_role("dialog")).to_have_count(0)
    wall.wait_for_function(
        "s => fetch(`/api/sessions/${s}`).then(r => r.json()).then(j => j.epoch === 0)",
        arg=member["session"]["id"],
    )
    assert len(resets) == 1, resets  # the cancelled one sent nothing
    wall.context.close()


def test_a_closed_class_says_so_and_nothing_else(
    browser: Browser, server: Server, classes: list
) -> None:
    for width, height in SIZES:
        room = make_room(server.url, 1)
        classes.append(room)
        wall = open_wall(browser, server.url, room, (width, height))
        expect(wall.locator(TILE)).to_have_count(1)
        wall.get_by_role("button", name="Close class").click()
        wall.get_by_role("dialog").get_by_role("button", name="Close the class").click()
        notice = wall.get_by_role("alert")
        expect(notice).to_contain_text(f"Class {room['code']} is closed.")
        back = notice.get_by_role("link", name="Back to the playground")
        expect(back).to_have_attribute("href", "/")
        for gone in ("[data-wall-join]", "[data-wall-qr]", "[data-wall-count]"):
            expect(wall.locator(gone)).to_be_hidden()
        expect(wall.get_by_role("toolbar")).to_be_hidden()
        expect(wall.get_by_role("tab")).to_have_count(0)
        expect(wall.get_by_role("button", name="Close class")).to_be_hidden()
        # centred in the window
        box = notice.bounding_box()
        assert box is not None and abs(box["x"] + box["width"] / 2 - width / 2) < 20
        shot(wall, f"wall-closed-{width}x{height}")
        back.click()
        wall.wait_for_url(f"{server.url}/")
        wall.context.close()


def test_the_timer_takes_1_to_1440_minutes(browser: Browser, server: Server, classes: list) -> None:
    room = make_room(server.url, 0)
    classes.append(room)
    wall = open_wall(browser, server.url, room, (1024, 768))
    expect(wall.locator("[data-wall-connection]")).to_have_text("Live")
    field = wall.get_by_label("Timer")
    error = wall.locator("[data-wall-minutes-error]")
    for bad in ("-5", "0", "0.5", "1441", ""):
        field.fill(bad)
        wall.get_by_role("button", name="Start", exact=True).click()
        expect(error).to_have_text("Timer: 1 to 1440 minutes.")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_be_focused()
    shot(wall, "wall-timer-error-1024x768")
    # the message moves nothing: the toolbar keeps its one row
    push = wall.get_by_role("button", name="Push my setup").bounding_box()
    projecting = wall.get_by_role("button", name="Projecting", exact=True).bounding_box()
    assert push and projecting and abs(push["y"] - projecting["y"]) < 4
    assert teacher(server.url, room, "GET", "/teacher").json()["timer_ends"] is None
    field.fill("2")
    expect(error).to_be_hidden()
    wall.get_by_role("button", name="Start", exact=True).click()
    expect(wall.locator("[data-wall-countdown]")).to_contain_text("1:5")
    expect(field).to_have_attribute("aria-invalid", "false")
    wall.context.close()


def test_long_names_fit_and_projecting_says_its_state(
    browser: Browser, server: Server, classes: list
) -> None:
    room = make_room(server.url, 28)
    classes.append(room)
    for nickname in LONG_NAMES:
        joined = httpx.post(
            f"{server.url}/api/rooms/{room['code']}/join", json={"nickname": nickname}, timeout=10
        )
        assert joined.status_code == 201, joined.text
    for width, height in SIZES:
        wall = open_wall(browser, server.url, room, (width, height))
        expect(wall.locator(TILE)).to_have_count(30)
        for nickname in LONG_NAMES:
            name = wall.locator(TILE).filter(has_text=nickname).locator("[data-tile-name]")
            expect(name).to_have_text(nickname)
            clipped = name.evaluate(
                "n => n.scrollHeight > n.clientHeight + 1 || n.scrollWidth > n.clientWidth + 1"
            )
            assert not clipped, f"{nickname} is cut off at {width} px"
        heights = wall.locator(TILE).evaluate_all(
            "tiles => [...new Set(tiles.map(t => Math.round(t.getBoundingClientRect().height)))]"
        )
        assert len(heights) == 1, f"tiles of different heights: {heights}"

        toggle = wall.get_by_role("button", name="Projecting", exact=True)
        expect(toggle).to_have_attribute("aria-pressed", "false")
        expect(toggle).to_contain_text("names shown")
        push = wall.get_by_role("button", name="Push my setup").bounding_box()
        for state in ("true", "false"):
            toggle.click()
            expect(toggle).to_have_attribute("aria-pressed", state)
            expect(toggle).to_contain_text("✓ names hidden" if state == "true" else "names shown")
            if state == "true":
                expect(wall.locator(TILE).filter(has_text=LONG_NAMES[0])).to_have_count(0)
                shot(wall, f"wall-projecting-{width}x{height}")
            box = toggle.bounding_box()
            assert push and box and abs(box["y"] - push["y"]) < 4, "Projecting wrapped a row"
            assert box["height"] <= push["height"] + 1, "Projecting's text wrapped"
        shot(wall, f"wall-long-names-{width}x{height}")
        assert wall.evaluate("document.documentElement.scrollWidth <= innerWidth")
        wall.context.close()


def test_the_spotlight_has_an_opaque_backdrop(
    browser: Browser, server: Server, classes: list
) -> None:
    room = make_room(server.url, 1)
    classes.append(room)
    name = room["members"][0]["nickname"]
    for width, height in SIZES:
        wall = open_wall(browser, server.url, room, (width, height))
        wall.get_by_role("button", name=f"Actions for {name}").click()
        wall.get_by_role("menuitem", name="Spotlight").click()
        overlay = wall.get_by_role("dialog", name=f"Spotlight: {name}")
        expect(overlay).to_be_visible()
        expect(
            wall.frame_locator("[data-spotlight-frame]").locator("[data-connection-text]")
        ).to_have_text("Connected", timeout=30_000)
        alpha = overlay.evaluate(
            "o => { const c = getComputedStyle(o).backgroundColor.match(/[\\d.]+/g);"
            " return c.length < 4 ? 1 : Number(c[3]); }"
        )
        assert alpha == 1
        # where the wall's code is, the spotlight's own header is on top
        code = wall.locator("[data-wall-code]").bounding_box()
        assert code is not None
        on_top = wall.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('[data-spotlight]') !== null",
            [code["x"] + 10, code["y"] + 10],
        )
        assert on_top
        head = overlay.locator("header")
        expect(head).to_contain_text(f"class {room['code']}")
        expect(head.get_by_role("heading", name=f"Spotlight: {name}")).to_be_visible()
        shot(wall, f"wall-spotlight-{width}x{height}")
        overlay.get_by_role("button", name="Close the spotlight").click()
        expect(overlay).to_be_hidden()
        wall.context.close()


def join(student: Playground, code: str) -> None:
    student.page.goto(f"{student.base}/join/{code}")
    student.page.get_by_role("dialog", name="Join a class").get_by_role(
        "button", name="Join"
    ).click()
    student.wait_connected()
    expect(student.page.locator("[data-room-who]")).to_contain_text(f"Class {code}")


def covered_by_tip(page: Page, selector: str) -> bool:
    """Whether the page's tooltip is what shows at the middle of ``selector``."""
    return bool(
        page.locator(selector).evaluate(
            "n => { const r = n.getBoundingClientRect();"
            " const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return Boolean(at && at.closest('[data-tooltip]')); }"
        )
    )


def test_a_removed_student_sees_one_notice_and_no_tooltip_over_it(
    new_playground: Callable[[], Playground], server: Server, classes: list
) -> None:
    room = make_room(server.url, 0)
    classes.append(room)
    student = new_playground()
    page = student.page
    join(student, room["code"])
    start = page.get_by_role("button", name="Start a class")
    expect(start).to_be_hidden()

    page.get_by_role("button", name="Play").hover()
    tip = page.locator("[data-tooltip]")
    expect(tip).to_be_visible()
    teacher(server.url, room, "PATCH", "", json={"paused": True})
    expect(page.get_by_text("The teacher paused the class")).to_be_visible()
    expect(tip).to_be_hidden()
    page.mouse.move(0, 0)
    page.get_by_role("button", name="Play").hover()
    expect(tip).to_be_visible()  # a new tip goes under the bar
    assert not covered_by_tip(page, "[data-room-paused]")

    member = teacher(server.url, room, "GET", "/teacher").json()["members"][0]["session"]
    teacher(server.url, room, "DELETE", f"/members/{member}")
    notice = page.locator("[data-gone]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(
        f"You were removed from the class {room['code']} by the teacher."
    )
    expect(notice.get_by_role("button", name="Start fresh")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(1)  # one notice, not two
    expect(page.locator("[data-room-bar]")).to_be_hidden()
    expect(start).to_be_hidden()
    assert not covered_by_tip(page, "[data-gone-title]")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        shot(page, f"student-removed-{width}x{height}")

    notice.get_by_role("button", name="Start fresh").click()
    expect(notice).to_be_hidden()
    student.wait_connected()
    expect(start).to_be_visible()
    assert session_of(server.url, student.session_id())["room"] is None


def test_eyes_on_the_teacher_stops_the_shortcuts(
    new_playground: Callable[[], Playground], server: Server, classes: list
) -> None:
    room = make_room(server.url, 0)
    classes.append(room)
    student = new_playground()
    page = student.page
    join(student, room["code"])
    teacher(server.url, room, "PATCH", "", json={"eyes": True})
    expect(page.locator("[data-room-eyes]")).to_be_visible()
    for key in ("Space", "r", "ArrowRight"):
        page.keyboard.press(key)
    assert page.locator("main").evaluate("m => m.inert")  # Tab reaches nothing behind it
    teacher(server.url, room, "PATCH", "", json={"eyes": False})
    expect(page.locator("[data-room-eyes]")).to_be_hidden()
    assert not page.locator("main").evaluate("m => m.inert")
    page.keyboard.press("ArrowRight")
    student.wait_sent(lambda sent: any(m.get("type") == "step" for m in sent))
    # messages go out in order: a shortcut taken under the overlay would be sent before
    types = [m.get("type") for m in student.sent]
    assert types.count("step") == 1 and "play" not in types and "reset" not in types, types
