"""REST routes that show a session: history, metrics, the boundary as numbers, as a
picture and as a Plotly figure. Pictures draw a few at a time (deps.PictureSlots)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.exceptions import RequestValidationError

from server.formats.images import boundary_png, figure_json, side_error
from server.formats.images_generative import generative_figure, generative_png
from server.protocol.rest import Boundary, GenerativeMetrics, GenerativeView, Metrics
from server.sessions import views
from server.web.deps import GridSize, Manager, PictureSlots
from server.web.openapi import CONFLICT, DeclaredRoute

router = APIRouter(prefix="/api/sessions", tags=["sessions"], route_class=DeclaredRoute)


@router.get("/{session_id}/history")
async def history(session_id: str, manager: Manager) -> dict[str, Any]:
    """Train and test loss by epoch (every epoch, thinned evenly past 4,096 points)."""
    return await manager.read(session_id, views.history)


@router.get("/{session_id}/generative", response_model=GenerativeView, responses=CONFLICT)
async def generative(
    session_id: str, manager: Manager, slots: PictureSlots, size: GridSize = 50
) -> Response:
    """A GAN's or an autoencoder's views now, in plane units ([-6, 6]²). A GAN: real and
    generated samples, the push on each generated point (−∂(G's loss)/∂x: where G's
    next step moves it), D's map (size×size probabilities of "real", rows from y = +6
    down), G's manifold (the noise grid through G: a curve for 1-D noise, a mesh for 2-D)
    and the KL / JS divergences over iterations (bits). An autoencoder: every point, its
    reconstruction and its code, and the decoded manifold over the codes' range."""
    async with slots:
        shown = await manager.read(session_id, views.generative, size)
        body = await asyncio.to_thread(json.dumps, shown, separators=(",", ":"))
    return Response(body, media_type="application/json")


@router.get("/{session_id}/metrics", response_model=Metrics | GenerativeMetrics)
async def metrics(session_id: str, manager: Manager) -> dict[str, Any]:
    """Train and test accuracy, per-class accuracy and confusion matrices (classification),
    or R² (regression), for the network as it is now."""
    return await manager.read(session_id, views.metrics)


@router.get("/{session_id}/boundary", response_model=Boundary)
async def boundary(
    session_id: str, manager: Manager, slots: PictureSlots, size: GridSize = 100
) -> Response:
    """The network's output over a size×size grid on [-6, 6]² (2p − 1 for a sigmoid
    output); with k > 2 classes the winning class and its probability. (At size 400 the
    reply is megabytes of JSON: it is written off the event loop, a few at a time.)"""
    async with slots:
        grid = await manager.read(session_id, views.boundary, size)
        body = await asyncio.to_thread(json.dumps, grid, separators=(",", ":"))
    return Response(body, media_type="application/json")


@router.get("/{session_id}/boundary.png", response_class=Response, responses=CONFLICT)
async def boundary_image(
    session_id: str,
    manager: Manager,
    slots: PictureSlots,
    size: GridSize = 100,
    scale: Annotated[int, Query(ge=1, le=8, description="pixels per grid point")] = 4,
    test: bool = False,
    discretize: bool = False,
) -> Response:
    """The output as a picture (TFP's colours), training points white-edged, test black;
    at most 1600 pixels a side (size × scale). A GAN: D's map with the real (blue) and
    generated (orange) points and G's manifold; an autoencoder: each point joined to its
    reconstruction, and the decoded manifold (100 × scale pixels a side)."""
    problem = side_error(size, scale)
    if problem:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "scale"), "msg": problem, "input": scale}]
        )
    async with slots:
        if await manager.read(session_id, views.kind) != "mlp":
            shown = await manager.read(session_id, views.generative, 100)
            image = await asyncio.to_thread(generative_png, shown, scale)
            return Response(image, media_type="image/png")
        grid, split = await manager.read(session_id, views.picture, size)
        # numpy work off the event loop, so the streams don't stall while a picture draws
        image = await asyncio.to_thread(boundary_png, grid, split, scale, test, discretize)
    return Response(image, media_type="image/png")


@router.get("/{session_id}/figure", responses=CONFLICT)
async def figure(session_id: str, manager: Manager, slots: PictureSlots) -> Response:
    """A Plotly figure (boundary, points, losses; a GAN's samples, D's map and JS over
    time; an autoencoder's reconstructions); load it with plotly.io.from_json."""
    async with slots:
        if await manager.read(session_id, views.kind) != "mlp":
            shown, hist = await manager.read(session_id, views.generative_figure)
            text = await asyncio.to_thread(generative_figure, shown, hist)
            return Response(text, media_type="application/json")
        grid, split, hist = await manager.read(session_id, views.figure)
        text = await asyncio.to_thread(figure_json, grid, split, hist)
    return Response(text, media_type="application/json")
