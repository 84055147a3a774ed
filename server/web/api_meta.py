"""REST routes about the server itself: health, the options catalogue, the datasets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from server.protocol.options import option_lists
from server.protocol.rest import Health
from server.web.deps import Manager
from server.web.openapi import DeclaredRoute

router = APIRouter(prefix="/api", route_class=DeclaredRoute)


@router.get("/health", response_model=Health, tags=["server"])
async def health(manager: Manager) -> dict[str, Any]:
    """Liveness and load: sessions, live ones, REST requests in progress and viewers, the
    compiled CPU kernel's state, and whether storage is writing. Answered without waiting
    for the worker, so it stays fast under any load."""
    keeper = manager.keeper
    storage = "off" if keeper is None else "ok"
    if keeper is not None and keeper.writer.failure:
        storage = f"failing: {keeper.writer.failure}"
    return {
        "status": "stopping" if manager.stopping else "ok",
        **manager.counts(),
        "device": str(manager.worker.device),
        "dtype": manager.settings.dtype,
        "kernel": manager.worker.kernel_status(),
        "storage": storage,
    }


@router.get("/options", tags=["server"])
async def options(manager: Manager) -> dict[str, Any]:
    """Every choice and limit a client needs to build its controls."""
    return option_lists(manager.settings)


@router.get("/datasets", tags=["server"])
async def list_datasets(request: Request) -> list[dict[str, Any]]:
    """Every dataset with its class range and 200 preview points [x, y, label] (noise 0,
    seed 0) for thumbnails; k-class datasets preview 3 classes (labels 0, 1, 2)."""
    previews: list[dict[str, Any]] = request.app.state.previews
    return previews
