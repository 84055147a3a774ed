"""What every router shares: the manager, the caller's address, a disconnect watch, the
bound on pictures drawn at once, attachments."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from server.errors import Unauthorized
from server.runtime.manager import SessionManager

MAX_PICTURES = 4  # pictures (boundary.png, figure) drawn at once per app; the rest wait


def get_manager(request: Request) -> SessionManager:
    manager: SessionManager = request.app.state.manager
    return manager


Manager = Annotated[SessionManager, Depends(get_manager)]
GridSize = Annotated[int, Query(ge=10, le=400, description="points per side")]


def keyed(key: str | None, header: str, pattern: str, what: str, form: str) -> str:
    """``key`` from the ``header`` header, or 401 naming the header and its ``form``."""
    if key is None:
        raise Unauthorized(f"the {header} header is required ({what})")
    if not re.fullmatch(pattern, key):
        raise Unauthorized(f"the {header} header must be {form}")
    return key


def client_address(request: Request) -> str:
    """Who is asking, for per-client limits: the peer's address."""
    return request.client.host if request.client else ""


def disconnected(request: Request) -> Callable[[], Awaitable[None]]:
    """A coroutine function that returns once the client of ``request`` has gone (its
    body is read by then; the server's next message is the disconnect)."""

    async def wait() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    return wait


async def picture_slots(request: Request) -> asyncio.Semaphore:
    """The app's bound on pictures drawn at once, made on first use (async: on the loop,
    so two first requests cannot make two)."""
    state = request.app.state
    if not hasattr(state, "picture_slots"):
        state.picture_slots = asyncio.Semaphore(MAX_PICTURES)
    slots: asyncio.Semaphore = state.picture_slots
    return slots


PictureSlots = Annotated[asyncio.Semaphore, Depends(picture_slots)]


def attachment(body: str | bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)
