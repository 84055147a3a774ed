"""The teacher's wall: one websocket carrying small tiles of every student's session and
the room's events (docs/rooms.md). The same shape as ws.py: accept, authorise, attach,
loop on acks, detach in ``finally``."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import struct
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from server.errors import NotFound, PlaygroundError
from server.protocol.messages import error_message
from server.protocol.rooms import TEACHER_KEY_PATTERN, normal_code
from server.runtime.room import topic
from server.runtime.rooms import Rooms, tile_view
from server.storage.rooms import teacher_of
from server.web.security import refuse_foreign_origin
from server.web.viewer import Viewer, stop_tasks
from server.web.ws import CLOSE_TOO_MANY, CLOSE_UNKNOWN, _ack

log = logging.getLogger(__name__)
router = APIRouter()
CLOSE_KEY = 4401
CLOSE_BAD_HELLO = 4400  # a hello with an fps out of range
HELLO_TIMEOUT = 10.0  # seconds to send the hello
TILE_FPS = (0.5, 10.0)  # tiles per second per student: allowed range
DEFAULT_TILE_FPS = 3.0
TILE_PREFIX = struct.Struct("<II")  # member number, 0


class WallViewer(Viewer):
    """A viewer of many sessions: each frame goes out behind its member's number; the
    students' own state messages are not for the wall (their tiles carry the state)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        super().__init__(loop, timeout)
        self.numbers: dict[str, int] = {}  # session -> member number, from room messages
        self.closed = False

    def _put_message(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "state":
            return
        if kind == "room":
            self.numbers = {m["session"]: m["number"] for m in message["room"]["members"]}
        if kind in ("room", "board"):  # only the newest matters
            self._messages = type(self._messages)(m for m in self._messages if m["type"] != kind)
        super()._put_message(message)

    def ended(self, message: dict[str, Any]) -> str | None:
        return "the class was closed" if message["type"] == "closed" else None

    def _put_frame(self, session_id: str, frame: bytes) -> None:
        number = self.numbers.get(session_id, 0)  # 0: unknown (the page still acks it)
        super()._put_frame(session_id, TILE_PREFIX.pack(number, 0) + frame)


async def _hello(websocket: WebSocket) -> tuple[str, float] | tuple[str, int]:
    """(teacher, fps) from the first message, or (why not, the close code)."""
    try:
        text = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT)
        message = json.loads(text)
    except (TimeoutError, ValueError, KeyError):
        return 'the first message must be {"type": "hello", "key": "<teacher key>"}', CLOSE_KEY
    if not isinstance(message, dict) or message.get("type") != "hello":
        return 'the first message must be {"type": "hello", "key": "<teacher key>"}', CLOSE_KEY
    key, fps = message.get("key"), message.get("fps", DEFAULT_TILE_FPS)
    if not isinstance(key, str) or not re.fullmatch(TEACHER_KEY_PATTERN, key):
        return "key: must be the class's teacher key (32 to 128 of A-Z a-z 0-9 _ -)", CLOSE_KEY
    if (
        isinstance(fps, bool)
        or not isinstance(fps, int | float)
        or not (TILE_FPS[0] <= fps <= TILE_FPS[1])
    ):
        return f"fps: must be a number from {TILE_FPS[0]:g} to {TILE_FPS[1]:g}", CLOSE_BAD_HELLO
    return teacher_of(key), float(fps)


@router.websocket("/ws/rooms/{code}")
async def wall_stream(websocket: WebSocket, code: str) -> None:
    """Tiles of every student of a class, and its events, for the teacher's wall."""
    if await refuse_foreign_origin(websocket):
        return
    rooms: Rooms = websocket.app.state.rooms
    manager = rooms.manager
    await websocket.accept()
    client = websocket.client.host if websocket.client else ""
    if not manager.connects.allow(client):
        await websocket.close(CLOSE_TOO_MANY, "too many connections from this address")
        return
    normal = normal_code(code)
    hello = await _hello(websocket)
    if isinstance(hello[1], int):
        await websocket.close(hello[1], hello[0])
        return
    teacher, fps = hello
    viewer = WallViewer(asyncio.get_running_loop(), manager.settings.viewer_timeout)
    subscription = rooms.events.subscribe(topic(normal or code), viewer.post)
    try:
        if normal is None:
            raise NotFound(f"no class {code[:12]}", "code")
        await rooms.attach_wall(normal, teacher, viewer, tile_view(fps))
    except PlaygroundError as exc:
        subscription.close()
        await websocket.close(CLOSE_UNKNOWN if exc.status == 404 else CLOSE_KEY, exc.message)
        return
    handler = asyncio.current_task()
    assert handler is not None
    sender = asyncio.create_task(viewer.send_loop(websocket))
    watchdog = asyncio.create_task(viewer.watch(websocket, handler))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            seq = _ack(text) if text is not None else False
            if seq is not False:
                if manager.ack(viewer, seq):
                    viewer.acked()
            else:
                viewer.post(error_message("", 'the wall takes {"type": "ack", "seq": N} only'))
    except (WebSocketDisconnect, RuntimeError):
        pass
    except asyncio.CancelledError:
        if viewer.timed_out is None:
            raise
        log.info("closed a wall of %s: %s", normal, viewer.timed_out)
    finally:
        subscription.close()
        await stop_tasks(sender, watchdog)
        rooms.detach_wall(normal or code, viewer)
