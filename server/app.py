"""create_app(settings): wiring only."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypedDict

import fastapi_offline
import plotly
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from server import __version__
from server.config import Settings
from server.errors import InvalidInput, PlaygroundError
from server.protocol import options
from server.protocol.ranges import explain
from server.runtime.library import Library
from server.runtime.manager import SessionManager
from server.runtime.rooms import Rooms
from server.web import (
    api_data,
    api_experiments,
    api_export,
    api_meta,
    api_rooms,
    api_sessions,
    api_views,
    pages,
    share,
    wall,
    ws,
)
from server.web.assets import AssetCache, CompressedStatic
from server.web.compression import Compress
from server.web.limits import BodyLimit
from server.web.paths import STATIC
from server.web.security import SecurityHeaders, parse_origins, with_nonce

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
MAX_BODY = 4_000_000  # bytes: 10,000 points as JSON are ~0.5 MB  # swagger-ui 5 (OpenAPI 3.1)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()  # `uvicorn server.app:create_app --factory` too
    settings.validate()  # out of range (max_fps 0, ...) stops the start, however started

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.manager.start()
        rooms: Rooms = app.state.rooms
        rooms.start()  # after the sessions: it links them to their rooms
        saving = asyncio.create_task(rooms.run())
        try:
            yield
        finally:
            saving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await saving
            rooms.stop()
            app.state.manager.stop()

    app = FastAPI(
        title="Neural Playground",
        version=__version__,
        description="TensorFlow Playground's training, live on a server: REST and websocket API.",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: FastAPI's default page uses a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.manager = SessionManager(settings)  # opens storage: StorageFailed says why not
    app.state.library = Library(app.state.manager)
    app.state.rooms = Rooms(app.state.manager, app.state.library)
    app.state.previews = options.previews()
    app.include_router(api_meta.router)
    # before api_sessions: its POST /{id}/{action} would match …/import and …/points
    for resource in (api_data, api_views, api_export):
        app.include_router(resource.router)
    app.include_router(api_experiments.copies)  # …/last-copy, before POST /{id}/{action}
    app.include_router(api_sessions.sessions)
    app.include_router(api_experiments.experiments)
    app.include_router(api_experiments.shares)
    app.include_router(api_rooms.router)
    app.include_router(share.router)
    app.include_router(ws.router)
    app.include_router(wall.router)
    app.include_router(pages.router)
    assets = AssetCache()  # static files compressed once, revalidated with 304s
    app.mount("/static", CompressedStatic(directory=STATIC, cache=assets), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_js(request: Request) -> Response:
        return assets.response(PLOTLY_JS, request.scope)

    app.mount(
        "/vendor/swagger", CompressedStatic(directory=SWAGGER_UI, cache=assets), name="swagger"
    )

    app.add_middleware(BodyLimit, limit=MAX_BODY)  # JSON bodies are parsed whole
    app.add_middleware(Compress)  # br/gzip; /api/ answers no-store; websockets untouched
    allowed = parse_origins(settings.allowed_origins)  # a bad entry stops the start
    app.add_middleware(SecurityHeaders, allowed=allowed)  # outermost: 413s get headers too

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Neural Playground API",
            swagger_js_url="/vendor/swagger/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        return with_nonce(page, request)  # its inline script runs under the CSP

    @app.exception_handler(PlaygroundError)
    async def playground_error(request: Request, exc: PlaygroundError) -> JSONResponse:
        if isinstance(exc, InvalidInput):
            loc = ["body", *exc.field.split(".")] if exc.field else ["body"]
            detail: object = [{"type": "value_error", "loc": loc, "msg": exc.message}]
        else:
            detail = exc.message
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return JSONResponse({"detail": detail}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"type": e["type"], "loc": list(e["loc"]), "msg": explain(e)} for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    return app


class UvicornOptions(TypedDict):
    ws_per_message_deflate: bool
    ws_max_size: int
    ws_ping_interval: float
    ws_ping_timeout: float


def uvicorn_options(settings: Settings) -> UvicornOptions:
    """The websocket edge's limits, for whoever starts uvicorn with this app (cli.py, the
    benchmarks, tests that run a real server)."""
    return {
        "ws_per_message_deflate": False,  # measured: deflate capped the server at ~1,150 frames/s
        "ws_max_size": settings.ws_max_size,  # control messages are tiny; refuse big ones
        "ws_ping_interval": settings.ws_ping_interval,  # a vanished client is found and dropped
        "ws_ping_timeout": settings.ws_ping_timeout,
    }
