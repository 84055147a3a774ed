"""The websocket endpoint: one shape — accept, attach, loop receive → parse → dispatch,
error message on bad input, detach in ``finally``. Protocol: docs/protocol.md."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Coroutine
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
from server.protocol.ranges import explain
from server.runtime.manager import SessionManager
from server.web.security import refuse_foreign_origin

log = logging.getLogger(__name__)
router = APIRouter()
MESSAGES: TypeAdapter[Any] = TypeAdapter(ClientMessage)
CLOSE_UNKNOWN = 4404
CLOSE_TIMEOUT = 4408  # the client stopped reading: no ack, or a send blocked, too long
CLOSE_ENDED = 4410
CLOSE_TOO_MANY = 4429
CLOSE_TOO_BIG = 1009  # as uvicorn closes one over its ws_max_size: one code however started
MAX_QUEUED = 100  # JSON messages waiting for a slow client; errors beyond it are dropped
WATCH_EVERY = 1.0  # seconds between checks that a viewer still reads
CLOSE_GRACE = 2.0  # seconds a timed-out client has to answer the close before it is dropped


class Viewer:
    """One connection's outbox: JSON messages in order, and at most one pending frame.

    The worker thread hands it frames and state through ``offer_all`` and ``post``; a frame
    is only rendered for a viewer that is ``ready`` (acked its last frame)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, view: FrameView, timeout: float = 30.0
    ) -> None:
        self.loop = loop
        self.view = view
        self.timeout = timeout
        self.ready = True  # may take a frame (set by ack, cleared when one is rendered)
        self.version = -1  # session version of the last frame
        self.next_frame = 0.0  # monotonic time before which no frame is sent (fps cap)
        self.seq = 0
        self.unacked_since: float | None = None  # loop time a frame went out unacked
        self.sending_since: float | None = None  # loop time the send under way began
        self.timed_out: str | None = None  # why the watchdog closed the connection
        self._frame: bytes | None = None
        self._messages: deque[dict[str, Any]] = deque()
        self._wakeup = asyncio.Event()

    def set_view(self, view: FrameView) -> None:
        """On the worker thread: use ``view`` from the next frame on."""
        self.view = view
        self.version = -1
        self.next_frame = 0.0  # a slower view asked before must not hold back this one

    # worker thread -> event loop
    @staticmethod
    def offer_all(frames: list[tuple[Viewer, bytes]]) -> None:
        """Each viewer's newest frame, for viewers of one loop, with one wake-up of it (a
        pass over a thousand sessions hands out hundreds of frames)."""
        if frames:
            frames[0][0]._threadsafe(Viewer._put_frames, frames)

    @staticmethod
    def _put_frames(frames: list[tuple[Viewer, bytes]]) -> None:
        for viewer, frame in frames:
            viewer._put_frame(frame)

    def post(self, message: dict[str, Any]) -> None:
        self._threadsafe(self._put_message, message)

    def _threadsafe(self, fn: Any, arg: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
            self.loop.call_soon_threadsafe(fn, arg)

    def _put_frame(self, frame: bytes) -> None:
        self._frame = frame  # a newer frame replaces an unsent one
        self._wakeup.set()

    def _put_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "state":  # only the newest state matters
            self._messages = deque(m for m in self._messages if m["type"] != "state")
        elif len(self._messages) >= MAX_QUEUED:  # a client that sends but never reads
            return
        self._messages.append(message)
        self._wakeup.set()

    def acked(self, seq: int | None) -> bool:
        """On the event loop: the client drew frame ``seq`` (None: the last one sent)."""
        if seq is not None and seq != self.seq:
            return False  # an old frame's ack: the newest is still in flight
        self.unacked_since = None
        self.ready = True
        return True

    async def send_loop(self, websocket: WebSocket) -> None:
        """Send queued messages, then the newest frame, as they come."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._messages:
                message = self._messages.popleft()
                await self._send(websocket.send_text(json.dumps(message)))
                if message["type"] == "state" and message["session"]["state"] == "closed":
                    await websocket.close(CLOSE_ENDED, "the session was deleted or expired")
                    return
            if self._frame is not None:
                frame, self._frame = self._frame, None
                await self._send(websocket.send_bytes(frame))
                if self.unacked_since is None:
                    self.unacked_since = self.loop.time()

    async def _send(self, sending: Coroutine[Any, Any, None]) -> None:
        self.sending_since = self.loop.time()
        await sending
        self.sending_since = None

    async def watch(self, websocket: WebSocket, handler: asyncio.Task[Any]) -> None:
        """Close a client that stopped reading: a frame unacked, or a send blocked (its
        socket buffers full), for ``timeout`` seconds. 4408, then ``handler`` is
        cancelled, so its session pauses and expires as it would alone."""
        while True:
            await asyncio.sleep(min(WATCH_EVERY, self.timeout))
            now = self.loop.time()
            if self.unacked_since is not None and now - self.unacked_since > self.timeout:
                self.timed_out = f"no ack for {self.timeout:g} s"
            elif self.sending_since is not None and now - self.sending_since > self.timeout:
                self.timed_out = f"a send blocked for {self.timeout:g} s"
            else:
                continue
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(CLOSE_TIMEOUT, self.timed_out), 1.0)
            # a client that reads nothing never answers the close: stop waiting for it
            await asyncio.sleep(CLOSE_GRACE)
            handler.cancel()
            return


def _field(error: Any, message_type: str | None) -> str:
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return "type"
    loc = [str(part) for part in error["loc"]]
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
    viewer = Viewer(
        asyncio.get_running_loop(), FrameView(fps=settings.max_fps), settings.viewer_timeout
    )
    try:
        await manager.attach(session_id, viewer)  # posts the first state, in order
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
                if viewer.acked(seq):
                    manager.worker.wake()
            else:
                await _dispatch(manager, session_id, viewer, text)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client left, or we closed the socket because the session ended
    except asyncio.CancelledError:
        if viewer.timed_out is None:
            raise
        log.info("closed a viewer of %s: %s", session_id, viewer.timed_out)
    finally:
        for task in (sender, watchdog):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
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
            if viewer.acked(message.seq):
                manager.worker.wake()
        elif isinstance(message, View):
            view = FrameView(
                message.grid, message.maps, message.map_size, message.fps, message.render
            )
            manager.worker.submit(lambda: viewer.set_view(view))  # frame state is the worker's
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
