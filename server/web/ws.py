"""The websocket endpoint: one shape — accept, attach, loop receive → parse → dispatch,
error message on bad input, detach in ``finally``. Protocol: docs/protocol.md."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from server.errors import NotFound, PlaygroundError
from server.protocol.frames import View as FrameView
from server.protocol.messages import (
    Ack,
    AddPoint,
    ClearPoints,
    ClientMessage,
    RemovePoint,
    SetConfig,
    SetSpeed,
    SetWeight,
    View,
    error_message,
)
from server.protocol.ranges import explain, is_field
from server.runtime.manager import SessionManager
from server.web.security import refuse_foreign_origin
from server.web.viewer import CLOSE_ENDED, Viewer, stop_tasks

log = logging.getLogger(__name__)
router = APIRouter()
MESSAGES: TypeAdapter[Any] = TypeAdapter(ClientMessage)
CLOSE_UNKNOWN = 4404
CLOSE_TOO_MANY = 4429
CLOSE_TOO_BIG = 1009  # as uvicorn closes one over its ws_max_size: one code however started


def _field(error: Any, message_type: str | None) -> str:
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return "type"
    loc = [str(part) for part in error["loc"] if isinstance(part, int) or is_field(part)]
    if loc and loc[0] == message_type:
        loc = loc[1:]
    return ".".join(loc)


@router.websocket("/ws/sessions/{session_id}")
async def session_stream(websocket: WebSocket, session_id: str) -> None:
    """Live frames and control of one session (see docs/protocol.md)."""
    if await refuse_foreign_origin(websocket):  # another site's page: refused before accept
        return
    manager: SessionManager = websocket.app.state.manager
    settings = manager.settings
    await websocket.accept()
    client = websocket.client.host if websocket.client else ""
    if not manager.connects.allow(client):
        await websocket.close(
            CLOSE_TOO_MANY,
            f"too many connections from this address (connect_rate {settings.connect_rate:g} "
            "a minute); try again shortly",
        )
        return
    viewer = Viewer(asyncio.get_running_loop(), settings.viewer_timeout)
    try:  # posts the first state, in order
        await manager.attach(session_id, viewer, FrameView(fps=settings.max_fps))
    except NotFound as exc:
        ended = manager.ended.get(session_id)
        if ended is not None:
            await websocket.close(CLOSE_ENDED, f"the session was {ended}")
        else:
            await websocket.close(CLOSE_UNKNOWN, _short(exc.message))
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
            if _too_big(message, settings.ws_max_size):  # the app's own cap: see _too_big
                await websocket.close(
                    CLOSE_TOO_BIG, f"a message over ws_max_size ({settings.ws_max_size} bytes)"
                )
                break
            text = message.get("text")
            if text is None:
                viewer.post(error_message("", "messages must be JSON text, not binary"))
            elif (seq := _ack(text)) is not False:  # most messages: skip the union's parse
                if manager.ack(viewer, seq):
                    viewer.acked()
            else:
                await _dispatch(manager, session_id, viewer, text)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client left, or we closed the socket because the session ended
    except asyncio.CancelledError:
        if viewer.timed_out is None:
            raise
        log.info("closed a viewer of %s: %s", session_id, viewer.timed_out)
    finally:
        await stop_tasks(sender, watchdog)
        manager.detach(session_id, viewer)


def _ack(text: str) -> int | Literal[False] | None:
    """An ack's seq (None if it has none), or False if ``text`` is not a plain ack."""
    if not text.startswith('{"type":"ack"') and not text.startswith('{"type": "ack"'):
        return False
    try:
        message = json.loads(text)
    except ValueError:
        return False
    seq = message.get("seq")
    if message.keys() - {"type", "seq"} or not (seq is None or type(seq) is int):
        return False  # let the full parse explain what is wrong
    return seq if seq is None or 0 <= seq < 2**32 else False


def _too_big(message: Any, limit: int) -> bool:
    """Whether a received message is over ``limit`` bytes (UTF-8 for text). uvicorn
    refuses those itself when cli.py starts it; a server started another way (uvicorn by
    hand, an in-process test client) does not, so the endpoint checks too."""
    text = message.get("text")
    if text is None:
        return len(message.get("bytes") or b"") > limit
    # a character is 1 to 4 bytes: encode only when the count alone cannot tell
    return len(text) > limit or (4 * len(text) > limit and len(text.encode()) > limit)


def _short(text: str) -> str:
    """A close reason fits 123 bytes (an id of any length is echoed cut short)."""
    data = text.encode()
    return text if len(data) <= 120 else data[:117].decode(errors="ignore") + "..."


async def _dispatch(manager: SessionManager, session_id: str, viewer: Viewer, text: str) -> None:
    try:
        message = MESSAGES.validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        kind = None
        with contextlib.suppress(Exception):
            kind = json.loads(text).get("type")
        field = "" if error["type"] == "json_invalid" else _field(error, kind)
        viewer.post(error_message(field, explain(error)))
        return
    try:
        if isinstance(message, Ack):
            if manager.ack(viewer, message.seq):
                viewer.acked()
        elif isinstance(message, View):
            view = FrameView(
                message.grid, message.maps, message.map_size, message.fps, message.render
            )
            manager.set_view(viewer, view)
        elif isinstance(message, SetConfig):
            await manager.configure(session_id, message.config)
        elif isinstance(message, SetWeight):
            await manager.set_param(session_id, message)
        elif isinstance(message, SetSpeed):
            await manager.set_speed(session_id, message.speed)
        elif isinstance(message, AddPoint):
            await manager.add_point(session_id, message)
        elif isinstance(message, RemovePoint):
            await manager.remove_point(session_id, message.x, message.y)
        elif isinstance(message, ClearPoints):
            await manager.clear_points(session_id)
        else:
            await manager.act(session_id, message.type)
    except PlaygroundError as exc:
        viewer.post(error_message(exc.field, exc.message))
    except Exception:  # a bug must cost one message, not the connection
        log.exception("websocket message %r failed", text[:200])
        viewer.post(error_message("", "the server could not handle that message"))
