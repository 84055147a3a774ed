"""A live class (#14, docs/rooms.md), end to end: a teacher and three students, each in a
browser context of their own, on a server the test restarts at the end."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from .conftest import Playground, Server

TILE = "[data-wall-tiles] [data-tile]"


def start_class(teacher: Playground) -> tuple[Page, str]:
    """The teacher presses Start a class: the wall opens in a new tab; its code."""
    with teacher.page.context.expect_page() as opened:
        teacher.page.get_by_role("button", name="Start a class").click()
    wall = opened.value
    wall.wait_for_url(re.compile(r"/room/[A-Z0-9]{6}$"))
    code = teacher.page.locator("[data-start-code]").inner_text()
    expect(wall.locator("[data-wall-code]")).to_have_text(code)
    expect(wall.locator("[data-wall-connection]")).to_have_text("Live")
    return wall, code


def tile(wall: Page, name: str):  # type: ignore[no-untyped-def]
    return wall.locator(TILE).filter(has_text=name)


def tile_action(wall: Page, name: str, action: str) -> None:
    tile(wall, name).get_by_role("button", name=f"Actions for {name}").click()
    wall.get_by_role("menuitem", name=action).click()


def test_a_class_from_joining_to_a_restart(
    new_playground: Callable[[], Playground], spare_server: Server
) -> None:
    base = spare_server.url
    teacher = new_playground()
    teacher.open("dataset=gauss&noise=0", base=base)
    wall, code = start_class(teacher)
    expect(teacher.page.locator("[data-start-link]")).to_have_value(f"{base}/join/{code}")

    # one student types the code (any case, a dash) at /join
    typed = new_playground()
    typed.page.goto(f"{base}/join")
    dialog = typed.page.get_by_role("dialog", name="Join a class")
    dialog.get_by_label("Class code").fill(f"{code[:3].lower()}-{code[3:].lower()}")
    expect(dialog.get_by_label("Your nickname")).not_to_have_value("")  # the suggestion
    typed_name = dialog.get_by_label("Your nickname").input_value()
    dialog.get_by_role("button", name="Join").click()
    typed.wait_connected()
    expect(typed.page.locator("[data-room-who]")).to_have_text(
        f"Class {code} · you are {typed_name}"
    )

    # one follows the link and keeps the suggested name
    linked = new_playground()
    linked.page.goto(f"{base}/join/{code}")
    dialog = linked.page.get_by_role("dialog", name="Join a class")
    expect(dialog.get_by_label("Class code")).to_be_hidden()
    expect(dialog.get_by_label("Your nickname")).not_to_have_value("")
    linked_name = dialog.get_by_label("Your nickname").input_value()
    dialog.get_by_role("button", name="Join").click()
    linked.wait_connected()

    # one picks a name of their own; a refused one is explained under the field
    own = new_playground()
    own.page.goto(f"{base}/join/{code}")
    dialog = own.page.get_by_role("dialog", name="Join a class")
    dialog.get_by_label("Your nickname").fill("!!")
    dialog.get_by_role("button", name="Join").click()
    expect(dialog.locator("[data-join-nickname-error]")).to_be_visible()
    dialog.get_by_label("Your nickname").fill("Ada L")
    dialog.get_by_role("button", name="Join").click()
    own.wait_connected()
    expect(own.page.locator("[data-room-who]")).to_contain_text("you are Ada L")

    students = [typed, linked, own]
    expect(wall.locator(TILE)).to_have_count(3)
    for name in (typed_name, linked_name, "Ada L"):
        expect(tile(wall, name)).to_be_visible()
    expect(wall.locator("[data-wall-count]")).to_have_text("3 students")

    # push my setup: the teacher's learning rate reaches every student's page
    teacher.page.locator("#learning_rate").select_option("0.1")
    teacher.wait_config({"learning_rate": 0.1})
    wall.get_by_role("button", name="Push my setup").click()
    for student in students:
        expect(student.page.locator("#learning_rate")).to_have_value("0.1")

    # lock a control: hidden on the students' pages, and refused over REST
    wall.locator("[data-wall-locks] summary").click()
    wall.get_by_role("checkbox", name="Learning rate").check()
    for student in students:
        expect(student.page.locator('[data-control="learning_rate"]')).to_be_hidden()
    refused = httpx.patch(
        f"{typed.api}/sessions/{typed.session_id()}",
        json={"config": {"learning_rate": 0.3}},
        timeout=10,
    )
    assert refused.status_code == 403, refused.text
    expect(teacher.page.locator('[data-control="learning_rate"]')).to_be_visible()
    wall.locator("[data-wall-locks] summary").click()

    # spotlight a student: their network, live and read-only, until Take control
    tile_action(wall, linked_name, "Spotlight")
    overlay = wall.get_by_role("dialog", name=f"Spotlight: {linked_name}")
    expect(overlay).to_be_visible()
    frame = wall.frame_locator("[data-spotlight-frame]")
    expect(frame.locator("[data-follow-text]")).to_contain_text(f"watching {linked_name}")
    expect(frame.locator("body")).to_have_class(re.compile(r"\bfollowing\b"))
    expect(frame.get_by_role("status")).to_have_text("Connected")
    frame.get_by_role("button", name="Take control").click()
    expect(frame.locator("body")).not_to_have_class(re.compile(r"\bfollowing\b"))
    wall.get_by_role("button", name="Close the spotlight").click()
    expect(overlay).to_be_hidden()
    assert linked.session_id() == linked.wait_session(lambda s: s["room"] is not None)["id"]

    # a challenge: accuracy at least 0.9 on the separable Gaussian clouds
    wall.get_by_role("tab", name="Challenge").click()
    wall.locator("[data-challenge-metric]").select_option("test_accuracy")
    wall.locator("[data-challenge-target]").fill("0.9")
    wall.get_by_role("button", name="Start the challenge").click()
    expect(wall.locator("[data-board-goal]")).to_contain_text("test accuracy at least 90")
    expect(typed.page.locator("[data-room-goal]")).to_contain_text("test accuracy at least 90")
    typed.page.get_by_role("button", name="Play").click()
    leaders = wall.get_by_role("list", name="Leaderboard")
    expect(leaders.locator("[data-board-entry]").first).to_contain_text(typed_name, timeout=30_000)
    expect(typed.page.locator("[data-room-progress]")).to_contain_text("you are number 1")
    wall.get_by_role("button", name="End the challenge").click()
    expect(wall.get_by_role("list", name="Podium")).to_contain_text(typed_name)

    # remove a student: their page says so
    wall.get_by_role("tab", name="Students").click()
    tile_action(wall, "Ada L", "Remove")
    wall.get_by_role("dialog", name="Remove Ada L?").get_by_role("button", name="Remove").click()
    expect(own.page.locator("[data-gone]")).to_contain_text(
        f"You were removed from the class {code} by the teacher."
    )
    expect(wall.locator(TILE)).to_have_count(2)

    # a restart keeps the room: the wall comes back to the same students
    spare_server.stop()
    expect(wall.locator("[data-wall-connection]")).to_contain_text("retrying")
    spare_server.start()
    expect(wall.locator("[data-wall-connection]")).to_have_text("Live", timeout=30_000)
    expect(wall.locator(TILE)).to_have_count(2)
    for name in (typed_name, linked_name):
        expect(tile(wall, name)).to_be_visible()
    expect(tile(wall, typed_name).locator("[data-tile-epoch]")).not_to_have_text("epoch 0")
    typed.wait_connected(timeout=30_000)
    expect(typed.page.locator("[data-room-who]")).to_contain_text(typed_name)
    assert not [e for s in students for e in s.errors if e.startswith("page error")]
