"""The teacher's wall (#14) at projector and laptop sizes with many students, and the
notices a student's page shows (paused, "eyes on the teacher", the timer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import ARTIFACTS, Server

TILE = "[data-wall-tiles] [data-tile]"
SIZES = [(1024, 768), (1920, 1080)]


def make_room(base: str, students: int) -> dict[str, Any]:
    """A room with ``students`` members joined over REST, each training."""
    room = httpx.post(f"{base}/api/rooms", json={}, timeout=10).json()
    room["members"] = []
    for _ in range(students):
        joined = httpx.post(f"{base}/api/rooms/{room['code']}/join", json={}, timeout=10)
        joined.raise_for_status()
        member = joined.json()
        httpx.post(f"{base}/api/sessions/{member['session']['id']}/play", timeout=10)
        room["members"].append(member)
    return room


@pytest.fixture
def classes(server: Server) -> Iterator[list[dict[str, Any]]]:
    made: list[dict[str, Any]] = []
    yield made
    for room in made:  # closing a class ends its students' sessions
        httpx.delete(
            f"{server.url}/api/rooms/{room['code']}",
            headers={"X-Teacher-Key": room["key"]},
            timeout=10,
        )


def open_wall(browser: Browser, base: str, room: dict[str, Any], size: tuple[int, int]) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    kept = json.dumps({room["code"]: {"key": room["key"], "session": None}})
    context.add_init_script(f"localStorage.setItem('playground.rooms.teacher', {json.dumps(kept)})")
    page = context.new_page()
    page.goto(f"{base}/room/{room['code']}")
    return page


@pytest.mark.parametrize("students", [3, 60])
def test_the_wall_fits_and_draws_every_student(
    browser: Browser, server: Server, classes: list[dict[str, Any]], students: int
) -> None:
    room = make_room(server.url, students)
    classes.append(room)
    for size in SIZES:
        wall = open_wall(browser, server.url, room, size)
        expect(wall.locator(TILE)).to_have_count(students)
        expect(wall.locator("[data-wall-count]")).to_have_text(f"{students} students")
        # every tile has been drawn (a tile's stats change from "waiting…" on its first frame)
        expect(wall.locator("[data-tile-stats]", has_text="waiting")).to_have_count(0)
        # nothing wider than the window, and the code is readable from the back of the room
        assert wall.evaluate("document.documentElement.scrollWidth <= innerWidth")
        box = wall.locator("[data-wall-code]").bounding_box()
        assert box is not None and box["height"] >= 48
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wall.screenshot(path=ARTIFACTS / f"wall-{students}-{size[0]}x{size[1]}.png")
        wall.context.close()


def test_without_the_key_the_wall_says_so(browser: Browser, server: Server, classes: list) -> None:
    room = make_room(server.url, 0)
    classes.append(room)
    page = browser.new_page()
    page.goto(f"{server.url}/room/{room['code']}")
    expect(page.get_by_role("alert")).to_contain_text(
        f"This browser does not hold the teacher key of class {room['code']}"
    )
    page.close()


def test_a_student_sees_the_teachers_notices(
    browser: Browser, server: Server, classes: list[dict[str, Any]]
) -> None:
    room = make_room(server.url, 0)
    classes.append(room)
    code, key = room["code"], room["key"]
    student = browser.new_page()
    student.goto(f"{server.url}/join/{code}")
    student.get_by_role("button", name="Join").click()
    expect(student.locator("[data-room-who]")).to_contain_text(f"Class {code}")

    wall = open_wall(browser, server.url, room, (1280, 900))
    expect(wall.locator(TILE)).to_have_count(1)
    wall.get_by_role("button", name="Pause all").click()
    expect(student.get_by_text("The teacher paused the class")).to_be_visible()
    expect(wall.get_by_role("button", name="Resume all")).to_have_attribute("aria-pressed", "true")

    wall.get_by_role("button", name="Eyes on me").click()
    eyes = student.locator("[data-room-eyes]")
    expect(eyes).to_be_visible()
    expect(eyes).to_have_attribute("role", "alert")
    expect(eyes).to_contain_text("Eyes on the teacher")
    student.screenshot(path=ARTIFACTS / "student-eyes.png")
    wall.get_by_role("button", name="Release eyes").click()
    expect(eyes).to_be_hidden()

    wall.get_by_label("Timer").fill("2")
    wall.get_by_role("button", name="Start", exact=True).click()
    expect(student.get_by_role("timer")).to_contain_text("Time left 1:5")
    expect(wall.locator("[data-wall-countdown]")).to_contain_text("1:5")
    state = httpx.get(
        f"{server.url}/api/rooms/{code}/teacher", headers={"X-Teacher-Key": key}, timeout=10
    ).json()
    assert state["paused"] is True and state["timer_ends"] is not None
    student.screenshot(path=ARTIFACTS / "student-room-bar.png")
    wall.context.close()
    student.close()
