"""REST routes under /api. Thin: validate, call the SessionManager, translate errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from server.config import Settings
from server.engine.data import datasets
from server.engine.features import FEATURES, LABELS
from server.engine.network import ACTIVATIONS
from server.engine.objectives import LOSSES
from server.engine.optimizers import OPTIMIZERS
from server.engine.render import render
from server.engine.training import REGULARIZATIONS
from server.errors import Conflict
from server.formats.images import boundary_png, figure_json, side_error
from server.protocol.rest import (
    DEFAULT_SPEED,
    LEARNING_RATES,
    REGULARIZATION_RATES,
    SPEEDS,
    Boundary,
    Config,
    CreateSession,
    Data,
    Health,
    Metrics,
    Params,
    PatchSession,
    SessionState,
    SetParam,
    TrainRequest,
    TrainResult,
)
from server.runtime.manager import SessionManager
from server.sessions.session import Session
from server.web.openapi import CONFLICT, TOO_MANY, DeclaredRoute


def client_address(request: Request) -> str:
    """Who is asking, for per-client limits: the peer's address."""
    return request.client.host if request.client else ""


def _disconnect(request: Request) -> Callable[[], Awaitable[None]]:
    """A coroutine function that returns once the client of ``request`` has gone (its
    body is read by then; the server's next message is the disconnect)."""

    async def wait() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    return wait


def get_manager(request: Request) -> SessionManager:
    manager: SessionManager = request.app.state.manager
    return manager


Manager = Annotated[SessionManager, Depends(get_manager)]
GridSize = Annotated[int, Query(ge=10, le=400, description="points per side")]

router = APIRouter(prefix="/api", route_class=DeclaredRoute)
sessions = APIRouter(prefix="/api/sessions", tags=["sessions"], route_class=DeclaredRoute)


@router.get("/health", response_model=Health, tags=["server"])
async def health(manager: Manager) -> dict[str, Any]:
    """Liveness and load: sessions, live ones, REST requests in progress and viewers.
    Answered without waiting for the worker, so it stays fast under any load."""
    return {
        "status": "stopping" if manager.stopping else "ok",
        **manager.counts(),
        "device": str(manager.worker.device),
        "dtype": manager.settings.dtype,
    }


@router.get("/options", tags=["server"])
async def options(manager: Manager) -> dict[str, Any]:
    """Every choice and limit a client needs to build its controls."""
    return option_lists(manager.settings)


def option_lists(s: Settings) -> dict[str, Any]:
    """The choices and limits behind /api/options (the page embeds them too)."""
    return {
        "problems": list(datasets.PROBLEMS),
        "datasets": [
            {"name": n, "problem": d.problem, "title": d.title, "classes": list(d.classes)}
            for n, d in datasets.DATASETS.items()
        ],
        "features": [{"name": n, "label": LABELS[n]} for n in FEATURES],
        "activations": list(ACTIVATIONS),
        "regularizations": list(REGULARIZATIONS),
        "losses": list(LOSSES),
        "optimizers": list(OPTIMIZERS),
        "learning_rates": LEARNING_RATES,
        "regularization_rates": REGULARIZATION_RATES,
        "speeds": SPEEDS,
        "default_speed": DEFAULT_SPEED,
        "limits": {
            "max_layers": s.max_layers,
            "max_neurons": s.max_neurons,
            "batch_size": [1, 30],
            "noise": [0, 50],
            "train_ratio": [10, 90],
            "learning_rate": [0, 10],
            "regularization_rate": [0, 10],
            "classes": [2, datasets.MAX_CLASSES],
            "momentum": [0, 0.999],
            "beta1": [0, 0.999],
            "beta2": [0, 0.99999],
            "epsilon": [0, 1],
            "max_train_epochs": s.max_train_epochs,
            "max_points": s.max_points,
            "max_sessions": s.max_sessions,
        },
        "defaults": Config().model_dump(),
    }


@router.get("/datasets", tags=["server"])
async def list_datasets(request: Request) -> list[dict[str, Any]]:
    """Every dataset with its class range and 200 preview points [x, y, label] (noise 0,
    seed 0) for thumbnails; k-class datasets preview 3 classes (labels 0, 1, 2)."""
    previews: list[dict[str, Any]] = request.app.state.previews
    return previews


