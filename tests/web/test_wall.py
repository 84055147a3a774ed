"""The teacher's wall (server/web/wall.py, docs/rooms.md): one websocket, the teacher key
in its first message, the room's events as JSON and every student's tile as a frame
behind their member number, one in flight per member until acked."""

from __future__ import annotations

import json
import struct
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from server.protocol.frames import HEADER
from tests.helpers.api import api
from tests.helpers.rooms import close_of, join, start
from tests.helpers.ws import parse_frame

XOR = {"dataset": "xor", "hidden": [3], "seed": 2}
PREFIX = struct.Struct("<II")


def wall(client: TestClient, room: dict[str, Any], fps: float = 10) -> WebSocketTestSession:
    ws = client.websocket_connect(f"/ws/rooms/{room['code']}")
    ws.__enter__()
    ws.send_json({"type": "hello", "key": room["key"], "fps": fps})
    return ws


def read(ws: WebSocketTestSession) -> tuple[str, Any]:
    """("json", message) or ("tile", (number, seq, frame, raw header))."""
    message = ws.receive()
    assert message["type"] != "websocket.close", message
    if message.get("bytes") is None:
        return "json", json.loads(message["text"])
    data: bytes = message["bytes"]
    number, zero = PREFIX.unpack_from(data)
    assert zero == 0
    frame = parse_frame(data[PREFIX.size :])
    return "tile", (number, frame["seq"], frame, HEADER.unpack_from(data, PREFIX.size))


def ack(ws: WebSocketTestSession, seq: int) -> None:
    ws.send_json({"type": "ack", "seq": seq})


@pytest.mark.parametrize(
    "hello",
    [
        {"type": "ack", "seq": 1},
        {"type": "hello"},
        {"type": "hello", "key": "short"},
        {"type": "hello", "key": "x" * 43},  # well formed, not this class's
        {"type": "hello", "key": None, "fps": 3},
    ],
)
def test_a_wall_without_the_key_closes_4401(client: TestClient, hello: dict[str, Any]) -> None:
    room = start(client)
    with client.websocket_connect(f"/ws/rooms/{room['code']}") as ws:
        ws.send_json(hello)
        code, reason = close_of(ws)
    assert code == 4401 and reason


def test_another_rooms_key_closes_4401_and_a_bad_fps_is_named(client: TestClient) -> None:
    room, other = start(client), start(client)
    with client.websocket_connect(f"/ws/rooms/{room['code']}") as ws:
        ws.send_json({"type": "hello", "key": other["key"]})
        assert close_of(ws)[0] == 4401
    with client.websocket_connect(f"/ws/rooms/{room['code']}") as ws:
        ws.send_json({"type": "hello", "key": room["key"], "fps": 50})
        code, reason = close_of(ws)
        assert code >= 4400 and "fps" in reason and "10" in reason
    with client.websocket_connect(f"/ws/rooms/{room['code']}") as ws:
        ws.send_text("not json")
        assert close_of(ws)[0] == 4401


@pytest.mark.parametrize("code", ["ACEFGH", "zz"])
def test_an_unknown_room_closes_4404(client: TestClient, code: str) -> None:
    room = start(client)
    with client.websocket_connect(f"/ws/rooms/{code}") as ws:
        ws.send_json({"type": "hello", "key": room["key"]})
        assert close_of(ws)[0] == 4404


def test_tiles_carry_the_member_number_and_a_small_frame(client: TestClient) -> None:
    room = start(client, config=XOR)
    for _ in range(2):
        join(client, room["code"])
    ws = wall(client, room)
    try:
        kind, first = read(ws)
        assert kind == "json" and first["type"] == "room"
        assert [m["number"] for m in first["room"]["members"]] == [1, 2]
        assert read(ws)[1]["type"] == "board"
        tiles = {}
        while len(tiles) < 2:
            kind, body = read(ws)
            if kind == "tile":
                number, seq, frame, header = body
                tiles[number] = frame
                ack(ws, seq)
        for frame in tiles.values():
            assert frame["grid_size"] == 20 and frame["sizes"] == [2, 3, 1]
            assert len(frame["grid"]) == 400 and frame["epoch"] == 0
        assert header[0] == frame["version"] == 2
    finally:
        ws.__exit__(None, None, None)


def test_one_tile_per_member_in_flight_until_acked(client: TestClient) -> None:
    room = start(client, config=XOR)
    ids = [join(client, room["code"])["id"] for _ in range(2)]
    for sid in ids:
        assert client.post(api(sid, "/play")).json()["state"] == "running"
    ws = wall(client, room)
    tiles: Counter[int] = Counter()
    kinds = set()
    try:
        while tiles[1] < 12:  # member 1's tiles acked, member 2's never
            kind, body = read(ws)
            if kind == "json":
                kinds.add(body["type"])
                continue
            number, seq, _, _ = body
            tiles[number] += 1
            if number == 1:
                ack(ws, seq)
        assert tiles[2] == 1  # had all that time for a second one
        assert kinds <= {"room", "board"}  # the students' states are not the wall's
    finally:
        ws.__exit__(None, None, None)
    for sid in ids:
        client.post(api(sid, "/pause"))


def test_a_student_joining_an_open_wall_is_named_then_tiled(client: TestClient) -> None:
    room = start(client, config=XOR)
    join(client, room["code"])
    ws = wall(client, room)
    try:
        named: set[int] = set()
        while True:
            kind, body = read(ws)
            if kind == "json" and body["type"] == "room":
                named = {m["number"] for m in body["room"]["members"]}
                if named == {1}:
                    break
        newcomer = join(client, room["code"], nickname="Late")
        while True:
            kind, body = read(ws)
            if kind == "json" and body["type"] == "room":
                named = {m["number"] for m in body["room"]["members"]}
            elif kind == "tile":
                number, seq, _, _ = body
                assert number in named, "a tile before its member was named"
                ack(ws, seq)
                if number == newcomer["number"]:
                    break
        assert named == {1, 2}
    finally:
        ws.__exit__(None, None, None)


def test_closing_the_class_tells_the_wall_then_closes_4410(client: TestClient) -> None:
    room = start(client, config=XOR)
    join(client, room["code"])
    ws = wall(client, room)
    try:
        assert read(ws)[1]["type"] == "room"
        assert client.delete(room["api"], headers=room["auth"]).status_code == 204
        seen: list[Any] = []
        code, reason = close_of(ws, seen)
        assert seen[-1] == {"type": "closed"} and code == 4410 and "closed" in reason
    finally:
        ws.__exit__(None, None, None)


def test_the_wall_sees_room_changes_and_refuses_other_messages(client: TestClient) -> None:
    room = start(client, config=XOR)
    ws = wall(client, room)
    try:
        client.patch(room["api"], json={"eyes": True}, headers=room["auth"])
        while True:
            kind, body = read(ws)
            if kind == "json" and body["type"] == "room" and body["room"]["eyes"]:
                break
        ws.send_json({"type": "play"})
        while True:
            kind, body = read(ws)
            if kind == "json" and body["type"] == "error":
                assert "ack" in body["message"]
                break
    finally:
        ws.__exit__(None, None, None)
