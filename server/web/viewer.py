"""A websocket viewer: the runtime's ``Outbox`` (runtime/outbox.py) on one connection.

JSON messages go out in order (a newer ``state`` replaces an unsent one); of frames, the
newest of each session followed replaces its unsent one. Which frames are due, and the
acks that release them, are the runtime's (a ``Follow`` per viewer and session); this
side only sends, and watches that the client still reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable, Coroutine, Hashable
from typing import Any

from fastapi import WebSocket

from server.runtime.outbox import Outbox

MAX_QUEUED = 100  # JSON messages waiting for a slow client; errors beyond it are dropped
WATCH_EVERY = 1.0  # seconds between checks that a viewer still reads
CLOSE_GRACE = 2.0  # seconds a timed-out client has to answer the close before it is dropped
CLOSE_TIMEOUT = 4408  # the client stopped reading: no ack, or a send blocked, too long
CLOSE_ENDED = 4410


class Viewer:
    """One connection's outbox. ``post`` and ``deliver`` are called from the worker
    thread; everything else runs on the connection's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float = 30.0) -> None:
        self.loop = loop
        self.timeout = timeout
        self.unacked_since: float | None = None  # loop time a frame went out unacked
        self.sending_since: float | None = None  # loop time the send under way began
        self.timed_out: str | None = None  # why the watchdog closed the connection
        self._frames: dict[str, bytes] = {}  # per session, the newest unsent frame
        self._messages: deque[dict[str, Any]] = deque()
        self._wakeup = asyncio.Event()

    @property
    def channel(self) -> Hashable:
        return self.loop

    # worker thread -> event loop
    def deliver(self, frames: list[tuple[Outbox, str, bytes]]) -> None:
        """Frames for viewers of this loop, with one wake-up of it (a pass over a
        thousand sessions hands out hundreds of frames)."""
        self._threadsafe(_put_frames, frames)

    def post(self, message: dict[str, Any]) -> None:
        self._threadsafe(self._put_message, message)

    def _threadsafe(self, fn: Callable[[Any], None], arg: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
            self.loop.call_soon_threadsafe(fn, arg)

    def _put_frame(self, session_id: str, frame: bytes) -> None:
        self._frames[session_id] = frame  # a newer frame replaces an unsent one
        self._wakeup.set()

    def _put_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "state":  # only the newest state matters
            self._messages = deque(m for m in self._messages if m["type"] != "state")
        elif len(self._messages) >= MAX_QUEUED:  # a client that sends but never reads
            return
        self._messages.append(message)
        self._wakeup.set()

    def ended(self, message: dict[str, Any]) -> str | None:
        """Why the connection ends after ``message``, if it does (a state "closed")."""
        if message["type"] == "state" and message["session"]["state"] == "closed":
            return f"the session was {message['session']['message'] or 'deleted or expired'}"
        return None

    def acked(self) -> None:
        """The runtime took an ack for a frame in flight: the client still reads."""
        self.unacked_since = None

    async def send_loop(self, websocket: WebSocket) -> None:
        """Send queued messages, then the newest frames, as they come."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._messages:
                message = self._messages.popleft()
                await self._send(websocket.send_text(json.dumps(message)))
                ended = self.ended(message)
                if ended:
                    await websocket.close(CLOSE_ENDED, ended)
                    return
            while self._frames:
                frame = self._frames.pop(next(iter(self._frames)))
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


async def stop_tasks(*tasks: asyncio.Task[Any]) -> None:
    """Cancel a connection's send loop and watchdog and wait for them to end."""
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _put_frames(frames: list[tuple[Outbox, str, bytes]]) -> None:
    for outbox, session_id, frame in frames:
        assert isinstance(outbox, Viewer)  # one channel: the viewers of one loop
        outbox._put_frame(session_id, frame)