PREVIEW_CLASSES = 3  # k-class datasets show this many classes in their thumbnail


def previews() -> list[dict[str, Any]]:
    out = []
    for name, spec in datasets.DATASETS.items():
        low, high = spec.classes
        classes = PREVIEW_CLASSES if high >= PREVIEW_CLASSES else low
        split = datasets.generate(name, 0, 50, 0, classes)
        points = np.concatenate([split.train_x, split.test_x])[:200]
        labels = np.concatenate([split.train_y, split.test_y])[:200]
        out.append(
            {
                "name": name,
                "problem": spec.problem,
                "title": spec.title,
                "classes": [low, high],
                "preview_classes": classes,
                "preview": np.round(np.column_stack([points, labels]), 4).tolist(),
            }
        )
    return out


@sessions.post("", status_code=201, response_model=SessionState, responses=TOO_MANY)
async def create_session(body: CreateSession, request: Request, manager: Manager) -> dict[str, Any]:
    """Create a session (data generated, network initialised, epoch 0). One address may
    hold max_sessions_per_client sessions and create create_rate of them a minute (429)."""
    return await manager.create(body.config, client_address(request))


@sessions.get("/{session_id}", response_model=SessionState)
async def get_session(session_id: str, manager: Manager) -> dict[str, Any]:
    """The session's config, state, epoch and losses."""
    return await manager.get(session_id)


@sessions.patch("/{session_id}", response_model=SessionState)
async def patch_session(session_id: str, body: PatchSession, manager: Manager) -> dict[str, Any]:
    """Change part of the config. learning_rate, regularization_rate, batch_size, the
    optimizer and its settings, and same_init keep the weights; any other change rebuilds
    the network (epoch 0), as TFP does. A new dataset keeps the class count if it can.
    The loss follows the data unless the patch names one: mse for regression and TFP's
    two-class datasets, cross_entropy for more than two classes (a loss that differs from
    what the data calls for was chosen, and stays while the data allows it). Under a TFP
    seed string, new data without a seed draws TFP's next seed (see the config's seed)."""
    return await manager.configure(session_id, body.config)


@sessions.delete("/{session_id}", status_code=204)
async def delete_session(session_id: str, manager: Manager) -> Response:
    """End the session; its viewers are told and disconnected."""
    await manager.delete(session_id)
    return Response(status_code=204)


@sessions.post("/{session_id}/train", response_model=TrainResult, responses=CONFLICT)
async def train(
    session_id: str, body: TrainRequest, request: Request, manager: Manager
) -> dict[str, Any]:
    """Train N epochs and return each one's losses. Runs in turns beside live sessions;
    stops early if the loss diverges (state "diverged"), and with `cut_short` saying why if
    the session was rebuilt or deleted meanwhile or the server is shutting down. A request
    whose estimated training time passes max_train_seconds is refused (422, with the
    estimate). If the client disconnects, training stops within a turn."""
    return await manager.train(session_id, body.epochs, _disconnect(request))


@sessions.post("/{session_id}/{action}", response_model=SessionState, responses=CONFLICT)
async def act(
    session_id: str,
    action: Literal["reset", "regenerate", "play", "pause", "step"],
    manager: Manager,
) -> dict[str, Any]:
    """reset: new initial weights from the seed's stream, same data. regenerate: new seed
    and points, weights kept. play / pause: live training. step: exactly one epoch."""
    return await manager.act(session_id, action)


@sessions.get("/{session_id}/params", response_model=Params)
async def get_params(session_id: str, manager: Manager) -> dict[str, Any]:
    """All weights ([out][in]) and biases, hidden layers then output, and dead links."""
    return await manager.params(session_id)


@sessions.put("/{session_id}/params", response_model=Params)
async def put_params(session_id: str, body: Params, manager: Manager) -> dict[str, Any]:
    """Replace every weight and bias; shapes must match the network."""
    layers = [(layer.weight, layer.bias) for layer in body.layers]
    return await manager.set_params(session_id, layers)


@sessions.patch("/{session_id}/params", response_model=Params)
async def patch_params(session_id: str, body: SetParam, manager: Manager) -> dict[str, Any]:
    """Set one weight (layer, neuron, input) or one bias (layer, neuron)."""
    return await manager.set_param(session_id, body)


