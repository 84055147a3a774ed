"""The HTML pages: the playground UI and a shared experiment's read-only page, rendered
from the options catalogue (no build step)."""

from __future__ import annotations

import contextlib
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from server.config import Settings
from server.errors import PlaygroundError
from server.protocol.options import page_options
from server.protocol.rooms import normal_code
from server.protocol.stored import TOKEN_PATTERN
from server.web.paths import TEMPLATES

router = APIRouter()
# A path that cannot be a share token gets the page's "this link doesn't work" at once.
SHARE_TOKEN = re.compile(TOKEN_PATTERN)
templates = Jinja2Templates(directory=TEMPLATES)


def plain_number(value: float) -> str:
    """0.00001 rather than 1e-05, 1 rather than 1.0: how the controls show rates."""
    return f"{value:.10f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def short_number(value: float) -> str:
    """1e-8 rather than 1e-08, 0.999 as it is: how the optimizer settings show."""
    return f"{value:g}".replace("e-0", "e-")


templates.env.filters["plain_number"] = plain_number
templates.env.filters["short_number"] = short_number


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    """The playground."""
    settings: Settings = request.app.state.settings
    return templates.TemplateResponse(request, "index.html", {"options": page_options(settings)})


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
async def shared(request: Request, token: str) -> HTMLResponse:
    """A shared experiment, read-only; the page's script fetches /api/shares/{token}."""
    settings: Settings = request.app.state.settings
    found = SHARE_TOKEN.fullmatch(token) is not None
    if found:  # an unknown or revoked token is a 404 too (the page says the link is gone)
        with contextlib.suppress(PlaygroundError):
            found = await request.app.state.library.is_shared(token)
    return templates.TemplateResponse(
        request,
        "shared.html",
        {"options": page_options(settings), "token": token if found else None},
        status_code=200 if found else 404,
    )


@router.get("/join", response_class=HTMLResponse, include_in_schema=False)
@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
async def join(request: Request, code: str = "") -> HTMLResponse:
    """The playground with the "Join a class" dialog (the code filled in from the link)."""
    settings: Settings = request.app.state.settings
    context = {"options": page_options(settings), "join_code": normal_code(code) or ""}
    return templates.TemplateResponse(request, "index.html", context)


@router.get("/room/{code}", response_class=HTMLResponse, include_in_schema=False)
async def room(request: Request, code: str) -> HTMLResponse:
    """A class's teacher wall; the page's script holds the key and opens /ws/rooms/{code}."""
    settings: Settings = request.app.state.settings
    normal = normal_code(code)
    context = {"options": page_options(settings), "code": normal}
    return templates.TemplateResponse(
        request, "room.html", context, status_code=200 if normal else 404
    )


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico where a page names no icon (a JSON answer opened in a
    tab): the app's icon, not a 404."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
