"""Classroom rooms in tests (docs/rooms.md): start a class, join it, the teacher's header,
polling a condition with a deadline, and reading a socket until it closes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from server.protocol.rooms import TEACHER_HEADER

T = TypeVar("T")
# an easy goal: a small network on well-separated clouds reaches full accuracy in ~40 epochs
GAUSS = {"dataset": "gauss", "hidden": [3], "learning_rate": 0.3, "seed": 5}


def start(client: TestClient, **body: Any) -> dict[str, Any]:
    """POST /api/rooms; the created room (code, key, links) with its teacher's headers."""
    r = client.post("/api/rooms", json=body)
    assert r.status_code == 201, r.text
    room: dict[str, Any] = r.json()
    room["auth"] = {TEACHER_HEADER: room["key"]}
    room["api"] = f"/api/rooms/{room['code']}"
    return room


def join(client: TestClient, code: str, **body: Any) -> dict[str, Any]:
    """A student joins: {code, nickname, number, session}; ``id`` is the session's id."""
    r = client.post(f"/api/rooms/{code}/join", json=body)
    assert r.status_code == 201, r.text
    joined: dict[str, Any] = r.json()
    joined["id"] = joined["session"]["id"]
    return joined


def field_of(r: Any) -> str:
    """The field a 422 names (its first error's location, less "body")."""
    assert r.status_code == 422, r.text
    return ".".join(str(p) for p in r.json()["detail"][0]["loc"][1:])


def teacher_view(client: TestClient, room: dict[str, Any]) -> dict[str, Any]:
    r = client.get(f"{room['api']}/teacher", headers=room["auth"])
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


def until(probe: Callable[[], T | None], what: str, seconds: float = 30.0) -> T:
    """Poll ``probe`` until it returns something truthy, within a deadline; the value.
    For what the server does in the background (challenge checks)."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.05)  # a poll interval, not a synchronisation


def close_of(ws: WebSocketTestSession, seen: list[Any] | None = None) -> tuple[int, str]:
    """Read (acking frames) until the server closes the socket: (code, reason). Every
    JSON message read on the way is appended to ``seen``."""
    while True:
        message = ws.receive()
        if message["type"] == "websocket.close":
            return message["code"], message.get("reason") or ""
        if message.get("bytes") is not None:
            ws.send_json({"type": "ack"})
        elif seen is not None and message.get("text") is not None:
            seen.append(json.loads(message["text"]))
