"""REST routes of what is kept: saved experiments (an owner key in a header, no accounts),
share links anyone with the token may open and fork, and the last copy of a session that
is gone. Thin: validate, call the Library (runtime/library.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response

from server.protocol.rest import SessionState
from server.protocol.stored import (
    OWNER_HEADER,
    OWNER_KEY_PATTERN,
    TOKEN_PATTERN,
    Experiment,
    Experiments,
    LastCopy,
    RenameExperiment,
    SaveExperiment,
    Shared,
    ShareLink,
)
from server.runtime.library import Library
from server.storage.experiments import by_id, by_token, owner_of
from server.web.deps import client_address, keyed
from server.web.openapi import CONFLICT, TOO_MANY, DeclaredRoute, ErrorMessage, Responses

experiments = APIRouter(prefix="/api/experiments", tags=["experiments"], route_class=DeclaredRoute)
shares = APIRouter(prefix="/api/shares", tags=["shares"], route_class=DeclaredRoute)
copies = APIRouter(prefix="/api/sessions", tags=["sessions"], route_class=DeclaredRoute)


def get_library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


Lib = Annotated[Library, Depends(get_library)]
ExperimentId = Annotated[str, Path(pattern=TOKEN_PATTERN, description="an experiment's id")]
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="a share token")]
SessionId = Annotated[str, Path(pattern=TOKEN_PATTERN)]
PNG = {200: {"content": {"image/png": {}}, "description": "A PNG picture"}}
NO_KEY: Responses = {401: {"model": ErrorMessage, "description": f"No valid {OWNER_HEADER}"}}
UNKNOWN: Responses = {404: {"model": ErrorMessage, "description": "No such experiment"}}
FULL: Responses = {
    413: {"model": ErrorMessage, "description": "Over a size limit of the server's storage"}
}
STORAGE: Responses = {503: {"model": ErrorMessage, "description": "Storage failed or is off"}}
KEYED = NO_KEY | UNKNOWN | STORAGE


def owner(
    key: Annotated[
        str | None,
        Header(
            alias=OWNER_HEADER,
            description="the browser's own random key (16-128 of A-Z a-z 0-9 _ -): "
            "whoever holds it owns the experiments saved with it",
        ),
    ] = None,
) -> str:
    """The owner (the key's SHA-256), or 401 naming the header and its form."""
    form = "16 to 128 characters of A-Z, a-z, 0-9, _ and -"
    return owner_of(keyed(key, OWNER_HEADER, OWNER_KEY_PATTERN, "the browser's own key", form))


Owner = Annotated[str, Depends(owner)]


@experiments.post(
    "", status_code=201, response_model=Experiment,
    responses=NO_KEY | TOO_MANY | FULL | CONFLICT | STORAGE
    | {404: {"model": ErrorMessage, "description": "No such session"}},
)  # fmt: skip
async def save(body: SaveExperiment, who: Owner, library: Lib) -> dict[str, Any]:
    """Save a named copy of a live session (weights, training state, points, loss chart,
    and a thumbnail of its boundary). An owner keeps max_experiments_per_owner (429); one
    copy takes at most max_checkpoint_bytes and all of storage max_database_bytes (413)."""
    return await library.save(body.session, who, body.name)


@experiments.get("", response_model=Experiments, responses=NO_KEY | STORAGE)
async def list_experiments(who: Owner, library: Lib) -> dict[str, Any]:
    """The owner's saved experiments, newest first."""
    return await library.listed(who)


@experiments.get("/{experiment_id}", response_model=Experiment, responses=KEYED)
async def get_experiment(experiment_id: ExperimentId, who: Owner, library: Lib) -> dict[str, Any]:
    return await library.one(who, experiment_id)


@experiments.patch("/{experiment_id}", response_model=Experiment, responses=KEYED)
async def rename(
    experiment_id: ExperimentId, body: RenameExperiment, who: Owner, library: Lib
) -> dict[str, Any]:
    """Rename it."""
    return await library.rename(who, experiment_id, body.name)


@experiments.delete("/{experiment_id}", status_code=204, responses=KEYED)
async def delete(experiment_id: ExperimentId, who: Owner, library: Lib) -> Response:
    """Delete it (and its share link)."""
    await library.remove(who, experiment_id)
    return Response(status_code=204)


@experiments.post(
    "/{experiment_id}/open", status_code=201, response_model=SessionState,
    responses=KEYED | TOO_MANY | CONFLICT,
)  # fmt: skip
async def open_experiment(
    experiment_id: ExperimentId, who: Owner, request: Request, library: Lib
) -> dict[str, Any]:
    """A new live session from the copy, paused at its epoch (the copy stays as it is)."""
    return await library.open(who, experiment_id, client_address(request))


@experiments.post(
    "/{experiment_id}/share", status_code=201, response_model=ShareLink, responses=KEYED
)
async def share(experiment_id: ExperimentId, who: Owner, library: Lib) -> dict[str, str]:
    """Its share link, /s/<token> (the same one again once shared): anyone with it sees the
    experiment read-only and may fork it."""
    return await library.share(who, experiment_id)


@experiments.delete("/{experiment_id}/share", status_code=204, responses=KEYED)
async def unshare(experiment_id: ExperimentId, who: Owner, library: Lib) -> Response:
    """Stop sharing: the link stops working (sharing again makes a new one)."""
    await library.unshare(who, experiment_id)
    return Response(status_code=204)


@experiments.get(
    "/{experiment_id}/thumbnail.png", response_class=Response, responses=PNG | UNKNOWN | STORAGE
)
async def thumbnail(experiment_id: ExperimentId, library: Lib) -> Response:
    """A small picture of its boundary. No key: an experiment's id is unguessable, and an
    <img> cannot send a header."""
    image = await library.picture(by_id(experiment_id), "thumbnail")
    return Response(image, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


# -- share links ---------------------------------------------------------------------------------
@shares.get("/{token}", response_model=Shared, responses=UNKNOWN | STORAGE | CONFLICT)
async def shared(token: Token, library: Lib) -> dict[str, Any]:
    """A shared experiment, read-only: its config, network, loss chart and pictures."""
    return await library.shared(token)


@shares.get("/{token}/{which}.png", response_class=Response, responses=PNG | UNKNOWN | STORAGE)
async def shared_picture(
    token: Token,
    which: Annotated[str, Path(pattern="^(picture|thumbnail)$", description="picture|thumbnail")],
    library: Lib,
) -> Response:
    """The boundary with its points (picture, 400 px) or without (thumbnail, 100 px)."""
    image = await library.picture(by_token(token), which)
    return Response(image, media_type="image/png")


@shares.post(
    "/{token}/fork", status_code=201, response_model=SessionState,
    responses=UNKNOWN | TOO_MANY | CONFLICT | STORAGE,
)  # fmt: skip
async def fork(token: Token, request: Request, library: Lib) -> dict[str, Any]:
    """ "Open in my playground": a live session of the caller's own from the shared copy."""
    return await library.fork(token, client_address(request))


# -- the last copy of a session that is gone ------------------------------------------------------
@copies.get("/{session_id}/last-copy", response_model=LastCopy, responses=STORAGE)
async def last_copy(session_id: SessionId, library: Lib) -> dict[str, Any]:
    """A session that expired or was deleted keeps its last checkpoint for ended_keep
    seconds: what it was (404 if nothing is kept)."""
    return await library.last_copy(session_id)


@copies.post(
    "/{session_id}/last-copy", status_code=201, response_model=SessionState,
    responses=STORAGE | TOO_MANY | CONFLICT,
)  # fmt: skip
async def revive(session_id: SessionId, request: Request, library: Lib) -> dict[str, Any]:
    """A new live session from the last copy, paused at its epoch."""
    return await library.revive(session_id, client_address(request))