@sessions.get("/{session_id}/data", response_model=Data)
async def get_data(session_id: str, manager: Manager) -> dict[str, Any]:
    """The points as [x1, x2, label], training and test, in training order."""
    return await manager.data(session_id)


@sessions.put("/{session_id}/data", response_model=SessionState)
async def put_data(session_id: str, body: Data, manager: Manager) -> dict[str, Any]:
    """Use your own points, in the given order; rebuilds the network (set params after)."""
    return await manager.set_data(session_id, body)


@sessions.get("/{session_id}/history")
async def history(session_id: str, manager: Manager) -> dict[str, Any]:
    """Train and test loss by epoch (every epoch, thinned evenly past 4,096 points)."""
    return await manager.history(session_id)


@sessions.get("/{session_id}/metrics", response_model=Metrics)
async def metrics(session_id: str, manager: Manager) -> dict[str, Any]:
    """Train and test accuracy, per-class accuracy and confusion matrices (classification),
    or R² (regression), for the network as it is now."""
    return await manager.run(session_id, Session.metrics)


def _grid(session: Session, size: int) -> np.ndarray:
    """(G, G) the shown output in [-1, 1] (a single output only)."""
    if session.model.net.sizes[-1] > 1:
        raise Conflict(
            "pictures show one output; this session has "
            f"{session.model.net.sizes[-1]} classes: use GET …/boundary",
            "classes",
        )
    net = session.model.net
    return render(net, session.model.features, size, 5).output.cpu().numpy()


def _boundary(session: Session, size: int) -> dict[str, Any]:
    maps = render(session.model.net, session.model.features, size, 5)
    values = np.nan_to_num(maps.output.cpu().numpy()).tolist()
    if maps.confidence is None:
        return {"size": size, "values": values}
    return {
        "size": size,
        "values": values,
        "classes": session.model.net.sizes[-1],
        "confidence": np.nan_to_num(maps.confidence.cpu().numpy()).tolist(),
    }


MAX_PICTURES = 4  # pictures (boundary.png, figure) drawn at once per app; the rest wait


async def picture_slots(request: Request) -> asyncio.Semaphore:
    """The app's bound on pictures drawn at once, made on first use (async: on the loop,
    so two first requests cannot make two)."""
    state = request.app.state
    if not hasattr(state, "picture_slots"):
        state.picture_slots = asyncio.Semaphore(MAX_PICTURES)
    slots: asyncio.Semaphore = state.picture_slots
    return slots


PictureSlots = Annotated[asyncio.Semaphore, Depends(picture_slots)]


@sessions.get("/{session_id}/boundary", response_model=Boundary)
async def boundary(
    session_id: str, manager: Manager, slots: PictureSlots, size: GridSize = 100
) -> Response:
    """The network's output over a size×size grid on [-6, 6]² (2p − 1 for a sigmoid
    output); with k > 2 classes the winning class and its probability. (At size 400 the
    reply is megabytes of JSON: it is written off the event loop, a few at a time.)"""
    async with slots:
        grid = await manager.run(session_id, lambda s: _boundary(s, size))
        body = await asyncio.to_thread(json.dumps, grid, separators=(",", ":"))
    return Response(body, media_type="application/json")


@sessions.get("/{session_id}/boundary.png", response_class=Response, responses=CONFLICT)
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
    at most 1600 pixels a side (size × scale)."""
    problem = side_error(size, scale)
    if problem:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "scale"), "msg": problem, "input": scale}]
        )
    async with slots:
        grid, split = await manager.run(session_id, lambda s: (_grid(s, size), s.model.split))
        # numpy work off the event loop, so the streams don't stall while a picture draws
        image = await asyncio.to_thread(boundary_png, grid, split, scale, test, discretize)
    return Response(image, media_type="image/png")


@sessions.get("/{session_id}/figure", responses=CONFLICT)
async def figure(session_id: str, manager: Manager, slots: PictureSlots) -> Response:
    """A Plotly figure (boundary, points, losses); load it with plotly.io.from_json."""
    async with slots:
        grid, split, hist = await manager.run(
            session_id, lambda s: (_grid(s, 100), s.model.split, s.history.as_dict())
        )
        text = await asyncio.to_thread(figure_json, grid, split, hist)
    return Response(text, media_type="application/json")
