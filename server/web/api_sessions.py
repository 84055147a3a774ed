"""REST routes of a session's life: create, read, change, delete, train, act, and its
parameters and points. Thin: validate, call the SessionManager, translate errors."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response

from server.protocol.rest import (
    CreateSession,
    Data,
    Params,
    PatchSession,
    SessionState,
    SetParam,
    TrainRequest,
    TrainResult,
)
from server.web.deps import Manager, client_address, disconnected
from server.web.openapi import CONFLICT, TOO_MANY, DeclaredRoute

sessions = APIRouter(prefix="/api/sessions", tags=["sessions"], route_class=DeclaredRoute)


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
    return await manager.train(session_id, body.epochs, disconnected(request))


@sessions.post("/{session_id}/{action}", response_model=SessionState, responses=CONFLICT)
async def act(
    session_id: str,
    action: Literal["reset", "regenerate", "play", "pause", "step", "step_d", "step_g"],
    manager: Manager,
) -> dict[str, Any]:
    """reset: new initial weights from the seed's stream, same data. regenerate: new seed
    and points, weights kept. play / pause: live training. step: exactly one epoch (a
    GAN: one iteration, D's updates then G's). step_d / step_g (a GAN only): the
    discriminator's updates alone, or the generator's (`d_steps` / `g_steps` of them, at
    least one); the iteration count stays."""
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
