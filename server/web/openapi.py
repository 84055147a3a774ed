"""What the OpenAPI schema says about errors: the bodies of 404, 409, 413, 422 and 429
(as app.py's exception handlers and limits.py write them), and which routes answer them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.dependencies.utils import get_dependant, get_flat_params
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

SESSION_PARAM = "{session_id}"
# path parameters that name something that may not exist: routes with one answer 404
ID_PARAMS = (SESSION_PARAM, "{experiment_id}", "{token}", "{code}")


class ErrorMessage(BaseModel):
    """The body of a 404, 409, 413 or 429: what went wrong, in words."""

    detail: str = Field(examples=["unknown session 3f2a9c"])


class ValidationIssue(BaseModel):
    """One input that does not fit."""

    type: str = Field(examples=["less_than_equal"])
    loc: list[str | int] = Field(examples=[["body", "config", "learning_rate"]])
    msg: str = Field(examples=["Input should be between 0 and 10, got 11"])


class ValidationErrors(BaseModel):
    """The body of a 422: every input that does not fit, where it is and why."""

    detail: list[ValidationIssue]


Responses = dict[int | str, dict[str, Any]]

UNREADABLE: Responses = {
    400: {"model": ErrorMessage, "description": "The body is not UTF-8 JSON (FastAPI's answer)"}
}
UNKNOWN_SESSION: Responses = {
    404: {"model": ErrorMessage, "description": "No such session (deleted or expired)"}
}
UNKNOWN_ID: Responses = {
    404: {"model": ErrorMessage, "description": "No such thing (or no longer shared)"}
}
CONFLICT: Responses = {
    409: {"model": ErrorMessage, "description": "Not possible in the session's current state"}
}
TOO_LARGE: Responses = {
    413: {"model": ErrorMessage, "description": "The request body is over the server's limit"}
}
INVALID: Responses = {
    422: {"model": ValidationErrors, "description": "An input does not fit (which, and why)"}
}
TOO_MANY: Responses = {
    429: {"model": ErrorMessage, "description": "The server or this client is at its limit"}
}


def declared_errors(
    path: str, endpoint: Callable[..., Any], openapi_extra: dict[str, Any] | None
) -> Responses:
    """The errors any route of this shape answers: 400 when FastAPI parses its JSON body,
    404 under a path naming a session, an experiment or a share token, 413 with a request
    body, 422 with any input (our body, not FastAPI's default)."""
    dependant = get_dependant(path=path, call=endpoint)
    json_body = bool(dependant.body_params)
    body = json_body or "requestBody" in (openapi_extra or {})  # or the route reads it
    errors: Responses = {}
    if json_body:
        errors |= UNREADABLE
    if SESSION_PARAM in path:
        errors |= UNKNOWN_SESSION
    elif any(param in path for param in ID_PARAMS):
        errors |= UNKNOWN_ID
    if body:
        errors |= TOO_LARGE
    if body or get_flat_params(dependant):
        errors |= INVALID
    return errors


class DeclaredRoute(APIRoute):
    """An APIRoute whose OpenAPI entry lists the errors routes of its shape answer
    (``declared_errors``); a route adds its own (409, 429) with ``responses=``."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        declared = declared_errors(path, endpoint, kwargs.get("openapi_extra"))
        kwargs["responses"] = {**declared, **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)
